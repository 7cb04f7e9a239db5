//! The keeper's sweep at scale: every Asset and oracle of a group is read and parsed once per sweep
//! ([`PriceBook`]), then every margin account is evaluated from its bytes against that cache, in
//! parallel across cores ([`sweep`]). Each asset entry is loaded by the program's own functions
//! (`check_asset`, `read_oracle`, `price_or_fallback`, `loaded_asset`), the exposures are built by
//! its `fill_input_from` and the verdict is its liquidatability predicate: the same numbers, bit
//! for bit, as the health loader on the account's canonical list (tested).
//!
//! Over RPC, [`AccountCache`] keeps the last bytes of every account with the slot they were read
//! at, reads Assets and oracles with `getMultipleAccounts` in batches and margin accounts with one
//! filtered `getProgramAccounts`, and says which assets' prices moved since the previous sweep, so
//! that the keeper re-checks first the accounts that hold them.

use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;
use ballast::health_accounts::{
    check_asset, fill_input_from, fill_options, loaded_asset, price_or_fallback, LoadedAsset, OptionSurface,
};
use ballast::oracle::read_oracle;
use ballast::risk::liquidation::liquidatable_with;
use ballast::risk::{health, Fx, HealthInput, HealthType, Price};
use ballast::state::{load_pod, Asset, MarginAccount};
use rayon::prelude::*;

use crate::decode::RawAccount;
use crate::transport::Transport;
use crate::{decode, pda, Result, SdkError};

/// Every asset of a group loaded once, at one clock: what a sweep evaluates accounts against.
pub struct PriceBook {
    /// The group.
    pub group: Pubkey,
    /// The clock, unix seconds.
    pub now: i64,
    /// Entry per asset index, or why the asset cannot be loaded now (an account holding it cannot
    /// be evaluated, as the program could not load its health accounts).
    entries: Vec<std::result::Result<LoadedAsset, String>>,
    /// Option surface per asset index (assets with an option market), as the program's loader
    /// keeps them.
    surfaces: Vec<Option<OptionSurface>>,
}

/// What a sweep decided about one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Maint health, quote native units.
    pub maint: Fx,
    /// LiquidationEnd health, quote native units, when the predicate needed it (a running
    /// liquidation episode with Maint health not below zero).
    pub end: Option<Fx>,
    /// Liquidatable by the program's own predicate. A screen: with Maint health below zero the
    /// LiquidationEnd health is not computed, so an account whose LiquidationEnd health overflows
    /// (which the program's liquidation refuses with `MathOverflow`) shows as liquidatable; the
    /// keeper plans every action with the program's own code on fresh bytes before sending.
    pub liquidatable: bool,
}

