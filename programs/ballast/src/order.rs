//! Signed orders: the message a maker signs off-chain, and the check of the ed25519 verification
//! instruction that must precede `fill_order` in the same transaction. The SDK encodes messages
//! with the same code.
//!
//! Message layout (150 bytes, integers little-endian):
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0   | 16 | domain `BALLAST_ORDER_V1` |
//! | 16  | 32 | program id |
//! | 48  | 32 | group |
//! | 80  | 32 | maker margin account |
//! | 112 | 2  | asset index (u16) |
//! | 114 | 1  | side: 0 the maker buys, 1 the maker sells |
//! | 115 | 1  | reserved, 0 |
//! | 116 | 8  | size, lots (u64) |
//! | 124 | 8  | limit price, quote native units per lot (u64) |
//! | 132 | 8  | expiry, unix seconds (i64) |
//! | 140 | 8  | nonce (u64) |
//! | 148 | 2  | max fee the maker accepts, bps (u16) |

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;

/// Length of an order message.
pub const ORDER_MESSAGE_LEN: usize = 150;
/// Side byte: the maker buys.
pub const SIDE_BUY: u8 = 0;
/// Side byte: the maker sells.
pub const SIDE_SELL: u8 = 1;

/// An order as the maker signed it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignedOrder {
    /// Maker margin account.
    pub account: Pubkey,
    /// Asset index of the perp market.
    pub asset_index: u16,
    /// SIDE_BUY or SIDE_SELL (the maker's side).
    pub side: u8,
    /// Size, lots.
    pub size_lots: u64,
    /// Limit price, quote native units per lot: the most a buying maker pays, the least a selling
    /// maker accepts. Fills happen at this price.
    pub limit_price_per_lot: u64,
    /// Expiry, unix seconds: no fill after this time.
    pub expiry: i64,
    /// Nonce, unique per maker account.
    pub nonce: u64,
    /// Highest maker fee the maker accepts, bps.
    pub max_fee_bps: u16,
}

impl SignedOrder {
    /// The exact bytes the maker signs. `domain` is the group's `order_domain`, which binds the
    /// order to the program, the group and the cluster it was created on (S2-15).
    pub fn message(&self, group: &Pubkey, domain: &[u8; 32]) -> [u8; ORDER_MESSAGE_LEN] {
        let mut m = [0u8; ORDER_MESSAGE_LEN];
        m[0..16].copy_from_slice(ORDER_DOMAIN);
        m[16..48].copy_from_slice(domain);
        m[48..80].copy_from_slice(group.as_ref());
        m[80..112].copy_from_slice(self.account.as_ref());
        m[112..114].copy_from_slice(&self.asset_index.to_le_bytes());
        m[114] = self.side;
        m[116..124].copy_from_slice(&self.size_lots.to_le_bytes());
        m[124..132].copy_from_slice(&self.limit_price_per_lot.to_le_bytes());
        m[132..140].copy_from_slice(&self.expiry.to_le_bytes());
        m[140..148].copy_from_slice(&self.nonce.to_le_bytes());
        m[148..150].copy_from_slice(&self.max_fee_bps.to_le_bytes());
        m
    }
}

fn u16_at(d: &[u8], at: usize) -> Result<u16> {
    let b = d.get(at..at.saturating_add(2)).ok_or(BallastError::MissingSignatureVerification)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// Checks that the instruction right before the current one is an ed25519 verification of exactly
/// one signature whose signature, key and message all lie in that instruction, that the message is
/// `message` byte for byte, and returns the signing key. `sysvar` must be the instructions sysvar
/// (its address is also pinned by the accounts constraint).
pub fn verified_signer(sysvar: &AccountInfo, message: &[u8]) -> Result<Pubkey> {
    let ix = solana_instructions_sysvar::get_instruction_relative(-1, sysvar)
        .map_err(|_| error!(BallastError::MissingSignatureVerification))?;
    require_keys_eq!(ix.program_id, ED25519_PROGRAM, BallastError::MissingSignatureVerification);
    let d = &ix.data;
    require!(d.len() >= 16 && d[0] == 1, BallastError::MissingSignatureVerification);
    // Offsets (14 bytes at 2): signature, its ix index, key, its ix index, message, size, its ix index.
    let sig_ix = u16_at(d, 4)?;
    let key_at = u16_at(d, 6)? as usize;
    let key_ix = u16_at(d, 8)?;
    let msg_at = u16_at(d, 10)? as usize;
    let msg_len = u16_at(d, 12)? as usize;
    let msg_ix = u16_at(d, 14)?;
    require!(sig_ix == u16::MAX && key_ix == u16::MAX && msg_ix == u16::MAX, BallastError::OrderSignatureMismatch);
    let key = d.get(key_at..key_at.saturating_add(32)).ok_or(BallastError::OrderSignatureMismatch)?;
    let signed = d.get(msg_at..msg_at.saturating_add(msg_len)).ok_or(BallastError::OrderSignatureMismatch)?;
    require!(signed == message, BallastError::OrderSignatureMismatch);
    Ok(Pubkey::try_from(key).map_err(|_| BallastError::OrderSignatureMismatch)?)
}
