//! Oracle adapters: Pyth pull, Pyth legacy and (test builds only) the stub oracle, turned into a
//! price in quote native units per base native unit. Every read checks owner, feed, positivity,
//! staleness and confidence. The table of which action needs a valid price lives here too
//! ([`oracle_policy`]) and in docs/oracles.md.

use anchor_lang::prelude::*;
use anchor_lang::Discriminator;
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;

use crate::constants::*;
use crate::error::BallastError;
use crate::risk::num::oracle_price;
use crate::risk::Price;
use crate::state::{OracleConfig, OracleKind};

/// A validated price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct OraclePrice {
    /// Quote native units per base native unit.
    pub price: Price,
    /// Publish time of the price, unix seconds.
    pub publish_time: i64,
    /// True when the fallback oracle supplied it.
    pub from_fallback: bool,
    /// Confidence interval, bps of the price (rounded up).
    pub conf_bps: u32,
}

/// Actions, for the oracle policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Deposit into an account: cannot lower health.
    Deposit,
    /// Repay a borrow in full (lending issue): cannot lower health.
    RepayInFull,
    /// Withdraw (and, later, borrow): lowers health.
    Withdraw,
    /// Close an empty account: no positions, no price.
    CloseAccount,
    /// Refresh an asset's stable price from its oracle.
    RefreshAsset,
    /// List an asset: the configured oracle must give a valid price.
    ListAsset,
    /// Trade a perp (block trade or signed order): both accounts' prices, and the band.
    Trade,
    /// Settle perp PnL at the oracle price.
    SettlePnl,
    /// Liquidate: both accounts' prices, and no price far from its stable price.
    Liquidate,
    /// Resolve a bankruptcy: insolvency and dust are decided by value (S2-19).
    ResolveBankruptcy,
    /// Evaluate health: `check_health`, and every off-chain evaluation of the SDK and the keeper.
    CheckHealth,
}

/// What an action requires of the oracles of the account's assets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleNeed {
    /// No price is read.
    None,
    /// Every price read must pass all checks (fallback allowed where configured).
    Valid,
}

/// The one table of which oracle failure blocks which action. Deposits and full repays never need
/// a price; anything that can lower health, and anything that stores a price, needs a valid one.
pub const fn oracle_policy(action: Action) -> OracleNeed {
    match action {
        Action::Deposit | Action::RepayInFull | Action::CloseAccount => OracleNeed::None,
        Action::Withdraw
        | Action::RefreshAsset
        | Action::ListAsset
        | Action::Trade
        | Action::SettlePnl
        | Action::Liquidate
        | Action::ResolveBankruptcy
        | Action::CheckHealth => OracleNeed::Valid,
    }
}

/// Proof that an action's oracle policy reads prices: the key the health loader
/// ([`crate::health_accounts::load_health_accounts`]) and the oracle reader ([`read_oracle_info`])
/// require, so the table decides who may read a price. Build it in a const context,
/// `const { Priced::of(Action::Withdraw) }`: for an action whose policy reads no price
/// (`OracleNeed::None`) that does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priced(Action);

impl Priced {
    /// The proof for `action`; panics (a compile error in a const context) unless the table says
    /// the action reads valid prices.
    pub const fn of(action: Action) -> Self {
        assert!(matches!(oracle_policy(action), OracleNeed::Valid), "this action's oracle policy reads no price");
        Priced(action)
    }

    /// The action.
    pub const fn action(&self) -> Action {
        self.0
    }
}

/// True for errors that mean "the price is currently unusable" (a fallback may be tried), as
/// opposed to "this is the wrong account" (never retried).
pub fn is_price_invalid(e: &Error) -> bool {
    let codes = [
        BallastError::OracleStale,
        BallastError::OracleConfidence,
        BallastError::OracleNonPositive,
        BallastError::OraclePriceOutOfRange,
    ];
    match e {
        Error::AnchorError(a) => codes.iter().any(|c| a.error_code_number == u32::from(*c)),
        _ => false,
    }
}

/// Raw fields every oracle format reduces to.
struct RawPrice {
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
}

