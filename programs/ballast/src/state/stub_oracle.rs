//! A program-owned oracle whose price the admin sets. Compiled only with the `test-oracle`
//! feature: production builds neither read nor create it (catalogue AG-10).

use anchor_lang::prelude::*;

/// Stub price account. PDA: `[STUB_ORACLE_SEED, group, stub_num (u64 LE)]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct StubOracle {
    /// Group whose admin sets the price.
    pub group: Pubkey,
    /// Price mantissa.
    pub price: i64,
    /// Confidence mantissa.
    pub conf: u64,
    /// Publish time, unix seconds.
    pub publish_time: i64,
    /// Decimal exponent of price and confidence.
    pub expo: i32,
    /// Reserved.
    pub reserved0: u32,
    /// Reserved.
    pub reserved: [u8; 64],
}

const _: () = assert!(core::mem::size_of::<StubOracle>() == 128);
const _: () = assert!(core::mem::align_of::<StubOracle>() == 8);

/// StubOracle size on chain including the 8-byte discriminator.
pub const STUB_ORACLE_LEN: usize = 8 + core::mem::size_of::<StubOracle>();
