//! The fill record of a signed order: how much of a maker's nonce has been used.

use anchor_lang::prelude::*;

use crate::order::{OPTION_ORDER_MESSAGE_LEN, ORDER_MESSAGE_LEN};

/// Bytes of a signed message kept beyond [`OrderRecord::message`] (an option order's series).
pub const ORDER_MESSAGE_EXT_LEN: usize = OPTION_ORDER_MESSAGE_LEN - ORDER_MESSAGE_LEN;

/// Fill record of one maker nonce. PDA: `[ORDER_SEED, maker account, nonce (u64 LE)]`. Created by
/// the first fill (the submitter pays rent) or by `cancel_order`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct OrderRecord {
    /// Maker margin account.
    pub account: Pubkey,
    /// Nonce.
    pub nonce: u64,
    /// Order size: lots of a perp order, contracts of an option order (0 until the first fill).
    pub size_lots: u64,
    /// Lots (perp order) or contracts (option order) filled so far.
    pub filled_lots: u64,
    /// 1 once the maker cancelled the nonce: no further fill.
    pub cancelled: u8,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved0: [u8; 6],
    /// The signed message of the first fill (its first 150 bytes); every later fill must present
    /// the same bytes.
    pub message: [u8; ORDER_MESSAGE_LEN],
    /// The rest of an option order's message (its series: expiry and strike); zero for a perp
    /// order, whose message is 150 bytes.
    pub message_ext: [u8; ORDER_MESSAGE_EXT_LEN],
    /// Reserved (and pads the message to a multiple of 8).
    pub reserved: [u8; 34],
}

const _: () = assert!(core::mem::size_of::<OrderRecord>() == 272);
const _: () = assert!(core::mem::align_of::<OrderRecord>() == 8);
/// OrderRecord size on chain including the discriminator.
pub const ORDER_RECORD_LEN: usize = 8 + core::mem::size_of::<OrderRecord>();
