//! Signed orders: the messages a maker signs off-chain, the check of the ed25519 verification
//! instruction that must precede `fill_order` / `fill_option_order` in the same transaction, and
//! the fill record every fill draws on. The SDK encodes messages with the same code.
//!
//! Perp order message layout (150 bytes, integers little-endian):
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
//!
//! Option order message layout (174 bytes): the same first 150 bytes with the domain
//! `BALLAST_OPTION_1`, the underlying's asset index at 112, the option kind (0 call, 1 put) in the
//! byte at 115, the size in contracts at 116 and the premium per contract (quote native units) at
//! 124; then:
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 150 | 8  | series expiry, unix seconds (i64) |
//! | 158 | 16 | strike, quote native per base native, I48F80 bits (i128) |
//!
//! The two domains differ, so a perp message is never an option message's prefix or vice versa;
//! both kinds share the maker's nonces (one fill record per nonce).

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::delegation::{authorize_trade_pair, Authority};
use crate::error::BallastError;
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::{OrderRecord, ORDER_MESSAGE_EXT_LEN, ORDER_RECORD_LEN};

/// Length of a perp order message.
pub const ORDER_MESSAGE_LEN: usize = 150;
/// Length of an option order message.
pub const OPTION_ORDER_MESSAGE_LEN: usize = 174;
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
        let head = MessageHead {
            prefix: ORDER_DOMAIN,
            account: &self.account,
            asset_index: self.asset_index,
            side: self.side,
            byte_115: 0,
            size: self.size_lots,
            price: self.limit_price_per_lot,
            expiry: self.expiry,
            nonce: self.nonce,
            max_fee_bps: self.max_fee_bps,
        };
        head.write(&mut m, group, domain);
        m
    }
}

/// An option order as the maker signed it: the maker buys (`side` SIDE_BUY) or sells up to
/// `contracts` of the series (underlying `asset_index`, `series_expiry`, strike, `kind`) at
/// `premium_per_contract`; any taker may fill it (`fill_option_order`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignedOptionOrder {
    /// Maker margin account.
    pub account: Pubkey,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// SIDE_BUY or SIDE_SELL (the maker's side).
    pub side: u8,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Size, contracts.
    pub contracts: u64,
    /// Premium per contract, quote native units: the most a buying maker pays, the least a
    /// selling maker accepts. Fills happen at this premium, which must also lie inside the
    /// market's band around the model value at the fill.
    pub premium_per_contract: u64,
    /// Expiry of the order, unix seconds: no fill after this time.
    pub expiry: i64,
    /// Nonce, unique per maker account (shared with perp orders).
    pub nonce: u64,
    /// Highest fee the maker accepts, bps of the underlying's notional.
    pub max_fee_bps: u16,
    /// Expiry of the series, unix seconds (listed in the underlying's option market).
    pub series_expiry: i64,
    /// Strike, quote native per base native, I48F80 bits.
    pub strike_bits: i128,
}

impl SignedOptionOrder {
    /// The exact bytes the maker signs (module doc); `domain` is the group's `order_domain`.
    pub fn message(&self, group: &Pubkey, domain: &[u8; 32]) -> [u8; OPTION_ORDER_MESSAGE_LEN] {
        let mut m = [0u8; OPTION_ORDER_MESSAGE_LEN];
        let head = MessageHead {
            prefix: OPTION_ORDER_DOMAIN,
            account: &self.account,
            asset_index: self.asset_index,
            side: self.side,
            byte_115: self.kind,
            size: self.contracts,
            price: self.premium_per_contract,
            expiry: self.expiry,
            nonce: self.nonce,
            max_fee_bps: self.max_fee_bps,
        };
        head.write(&mut m, group, domain);
        m[150..158].copy_from_slice(&self.series_expiry.to_le_bytes());
        m[158..174].copy_from_slice(&self.strike_bits.to_le_bytes());
        m
    }
}

/// The first 150 bytes every order message shares (module doc).
struct MessageHead<'a> {
    prefix: &'a [u8; 16],
    account: &'a Pubkey,
    asset_index: u16,
    side: u8,
    byte_115: u8,
    size: u64,
    price: u64,
    expiry: i64,
    nonce: u64,
    max_fee_bps: u16,
}

impl MessageHead<'_> {
    fn write(&self, m: &mut [u8], group: &Pubkey, domain: &[u8; 32]) {
        m[0..16].copy_from_slice(self.prefix);
        m[16..48].copy_from_slice(domain);
        m[48..80].copy_from_slice(group.as_ref());
        m[80..112].copy_from_slice(self.account.as_ref());
        m[112..114].copy_from_slice(&self.asset_index.to_le_bytes());
        m[114] = self.side;
        m[115] = self.byte_115;
        m[116..124].copy_from_slice(&self.size.to_le_bytes());
        m[124..132].copy_from_slice(&self.price.to_le_bytes());
        m[132..140].copy_from_slice(&self.expiry.to_le_bytes());
        m[140..148].copy_from_slice(&self.nonce.to_le_bytes());
        m[148..150].copy_from_slice(&self.max_fee_bps.to_le_bytes());
    }
}

/// The accounts of a signed-order fill (`fill_order`, `fill_option_order`).
pub struct FillParties<'a, 'info> {
    /// The group of the market.
    pub group: Pubkey,
    /// The maker account.
    pub maker: &'a AccountLoader<'info, crate::state::MarginAccount>,
    /// The taker account.
    pub taker: &'a AccountLoader<'info, crate::state::MarginAccount>,
    /// The taker's signer.
    pub taker_authority: Pubkey,
    /// The instructions sysvar.
    pub instructions: &'a AccountInfo<'info>,
}