impl PriceBook {
    /// Loads every asset of `group` at `now` from its raw Asset account (`assets[i]` has index
    /// `i`) and its oracles (`oracle(key)`: the primary, and the fallback when the primary's price
    /// is unusable), exactly as the program loads one pair of a health list.
    pub fn load<'a>(
        group: &Pubkey,
        now: i64,
        assets: &[RawAccount],
        oracle: impl Fn(&Pubkey) -> Option<&'a RawAccount>,
    ) -> Self {
        let entries = assets
            .iter()
            .enumerate()
            .map(|(i, raw)| Self::load_one(group, now, i as u16, raw, &oracle).map_err(|e| e.to_string()))
            .collect();
        let surfaces = assets
            .iter()
            .map(|raw| {
                load_pod::<Asset>(&raw.owner, raw.data.bytes())
                    .ok()
                    .filter(|a| a.option.contract_size != 0)
                    .map(OptionSurface::of)
            })
            .collect();
        PriceBook { group: *group, now, entries, surfaces }
    }

    fn load_one<'a>(
        group: &Pubkey,
        now: i64,
        want: u16,
        raw: &RawAccount,
        oracle: &impl Fn(&Pubkey) -> Option<&'a RawAccount>,
    ) -> anchor_lang::Result<LoadedAsset> {
        let asset: &Asset = load_pod(&raw.owner, raw.data.bytes())?;
        check_asset(group, asset, want)?;
        let read = |cfg: &ballast::state::OracleConfig| match oracle(&cfg.address) {
            Some(o) => read_oracle(cfg, &o.key, &o.owner, o.data.bytes(), asset.decimals, now),
            None => Err(ballast::error::BallastError::UnexpectedOracle.into()),
        };
        let price = price_or_fallback(asset, read(&asset.oracle), |e| {
            if oracle(&asset.fallback_oracle.address).is_none() {
                return Err(e);
            }
            read(&asset.fallback_oracle)
        })?;
        loaded_asset(group, asset, want, price, now)
    }

    /// The entry of asset `i`.
    pub fn entry(&self, i: u16) -> Result<&LoadedAsset> {
        match self.entries.get(i as usize) {
            Some(Ok(e)) => Ok(e),
            Some(Err(e)) => Err(SdkError::Program(format!("asset {i}: {e}"))),
            None => Err(SdkError::Program(format!("asset {i} is not in the group"))),
        }
    }

    /// The oracle price of asset `i` this sweep used (zero when it could not be loaded).
    pub fn price(&self, i: u16) -> Price {
        self.entry(i).map(|e| e.risk.oracle_price).unwrap_or(Price::ZERO)
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the group has no asset.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Builds `input` for `account` from the cached entries of its canonical asset list.
    pub fn fill_input(&self, account: &MarginAccount, input: &mut HealthInput) -> Result<()> {
        if account.group != self.group {
            return Err(SdkError::Program("account of another group".into()));
        }
        let list = account.active_assets(&[]);
        if list.len > ballast::risk::MAX_HEALTH_ASSETS {
            return Err(SdkError::Program("too many assets".into()));
        }
        // Every entry must load before any is used, as the program's loader requires.
        let mut entries: [Option<&LoadedAsset>; ballast::risk::MAX_HEALTH_ASSETS] = Default::default();
        for (slot, &i) in entries.iter_mut().zip(list.as_slice()) {
            *slot = Some(self.entry(i)?);
        }
        fill_input_from(entries.iter().flatten().copied(), account, input)
            .map_err(|e| SdkError::Program(e.to_string()))?;
        let surface = |ai: u16| self.surfaces.get(ai as usize).and_then(|s| s.as_ref());
        fill_options(account, surface, self.now, input).map_err(|e| SdkError::Program(e.to_string()))
    }

    /// Maint health of `account` and the program's liquidatability predicate (LiquidationEnd
    /// health only when the predicate depends on it), using `input` as scratch.
    pub fn evaluate(&self, account: &MarginAccount, input: &mut HealthInput) -> Result<Verdict> {
        self.fill_input(account, input)?;
        let risk = |e| SdkError::Program(format!("{e:?}"));
        let maint = health(input, HealthType::Maint).map_err(risk)?;
        let active = account.liquidation_episode_active(self.now);
        let mut end = None;
        let liquidatable = liquidatable_with(maint, active, || {
            let h = health(input, HealthType::LiquidationEnd)?;
            end = Some(h);
            Ok(h)
        })
        .map_err(risk)?;
        Ok(Verdict { maint, end, liquidatable })
    }

    /// [`Self::evaluate`] on a margin account's raw bytes (owner checked, discriminator checked,
    /// no copy).
    pub fn evaluate_bytes(&self, owner: &Pubkey, data: &[u8], input: &mut HealthInput) -> Result<Verdict> {
        let account: &MarginAccount = load_pod(owner, data).map_err(|e| SdkError::Program(e.to_string()))?;
        self.evaluate(account, input)
    }
}

