//! Synthetic books for benchmarks and `ballast metrics`: a group of up to 16 assets, asset `i`
//! priced at `1 + i` USD by a Pyth pull account (6 decimals, expo -8), and margin accounts of given
//! shapes (deposits in the first `tokens` assets, perp positions in assets `1..=perps` settled in
//! asset 0), all as raw account bytes. Nothing here is used by the program or by a transaction.

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use ballast::risk::bank::BankState;
use ballast::risk::{Fx, Price, MAX_HEALTH_ASSETS};
use ballast::state::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

use crate::decode::RawAccount;
use crate::oracle_accounts::{pyth_pull, OracleQuote};
use crate::pda;

/// The shape of an account: token positions and perp positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Token positions (deposits in assets `0..tokens`).
    pub tokens: usize,
    /// Perp positions (in assets `1..=perps`).
    pub perps: usize,
}

impl Shape {
    /// A label such as "16 tokens" or "14 tokens + 8 perps".
    pub fn label(&self) -> String {
        if self.perps == 0 {
            format!("{} tokens", self.tokens)
        } else {
            format!("{} tokens + {} perps", self.tokens, self.perps)
        }
    }
}

/// The shapes `ballast metrics` measures (issue 11; the 32-position account comes with options).
pub const SHAPES: [Shape; 4] = [
    Shape { tokens: 8, perps: 0 },
    Shape { tokens: 14, perps: 0 },
    Shape { tokens: 16, perps: 0 },
    Shape { tokens: 14, perps: 8 },
];

/// Raw bytes of a zero-copy account: its discriminator and the value.
pub fn raw_of<T: bytemuck::Pod + Discriminator>(key: Pubkey, value: &T) -> RawAccount {
    let mut data = T::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(value));
    RawAccount::new(key, ballast::ID, 0, &data)
}

/// A group's assets and oracles.
pub struct Market {
    /// The group.
    pub group: Pubkey,
    /// The clock the oracles were published at, unix seconds.
    pub now: i64,
    /// Asset accounts, by index.
    pub assets: Vec<RawAccount>,
    /// Primary oracle accounts, by asset index.
    pub oracles: Vec<RawAccount>,
}

impl Market {
    /// `n` assets (at most 16), published at `now`.
    pub fn new(n: usize, now: i64) -> Self {
        let n = n.min(MAX_HEALTH_ASSETS);
        let group = Pubkey::new_unique();
        let mut m = Market { group, now, assets: Vec::with_capacity(n), oracles: Vec::with_capacity(n) };
        for i in 0..n {
            let idx = i as u16;
            let oracle = Pubkey::new_unique();
            let feed = [i as u8 + 1; 32];
            let mut a: Asset = bytemuck::Zeroable::zeroed();
            a.group = group;
            a.asset_index = idx;
            a.decimals = 6;
            a.oracle = OracleConfig {
                address: oracle,
                feed_id: feed,
                max_age_secs: 60,
                max_conf_bps: 500,
                kind: OracleKind::PythPull as u8,
                reserved: 0,
            };
            a.risk = RiskConfig {
                concentration_threshold: u64::MAX,
                init_down_bps: 2_000,
                init_up_bps: 2_500,
                maint_down_bps: 1_000,
                maint_up_bps: 1_250,
                risk_group: idx,
                basis_bps: 0,
                liquidity_bps: 10,
                concentration_bps: 0,
                liquidation_fee_bps: 250,
                reserved: [0; 6],
            };
            a.bank.set_state(&BankState::default());
            if i >= 1 {
                a.perp.base_lot_size = 1_000;
                a.perp.flags = PERP_FLAG_ENABLED;
                a.perp.init_pnl_cap = 1_000_000;
                // An option market with one listed expiry, `7 i` days out, flat 60% smile.
                a.option.contract_size = 1;
                a.option_risk = ballast::risk::options::grid::OptionRiskConfig::DEFAULT;
                a.option.expiries[0].smile = ballast::risk::options::smile::VolSmile {
                    expiry: now + 7 * 86_400 * i as i64,
                    atm_vol_bps: OPTION_VOL_BPS,
                    min_vol_bps: 100,
                    skew_bps: 0,
                    curvature_bps: 0,
                };
            }
            a.stable_price = Price128::from_price(Price::from_num(1));
            m.assets.push(raw_of(pda::asset(&group, idx).0, &a));
            let (owner, data) =
                pyth_pull(feed, OracleQuote::from_decimal(1.0 + i as f64, 10, now), VerificationLevel::Full);
            m.oracles.push(RawAccount::new(oracle, owner, 0, &data));
        }
        m
    }

