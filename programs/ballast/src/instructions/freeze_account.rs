//! `freeze_account`: the guardian or the admin freezes a margin account at once; unfreezing is
//! queued (`GovChange::SetAccountFrozen`).

use anchor_lang::prelude::*;

use crate::events::{AccountFrozenSet, EventHeader};
use crate::state::*;

/// Accounts of `freeze_account`.
#[derive(Accounts)]
pub struct FreezeAccount<'info> {
    /// Group (counts the change).
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The admin or the guardian.
    pub authority: Signer<'info>,
    /// The margin account; must belong to the group.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
}

/// Freezes (`frozen`: at once, either role) or unfreezes (TimelockRequired for the admin of a
/// group with a timelock, GuardianCannotIncreaseRisk for the guardian) the account. A frozen
/// account may deposit, repay and cancel orders, and be liquidated; it may not withdraw, trade or
/// liquidate (`gate::POLICY`).
pub fn handler(ctx: Context<FreezeAccount>, frozen: bool) -> Result<()> {
    let mut group = ctx.accounts.group.load_mut()?;
    crate::governance::authorize_direct(&group, ctx.accounts.authority.key, frozen)?;
    crate::governance::apply_frozen(&mut group, &mut *ctx.accounts.account.load_mut()?, frozen);
    emit!(AccountFrozenSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        account: ctx.accounts.account.key(),
        frozen,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
