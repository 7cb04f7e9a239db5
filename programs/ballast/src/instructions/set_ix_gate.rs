//! `set_ix_gate`: the guardian or the admin disables instructions at once; re-enabling one is
//! queued (catalogue AG-05).

use anchor_lang::prelude::*;

use crate::events::{EventHeader, IxGateSet};
use crate::state::*;

/// Accounts of `set_ix_gate`.
#[derive(Accounts)]
pub struct SetIxGate<'info> {
    /// Group.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The admin or the guardian.
    pub authority: Signer<'info>,
}

/// Writes the gate: a gate that only adds disabled bits applies at once for either role; one that
/// clears a bit fails with TimelockRequired (admin: queue `GovChange::SetIxGate`) or
/// GuardianCannotIncreaseRisk. Only gated instructions' bits may be set (InvalidConfig).
pub fn handler(ctx: Context<SetIxGate>, gate: u64) -> Result<()> {
    let mut g = ctx.accounts.group.load_mut()?;
    let old_gate = g.ix_gate;
    crate::governance::authorize_direct(&g, ctx.accounts.authority.key, gate & old_gate == old_gate)?;
    crate::governance::apply_ix_gate(&mut g, gate)?;
    emit!(IxGateSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        old_gate,
        gate,
        by: ctx.accounts.authority.key()
    });
    Ok(())
}