    /// An account of `shape` whose deposits are `1e9 + i + salt` native units in asset `i`, with
    /// alternating perp positions (long 500 lots at 0.998 in even assets, short 400 lots at 1.0025
    /// in odd ones).
    pub fn account(&self, shape: Shape, salt: u64) -> Box<MarginAccount> {
        let mut acc: Box<MarginAccount> = bytemuck::zeroed_box();
        acc.group = self.group;
        acc.init_slots();
        for i in 0..shape.tokens.min(self.assets.len()) {
            acc.tokens[i].asset_index = i as u16;
            acc.tokens[i].indexed = Fx128::from_fx(Fx::from_num(1_000_000_000u64 + i as u64 + salt));
        }
        for i in 1..=shape.perps.min(self.assets.len().saturating_sub(1)) {
            let slot = i - 1;
            acc.perps[slot].asset_index = i as u16;
            acc.perps[slot].base_lots = if i % 2 == 0 { 500_000 } else { -400_000 };
            acc.perps[slot].quote =
                Fx128::from_fx(Fx::from_num(if i % 2 == 0 { -499_000_000i64 } else { 401_000_000 }));
        }
        acc
    }

    /// The health accounts of `account` in canonical order (Asset then oracle, ascending index).
    pub fn health_accounts(&self, account: &MarginAccount) -> Vec<RawAccount> {
        let mut raws = Vec::new();
        for &i in account.active_assets(&[]).as_slice() {
            raws.push(self.assets[i as usize].clone());
            raws.push(self.oracles[i as usize].clone());
        }
        raws
    }
}

/// The volatility of every synthetic option series: 60% (a flat smile, [`Market::new`]).
pub const OPTION_VOL_BPS: u32 = 6_000;

/// Writes `n` (at most 8) option positions into `acc` on assets `1..=n` (underlyings the shapes
/// of [`SHAPES`] hold): calls and puts in turn, long and short in turn, struck at 90% to 110% of
/// the price, expiring 7 to 56 days after `now` (asset `i` lists `now + 7 i` days), of 2e8
/// contracts of one base native unit (a fifth of a deposit). This fills the account's slots
/// directly for measurements; `trade_option` opens them on chain.
pub fn with_options(acc: &mut MarginAccount, n: usize, now: i64) {
    for (slot, o) in acc.options.iter_mut().enumerate().take(n) {
        let asset = slot + 1;
        let price = 1.0 + asset as f64;
        o.asset_index = asset as u16;
        o.kind = (slot % 2) as u8;
        o.size = if slot % 4 < 2 { 200_000_000 } else { -200_000_000 };
        o.strike = Price128::from_price(Price::from_num(price * (0.9 + 0.05 * (slot % 5) as f64)));
        o.expiry = now + 7 * 86_400 * (slot as i64 + 1);
    }
}

/// A margin account with a deposit in each of `n` assets and a perp position in the first `perps`
/// of them (assets 1.., the quote asset 0 has no perp), and its health accounts as raw bytes: a
/// market of its own.
pub fn account_with_perps(n: usize, perps: usize, now: i64) -> (Pubkey, Box<MarginAccount>, Vec<RawAccount>) {
    let m = Market::new(n, now);
    let acc = m.account(Shape { tokens: n, perps }, 0);
    let raws = m.health_accounts(&acc);
    (m.group, acc, raws)
}

