//! The options part of `ballast simulate`: SOL options (contracts of 0.01 SOL) with a short expiry
//! that settles during the run and a 30-day one. The makers (the first traders) quote the surface
//! with signed option orders at the model premium: every step, a few takers write covered calls,
//! buy collars or sell straddles by filling them (`fill_option_order`); the admin moves the smile within its change limit; after the short expiry the
//! settle crank records hourly samples, fixes the settlement price and settles every position; the
//! crash starts with a volatility spike. The report shows each account's Greeks, computed by the
//! engine on the account's own option book.

use anchor_lang::prelude::Pubkey;
use ballast::order::{SignedOptionOrder, SIDE_BUY, SIDE_SELL};
use ballast::risk::options::grid::{account_greeks, UnderlyingGreeks};
use ballast::risk::options::smile::VolSmile;
use ballast::risk::{Price, MAX_HEALTH_ASSETS};
use ballast::state::OptionMarketParams;
use ballast_sdk::options as so;
use ballast_sdk::perp::TradeParty;
use ballast_sdk::transport::{require_account, EmbeddedBank, Transport};
use ballast_sdk::{decode, health, Result, SdkError};
use solana_sdk::signature::{Keypair, Signer};

use crate::simulate::{Market, Rng, Trader};

/// Makers: the first traders (as for perps).
const MAKERS: usize = 4;
/// The underlying: SOL.
const SOL: u16 = 1;
/// Base native units per contract: 0.01 SOL.
const CONTRACT: u64 = 10_000_000;
/// The short expiry, hours after the options open, and the long one.
const SHORT_HOURS: i64 = 12;
const LONG_DAYS: i64 = 30;

/// Scenario state of the options.
pub struct Options {
    group: Pubkey,
    expiries: [i64; 2],
    /// The listed strikes, USD: 90%, 100% and 110% of the price when the options opened (two
    /// expiries × four series fit the 8 option slots of a maker or of the keeper's liquidator).
    strikes: [f64; 3],
    atm_bps: u32,
    trades: u64,
    refused: u64,
    /// The group's order domain (signed orders commit to it), read once.
    domain: [u8; 32],
    /// The makers' next order nonce. A maker's nonces are shared by its perp and option orders
    /// (one fill record each), and the perp makers count theirs from 1: options count from 2^40.
    nonce: u64,
    samples: u64,
    settled_positions: u64,
    settlement: Option<f64>,
}

fn smile(expiry: i64, atm_bps: u32) -> VolSmile {
    // A put skew: lower strikes trade at higher volatility.
    VolSmile { expiry, atm_vol_bps: atm_bps, min_vol_bps: 1_000, skew_bps: -2_000, curvature_bps: 3_000 }
}

impl Options {
    /// Configures SOL's option market (the crank's window is six hours of hourly samples: the
    /// simulation moves an hour per step) and lists the two expiries.
    pub fn enable(
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        admin: &Keypair,
        group: Pubkey,
        spot: f64,
        now: i64,
    ) -> Result<Options> {
        let params = OptionMarketParams {
            settle_window_secs: 6 * 3_600,
            settle_spacing_secs: 3_600,
            settle_min_samples: 5,
            max_open_interest: u64::MAX / 4,
            max_expiry_open_interest: u64::MAX / 8,
            ..so::default_params(CONTRACT)
        };
        let expiries = [now + SHORT_HOURS * 3_600, now + LONG_DAYS * 86_400];
        let atm_bps = 7_000;
        let mut ixs = vec![so::set_option_market(&group, &admin.pubkey(), SOL, params)];
        for (slot, e) in expiries.iter().enumerate() {
            ixs.push(so::set_option_expiry(&group, &admin.pubkey(), SOL, slot as u8, smile(*e, atm_bps)));
        }
        bank.send(&ixs, payer, &[admin])?;
        println!(
            "options on SOL: contracts of 0.01 SOL, expiries in {SHORT_HOURS} h and {LONG_DAYS} days, ATM vol {:.0}% with a put skew",
            atm_bps as f64 / 100.0
        );
        Ok(Options {
            group,
            expiries,
            strikes: [0.9, 1.0, 1.1].map(|p| (spot * p).round()),
            atm_bps,
            trades: 0,
            refused: 0,
            nonce: 1 << 40,
            domain: ballast_sdk::perp::order_domain(bank, &group)?,
            samples: 0,
            settled_positions: 0,
            settlement: None,
        })
    }

    fn party(&self, bank: &mut EmbeddedBank, t: &Trader, markets: &[Market]) -> Result<TradeParty> {
        let acc = decode::margin_account(&require_account(bank, &t.account)?)?;
        let health = health::health_account_keys(&self.group, &acc, &[SOL, 0], |k| markets[k as usize].oracle);
        Ok(TradeParty { account: t.account, authority: t.kp.pubkey(), health })
    }

