//! The Group: the root of a Ballast deployment.

use anchor_lang::prelude::*;

/// A group of assets and margin accounts under one admin.
/// PDA: `[GROUP_SEED, creator, group_num (u32 LE)]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Group {
    /// Key that created the group (part of the PDA seeds).
    pub creator: Pubkey,
    /// Admin (meant to be a multisig): lists assets, edits parameters.
    pub admin: Pubkey,
    /// Guardian: may only reduce risk (governance issue).
    pub guardian: Pubkey,
    /// Group number chosen by the creator (part of the PDA seeds).
    pub group_num: u32,
    /// Number of listed assets; the next listing gets this index.
    pub num_assets: u16,
    /// Asset index of the quote asset (settles perps, options and insurance). Asset 0.
    pub quote_asset_index: u16,
    /// Canonical bump of the group PDA.
    pub bump: u8,
    /// Reserved for alignment.
    pub reserved0: [u8; 7],
    /// Bitmap of disabled instructions (bit n: instruction tag n disabled).
    pub ix_gate: u64,
    /// Delay before risk-increasing changes take effect, seconds.
    pub timelock_secs: u64,
    /// Margin accounts created in this group (counter).
    pub num_accounts: u64,
    /// Reserved for upgrades (insurance fund state, counters).
    pub reserved: [u8; 512],
}

const _: () = assert!(core::mem::size_of::<Group>() == 648);
const _: () = assert!(core::mem::align_of::<Group>() == 8);