/// Reads and validates a price from an oracle account's key, owner and data.
/// `decimals` are the asset's mint decimals; `now` is the clock's unix timestamp.
pub fn read_oracle(
    cfg: &OracleConfig,
    key: &Pubkey,
    owner: &Pubkey,
    data: &[u8],
    decimals: u8,
    now: i64,
) -> Result<OraclePrice> {
    if *key != cfg.address || !cfg.is_set() {
        return err!(BallastError::UnexpectedOracle);
    }
    let kind = OracleKind::from_u8(cfg.kind).ok_or(BallastError::InvalidConfig)?;
    let raw = match kind {
        OracleKind::PythPull => read_pyth_pull(cfg, owner, data)?,
        OracleKind::PythLegacy => read_pyth_legacy(owner, data)?,
        OracleKind::Stub => read_stub(owner, data)?,
        OracleKind::Aggregate => return read_aggregate(cfg, owner, data, decimals, now),
    };
    validate(cfg, &raw, decimals, now)
}

/// Reads a Ballast `PriceAggregate` as an oracle: usable (a timelock after its creation), valid (a
/// quorum at its last crank, else OracleQuorum: not a price error, so no fallback replaces the
/// quorum), of the asset's decimals, and within `cfg`'s age and confidence limits.
fn read_aggregate(cfg: &OracleConfig, owner: &Pubkey, data: &[u8], decimals: u8, now: i64) -> Result<OraclePrice> {
    let a: &crate::state::PriceAggregate = crate::state::load_pod(owner, data)?;
    require!(now >= a.usable_from, BallastError::OracleAggregatePending);
    require!(a.decimals == decimals, BallastError::OracleInvalidData);
    require!(a.valid == 1, BallastError::OracleQuorum);
    let price = a.price.price();
    require!(price > Price::ZERO, BallastError::OracleNonPositive);
    require!(a.publish_time <= now.saturating_add(ORACLE_MAX_FUTURE_SECS), BallastError::OracleInvalidData);
    require!(now.saturating_sub(a.publish_time) <= i64::from(cfg.max_age_secs), BallastError::OracleStale);
    require!(a.conf_bps <= u32::from(cfg.max_conf_bps), BallastError::OracleConfidence);
    Ok(OraclePrice { price, publish_time: a.publish_time, from_fallback: false, conf_bps: a.conf_bps })
}

fn validate(cfg: &OracleConfig, raw: &RawPrice, decimals: u8, now: i64) -> Result<OraclePrice> {
    if raw.price <= 0 {
        return err!(BallastError::OracleNonPositive);
    }
    if raw.publish_time > now.saturating_add(ORACLE_MAX_FUTURE_SECS) {
        return err!(BallastError::OracleInvalidData);
    }
    let age = now.saturating_sub(raw.publish_time);
    if age > cfg.max_age_secs as i64 {
        return err!(BallastError::OracleStale);
    }
    // conf / price <= max_conf_bps / 10_000, in integers (both fit in i128).
    // Cannot overflow: |conf|, |price| < 2^64 and the factors are below 2^16.
    #[allow(clippy::arithmetic_side_effects)]
    if (raw.conf as i128) * 10_000 > (raw.price as i128) * cfg.max_conf_bps as i128 {
        return err!(BallastError::OracleConfidence);
    }
    // One conversion: the confidence is only range-checked (the ratio was checked above).
    let price = oracle_price(raw.price as u64, raw.conf, raw.expo, QUOTE_DECIMALS, decimals)
        .ok_or(BallastError::OraclePriceOutOfRange)?;
    // conf_bps <= max_conf_bps (checked above), so it fits in u32.
    #[allow(clippy::arithmetic_side_effects)]
    let conf_bps = ((raw.conf as u128) * 10_000).div_ceil(raw.price as u128);
    let conf_bps = u32::try_from(conf_bps).map_err(|_| BallastError::OracleConfidence)?;
    Ok(OraclePrice { price, publish_time: raw.publish_time, from_fallback: false, conf_bps })
}

