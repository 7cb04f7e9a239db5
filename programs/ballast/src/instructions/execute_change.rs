//! `execute_change`: anyone applies a queued change once its timelock has passed.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{ChangeExecuted, EventHeader};
use crate::governance::{apply_change, GovChange, Target, TargetKind};
use crate::state::*;

/// Accounts of `execute_change`. Remaining accounts: for a change of an asset or an account, the
/// target Asset or MarginAccount (writable) first, then (an edit setting a group member's risk
/// parameters) the risk-group leader.
#[derive(Accounts)]
pub struct ExecuteChange<'info> {
    /// Group.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The queued proposal of this group.
    #[account(mut, has_one = group)]
    pub proposal: AccountLoader<'info, Proposal>,
}

/// Applies `change` to the group and the target (an Asset or a MarginAccount, the first
/// remaining account, writable).
#[inline(never)]
fn apply_to_accounts(ctx: &Context<ExecuteChange>, change: &GovChange, now: i64) -> Result<()> {
    let remaining = ctx.remaining_accounts;
    let mut group = ctx.accounts.group.load_mut()?;
    let kind = change.target_kind();
    if kind == TargetKind::Group {
        return apply_change(&mut group, Target::Group, change, &[], now);
    }
    let info = remaining.first().ok_or(BallastError::ProposalMismatch)?;
    require!(info.is_writable, BallastError::ProposalMismatch);
    let mut data = info.try_borrow_mut_data()?;
    let rest = remaining.get(1..).unwrap_or(&[]);
    match kind {
        TargetKind::Asset => {
            apply_change(&mut group, Target::Asset(load_pod_mut::<Asset>(info.owner, &mut data)?), change, rest, now)
        }
        _ => apply_change(
            &mut group,
            Target::Account(load_pod_mut::<MarginAccount>(info.owner, &mut data)?),
            change,
            rest,
            now,
        ),
    }
}

/// The queued change of the proposal and its target, once its window is open.
#[inline(never)]
fn queued_change(ctx: &Context<ExecuteChange>, now: i64) -> Result<(GovChange, Pubkey)> {
    let p = ctx.accounts.proposal.load()?;
    require!(p.state == PROPOSAL_QUEUED, BallastError::ProposalNotQueued);
    require!(now >= p.eta, BallastError::ProposalNotReady);
    require!(now < p.expires_ts, BallastError::ProposalExpired);
    require!(solana_sha256_hasher::hashv(&[p.payload()]).to_bytes() == p.hash, BallastError::ProposalMismatch);
    let change = GovChange::try_from_slice(p.payload()).map_err(|_| BallastError::ProposalMismatch)?;
    Ok((change, p.target))
}

/// Marks the proposal executed and records it.
#[inline(never)]
fn close_and_emit(ctx: &Context<ExecuteChange>, change: GovChange, now: i64) -> Result<()> {
    let (num, target, hash) = {
        let mut p = ctx.accounts.proposal.load_mut()?;
        p.state = PROPOSAL_EXECUTED;
        p.closed_ts = now;
        (p.num, p.target, p.hash)
    };
    emit!(ChangeExecuted {
        header: EventHeader::now(ctx.accounts.group.key())?,
        proposal: ctx.accounts.proposal.key(),
        num,
        target,
        hash,
        change,
    });
    Ok(())
}

/// Checks the window (`eta <= now < expires_ts`) and the target, validates the change again on the
/// state as it is now and applies it with the direct instruction's transition.
pub fn handler(ctx: Context<ExecuteChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let (change, target) = queued_change(&ctx, now)?;
    let named =
        crate::instructions::propose_change::target_of(&change, &ctx.accounts.group.key(), ctx.remaining_accounts)?;
    require!(named.unwrap_or_default() == target, BallastError::ProposalMismatch);
    apply_to_accounts(&ctx, &change, now)?;
    close_and_emit(&ctx, change, now)
}
