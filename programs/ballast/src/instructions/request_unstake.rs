//! `request_unstake`: starts the cooldown for `shares` of a stake; their value is fixed as the most
//! the later withdrawal pays (catalogue IB-06).

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, UnstakeRequested};
use crate::state::*;

/// Accounts of `request_unstake` and `cancel_unstake`.
#[derive(Accounts)]
pub struct UnstakeRequest<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Stake owner.
    pub owner: Signer<'info>,
    /// The stake.
    #[account(mut, has_one = group, has_one = owner)]
    pub stake: AccountLoader<'info, InsuranceStake>,
}

/// Requests `shares` (one request at a time).
pub fn handler(ctx: Context<UnstakeRequest>, shares: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let value = ctx.accounts.group.load()?.insurance.value_of(shares);
    let mut s = ctx.accounts.stake.load_mut()?;
    require!(shares > 0 && shares <= s.shares && s.pending_shares == 0, BallastError::InvalidUnstakeRequest);
    s.pending_shares = shares;
    s.pending_value = value;
    s.request_ts = now;
    emit!(UnstakeRequested { header: EventHeader::now(s.group)?, owner: s.owner, shares, value });
    Ok(())
}