/// Evaluates every account of `accounts` (raw margin-account bytes owned by the program) against
/// `book`, in parallel on rayon's pool (one scratch input per worker), in order.
pub fn sweep(book: &PriceBook, accounts: &[&[u8]]) -> Vec<Result<Verdict>> {
    accounts
        .par_iter()
        .map_init(HealthInput::new_boxed, |input, data| book.evaluate_bytes(&ballast::ID, data, input))
        .collect()
}

/// Accounts a keeper tracks, with the slot each was last read at.
#[derive(Default)]
pub struct AccountCache {
    /// The group.
    pub group: Pubkey,
    /// Asset addresses by index, derived once.
    asset_keys: Vec<Pubkey>,
    /// Raw accounts by address, with the slot they were read at.
    accounts: HashMap<Pubkey, (u64, RawAccount)>,
    /// Margin accounts of the group, sorted by address.
    margin: Vec<Pubkey>,
    /// Prices of the previous sweep, by asset index.
    last_prices: Vec<Price>,
    /// The highest slot seen.
    pub slot: u64,
}

/// What [`AccountCache::refresh`] read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Accounts read (Assets, oracles, margin accounts).
    pub read: usize,
    /// Batched reads (`getMultipleAccounts` calls of at most 100 keys, plus one program scan).
    pub requests: usize,
    /// Entries replaced by newer bytes.
    pub updated: usize,
}

impl AccountCache {
    /// An empty cache for `group`.
    pub fn new(group: Pubkey) -> Self {
        AccountCache { group, ..Default::default() }
    }

    /// Keeps `raw` read at `slot` unless the cache holds newer bytes; true when replaced.
    pub fn observe(&mut self, slot: u64, raw: RawAccount) -> bool {
        self.slot = self.slot.max(slot);
        match self.accounts.get(&raw.key) {
            Some((s, old)) if *s > slot || (*s == slot && *old == raw) => false,
            _ => {
                self.accounts.insert(raw.key, (slot, raw));
                true
            }
        }
    }

    /// The cached bytes of `key`.
    pub fn get(&self, key: &Pubkey) -> Option<&RawAccount> {
        self.accounts.get(key).map(|(_, r)| r)
    }

    /// Reads the group, its Assets, their oracles (primary and fallback) and its margin accounts
    /// in batches, keeping the newest bytes of each.
    pub fn refresh(&mut self, t: &mut dyn Transport) -> Result<Refresh> {
        let mut r = Refresh::default();
        // One request per batch of 100, each stamped with its own context slot; an account gone
        // (closed) is dropped from the cache.
        let take = |c: &mut Self, keys: &[Pubkey], r: &mut Refresh, t: &mut dyn Transport| -> Result<()> {
            for chunk in keys.chunks(100) {
                let (slot, got) = t.get_accounts_at(chunk)?;
                r.requests += 1;
                for (key, raw) in chunk.iter().zip(got) {
                    match raw {
                        Some(raw) => {
                            r.read += 1;
                            r.updated += c.observe(slot, raw) as usize;
                        }
                        None => c.forget(slot, key),
                    }
                }
            }
            Ok(())
        };
        take(self, &[self.group], &mut r, t)?;
        let g = decode::group(self.get(&self.group).ok_or_else(|| SdkError::AccountNotFound(self.group.to_string()))?)?;
        // Addresses are derived once per asset, not per account or per sweep.
        while self.asset_keys.len() < g.num_assets as usize {
            let i = self.asset_keys.len() as u16;
            self.asset_keys.push(pda::asset(&self.group, i).0);
        }
        let keys = self.asset_keys.clone();
        take(self, &keys, &mut r, t)?;
        let mut oracles = Vec::new();
        for k in &keys {
            if let Some(a) = self.get(k).and_then(|raw| decode::asset(raw).ok()) {
                oracles.push(a.oracle.address);
                if a.fallback_oracle.is_set() {
                    oracles.push(a.fallback_oracle.address);
                }
            }
        }
        take(self, &oracles, &mut r, t)?;
        // The scan is at least as new as everything seen so far (the node is asked for that slot).
        let (slot, margin) = t.margin_account_data(&self.group, self.slot)?;
        r.requests += 1;
        let mut keys: Vec<Pubkey> = Vec::with_capacity(margin.len());
        for raw in margin {
            r.read += 1;
            keys.push(raw.key);
            r.updated += self.observe(slot, raw) as usize;
        }
        keys.sort();
        // Margin accounts closed since the last scan leave the cache.
        let old = std::mem::take(&mut self.margin);
        for k in old.iter().filter(|k| keys.binary_search(k).is_err()) {
            self.forget(slot, k);
        }
        self.margin = keys;
        Ok(r)
    }

