//! Which asset first used a price source (catalogue OR-12, docs/oracles.md "Shared price sources").

use anchor_lang::prelude::*;

/// The first asset of a group to be priced by one price source. PDA: `[FEED_CLAIM_SEED, group,
/// identity]`, where the identity is a Pyth pull feed id, or the account address of any other
/// source. Created unclaimed by anyone (`claim_feed`); the first listing or oracle change that
/// uses the source records its asset. Any later asset priced by the same source is *pegged*
/// (`ASSET_FLAG_PEGGED`) and must carry the depeg shock.
#[account(zero_copy)]
#[derive(Debug)]
pub struct FeedClaim {
    /// Group.
    pub group: Pubkey,
    /// The source's identity: a Pyth pull feed id, or another source's account address.
    pub identity: [u8; 32],
    /// The asset that first used it (`FREE_SLOT`: none yet).
    pub asset_index: u16,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved: [u8; 29],
}

const _: () = assert!(core::mem::size_of::<FeedClaim>() == 96);
const _: () = assert!(core::mem::align_of::<FeedClaim>() == 2);
/// FeedClaim size on chain including the discriminator.
pub const FEED_CLAIM_LEN: usize = 8 + core::mem::size_of::<FeedClaim>();
