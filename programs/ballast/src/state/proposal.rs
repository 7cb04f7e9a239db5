//! A governance proposal: one queued change with its exact new values (docs/governance.md).

use anchor_lang::prelude::*;

use crate::constants::MAX_PROPOSAL_PAYLOAD;

/// Proposal state: queued, waiting for its timelock.
pub const PROPOSAL_QUEUED: u8 = 1;
/// Proposal state: cancelled by the admin or the guardian; never executes.
pub const PROPOSAL_CANCELLED: u8 = 2;
/// Proposal state: executed.
pub const PROPOSAL_EXECUTED: u8 = 3;

/// One queued change. PDA `[PROPOSAL_SEED, group, num (u64 LE)]`, created by `propose_change`
/// (the payer pays rent) and kept after execution or cancellation as the record.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Proposal {
    /// Group.
    pub group: Pubkey,
    /// The Asset the change applies to (default key for a change of the group itself).
    pub target: Pubkey,
    /// The admin that queued it.
    pub proposer: Pubkey,
    /// SHA-256 of `payload[..payload_len]`: what the events name and what execution checks.
    pub hash: [u8; 32],
    /// Number within the group (part of the PDA seeds).
    pub num: u64,
    /// When it was queued, unix seconds.
    pub queued_ts: i64,
    /// Earliest execution, unix seconds: `queued_ts` plus the group's timelock at queueing.
    pub eta: i64,
    /// Execution is refused from this time on, unix seconds: `eta` plus PROPOSAL_GRACE_SECS.
    pub expires_ts: i64,
    /// When it was executed or cancelled, unix seconds (0 while queued).
    pub closed_ts: i64,
    /// Bytes of `payload` in use.
    pub payload_len: u16,
    /// PROPOSAL_QUEUED, PROPOSAL_CANCELLED or PROPOSAL_EXECUTED.
    pub state: u8,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved for alignment.
    pub reserved0: [u8; 4],
    /// The change, Borsh-encoded `GovChange`: the exact new values.
    pub payload: [u8; MAX_PROPOSAL_PAYLOAD],
    /// SHA-256 of what the change replaces, as it stood when queued (`governance::base_hash`):
    /// execution requires it unchanged (ProposalStale), so a queued change never undoes a later
    /// one, such as the guardian's.
    pub base_hash: [u8; 32],
    /// Reserved for upgrades.
    pub reserved: [u8; 32],
}

const _: () = assert!(core::mem::size_of::<Proposal>() == 752);
const _: () = assert!(core::mem::align_of::<Proposal>() == 8);
/// Proposal size on chain including the discriminator.
pub const PROPOSAL_LEN: usize = 8 + core::mem::size_of::<Proposal>();

impl Proposal {
    /// The stored change bytes.
    pub fn payload(&self) -> &[u8] {
        self.payload.get(..usize::from(self.payload_len)).unwrap_or(&[])
    }
}
