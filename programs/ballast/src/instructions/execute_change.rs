//! `execute_change`: anyone applies a queued change once its timelock has passed.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{ChangeExecuted, EventHeader};
use crate::governance::{apply_change, base_hash, GovChange, Target, TargetKind};
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
/// remaining account, writable), once what it replaces is as it was when queued (`base`).
#[inline(never)]
fn apply_to_accounts(ctx: &Context<ExecuteChange>, change: &GovChange, base: [u8; 32], now: i64) -> Result<()> {
    let remaining = ctx.remaining_accounts;
    let mut group = ctx.accounts.group.load_mut()?;
    let kind = change.target_kind();
    let apply = |group: &mut Group, t: Target, rest: &[AccountInfo]| -> Result<()> {
        require!(base_hash(group, &t, change)? == base, BallastError::ProposalStale);
        apply_change(group, t, change, rest, now)
    };
    if kind == TargetKind::Group {
        return apply(&mut group, Target::Group, &[]);
    }
    let info = remaining.first().ok_or(BallastError::ProposalMismatch)?;
    require!(info.is_writable, BallastError::ProposalMismatch);
    let mut data = info.try_borrow_mut_data()?;
    let rest = remaining.get(1..).unwrap_or(&[]);
    match kind {
        TargetKind::Asset => {
            let asset = load_pod_mut::<Asset>(info.owner, &mut data)?;
            apply(&mut group, Target::Asset(&mut *asset), rest)?;
            match change {
                GovChange::EditAsset(p) if p.changes_sources() => {
                    crate::feed_claims::record(asset, p.sources(), rest, None)
                }
                _ => Ok(()),
            }
        }
        _ => apply(&mut group, Target::Account(load_pod_mut::<MarginAccount>(info.owner, &mut data)?), rest),
    }
}

/// The queued change of the proposal, its target and base hash, once its window is open.
#[inline(never)]
fn queued_change(ctx: &Context<ExecuteChange>, now: i64) -> Result<(GovChange, Pubkey, [u8; 32])> {
    let p = ctx.accounts.proposal.load()?;
    require!(p.state == PROPOSAL_QUEUED, BallastError::ProposalNotQueued);
    require!(now >= p.eta, BallastError::ProposalNotReady);
    require!(now < p.expires_ts, BallastError::ProposalExpired);
    require!(solana_sha256_hasher::hashv(&[p.payload()]).to_bytes() == p.hash, BallastError::ProposalMismatch);
    let change = GovChange::try_from_slice(p.payload()).map_err(|_| BallastError::ProposalMismatch)?;
    Ok((change, p.target, p.base_hash))
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

/// Checks the window (`eta <= now < expires_ts`), the target, and that what the change replaces is
/// unchanged since it was queued (ProposalStale: a queued change never undoes a later one, such as
/// the guardian's), validates the change again on the state as it is now and applies it with the
/// direct instruction's transition.
pub fn handler(ctx: Context<ExecuteChange>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let (change, target, base) = queued_change(&ctx, now)?;
    let named =
        crate::instructions::propose_change::target_of(&change, &ctx.accounts.group.key(), ctx.remaining_accounts)?;
    require!(named.unwrap_or_default() == target, BallastError::ProposalMismatch);
    apply_to_accounts(&ctx, &change, base, now)?;
    close_and_emit(&ctx, change, now)
}
