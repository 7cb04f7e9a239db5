//! `cancel_change`: the admin or the guardian cancels a queued change before it executes.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{ChangeCancelled, EventHeader};
use crate::state::*;

/// Accounts of `cancel_change`.
#[derive(Accounts)]
pub struct CancelChange<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The admin or the guardian.
    pub authority: Signer<'info>,
    /// The queued proposal of this group.
    #[account(mut, has_one = group)]
    pub proposal: AccountLoader<'info, Proposal>,
}

/// Marks the proposal cancelled: it can never execute.
pub fn handler(ctx: Context<CancelChange>) -> Result<()> {
    crate::governance::authorize_cancel(&*ctx.accounts.group.load()?, ctx.accounts.authority.key)?;
    let now = Clock::get()?.unix_timestamp;
    let mut p = ctx.accounts.proposal.load_mut()?;
    require!(p.state == PROPOSAL_QUEUED, BallastError::ProposalNotQueued);
    p.state = PROPOSAL_CANCELLED;
    p.closed_ts = now;
    emit!(ChangeCancelled {
        header: EventHeader::now(ctx.accounts.group.key())?,
        proposal: ctx.accounts.proposal.key(),
        num: p.num,
        by: ctx.accounts.authority.key(),
        hash: p.hash,
    });
    Ok(())
}