    /// One option trade at the model premium (the smile's volatility at the strike): `maker` signs
    /// an order for `contracts` (selling when `maker_sells`) and `taker` fills all of it.
    #[allow(clippy::too_many_arguments)]
    fn trade(
        &mut self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        markets: &[Market],
        (maker, taker, maker_sells): (&Trader, &Trader, bool),
        (expiry, k, call, contracts): (i64, f64, bool, u64),
        now: i64,
    ) -> Result<()> {
        let spot = markets[SOL as usize].price;
        let s = smile(expiry, self.atm_bps);
        let m = (k / spot).ln();
        let vol = ((s.atm_vol_bps as f64 + s.skew_bps as f64 * m + s.curvature_bps as f64 * m * m) / 1e4)
            .max(s.min_vol_bps as f64 / 1e4);
        let years = (expiry - now) as f64 / 31_557_600.0;
        let premium = (so::reference_price(call, spot, k, vol, years) * 0.01 * 1e6).round() as u64;
        // Strikes in quote native per base native (USDC 6 decimals, SOL 9).
        let order = SignedOptionOrder {
            account: maker.account,
            asset_index: SOL,
            side: if maker_sells { SIDE_SELL } else { SIDE_BUY },
            kind: if call { 0 } else { 1 },
            contracts,
            premium_per_contract: premium,
            expiry: now + 3_600,
            nonce: self.nonce,
            max_fee_bps: so::default_params(CONTRACT).taker_fee_bps,
            series_expiry: expiry,
            strike_bits: Price::from_num(k / 1_000.0).to_bits(),
        };
        self.nonce += 1;
        let domain = self.domain;
        let sig = so::sign_option_order(&maker.kp, &self.group, &domain, &order);
        let maker_health = self.party(bank, maker, markets)?.health;
        let t = self.party(bank, taker, markets)?;
        let ixs = so::fill_option_order_ixs(
            &self.group,
            &domain,
            &order,
            &maker.kp.pubkey(),
            &sig,
            &maker_health,
            &t,
            contracts,
        );
        match bank.send(&ixs, payer, &[&taker.kp]) {
            Ok(()) => self.trades += 1,
            Err(_) => self.refused += 1, // the health rule, a band or a cap: the trade is not done
        }
        Ok(())
    }

