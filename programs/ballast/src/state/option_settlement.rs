//! The settlement record of one expiry of one underlying's options (catalogue PX-05): the oracle
//! samples the settle crank recorded after expiry, and the quote pot through which settled shorts
//! pay settled longs.

use anchor_lang::prelude::*;

use super::Price128;
use crate::risk::options::settle::{PriceSample, MAX_SAMPLES};

/// One recorded oracle observation.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SettlementSample {
    /// Publish time, unix seconds.
    pub ts: i64,
    /// Price, quote native per base native, I48F80 bits.
    pub price: Price128,
    /// Confidence interval, quote native per base native, I48F80 bits.
    pub conf: Price128,
}

/// Settlement record. PDA: `[OPTION_SETTLEMENT_SEED, asset, expiry (i64 LE)]`; created by the
/// first `record_option_sample` of the expiry (the cranker pays rent).
#[account(zero_copy)]
#[derive(Debug)]
pub struct OptionSettlement {
    /// The underlying's Asset account.
    pub asset: Pubkey,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Samples recorded.
    pub count: u8,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved0: [u8; 6],
    /// Samples in recording order (publish times increasing, spaced by the market's spacing).
    pub samples: [SettlementSample; MAX_SAMPLES],
    /// Quote native units settled shorts paid in and settled longs have not yet been paid (a claim
    /// on the quote vault, like protocol fees).
    pub pot: u64,
    /// Contracts of long positions settled.
    pub settled_long: u64,
    /// Contracts of short positions settled.
    pub settled_short: u64,
    /// Reserved for upgrades.
    pub reserved: [u8; 64],
}

const _: () = assert!(core::mem::size_of::<SettlementSample>() == 40);
const _: () = assert!(core::mem::size_of::<OptionSettlement>() == 776);
const _: () = assert!(core::mem::align_of::<OptionSettlement>() == 8);
/// OptionSettlement size on chain including the discriminator.
pub const OPTION_SETTLEMENT_LEN: usize = 8 + core::mem::size_of::<OptionSettlement>();

impl OptionSettlement {
    /// The recorded samples as the engine reads them.
    pub fn samples(&self) -> [PriceSample; MAX_SAMPLES] {
        core::array::from_fn(|i| {
            let s = &self.samples[i];
            PriceSample { ts: s.ts, price: s.price.price(), conf: s.conf.price() }
        })
    }
}
