//! `propose_change`: the admin queues a change behind the group's timelock (docs/governance.md).

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{ChangeQueued, EventHeader};
use crate::governance::{apply_change, base_hash, GovChange, Target, TargetKind};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;

/// Accounts of `propose_change`. Remaining accounts: for a change of an asset or an account, that
/// Asset or MarginAccount first, then (an edit setting a group member's risk parameters) the
/// risk-group leader.
#[derive(Accounts)]
#[instruction(num: u64)]
pub struct ProposeChange<'info> {
    /// Group; counts proposals.
    #[account(mut, constraint = group.load()?.admin == admin.key() @ BallastError::Unauthorized)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The new proposal, PDA `[PROPOSAL_SEED, group, num]`; `num` must be the group's proposal count.
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(mut, seeds = [PROPOSAL_SEED, group.key().as_ref(), &num.to_le_bytes()], bump)]
    pub proposal: UncheckedAccount<'info>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// The target account of a change (the first remaining account: an Asset or a MarginAccount of
/// this group, as the change's kind says), or None for a change of the group.
pub(crate) fn target_of(change: &GovChange, group: &Pubkey, remaining: &[AccountInfo]) -> Result<Option<Pubkey>> {
    let kind = change.target_kind();
    if kind == TargetKind::Group {
        return Ok(None);
    }
    let info = remaining.first().ok_or(BallastError::ProposalMismatch)?;
    let data = info.try_borrow_data()?;
    let owner_group = match kind {
        TargetKind::Asset => load_pod::<Asset>(info.owner, &data)?.group,
        _ => load_pod::<MarginAccount>(info.owner, &data)?.group,
    };
    require!(owner_group == *group, BallastError::ProposalMismatch);
    Ok(Some(info.key()))
}

/// A heap copy of the zero-copy account in `info` (owner and discriminator checked), to apply a
/// change to without touching the account.
fn boxed_copy<T: bytemuck::Pod + anchor_lang::Discriminator + anchor_lang::Owner>(
    info: &AccountInfo,
) -> Result<Box<T>> {
    let mut copy: Box<T> = bytemuck::zeroed_box();
    bytemuck::bytes_of_mut(&mut *copy)
        .copy_from_slice(bytemuck::bytes_of(load_pod::<T>(info.owner, &info.try_borrow_data()?)?));
    Ok(copy)
}

/// Validates `change` on copies of the group and the target (the bounds hold now; they are
/// checked again at execution). Returns the group's timelock as it stands (a role change may
/// change the copy's) and the hash of what the change replaces ([`base_hash`]).
#[inline(never)]
fn validate_on_copies(
    group: &Group,
    change: &GovChange,
    remaining: &[AccountInfo],
    now: i64,
) -> Result<(i64, [u8; 32])> {
    let timelock = i64::try_from(group.timelock_secs).map_err(|_| BallastError::MathOverflow)?;
    let mut g: Box<Group> = bytemuck::zeroed_box();
    *g = *group;
    let rest = remaining.get(1..).unwrap_or(&[]);
    let base = match (change.target_kind(), remaining.first()) {
        (TargetKind::Group, _) => {
            let base = base_hash(&g, &Target::Group, change)?;
            apply_change(&mut g, Target::Group, change, &[], now)?;
            base
        }
        (TargetKind::Asset, Some(info)) => {
            let mut asset = boxed_copy::<Asset>(info)?;
            let t = Target::Asset(&mut asset);
            let base = base_hash(&g, &t, change)?;
            apply_change(&mut g, t, change, rest, now)?;
            base
        }
        (TargetKind::Account, Some(info)) => {
            let mut account = boxed_copy::<MarginAccount>(info)?;
            let t = Target::Account(&mut account);
            let base = base_hash(&g, &t, change)?;
            apply_change(&mut g, t, change, rest, now)?;
            base
        }
        _ => return err!(BallastError::ProposalMismatch),
    };
    Ok((timelock, base))
}

/// What `propose_change` stores.
struct Queued<'a> {
    num: u64,
    target: Pubkey,
    proposer: Pubkey,
    hash: [u8; 32],
    base_hash: [u8; 32],
    now: i64,
    eta: i64,
    expires_ts: i64,
    payload: &'a [u8],
}

/// Creates the proposal account and writes it.
#[inline(never)]
fn create_proposal(ctx: &Context<ProposeChange>, q: &Queued) -> Result<()> {
    let group_key = ctx.accounts.group.key();
    let info = ctx.accounts.proposal.to_account_info();
    let n = q.num.to_le_bytes();
    let bump = [ctx.bumps.proposal];
    let seeds: &[&[u8]] = &[PROPOSAL_SEED, group_key.as_ref(), &n, &bump];
    create_pda_account(&ctx.accounts.payer.to_account_info(), &info, PROPOSAL_LEN, &crate::ID, seeds)?;
    write_discriminator::<Proposal>(&info)?;
    let mut data = info.try_borrow_mut_data()?;
    let p: &mut Proposal = bytemuck::from_bytes_mut(&mut data[8..PROPOSAL_LEN]);
    p.group = group_key;
    p.target = q.target;
    p.proposer = q.proposer;
    p.hash = q.hash;
    p.base_hash = q.base_hash;
    p.num = q.num;
    p.queued_ts = q.now;
    p.eta = q.eta;
    p.expires_ts = q.expires_ts;
    p.state = PROPOSAL_QUEUED;
    p.bump = ctx.bumps.proposal;
    p.payload_len = u16::try_from(q.payload.len()).map_err(|_| BallastError::InvalidConfig)?;
    p.payload.get_mut(..q.payload.len()).ok_or(BallastError::InvalidConfig)?.copy_from_slice(q.payload);
    Ok(())
}

/// Validates the change, stores it with its hash and the time it may execute, counts it.
pub fn handler(ctx: Context<ProposeChange>, num: u64, change: GovChange) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let target = target_of(&change, &group_key, ctx.remaining_accounts)?;
    let timelock = {
        let group = ctx.accounts.group.load()?;
        require!(num == group.num_proposals, BallastError::ProposalMismatch);
        validate_on_copies(&group, &change, ctx.remaining_accounts, now)?
    };
    let (timelock, base_hash) = timelock;
    let payload = borsh::to_vec(&change).map_err(|_| BallastError::InvalidConfig)?;
    require!(payload.len() <= MAX_PROPOSAL_PAYLOAD, BallastError::InvalidConfig);
    let hash = solana_sha256_hasher::hashv(&[&payload]).to_bytes();
    let eta = now.checked_add(timelock).ok_or(BallastError::MathOverflow)?;
    let expires_ts = eta.checked_add(PROPOSAL_GRACE_SECS).ok_or(BallastError::MathOverflow)?;
    let target = target.unwrap_or_default();
    let proposer = ctx.accounts.admin.key();
    let q = Queued { num, target, proposer, hash, base_hash, now, eta, expires_ts, payload: &payload };
    create_proposal(&ctx, &q)?;
    ctx.accounts.group.load_mut()?.num_proposals = num.checked_add(1).ok_or(BallastError::MathOverflow)?;
    emit_queued(&ctx, &q, change)
}

/// Records the queued change.
#[inline(never)]
fn emit_queued(ctx: &Context<ProposeChange>, q: &Queued, change: GovChange) -> Result<()> {
    emit!(ChangeQueued {
        header: EventHeader::now(ctx.accounts.group.key())?,
        proposal: ctx.accounts.proposal.key(),
        num: q.num,
        target: q.target,
        eta: q.eta,
        expires_ts: q.expires_ts,
        hash: q.hash,
        change,
        base_hash: q.base_hash,
    });
    Ok(())
}