    /// Drops `key`, seen missing at `slot`, unless the cache holds bytes read after that slot.
    pub fn forget(&mut self, slot: u64, key: &Pubkey) {
        self.slot = self.slot.max(slot);
        if self.accounts.get(key).is_some_and(|(s, _)| *s <= slot) {
            self.accounts.remove(key);
        }
    }

    /// The group's Assets as of the last refresh, by index.
    pub fn assets(&self) -> Result<Vec<Asset>> {
        self.asset_keys
            .iter()
            .map(|k| decode::asset(self.get(k).ok_or_else(|| SdkError::AccountNotFound(k.to_string()))?))
            .collect()
    }

    /// The margin accounts of the last refresh, sorted by address.
    pub fn margin_accounts(&self) -> &[Pubkey] {
        &self.margin
    }

    /// The price book of the cached Assets and oracles at `now`.
    pub fn book(&self, now: i64) -> PriceBook {
        let assets: Vec<RawAccount> = self
            .asset_keys
            .iter()
            .map(|k| self.get(k).cloned().unwrap_or_else(|| RawAccount::new(*k, Pubkey::default(), 0, &[])))
            .collect();
        PriceBook::load(&self.group, now, &assets, |k| self.get(k))
    }

    /// Relative price move of every asset since the previous call (|p / p_prev - 1|, 1 for an
    /// asset seen for the first time or unloadable), recording this book's prices.
    pub fn moves(&mut self, book: &PriceBook) -> Vec<f64> {
        let prices: Vec<Price> = (0..book.len()).map(|i| book.price(i as u16)).collect();
        let moves = prices
            .iter()
            .enumerate()
            .map(|(i, p)| match self.last_prices.get(i) {
                Some(q) if *q > Price::ZERO && *p > Price::ZERO => (p.to_num::<f64>() / q.to_num::<f64>() - 1.0).abs(),
                _ => 1.0,
            })
            .collect();
        self.last_prices = prices;
        moves
    }

