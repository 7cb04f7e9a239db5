//! `request_unstake`: starts the cooldown for `shares` of a stake; their value is fixed as the most
//! the later withdrawal pays (catalogue IB-06).

use anchor_lang::prelude::*;

use crate::events::{EventHeader, UnstakeRequested};
use crate::state::*;
use crate::transitions;

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
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::RequestUnstake, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let mut s = ctx.accounts.stake.load_mut()?;
    let value = transitions::insurance::request_unstake(&ctx.accounts.group.load()?.insurance, &mut s, shares, now)?;
    emit!(UnstakeRequested { header: EventHeader::now(s.group)?, owner: s.owner, shares, value });
    Ok(())
}
