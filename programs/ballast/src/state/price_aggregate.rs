//! A price aggregated from up to three sources (docs/oracles.md, "Aggregated prices").

use anchor_lang::prelude::*;

use super::{OracleConfig, Price128};

/// Most price sources of an aggregate.
pub const MAX_PRICE_SOURCES: usize = 3;

/// The median of up to three price sources, kept by the permissionless `update_price_aggregate`
/// crank and read as an asset's oracle of kind `OracleKind::Aggregate`. PDA
/// `[AGGREGATE_SEED, group, num (u64 LE)]`. Its sources and rule are fixed at creation: pointing an
/// asset at another aggregate is an oracle change (queued behind the timelock).
#[account(zero_copy)]
#[derive(Debug)]
pub struct PriceAggregate {
    /// Group.
    pub group: Pubkey,
    /// The sources (unused ones have the default address), each read with its own kind, feed,
    /// age and confidence limits.
    pub sources: [OracleConfig; MAX_PRICE_SOURCES],
    /// The last aggregate: quote native units per base native unit (an asset of `decimals`).
    pub price: Price128,
    /// Publish time of the last aggregate: the oldest of the agreeing sources', unix seconds.
    /// Never goes back (catalogue OR-08).
    pub publish_time: i64,
    /// When the crank last ran, unix seconds.
    pub updated_ts: i64,
    /// Number within the group (part of the PDA seeds).
    pub num: u64,
    /// Confidence of the last aggregate, bps of its price: the largest distance of an agreeing
    /// source from the median, or the largest agreeing source's own confidence if more.
    pub conf_bps: u32,
    /// A source agrees when it is within this distance of the median, bps.
    pub max_divergence_bps: u16,
    /// Fewest agreeing valid sources for a valid aggregate.
    pub quorum: u8,
    /// Decimals of the assets this aggregate prices.
    pub decimals: u8,
    /// 1 while the last crank found a quorum; 0 otherwise (every read fails with OracleQuorum).
    pub valid: u8,
    /// Bitmap of the sources that agreed in the last crank.
    pub agreeing: u8,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved for alignment.
    pub reserved0: [u8; 5],
    /// No asset reads this aggregate before this time, unix seconds: its creation plus the group's
    /// timelock, so that its sources are public for a whole timelock before any price depends on
    /// them (an oracle change naming an aggregate not yet created cannot skip the delay).
    pub usable_from: i64,
    /// Reserved for upgrades.
    pub reserved: [u8; 56],
}

const _: () = assert!(core::mem::size_of::<PriceAggregate>() == 368);
const _: () = assert!(core::mem::align_of::<PriceAggregate>() == 8);
/// PriceAggregate size on chain including the discriminator.
pub const PRICE_AGGREGATE_LEN: usize = 8 + core::mem::size_of::<PriceAggregate>();