    /// The margin accounts in the order a keeper should re-check them: those holding the assets
    /// whose prices moved most first (the largest move among an account's assets), then by
    /// address.
    pub fn priority(&self, moves: &[f64]) -> Vec<Pubkey> {
        let mut keyed: Vec<(f64, Pubkey)> = self
            .margin
            .iter()
            .filter_map(|k| {
                let raw = self.get(k)?;
                let acc: &MarginAccount = load_pod(&raw.owner, raw.data.bytes()).ok()?;
                let m = acc
                    .active_assets(&[])
                    .as_slice()
                    .iter()
                    .map(|&i| moves.get(i as usize).copied().unwrap_or(1.0))
                    .fold(0.0, f64::max);
                Some((m, *k))
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        keyed.into_iter().map(|(_, k)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use ballast::risk::{HealthInput, HealthType};
    use ballast::state::{load_pod_mut, Asset};
    use pyth_solana_receiver_sdk::price_update::VerificationLevel;

    use super::*;
    use crate::oracle_accounts::{pyth_pull, OracleQuote};
    use crate::synthetic::{Book, Market, Shape, SHAPES};

    const NOW: i64 = 1_700_000_000;

    /// The loader's figures for `acc` on `raws` (Maint, LiquidationEnd, Init health).
    fn loader(m: &Market, acc: &MarginAccount, raws: &[RawAccount]) -> Result<[Fx; 3]> {
        let loaded = crate::health::load(&m.group, acc, &[], raws, NOW)?;
        let input = loaded.health_input(acc).map_err(|e| SdkError::Program(e.to_string()))?;
        let h = |t| health(&input, t).map_err(|e| SdkError::Program(format!("{e:?}")));
        Ok([h(HealthType::Maint)?, h(HealthType::LiquidationEnd)?, h(HealthType::Init)?])
    }

    /// The book's figures for `acc`.
    fn book_figures(book: &PriceBook, acc: &MarginAccount) -> Result<(Verdict, [Fx; 3])> {
        let mut input = HealthInput::new_boxed();
        let v = book.evaluate(acc, &mut input)?;
        let h = |t| health(&input, t).map_err(|e| SdkError::Program(format!("{e:?}")));
        Ok((v, [h(HealthType::Maint)?, h(HealthType::LiquidationEnd)?, h(HealthType::Init)?]))
    }

    fn book_of(m: &Market, extra: &[RawAccount]) -> PriceBook {
        PriceBook::load(&m.group, NOW, &m.assets, |k| m.oracles.iter().chain(extra).find(|o| o.key == *k))
    }

    /// An account holding options (8 on 8 underlyings): the book builds the same option book as the
    /// loader, so every health type is the loader's, bit for bit, and differs from the figure
    /// without the options.
    #[test]
    fn sweep_equals_the_loader_with_options() {
        let m = Market::new(16, NOW);
        let book = book_of(&m, &[]);
        let plain = m.account(Shape { tokens: 14, perps: 8 }, 0);
        let mut acc = m.account(Shape { tokens: 14, perps: 8 }, 0);
        crate::synthetic::with_options(&mut acc, 8, NOW);
        let want = loader(&m, &acc, &m.health_accounts(&acc)).expect("loader");
        let (_, got) = book_figures(&book, &acc).expect("book");
        assert_eq!(got, want);
        let (_, without) = book_figures(&book, &plain).expect("book");
        assert_ne!(got, without, "the options count");
    }

    /// Every shape, healthy, borrowing and liquidatable accounts, inside and outside a liquidation
    /// episode: the book's input gives the loader's health for every type, bit for bit, and the
    /// verdict is the program's predicate on the loader's figures.
    #[test]
    fn sweep_equals_the_loader_bit_for_bit() {
        let m = Market::new(16, NOW);
        let book = book_of(&m, &[]);
        let mut liquidatable = 0;
        for (k, shape) in
            SHAPES.iter().chain(&[Shape { tokens: 1, perps: 0 }, Shape { tokens: 3, perps: 2 }]).enumerate()
        {
            for borrow in [0i64, -100_000_000, -3_000_000_000, -40_000_000_000] {
                for episode in [false, true] {
                    let mut acc = m.account(*shape, k as u64);
                    let last = shape.tokens.min(16) - 1;
                    if borrow != 0 {
                        acc.tokens[last].indexed = ballast::state::Fx128::from_fx(Fx::from_num(borrow));
                    }
                    if episode {
                        acc.flags |= ballast::state::ACCOUNT_FLAG_BEING_LIQUIDATED;
                        acc.liquidation_start_ts = NOW - 10;
                        acc.liquidation_last_ts = NOW - 10;
                    }
                    let want = loader(&m, &acc, &m.health_accounts(&acc)).expect("loader");
                    let (v, got) = book_figures(&book, &acc).expect("book");
                    assert_eq!(got, want, "shape {shape:?} borrow {borrow} episode {episode}");
                    assert_eq!(v.maint, want[0]);
                    let active = acc.liquidation_episode_active(NOW);
                    let expect = ballast::risk::liquidation::liquidatable(want[0], want[1], active);
                    assert_eq!(v.liquidatable, expect);
                    assert!(v.end.is_none() || v.end == Some(want[1]));
                    liquidatable += v.liquidatable as usize;
                }
            }
        }
        // The cases cover both verdicts.
        assert!(liquidatable > 0 && liquidatable < 6 * 4 * 2, "{liquidatable}");
        // The parallel sweep on raw bytes gives the same verdicts, in order.
        let b = Book::new(&m, &SHAPES, 64);
        let all = b.all();
        let par = sweep(&book, &all);
        let mut input = HealthInput::new_boxed();
        for (d, v) in all.iter().zip(par) {
            assert_eq!(v.expect("verdict"), book.evaluate_bytes(&ballast::ID, d, &mut input).expect("verdict"));
        }
    }

    /// An asset whose primary price is stale is priced by its fallback, in the book as in the
    /// loader (which takes the fallback as a trailing account); without a usable fallback the
    /// account cannot be evaluated by either.
    #[test]
    fn sweep_uses_the_fallback_as_the_loader_does() {
        let mut m = Market::new(16, NOW);
        let fb_key = Pubkey::new_unique();
        let feed = [77u8; 32];
        let (owner, data) = pyth_pull(feed, OracleQuote::from_decimal(3.9, 10, NOW), VerificationLevel::Full);
        let fallback = RawAccount::new(fb_key, owner, 0, &data);
        // Asset 3's primary is 120 s old (max age 60 s).
        let primary = m.oracles[3].key;
        let (o, stale) = pyth_pull([4; 32], OracleQuote::from_decimal(4.0, 10, NOW - 120), VerificationLevel::Full);
        m.oracles[3] = RawAccount::new(primary, o, 0, &stale);
        let acc = m.account(Shape { tokens: 8, perps: 4 }, 0);

        // No fallback configured: both refuse.
        assert!(book_of(&m, &[]).evaluate(&acc, &mut HealthInput::new_boxed()).is_err());
        assert!(loader(&m, &acc, &m.health_accounts(&acc)).is_err());

        let mut raw = m.assets[3].clone();
        let mut bytes = raw.data.bytes().to_vec();
        {
            let a: &mut Asset = load_pod_mut(&raw.owner, &mut bytes).expect("asset");
            a.fallback_oracle = a.oracle;
            a.fallback_oracle.address = fb_key;
            a.fallback_oracle.feed_id = feed;
        }
        raw = RawAccount::new(raw.key, raw.owner, 0, &bytes);
        m.assets[3] = raw;
        let book = book_of(&m, std::slice::from_ref(&fallback));
        assert!((book.price(3).to_num::<f64>() - 3.9).abs() < 1e-12, "the fallback's price");
        let mut raws = m.health_accounts(&acc);
        raws.push(fallback);
        let want = loader(&m, &acc, &raws).expect("loader with fallback");
        let (_, got) = book_figures(&book, &acc).expect("book with fallback");
        assert_eq!(got, want);
    }

    /// The cache keeps the newest bytes: an older slot never replaces a newer one.
    #[test]
    fn cache_keeps_the_newest_slot() {
        let m = Market::new(2, NOW);
        let mut c = AccountCache::new(m.group);
        let a = m.assets[0].clone();
        let b = m.assets[1].clone();
        let older = RawAccount::new(a.key, b.owner, 0, b.data.bytes());
        assert!(c.observe(10, a.clone()));
        assert!(!c.observe(10, a.clone()), "same bytes at the same slot");
        assert!(!c.observe(9, older.clone()), "older slot");
        assert_eq!(c.get(&a.key), Some(&a));
        assert!(c.observe(11, older.clone()));
        assert_eq!(c.get(&a.key), Some(&older));
        assert_eq!(c.slot, 11);
        // Seen missing at an older slot: kept; at a newer one: dropped.
        c.forget(10, &a.key);
        assert_eq!(c.get(&a.key), Some(&older));
        c.forget(12, &a.key);
        assert_eq!(c.get(&a.key), None);
        assert!(c.observe(12, a.clone()), "re-created");
    }
}