/// A book of margin accounts stored back to back as raw account bytes (discriminator and data,
/// 8-byte aligned), as a keeper holds them after `getProgramAccounts`.
pub struct Book {
    /// Bytes per account (the account length rounded up to 8).
    stride: usize,
    words: Vec<u64>,
    /// Number of accounts.
    pub len: usize,
}

impl Book {
    /// `len` accounts of `market`, cycling through `shapes`; account `k` has deposits salted by
    /// `k` and, for odd `k`, a borrow of a tenth of its deposit in its last token.
    pub fn new(market: &Market, shapes: &[Shape], len: usize) -> Self {
        let stride = MARGIN_ACCOUNT_LEN.div_ceil(8) * 8;
        let mut words = vec![0u64; len * stride / 8];
        let templates: Vec<Box<MarginAccount>> = shapes.iter().map(|s| market.account(*s, 0)).collect();
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        for (k, chunk) in bytes.chunks_exact_mut(stride).enumerate() {
            let t = &templates[k % templates.len().max(1)];
            let mut acc: MarginAccount = **t;
            let shape = shapes[k % shapes.len()];
            let salt = (k as u64) % 1_000_000;
            for i in 0..shape.tokens.min(market.assets.len()) {
                acc.tokens[i].indexed = Fx128::from_fx(Fx::from_num(1_000_000_000u64 + i as u64 + salt));
            }
            if k % 2 == 1 && shape.tokens > 1 {
                acc.tokens[shape.tokens - 1].indexed = Fx128::from_fx(Fx::from_num(-100_000_000i64));
            }
            chunk[..8].copy_from_slice(MarginAccount::DISCRIMINATOR);
            chunk[8..MARGIN_ACCOUNT_LEN].copy_from_slice(bytemuck::bytes_of(&acc));
        }
        Book { stride, words, len }
    }

    /// Account `k`'s bytes (discriminator and data).
    pub fn data(&self, k: usize) -> &[u8] {
        let bytes: &[u8] = bytemuck::cast_slice(&self.words);
        &bytes[k * self.stride..k * self.stride + MARGIN_ACCOUNT_LEN]
    }

    /// Every account's bytes, in order.
    pub fn all(&self) -> Vec<&[u8]> {
        (0..self.len).map(|k| self.data(k)).collect()
    }
}

/// Timed loops shared by `ballast metrics` and the `health` benchmark: rates per second over
/// several rounds, never asserted in tests.
pub mod timing {
    use std::hint::black_box;
    use std::time::Instant;

    use ballast::risk::HealthType;
    use ballast::state::{load_pod, MarginAccount};

    use super::{Book, Market, Shape, SHAPES};
    use crate::sweep::{sweep, PriceBook};

