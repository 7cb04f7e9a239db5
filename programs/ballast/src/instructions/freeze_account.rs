//! `freeze_account`: the guardian or the admin freezes a margin account at once; unfreezing is
//! queued (`GovChange::SetAccountFrozen`).

use anchor_lang::prelude::*;

use crate::events::{AccountFrozenSet, EventHeader};
use crate::state::*;

/// Accounts of `freeze_account`.
#[derive(Accounts)]
pub struct FreezeAccount<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The admin or the guardian.
    pub authority: Signer<'info>,
    /// The margin account; must belong to the group.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
}

/// Freezes (`frozen`: at once, either role) or unfreezes (TimelockRequired for the admin of a
/// group with a timelock, GuardianCannotIncreaseRisk for the guardian) the account. A frozen
/// account may deposit, repay and cancel orders, and be liquidated; it may not withdraw, trade,
/// delegate or liquidate (`gate::POLICY`).
pub fn handler(ctx: Context<FreezeAccount>, frozen: bool) -> Result<()> {
    crate::governance::authorize_direct(&*ctx.accounts.group.load()?, ctx.accounts.authority.key, frozen)?;
    crate::governance::apply_frozen(&mut *ctx.accounts.account.load_mut()?, frozen);
    emit!(AccountFrozenSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        account: ctx.accounts.account.key(),
        frozen,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