/// Byte layout of a Pyth pull `PriceUpdateV2` account (Anchor discriminator, then Borsh): the
/// write authority, the verification level (`Partial { num_signatures: u8 }` = tag 0 and one
/// byte, `Full` = tag 1), then the price message and the posted slot.
mod pull_layout {
    /// Offset of the verification level's tag.
    pub const LEVEL: usize = 8 + 32;
    /// Tag of `VerificationLevel::Full`.
    pub const FULL: u8 = 1;
    /// Tag of `VerificationLevel::Partial`.
    pub const PARTIAL: u8 = 0;
    /// Offset of the price message of a `Full` update.
    pub const MESSAGE: usize = LEVEL + 1;
    /// Price message (feed id 32, price 8, conf 8, exponent 4, publish time 8, previous publish
    /// time 8, EMA price 8, EMA conf 8) and posted slot (8).
    pub const TAIL: usize = 84 + 8;
}

/// Reads a Pyth pull account at fixed offsets, with no copy: the same result as Anchor's
/// `PriceUpdateV2::try_deserialize` followed by the checks below, for every input (a differential
/// test holds it to that): too short, a wrong discriminator or an unknown verification tag is
/// `OracleInvalidData`, a partial verification `OracleVerificationLevel` (Borsh would have parsed
/// it), another feed `OracleFeedMismatch`.
fn read_pyth_pull(cfg: &OracleConfig, owner: &Pubkey, data: &[u8]) -> Result<RawPrice> {
    use pull_layout::*;
    if *owner != PYTH_RECEIVER {
        return err!(BallastError::OracleWrongOwner);
    }
    if data.get(..8) != Some(PriceUpdateV2::DISCRIMINATOR) {
        return err!(BallastError::OracleInvalidData);
    }
    let message = match data.get(LEVEL) {
        Some(&FULL) => MESSAGE,
        Some(&PARTIAL) => MESSAGE + 1,
        _ => return err!(BallastError::OracleInvalidData),
    };
    // Every field of the account must be there, as Borsh requires.
    let m = data.get(message..message.saturating_add(TAIL)).ok_or(BallastError::OracleInvalidData)?;
    if message != MESSAGE {
        return err!(BallastError::OracleVerificationLevel);
    }
    if m[..32] != cfg.feed_id {
        return err!(BallastError::OracleFeedMismatch);
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&m[at..at.saturating_add(8)]);
        b
    };
    let mut expo = [0u8; 4];
    expo.copy_from_slice(&m[48..52]);
    Ok(RawPrice {
        price: i64::from_le_bytes(word(32)),
        conf: u64::from_le_bytes(word(40)),
        expo: i32::from_le_bytes(expo),
        publish_time: i64::from_le_bytes(word(52)),
    })
}

fn read_pyth_legacy(owner: &Pubkey, data: &[u8]) -> Result<RawPrice> {
    if *owner != PYTH_LEGACY_MAINNET && *owner != PYTH_LEGACY_DEVNET {
        return err!(BallastError::OracleWrongOwner);
    }
    // pyth-sdk-solana's byte parser casts in place: it needs 8-byte aligned data, as account
    // data always is on chain. Refuse rather than panic if it is not.
    if !(data.as_ptr() as usize).is_multiple_of(core::mem::align_of::<pyth_sdk_solana::state::SolanaPriceAccount>()) {
        return err!(BallastError::OracleInvalidData);
    }
    let acc =
        pyth_sdk_solana::state::load_price_account::<32, ()>(data).map_err(|_| BallastError::OracleInvalidData)?;
    // A non-Trading aggregate is read as Pyth itself reads it: the previous price with its own
    // (older) timestamp, which the staleness check then rejects (catalogue OR-03).
    let trading = acc.agg.status == pyth_sdk_solana::state::PriceStatus::Trading;
    Ok(if trading {
        RawPrice { price: acc.agg.price, conf: acc.agg.conf, expo: acc.expo, publish_time: acc.timestamp }
    } else {
        RawPrice { price: acc.prev_price, conf: acc.prev_conf, expo: acc.expo, publish_time: acc.prev_timestamp }
    })
}

#[cfg(feature = "test-oracle")]
fn read_stub(owner: &Pubkey, data: &[u8]) -> Result<RawPrice> {
    if *owner != crate::ID {
        return err!(BallastError::OracleWrongOwner);
    }
    let s: &crate::state::StubOracle = crate::state::load_pod(owner, data)?;
    Ok(RawPrice { price: s.price, conf: s.conf, expo: s.expo, publish_time: s.publish_time })
}