    /// Minimum, median and maximum over rounds.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Spread {
        /// Smallest round.
        pub min: f64,
        /// Median round.
        pub median: f64,
        /// Largest round.
        pub max: f64,
    }

    impl Spread {
        /// Of a set of measurements (at least one).
        pub fn of(mut v: Vec<f64>) -> Spread {
            v.sort_by(f64::total_cmp);
            Spread { min: v[0], median: v[v.len() / 2], max: v[v.len() - 1] }
        }
    }

    impl std::fmt::Display for Spread {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let g = |x: f64| {
                if x >= 100.0 {
                    group(x.round() as u64)
                } else {
                    format!("{x:.3}")
                }
            };
            write!(f, "median {} (min {}, max {})", g(self.median), g(self.min), g(self.max))
        }
    }

    /// `1234567` as "1,234,567".
    pub fn group(x: u64) -> String {
        let s = x.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// Evaluations per second of `f` (each call does `per_call`), over `rounds` rounds of about
    /// `secs` seconds each.
    pub fn rates(rounds: usize, secs: f64, per_call: u64, mut f: impl FnMut()) -> Spread {
        f(); // warm up
        let v = (0..rounds.max(1))
            .map(|_| {
                let start = Instant::now();
                let mut n = 0u64;
                while start.elapsed().as_secs_f64() < secs {
                    for _ in 0..16 {
                        f();
                    }
                    n += 16 * per_call;
                }
                n as f64 / start.elapsed().as_secs_f64()
            })
            .collect();
        Spread::of(v)
    }

    /// The oracles' publish time and the clock of every measurement.
    pub const NOW: i64 = 1_700_000_000;

    /// Full path from raw bytes on one core: the margin account's bytes cast (owner and
    /// discriminator checked), its health accounts loaded by the program's loader (Asset checks,
    /// Pyth parse, feed, age and confidence checks, price conversion, interest and funding
    /// projected to now), the engine's input built and Init health computed.
    pub fn full_path(shape: Shape, rounds: usize, secs: f64) -> Spread {
        let m = Market::new(16, NOW);
        let acc = m.account(shape, 0);
        let raws = m.health_accounts(&acc);
        let raw = super::raw_of(anchor_lang::prelude::Pubkey::new_unique(), &*acc);
        rates(rounds, secs, 1, || {
            let a: &MarginAccount = load_pod(&raw.owner, raw.data.bytes()).expect("margin account");
            let h = crate::health::compute(&m.group, a, &raws, NOW, HealthType::Init).expect("health");
            black_box(h);
        })
    }

    /// The full path of [`full_path`] for the largest account with options: 14 tokens, 8 perps and
    /// 8 options ([`super::with_options`]) on 14 underlyings, Init health with the options grid
    /// (the loader builds the option book from the Assets' surfaces).
    pub fn full_path_options(rounds: usize, secs: f64) -> Spread {
        let m = Market::new(16, NOW);
        let mut acc = m.account(Shape { tokens: 14, perps: 8 }, 0);
        super::with_options(&mut acc, 8, NOW);
        let raws = m.health_accounts(&acc);
        let raw = super::raw_of(anchor_lang::prelude::Pubkey::new_unique(), &*acc);
        rates(rounds, secs, 1, || {
            let a: &MarginAccount = load_pod(&raw.owner, raw.data.bytes()).expect("margin account");
            let h = crate::health::compute(&m.group, a, &raws, NOW, HealthType::Init).expect("health");
            black_box(h);
        })
    }

    /// A sweep on one core with every Asset and oracle loaded once ([`PriceBook`]): 1,024 accounts
    /// of `shape` evaluated from their bytes (Maint and LiquidationEnd health and the
    /// liquidatability predicate), one after the other.
    pub fn sweep_core(shape: Shape, rounds: usize, secs: f64) -> Spread {
        let m = Market::new(16, NOW);
        let book = Book::new(&m, &[shape], 1_024);
        let prices = book_of(&m);
        let mut input = ballast::risk::HealthInput::new_boxed();
        let all = book.all();
        rates(rounds, secs, all.len() as u64, || {
            for d in &all {
                black_box(prices.evaluate_bytes(&ballast::ID, d, &mut input).expect("verdict"));
            }
        })
    }

    /// The price book of a synthetic market.
    pub fn book_of(m: &Market) -> PriceBook {
        PriceBook::load(&m.group, NOW, &m.assets, |k| m.oracles.iter().find(|o| o.key == *k))
    }

    /// Seconds to sweep `len` accounts of the mixed [`SHAPES`] on every core of rayon's pool
    /// (the price book's loading included), over `rounds` rounds; with the number of workers.
    pub fn million(len: usize, rounds: usize) -> (Spread, usize) {
        let m = Market::new(16, NOW);
        let book = Book::new(&m, &SHAPES, len);
        let all = book.all();
        let v = (0..rounds.max(1))
            .map(|_| {
                let start = Instant::now();
                let prices = book_of(&m);
                let verdicts = sweep(&prices, &all);
                let secs = start.elapsed().as_secs_f64();
                assert!(verdicts.iter().all(|v| v.is_ok()), "every synthetic account evaluates");
                black_box(verdicts);
                secs
            })
            .collect();
        (Spread::of(v), rayon::current_num_threads())
    }
}