    /// One step: the smile drifts within its limit; takers trade covered calls, collars and
    /// straddles with the makers on the live expiries; the settle crank works the short expiry.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        admin: &Keypair,
        traders: &[Trader],
        markets: &[Market],
        rng: &mut Rng,
        now: i64,
    ) -> Result<()> {
        if traders.len() <= MAKERS {
            return Ok(());
        }
        let live: Vec<(usize, i64)> =
            self.expiries.iter().copied().enumerate().filter(|(_, e)| *e > now + 3_600).collect();
        // The smile drifts by at most 5% of its level per hour (the market's limit is 10%).
        let target = 6_000.0 + rng.unit() * 3_000.0;
        let step = (target - self.atm_bps as f64).clamp(-0.05 * self.atm_bps as f64, 0.05 * self.atm_bps as f64);
        self.set_atm(bank, payer, admin, (self.atm_bps as f64 + step) as u32, now)?;
        for (t, taker) in traders[MAKERS..].iter().enumerate() {
            if live.is_empty() || rng.unit() > 0.15 {
                continue;
            }
            let maker = &traders[(rng.next() % MAKERS as u64) as usize];
            let (_, expiry) = live[(rng.next() % live.len() as u64) as usize];
            let n = 50 + rng.next() % 200;
            let [low, mid, high] = self.strikes;
            match t % 3 {
                // Covered call: the taker writes the high call against its collateral into the
                // maker's bid.
                0 => self.trade(bank, payer, markets, (maker, taker, false), (expiry, high, true, n), now)?,
                // Collar: buys the low put from the maker's offer, writes the high call.
                1 => {
                    self.trade(bank, payer, markets, (maker, taker, true), (expiry, low, false, n), now)?;
                    self.trade(bank, payer, markets, (maker, taker, false), (expiry, high, true, n), now)?;
                }
                // Short straddle: writes the middle call and put.
                _ => {
                    self.trade(bank, payer, markets, (maker, taker, false), (expiry, mid, true, n / 2), now)?;
                    self.trade(bank, payer, markets, (maker, taker, false), (expiry, mid, false, n / 2), now)?;
                }
            }
        }
        self.crank(bank, payer, traders, markets, now)
    }

    /// Sets every live expiry's ATM volatility (within the change limit) to `atm`.
    fn set_atm(&mut self, bank: &mut EmbeddedBank, payer: &Keypair, admin: &Keypair, atm: u32, now: i64) -> Result<()> {
        let mut ixs = Vec::new();
        for (slot, e) in self.expiries.iter().enumerate() {
            if *e > now {
                ixs.push(so::set_option_expiry(&self.group, &admin.pubkey(), SOL, slot as u8, smile(*e, atm)));
            }
        }
        if !ixs.is_empty() {
            bank.send(&ixs, payer, &[admin])?;
        }
        self.atm_bps = atm;
        Ok(())
    }

    /// The crash's volatility spike: three updates of +9.5% each (the limit is 10% per update).
    pub fn spike(&mut self, bank: &mut EmbeddedBank, payer: &Keypair, admin: &Keypair, now: i64) -> Result<()> {
        let before = self.atm_bps;
        for _ in 0..3 {
            self.set_atm(bank, payer, admin, (self.atm_bps as f64 * 1.095) as u32, now)?;
        }
        println!(
            "volatility spike before the crash: ATM {:.0}% -> {:.0}%",
            before as f64 / 100.0,
            self.atm_bps as f64 / 100.0
        );
        Ok(())
    }

    /// The settle crank of the short expiry: an hourly sample inside the window, the settlement
    /// once it closed, then every position (shorts first).
    fn crank(
        &mut self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        traders: &[Trader],
        markets: &[Market],
        now: i64,
    ) -> Result<()> {
        let expiry = self.expiries[0];
        if now < expiry || self.settlement.is_some() {
            return Ok(());
        }
        let asset = decode::asset(&require_account(bank, &ballast_sdk::pda::asset(&self.group, SOL).0)?)?;
        if asset.option.settlement(0).is_none() {
            let oracle = markets[SOL as usize].oracle;
            let sample = so::record_option_sample(&self.group, SOL, &oracle, &payer.pubkey(), expiry);
            if bank.send(&[sample], payer, &[]).is_ok() {
                self.samples += 1;
            }
            if bank.send(&[so::settle_option_expiry(&self.group, SOL, expiry)], payer, &[]).is_err() {
                return Ok(()); // the window is still open
            }
        }
        let asset = decode::asset(&require_account(bank, &ballast_sdk::pda::asset(&self.group, SOL).0)?)?;
        let price = asset.option.expiries[0].settlement_price.price().to_num::<f64>() * 1_000.0;
        let mut held = Vec::new();
        for t in traders {
            let acc = decode::margin_account(&require_account(bank, &t.account)?)?;
            for (slot, o) in so::positions(&acc) {
                if o.asset_index == SOL && o.expiry == expiry {
                    held.push((t.account, slot, o.size));
                }
            }
        }
        held.sort_by_key(|(_, _, size)| *size >= 0);
        for (account, slot, _) in held {
            let ix = so::settle_option_position(&self.group, SOL, &account, expiry, slot as u8);
            bank.send(&[ix], payer, &[])?;
            self.settled_positions += 1;
        }
        self.settlement = Some(price);
        Ok(())
    }

    /// Trades, the settlement, and every account's Greeks on SOL (delta in SOL, gamma in SOL per
    /// 100% move, vega in USD per vol point, theta in USD per day), from the engine on the
    /// account's own option book.
    pub fn report(&self, bank: &mut EmbeddedBank, traders: &[Trader], markets: &[Market], now: i64) -> Result<()> {
        println!();
        println!(
            "options: {} trades ({} refused by the health rule or a band), {} settlement samples, {} positions settled at {}",
            self.trades,
            self.refused,
            self.samples,
            self.settled_positions,
            self.settlement.map_or("-".into(), |p| format!("{p:.2} USD"))
        );
        println!(
            "{:>6} {:>10} {:>12} {:>14} {:>12} {:>12}",
            "trader", "options", "delta (SOL)", "gamma (SOL)", "vega ($/pt)", "theta ($/d)"
        );
        for (i, t) in traders.iter().enumerate() {
            let acc = decode::margin_account(&require_account(bank, &t.account)?)?;
            let count = so::positions(&acc).len();
            if count == 0 {
                continue;
            }
            let keys = health::health_account_keys(&self.group, &acc, &[], |k| markets[k as usize].oracle);
            let raws: Vec<_> = keys.iter().map(|k| require_account(bank, k)).collect::<Result<_>>()?;
            let loaded = health::load(&self.group, &acc, &[], &raws, now)?;
            let input = loaded.health_input(&acc).map_err(|e| SdkError::Program(e.to_string()))?;
            let mut greeks = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
            let empty = ballast::risk::options::grid::OptionBook::default();
            let book = input.options.as_deref().unwrap_or(&empty);
            account_greeks(&input, book, &mut greeks).map_err(|e| SdkError::Program(format!("{e:?}")))?;
            let Some(e) = input.find(SOL) else { continue };
            let g = greeks[e];
            let sol = |x: ballast::risk::Fx| x.to_num::<f64>() / 1e9;
            let usd = |x: ballast::risk::Fx| x.to_num::<f64>() / 1e6;
            println!(
                "{:>6} {:>10} {:>12.3} {:>14.3} {:>12.2} {:>12.2}",
                i,
                count,
                sol(g.delta),
                sol(g.gamma),
                usd(g.vega) / 100.0,
                usd(g.theta) / 365.25,
            );
        }
        Ok(())
    }
}
