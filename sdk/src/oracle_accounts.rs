//! Encoders for oracle accounts in both Pyth formats. The simulator and the tests write these into
//! the embedded bank; integrators can use them to build fixtures.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use ballast::constants::PYTH_LEGACY_MAINNET;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// A price in oracle terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleQuote {
    /// Mantissa.
    pub price: i64,
    /// Confidence mantissa.
    pub conf: u64,
    /// Decimal exponent.
    pub expo: i32,
    /// Publish time, unix seconds.
    pub publish_time: i64,
}

impl OracleQuote {
    /// A quote from a decimal price with 8 fractional digits (expo -8) and a confidence in bps.
    pub fn from_decimal(price: f64, conf_bps: u64, publish_time: i64) -> Self {
        let m = (price * 1e8).round() as i64;
        OracleQuote { price: m, conf: (m.unsigned_abs() * conf_bps) / 10_000, expo: -8, publish_time }
    }
}

/// Owner and data of a Pyth pull `PriceUpdateV2` account.
pub fn pyth_pull(feed_id: [u8; 32], q: OracleQuote, level: VerificationLevel) -> (Pubkey, Vec<u8>) {
    let update = PriceUpdateV2 {
        write_authority: Pubkey::default(),
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id,
            price: q.price,
            conf: q.conf,
            exponent: q.expo,
            publish_time: q.publish_time,
            prev_publish_time: q.publish_time.saturating_sub(1),
            ema_price: q.price,
            ema_conf: q.conf,
        },
        posted_slot: 0,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).expect("serialize PriceUpdateV2");
    data.resize(PriceUpdateV2::LEN, 0);
    (pyth_solana_receiver_sdk::ID, data)
}

/// Trading status of a legacy Pyth price.
pub const PYTH_STATUS_TRADING: u8 = 1;
/// Halted status of a legacy Pyth price.
pub const PYTH_STATUS_HALTED: u8 = 2;

/// Owner and data of a Pyth legacy price account. When not trading, the previous price is
/// `q` with publish time `prev_publish_time`.
pub fn pyth_legacy(q: OracleQuote, status: u8, prev_publish_time: i64) -> (Pubkey, Vec<u8>) {
    use pyth_sdk_solana::state::{AccountType, PriceStatus, SolanaPriceAccount, MAGIC, VERSION_2};
    let mut acc: SolanaPriceAccount = bytemuck::Zeroable::zeroed();
    acc.magic = MAGIC;
    acc.ver = VERSION_2;
    acc.atype = AccountType::Price as u32;
    acc.size = core::mem::size_of::<SolanaPriceAccount>() as u32;
    acc.expo = q.expo;
    acc.timestamp = q.publish_time;
    acc.agg.price = q.price;
    acc.agg.conf = q.conf;
    acc.agg.status = match status {
        PYTH_STATUS_TRADING => PriceStatus::Trading,
        PYTH_STATUS_HALTED => PriceStatus::Halted,
        _ => PriceStatus::Unknown,
    };
    acc.prev_price = q.price;
    acc.prev_conf = q.conf;
    acc.prev_timestamp = prev_publish_time;
    (PYTH_LEGACY_MAINNET, bytemuck::bytes_of(&acc).to_vec())
}