/// The rules every signed-order fill shares: `now` within the order's `expiry`, a valid `side`,
/// the ed25519 verification of exactly `message` right before, both accounts in the group, the
/// signer's authority over the maker account and the taker authority's over the taker account in
/// `market` ([`crate::delegation::authorize_trade_pair`]; books from `books`, maker's first).
#[inline(never)]
pub fn check_fill<'info>(
    p: &FillParties<'_, 'info>,
    (message, expiry, side): (&[u8], i64, u8),
    market: u16,
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<[Authority<'info>; 2]> {
    require!(now <= expiry, BallastError::OrderExpired);
    require!(side == SIDE_BUY || side == SIDE_SELL, BallastError::OrderSignatureMismatch);
    let signer = verified_signer(p.instructions, message)?;
    {
        let (maker, taker) = (p.maker.load()?, p.taker.load()?);
        require!(maker.group == p.group && taker.group == p.group, BallastError::Unauthorized);
    }
    authorize_trade_pair((p.maker, &signer), (p.taker, &p.taker_authority), market, books, now)
}

/// A maker nonce's fill record as a fill uses it.
pub struct NonceUse<'a, 'info> {
    /// The record, PDA `[ORDER_SEED, maker, nonce]` (address checked by the caller's seeds).
    pub record: &'a AccountInfo<'info>,
    /// Pays the record's rent when the first fill creates it.
    pub payer: &'a AccountInfo<'info>,
    /// Maker margin account.
    pub maker: Pubkey,
    /// The nonce.
    pub nonce: u64,
    /// The record's canonical bump.
    pub bump: u8,
}

/// Creates the nonce's fill record on first use, checks it belongs to this exact `message` and is
/// not cancelled, and takes `fill` from the order's `size` (lots or contracts). Fails with
/// ZeroAmount for an empty fill, OrderSizeExhausted when cancelled or beyond the size, NonceReused
/// when the nonce belongs to another message.
#[inline(never)]
pub fn use_nonce(u: &NonceUse, message: &[u8], size: u64, fill: u64) -> Result<()> {
    require!(fill > 0, BallastError::ZeroAmount);
    let (head, ext) = message.split_at(ORDER_MESSAGE_LEN.min(message.len()));
    require!(
        head.len() == ORDER_MESSAGE_LEN && ext.len() <= ORDER_MESSAGE_EXT_LEN,
        BallastError::OrderSignatureMismatch
    );
    if u.record.data_is_empty() {
        let nonce = u.nonce.to_le_bytes();
        let bump = [u.bump];
        let seeds: &[&[u8]] = &[ORDER_SEED, u.maker.as_ref(), &nonce, &bump];
        create_pda_account(u.payer, u.record, ORDER_RECORD_LEN, &crate::ID, seeds)?;
        write_discriminator::<OrderRecord>(u.record)?;
        let mut data = u.record.try_borrow_mut_data()?;
        let r: &mut OrderRecord = bytemuck::from_bytes_mut(&mut data[8..ORDER_RECORD_LEN]);
        r.account = u.maker;
        r.nonce = u.nonce;
        r.bump = u.bump;
    }
    let mut data = u.record.try_borrow_mut_data()?;
    let r: &mut OrderRecord =
        bytemuck::try_from_bytes_mut(data.get_mut(8..ORDER_RECORD_LEN).ok_or(BallastError::NonceReused)?)
            .map_err(|_| BallastError::NonceReused)?;
    require!(r.cancelled == 0, BallastError::OrderSizeExhausted);
    let mut stored_ext = [0u8; ORDER_MESSAGE_EXT_LEN];
    stored_ext[..ext.len()].copy_from_slice(ext);
    if r.size_lots == 0 {
        r.message.copy_from_slice(head);
        r.message_ext = stored_ext;
        r.size_lots = size;
    } else {
        require!(r.message[..] == *head && r.message_ext == stored_ext, BallastError::NonceReused);
    }
    let filled = r.filled_lots.checked_add(fill).ok_or(BallastError::MathOverflow)?;
    require!(filled <= r.size_lots, BallastError::OrderSizeExhausted);
    r.filled_lots = filled;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A perp message and an option message with the same fields differ from the first byte
    /// (their domains), and the option message's series sits at its documented offsets.
    #[test]
    fn option_and_perp_messages_are_distinct_and_laid_out_as_documented() {
        let (group, domain) = (Pubkey::new_unique(), [9u8; 32]);
        let account = Pubkey::new_unique();
        let perp = SignedOrder {
            account,
            asset_index: 3,
            side: SIDE_SELL,
            size_lots: 10,
            limit_price_per_lot: 77,
            expiry: 1_000,
            nonce: 5,
            max_fee_bps: 4,
        };
        let option = SignedOptionOrder {
            account,
            asset_index: 3,
            side: SIDE_SELL,
            kind: 1,
            contracts: 10,
            premium_per_contract: 77,
            expiry: 1_000,
            nonce: 5,
            max_fee_bps: 4,
            series_expiry: 2_000,
            strike_bits: -3,
        };
        let (p, o) = (perp.message(&group, &domain), option.message(&group, &domain));
        assert_eq!(&p[..16], ORDER_DOMAIN);
        assert_eq!(&o[..16], OPTION_ORDER_DOMAIN);
        assert_ne!(p[..16], o[..16]);
        // Past the domain and the kind byte, the shared head is the same bytes.
        assert_eq!(p[16..115], o[16..115]);
        assert_eq!((p[115], o[115]), (0, 1));
        assert_eq!(p[116..150], o[116..150]);
        assert_eq!(o[150..158], 2_000i64.to_le_bytes());
        assert_eq!(o[158..174], (-3i128).to_le_bytes());
    }
}