#[cfg(not(feature = "test-oracle"))]
fn read_stub(_owner: &Pubkey, _data: &[u8]) -> Result<RawPrice> {
    err!(BallastError::OracleKindDisabled)
}

/// Checks an oracle configuration against its bounds (catalogue AG-06): known kind, max age in
/// bounds, confidence limit in bounds, a feed id for pull oracles, stub oracles only in test builds.
pub fn validate_oracle_config(cfg: &OracleConfig) -> Result<()> {
    let kind = OracleKind::from_u8(cfg.kind).ok_or(BallastError::InvalidConfig)?;
    if kind == OracleKind::Stub && !cfg!(feature = "test-oracle") {
        return err!(BallastError::OracleKindDisabled);
    }
    let (lo, hi) = ORACLE_MAX_AGE_BOUNDS;
    if !cfg.is_set()
        || cfg.max_age_secs < lo
        || cfg.max_age_secs > hi
        || cfg.max_conf_bps == 0
        || cfg.max_conf_bps > ORACLE_MAX_CONF_BPS
        || (kind == OracleKind::PythPull && cfg.feed_id == [0u8; 32])
        || cfg.reserved != 0
    {
        return err!(BallastError::InvalidConfig);
    }
    Ok(())
}

/// Reads an asset's price from an `AccountInfo`.
pub fn read_oracle_info(
    _priced: Priced,
    cfg: &OracleConfig,
    info: &AccountInfo,
    decimals: u8,
    now: i64,
) -> Result<OraclePrice> {
    let data = info.try_borrow_data()?;
    read_oracle(cfg, info.key, info.owner, &data, decimals, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kind: OracleKind) -> OracleConfig {
        OracleConfig {
            address: Pubkey::new_unique(),
            feed_id: [1; 32],
            max_age_secs: 60,
            max_conf_bps: 100,
            kind: kind as u8,
            reserved: 0,
        }
    }

    /// The Borsh reader the fixed-offset one replaced (issue 11), kept as the reference.
    fn borsh_pull(cfg: &OracleConfig, owner: &Pubkey, data: &[u8]) -> Result<RawPrice> {
        use anchor_lang::AccountDeserialize;
        use pyth_solana_receiver_sdk::price_update::VerificationLevel;
        if *owner != PYTH_RECEIVER {
            return err!(BallastError::OracleWrongOwner);
        }
        let update = PriceUpdateV2::try_deserialize(&mut &data[..]).map_err(|_| BallastError::OracleInvalidData)?;
        if update.verification_level != VerificationLevel::Full {
            return err!(BallastError::OracleVerificationLevel);
        }
        let m = &update.price_message;
        if m.feed_id != cfg.feed_id {
            return err!(BallastError::OracleFeedMismatch);
        }
        Ok(RawPrice { price: m.price, conf: m.conf, expo: m.exponent, publish_time: m.publish_time })
    }

    fn same(a: Result<RawPrice>, b: Result<RawPrice>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => (x.price, x.conf, x.expo, x.publish_time) == (y.price, y.conf, y.expo, y.publish_time),
            (Err(x), Err(y)) => x == y,
            _ => false,
        }
    }

    /// Issue 11: the fixed-offset Pyth pull reader returns what Anchor's Borsh deserialization and
    /// the checks returned, on valid accounts of both verification levels and on 200,000 mutated,
    /// truncated and extended ones.
    #[test]
    fn pull_reader_equals_the_borsh_reader() {
        use anchor_lang::AccountSerialize;
        use pyth_solana_receiver_sdk::price_update::PriceFeedMessage;
        use pyth_solana_receiver_sdk::price_update::VerificationLevel;
        let c = cfg(OracleKind::PythPull);
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accounts = Vec::new();
        for level in [VerificationLevel::Full, VerificationLevel::Partial { num_signatures: 5 }] {
            for feed in [[1u8; 32], [2u8; 32]] {
                let update = PriceUpdateV2 {
                    write_authority: Pubkey::new_unique(),
                    verification_level: level,
                    price_message: PriceFeedMessage {
                        feed_id: feed,
                        price: -12_345_678_901,
                        conf: 42_000,
                        exponent: -8,
                        publish_time: 1_700_000_000,
                        prev_publish_time: 1_699_999_999,
                        ema_price: 1,
                        ema_conf: 2,
                    },
                    posted_slot: 9,
                };
                let mut data = Vec::new();
                update.try_serialize(&mut data).unwrap();
                accounts.push(data);
            }
        }
        let owners = [PYTH_RECEIVER, Pubkey::new_unique()];
        for data in &accounts {
            for owner in &owners {
                assert!(same(read_pyth_pull(&c, owner, data), borsh_pull(&c, owner, data)));
            }
            for len in 0..data.len() + 3 {
                let mut d = data.clone();
                d.resize(len, 0xAB);
                assert!(same(read_pyth_pull(&c, &PYTH_RECEIVER, &d), borsh_pull(&c, &PYTH_RECEIVER, &d)), "len {len}");
            }
        }
        for _ in 0..200_000 {
            let mut d = accounts[(next() % 4) as usize].clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % d.len();
                // Bias towards the discriminator, the level tag and the feed id.
                let at = if next() % 2 == 0 { at % 80 } else { at };
                d[at] = if next() % 3 == 0 { (next() % 3) as u8 } else { next() as u8 };
            }
            if next() % 4 == 0 {
                let len = (next() as usize) % (d.len() + 4);
                d.resize(len, 0);
            }
            assert!(same(read_pyth_pull(&c, &PYTH_RECEIVER, &d), borsh_pull(&c, &PYTH_RECEIVER, &d)), "{d:?}");
        }
    }

    /// AG-10: the stub oracle kind is refused by the default (production) build. The workspace test
    /// run builds the program with `test-oracle` for the integration tests, so .ci/run also runs
    /// this crate's unit tests alone, where this test is compiled.
    #[cfg(not(feature = "test-oracle"))]
    #[test]
    fn ag_10_stub_oracle_disabled_in_default_build() {
        let c = cfg(OracleKind::Stub);
        let e = validate_oracle_config(&c).unwrap_err();
        assert_eq!(e, error!(BallastError::OracleKindDisabled));
        let e = read_oracle(&c, &c.address, &crate::ID, &[0u8; 200], 6, 0).unwrap_err();
        assert_eq!(e, error!(BallastError::OracleKindDisabled));
    }

    #[test]
    fn config_bounds() {
        assert!(validate_oracle_config(&cfg(OracleKind::PythPull)).is_ok());
        let mut c = cfg(OracleKind::PythPull);
        c.feed_id = [0; 32];
        assert!(validate_oracle_config(&c).is_err());
        let mut c = cfg(OracleKind::PythLegacy);
        c.max_age_secs = 100_000;
        assert!(validate_oracle_config(&c).is_err());
        let mut c = cfg(OracleKind::PythLegacy);
        c.kind = 9;
        assert!(validate_oracle_config(&c).is_err());
    }

    #[test]
    fn policy_table() {
        assert_eq!(oracle_policy(Action::Deposit), OracleNeed::None);
        assert_eq!(oracle_policy(Action::RepayInFull), OracleNeed::None);
        assert_eq!(oracle_policy(Action::Withdraw), OracleNeed::Valid);
    }

    /// The table drives who may read a price: the loader's proof exists for every action that
    /// reads prices and for none that does not (in a const context the refusal is a compile error).
    #[test]
    fn only_actions_that_read_prices_get_the_loaders_proof() {
        use Action::*;
        let all = [
            Deposit,
            RepayInFull,
            Withdraw,
            CloseAccount,
            RefreshAsset,
            ListAsset,
            Trade,
            SettlePnl,
            Liquidate,
            ResolveBankruptcy,
            CheckHealth,
        ];
        for a in all {
            let proof = std::panic::catch_unwind(|| Priced::of(a));
            match oracle_policy(a) {
                OracleNeed::Valid => assert_eq!(proof.unwrap().action(), a),
                OracleNeed::None => assert!(proof.is_err(), "{a:?} reads no price"),
            }
        }
    }
}
