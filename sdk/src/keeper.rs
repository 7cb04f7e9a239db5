//! The liquidation keeper: sweeps every margin account of a group through a [`Transport`], computes
//! health with the program's own code, and liquidates, settles and resolves bankruptcies until
//! nothing is left to do. `ballast keeper` runs it on the embedded bank or over RPC; `ballast
//! simulate` runs it after the crash.
//!
//! Each round refreshes an [`AccountCache`] (batched reads, newest slot kept), loads every Asset and
//! oracle once into a [`PriceBook`], and evaluates all accounts from their cached bytes in parallel;
//! accounts holding the assets whose prices moved most are acted on first. Every action is then
//! planned on freshly read bytes with the program's own planner, so nothing is sent that the
//! program would refuse.

use anchor_lang::prelude::Pubkey;
use ballast::constants::{FREE_SLOT, QUOTE_ASSET_INDEX};
use ballast::risk::perp::{covered_loss, loser_collateral, settleable, SettleWindow};
use ballast::risk::{Fx, Price, Round};
use ballast::shared::bankruptcy::check_bankrupt;
use ballast::shared::bankruptcy::check_perp_bankrupt;
use ballast::shared::liquidation::LiqStart;
use ballast::shared::liquidation::{plan_perp, plan_token};
use ballast::state::{Asset, MarginAccount, ASSET_FLAG_NO_ASSET_LIQUIDATION};
use solana_sdk::signature::{Keypair, Signer};

use crate::decode::{self, RawAccount};
use crate::sweep::{AccountCache, PriceBook};
use crate::transport::{require_account, Transport};
use crate::{health, ix, pda, perp, Result};

/// A keeper: its liquidator margin account and the keys that sign.
pub struct Keeper {
    /// Group.
    pub group: Pubkey,
    /// The liquidator's margin account (needs collateral to take over liabilities).
    pub liqor: Pubkey,
    /// Owner of the liquidator's account.
    pub owner: Keypair,
    /// Pays transaction fees.
    pub payer: Keypair,
}

/// What a keeper run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Accounts scanned in the last round.
    pub scanned: usize,
    /// Liquidation steps sent (token and perp).
    pub liquidations: u32,
    /// Settlements sent to clear a bankrupt account's perp loss.
    pub settlements: u32,
    /// Bankruptcy resolutions sent.
    pub bankruptcies: u32,
    /// Option settle-crank instructions sent (samples recorded, expiries settled, positions
    /// settled).
    pub option_settlements: u32,
    /// Debt removed by bankruptcy resolutions, per asset index, native units (what the insurance
    /// fund paid plus what depositors bore).
    pub bad_debt: std::collections::BTreeMap<u16, u64>,
    /// Perp losses of bankrupt accounts resolved, per market: (paid by the insurance fund to
    /// winners, socialized over the market's open interest), quote native units.
    pub perp_bad_debt: std::collections::BTreeMap<u16, (u64, u64)>,
    /// Non-quote debts of bankrupt accounts covered by the insurance fund through the keeper's
    /// deliveries, per asset: (debt repaid, native units of the asset; quote the fund paid).
    pub covered: std::collections::BTreeMap<u16, (u64, u64)>,
    /// Actions the program refused (with their error), for the log.
    pub refused: Vec<String>,
    /// Accounts still liquidatable when the run stopped.
    pub still_liquidatable: Vec<Pubkey>,
    /// Account evaluations made by the sweeps of the run (one per account per round, plus the
    /// final check).
    pub evaluated: u64,
    /// Wall time of those evaluations (from cached bytes; all cores from 256 accounts), nanoseconds.
    pub sweep_nanos: u64,
}

impl Report {
    /// Accounts evaluated per second by the sweeps (0 when nothing was timed).
    pub fn evals_per_sec(&self) -> f64 {
        if self.sweep_nanos == 0 {
            return 0.0;
        }
        self.evaluated as f64 * 1e9 / self.sweep_nanos as f64
    }
}

/// Accounts from which a sweep is spread over the cores.
const PARALLEL_FROM: usize = 256;

/// One account as the keeper sees it.
struct View {
    key: Pubkey,
    account: Box<MarginAccount>,
    /// Liquidatable by the program's own predicate.
    liquidatable: bool,
    end: Fx,
    /// Token collateral net of token debts, quote native units (what bounds a settlement against
    /// it, S2-22: `risk::perp::loser_collateral`).
    collateral: Fx,
    /// Oracle prices of the account's assets (asset index, price).
    prices: Vec<(u16, Price)>,
    /// Signed native balances (asset index, balance).
    balances: Vec<(u16, Fx)>,
}

impl View {
    /// The view of `account` from its built health input and its loaded assets (index, oracle
    /// price, bank projected to now), with the program's predicates.
    fn new<'a>(
        key: Pubkey,
        account: Box<MarginAccount>,
        input: &mut ballast::risk::HealthInput,
        entries: impl Iterator<Item = (u16, Price, &'a ballast::risk::bank::BankState)>,
        now: i64,
    ) -> Result<View> {
        let risk_err = |e| crate::SdkError::Program(format!("{e:?}"));
        let h = |ty| ballast::risk::health(input, ty).map_err(risk_err);
        let (maint, end) = (h(ballast::risk::HealthType::Maint)?, h(ballast::risk::HealthType::LiquidationEnd)?);
        let equity =
            ballast::risk::health_components(input, ballast::risk::HealthType::Maint).map_err(risk_err)?.equity;
        let collateral = loser_collateral(input, equity, QUOTE_ASSET_INDEX).map_err(risk_err)?.collateral;
        let liquidatable =
            ballast::risk::liquidation::liquidatable(maint, end, account.liquidation_episode_active(now));
        let mut prices = Vec::new();
        let mut balances = Vec::new();
        for (i, price, bank) in entries {
            prices.push((i, price));
            let pos = account.token_indexed(i);
            if pos != Fx::ZERO {
                balances.push((i, bank.native(pos).map_err(risk_err)?));
            }
        }
        Ok(View { key, account, liquidatable, end, collateral, prices, balances })
    }

    fn liquidatable(&self) -> bool {
        self.liquidatable
    }
    fn price(&self, i: u16) -> Price {
        self.prices.iter().find(|(k, _)| *k == i).map(|(_, p)| *p).unwrap_or(Price::ZERO)
    }
}

/// A program error as an SDK error.
fn program(e: anchor_lang::error::Error) -> crate::SdkError {
    crate::SdkError::Program(e.to_string())
}

impl Keeper {
    /// The health keys of `acc` (plus `extra`), with the fallback oracle of every asset whose
    /// primary price is currently unusable.
    fn keys(
        &self,
        t: &mut dyn Transport,
        acc: &MarginAccount,
        extra: &[u16],
        assets: &[Asset],
        now: i64,
    ) -> Result<Vec<Pubkey>> {
        health::health_account_keys_with_fallbacks(t, &self.group, acc, extra, assets, now)
    }

    fn view(&self, t: &mut dyn Transport, key: Pubkey, assets: &[Asset], now: i64) -> Result<View> {
        let account = decode::margin_account(&require_account(t, &key)?)?;
        let keys = self.keys(t, &account, &[], assets, now)?;
        let raws: Vec<RawAccount> = keys.iter().map(|k| require_account(t, k)).collect::<Result<_>>()?;
        let loaded = health::load(&self.group, &account, &[], &raws, now)?;
        let mut input = loaded.health_input(&account).map_err(program)?;
        let entries = loaded.items[..loaded.len].iter().map(|a| (a.risk.asset_index, a.risk.oracle_price, &a.bank));
        View::new(key, account, &mut input, entries, now)
    }

    /// Every account of `keys` evaluated against `book` from the cache's bytes, in parallel from
    /// `PARALLEL_FROM` accounts (an account that cannot be evaluated, as the program could not
    /// load it, is left out).
    fn views(book: &PriceBook, cache: &AccountCache, keys: &[Pubkey]) -> Vec<View> {
        use rayon::prelude::*;
        let one = |input: &mut Box<ballast::risk::HealthInput>, key: &Pubkey| -> Result<View> {
            let raw = cache.get(key).ok_or_else(|| crate::SdkError::AccountNotFound(key.to_string()))?;
            let account = decode::margin_account(raw)?;
            book.fill_input(&account, input)?;
            let list = account.active_assets(&[]);
            let mut entries = Vec::with_capacity(list.len);
            for &i in list.as_slice() {
                let e = book.entry(i)?;
                entries.push((i, e.risk.oracle_price, &e.bank));
            }
            View::new(*key, account, input, entries.into_iter(), book.now)
        };
        // A small book is evaluated on this thread: handing a few dozen accounts to the pool costs
        // more than evaluating them.
        if keys.len() < PARALLEL_FROM {
            let mut input = ballast::risk::HealthInput::new_boxed();
            return keys.iter().filter_map(|key| one(&mut input, key).ok()).collect();
        }
        keys.par_iter()
            .map_init(ballast::risk::HealthInput::new_boxed, |input, key| one(input, key).ok())
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    /// One sweep: refreshes `cache`, loads the price book, and evaluates every account (the
    /// liquidator's own too: it is a settlement counterparty) in priority order (accounts holding
    /// the assets that moved most first), counting the evaluations and their time in `r`.
    fn sweep(&self, t: &mut dyn Transport, cache: &mut AccountCache, r: &mut Report) -> Result<Vec<View>> {
        let now = t.now()?;
        cache.refresh(t)?;
        let book = cache.book(now);
        let moves = cache.moves(&book);
        let order = cache.priority(&moves);
        let started = std::time::Instant::now();
        let views = Self::views(&book, cache, &order);
        r.sweep_nanos += started.elapsed().as_nanos() as u64;
        r.evaluated += order.len() as u64;
        r.scanned = order.len();
        Ok(views)
    }

    /// The parties of a liquidation of `liqee` by this keeper, with both health lists.
    fn parties<'a>(&self, liqee: &Pubkey, ee: &'a [Pubkey], or: &'a [Pubkey]) -> crate::ix::LiquidationParties<'a> {
        crate::ix::LiquidationParties {
            group: self.group,
            liqor: self.liqor,
            liqor_owner: self.owner.pubkey(),
            liqee: *liqee,
            liqee_health: ee,
            liqor_health: or,
        }
    }

    /// Sends `ixs`; `signed` adds the liquidator owner's signature (liquidations need it,
    /// settlements and bankruptcy resolutions are permissionless).
    fn send(
        &self,
        t: &mut dyn Transport,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        signed: bool,
        r: &mut Report,
    ) -> bool {
        let signers: &[&Keypair] = if signed { &[&self.owner] } else { &[] };
        match t.send(ixs, &self.payer, signers) {
            Ok(()) => true,
            Err(e) => {
                r.refused.push(e.to_string());
                false
            }
        }
    }

    /// Runs rounds until one does nothing (at most `max_rounds`), with a fresh cache.
    pub fn run(&self, t: &mut dyn Transport, max_rounds: usize) -> Result<Report> {
        self.run_with(t, max_rounds, &mut AccountCache::new(self.group))
    }

    /// [`Self::run`] with a cache kept across runs, so that the first sweep of a run already knows
    /// which prices moved since the previous one. Aggregated prices are cranked first
    /// ([`crank_aggregates`]), so that the keeper never works on a stale aggregate.
    pub fn run_with(&self, t: &mut dyn Transport, max_rounds: usize, cache: &mut AccountCache) -> Result<Report> {
        let mut r = Report::default();
        crank_aggregates(t, &self.payer, &self.group)?;
        for _ in 0..max_rounds {
            if !self.round(t, cache, &mut r)? {
                break;
            }
        }
        let views = self.sweep(t, cache, &mut r)?;
        r.still_liquidatable =
            views.iter().filter(|v| v.key != self.liqor && v.liquidatable()).map(|v| v.key).collect();
        Ok(r)
    }

    /// One sweep over every account, then actions in priority order; true when anything was done.
    fn round(&self, t: &mut dyn Transport, cache: &mut AccountCache, r: &mut Report) -> Result<bool> {
        // Every account is a possible settlement counterparty (the liquidator's taken-over positions
        // included); the liquidator itself is never acted on.
        let views = self.sweep(t, cache, r)?;
        // The Assets as the sweep read them (one batched read per round, not one call per asset).
        let assets = cache.assets()?;
        let mut acted = self.settle_options(t, &views, &assets, r)?;
        for v in views.iter().filter(|v| v.key != self.liqor) {
            // Liquidate while there is something to take; an account left with debts only is
            // resolved as bankrupt.
            let done = (v.liquidatable() && self.liquidate(t, v, &assets, r)?)
                || (v.end < Fx::ZERO && self.settle_losses(t, v, &views, &assets, r)?)
                || self.resolve_perps(t, v, &views, &assets, r)?
                || self.resolve(t, v, &assets, r)?;
            acted |= done;
        }
        Ok(acted)
    }

    /// Both sides of a liquidation of `v` as the program sees them (the program's own checks and
    /// view, [`LiqStart::new`]), with the liquidator holding `extra`.
    fn start(
        &self,
        t: &mut dyn Transport,
        liqee: &MarginAccount,
        liqor: &MarginAccount,
        extra: &[u16],
        assets: &[Asset],
        now: i64,
    ) -> Result<(LiqStart, Vec<Pubkey>, Vec<Pubkey>)> {
        let g = decode::group(&require_account(t, &self.group)?)?;
        let limits = (g.liquidation, g.max_liquidation_step);
        let (ee, or) = (self.keys(t, liqee, &[], assets, now)?, self.keys(t, liqor, extra, assets, now)?);
        let raws = |t: &mut dyn Transport, keys: &[Pubkey]| -> Result<Vec<RawAccount>> {
            keys.iter().map(|k| require_account(t, k)).collect()
        };
        let ee_loaded = health::load(&self.group, liqee, &[], &raws(t, &ee)?, now)?;
        let or_loaded = health::load(&self.group, liqor, extra, &raws(t, &or)?, now)?;
        let s = LiqStart::new(limits, liqee, ee_loaded, liqor, or_loaded, (extra, now)).map_err(program)?;
        Ok((s, ee, or))
    }

    /// One liquidation step on `v`: candidates in order (perp positions by size, then token
    /// (liability, asset) pairs by value), each planned with the program's own planner on the
    /// accounts' bytes; the first step the planner accepts is sent with exactly its amount. A
    /// candidate the planner refuses (nothing to take, no amount raises health, more than the
    /// liquidator can carry) is never sent.
    fn liquidate(&self, t: &mut dyn Transport, v: &View, assets: &[Asset], r: &mut Report) -> Result<bool> {
        let liqor = decode::margin_account(&require_account(t, &self.liqor)?)?;
        // The sweep's bytes chose this account; the plan uses the bytes as they are now.
        let liqee = decode::margin_account(&require_account(t, &v.key)?)?;
        let now = t.now()?;
        if self.liquidate_options(t, v, &liqee, &liqor, assets, now, r)? {
            return Ok(true);
        }
        let lot = |i: u16| assets[i as usize].perp.base_lot_size;
        let mut perps: Vec<_> = liqee.perps.iter().filter(|p| p.asset_index != FREE_SLOT && p.base_lots != 0).collect();
        perps.sort_by_key(|p| {
            std::cmp::Reverse(Fx::from_num(p.base_lots.unsigned_abs()).saturating_mul(Fx::from_num(lot(p.asset_index))))
        });
        for p in perps {
            let (m, q) = (p.asset_index, QUOTE_ASSET_INDEX);
            let Ok((mut s, ee, or)) = self.start(t, &liqee, &liqor, &[m, q], assets, now) else { continue };
            let fee = assets[m as usize].risk.liquidation_fee_bps as u32;
            let Ok(step) = plan_perp(&mut s, &liqee, m, q, fee, lot(m), u64::MAX) else { continue };
            let ix = perp::liquidate_perp(&self.parties(&v.key, &ee, &or), m, step.lots);
            if self.send(t, &[ix], true, r) {
                r.liquidations += 1;
                return Ok(true);
            }
        }
        let value = |(i, b): &(u16, Fx)| b.saturating_mul(Fx::from_num(v.price(*i))).abs();
        let mut liabs: Vec<_> = v.balances.iter().filter(|(_, b)| *b < Fx::ZERO).collect();
        liabs.sort_by_key(|x| std::cmp::Reverse(value(x)));
        let mut deposits: Vec<_> = v.balances.iter().filter(|(_, b)| *b > Fx::ZERO).collect();
        deposits.sort_by_key(|x| std::cmp::Reverse(value(x)));
        for (l, _) in &liabs {
            for (a, _) in deposits.iter().filter(|(a, _)| a != l) {
                let Ok((mut s, ee, or)) = self.start(t, &liqee, &liqor, &[*a, *l], assets, now) else { continue };
                let (asset, liab) = (&assets[*a as usize], &assets[*l as usize]);
                if asset.flags & ASSET_FLAG_NO_ASSET_LIQUIDATION != 0 && !s.insolvent {
                    continue;
                }
                let fee = asset.risk.liquidation_fee_bps as u32 + liab.risk.liquidation_fee_bps as u32;
                let Ok(step) = plan_token(&mut s, &liqee, *a, *l, fee, u64::MAX) else { continue };
                let ix = ix::liquidate_token(&self.parties(&v.key, &ee, &or), *a, *l, step.x);
                if self.send(t, &[ix], true, r) {
                    r.liquidations += 1;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// One option take-over on `v` (short options first, the program's order), sized with the
    /// program's own `end_after_take_over` to the LiquidationEnd target
    /// ([`crate::options::liquidation_contracts`]); a step that would not raise the account's health
    /// (unless it is insolvent) is not sent.
    #[allow(clippy::too_many_arguments)]
    fn liquidate_options(
        &self,
        t: &mut dyn Transport,
        v: &View,
        liqee: &MarginAccount,
        liqor: &MarginAccount,
        assets: &[Asset],
        now: i64,
        r: &mut Report,
    ) -> Result<bool> {
        let mut slots: Vec<(usize, i64)> = crate::options::positions(liqee).iter().map(|(i, o)| (*i, o.size)).collect();
        slots.sort_by_key(|(_, size)| *size >= 0);
        for (slot, size) in slots {
            let o = liqee.options[slot];
            let m = o.asset_index;
            // The liquidator must hold the series already or have a free option slot.
            let room = liqor.option_slot(m, o.expiry, o.strike, o.kind).is_some()
                || liqor.options.iter().any(|x| x.asset_index == FREE_SLOT);
            if !room {
                if size < 0 {
                    break; // the longs wait for this short (ShortOptionsFirst)
                }
                continue;
            }
            let Ok((s, ee, or)) = self.start(t, liqee, liqor, &[m, QUOTE_ASSET_INDEX], assets, now) else { continue };
            let base = u32::from(assets[m as usize].option.liquidation_fee_bps);
            let fee = s.config.schedule().fee_bps(base, s.elapsed);
            let raws: Vec<RawAccount> = ee.iter().map(|k| require_account(t, k)).collect::<Result<_>>()?;
            let Ok((n, end)) = crate::options::plan_option_liquidation(&self.group, liqee, &raws, now, slot, fee)
            else {
                continue;
            };
            let n = if s.close_out || s.insolvent { size.unsigned_abs() } else { n };
            // The program requires the account's health to rise unless it is insolvent.
            if !(s.insolvent || end > s.end_before) {
                continue;
            }
            let ix = crate::options::liquidate_option(&self.parties(&v.key, &ee, &or), m, slot as u8, n);
            if self.send(t, &[ix], true, r) {
                r.liquidations += 1;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The options settle crank (catalogue PX-05): for every listed expiry that has passed, records
    /// a settlement sample when the oracle's price is inside the window and spaced from the last
    /// one, fixes the settlement price once the window has closed, and settles every position of a
    /// settled expiry, shorts first (they pay the pot the longs are paid from). Each instruction is
    /// checked with the program's own rules before it is sent.
    fn settle_options(&self, t: &mut dyn Transport, views: &[View], assets: &[Asset], r: &mut Report) -> Result<bool> {
        use ballast::risk::options::settle::settlement_price;
        let now = t.now()?;
        let mut acted = false;
        for a in assets.iter().filter(|a| a.option.contract_size != 0) {
            for (slot, e) in a.option.expiries.iter().enumerate() {
                let expiry = e.smile.expiry;
                if expiry == 0 || expiry > now {
                    continue;
                }
                let key = pda::option_settlement(&self.group, a.asset_index, expiry).0;
                // Anything at the address that is not the program's record (lamports sent there by
                // anyone) counts as no record: the program creates the record over it.
                let record = t.get_account(&key)?.and_then(|raw| decode::option_settlement(&raw).ok());
                if a.option.settlement(slot).is_none() {
                    let m = &a.option;
                    let rule = m.settlement_rule();
                    let samples = record.as_ref().map(|s| s.samples()).unwrap_or_default();
                    let count = record.as_ref().map_or(0, |s| usize::from(s.count));
                    if settlement_price(&samples[..count], expiry, now, &rule).ok().flatten().is_some() {
                        let ix = crate::options::settle_option_expiry(&self.group, a.asset_index, expiry);
                        let ok = self.send(t, &[ix], false, r);
                        r.option_settlements += ok as u32;
                        acted |= ok;
                        continue;
                    }
                    let end = expiry.saturating_add(i64::from(m.settle_window_secs));
                    let Ok(Some(raw)) = t.get_account(&a.oracle.address) else { continue };
                    let Ok(p) = ballast::oracle::read_oracle(
                        &a.oracle,
                        &a.oracle.address,
                        &raw.owner,
                        raw.data.bytes(),
                        a.decimals,
                        now,
                    ) else {
                        continue;
                    };
                    let last = count.checked_sub(1).map(|i| samples[i].ts);
                    let spaced =
                        last.is_none_or(|l| p.publish_time >= l.saturating_add(i64::from(m.settle_spacing_secs)));
                    if count < samples.len() && (expiry..=end).contains(&p.publish_time) && spaced {
                        let ix = crate::options::record_option_sample(
                            &self.group,
                            a.asset_index,
                            &a.oracle.address,
                            &self.payer.pubkey(),
                            expiry,
                        );
                        let ok = self.send(t, &[ix], false, r);
                        r.option_settlements += ok as u32;
                        acted |= ok;
                    }
                    continue;
                }
                // Settled: every position, shorts first.
                let mut held: Vec<(Pubkey, usize, i64)> = Vec::new();
                for v in views {
                    for (i, o) in crate::options::positions(&v.account) {
                        if o.asset_index == a.asset_index && o.expiry == expiry {
                            held.push((v.key, i, o.size));
                        }
                    }
                }
                held.sort_by_key(|(_, _, size)| *size >= 0);
                // What the shorts will have paid into the pot once settled, plus what it holds.
                let settle = a.option.settlement(slot);
                let units = |n: i64| Fx::from_num(n).saturating_mul(Fx::from_num(a.option.contract_size));
                let mut pot = Fx::from_num(record.as_ref().map_or(0, |r| r.pot));
                for (account, i, size) in held {
                    let o = views.iter().find(|v| v.key == account).map(|v| v.account.options[i]);
                    let (Some(o), Some(settle)) = (o, settle) else { continue };
                    let Some(kind) = ballast::risk::options::OptionKind::from_u8(o.kind) else { continue };
                    let value =
                        ballast::risk::options::settle::settlement_value(kind, o.strike.price(), settle, units(size));
                    let Ok(v) = value else { continue };
                    if size > 0 && v.floor() > pot {
                        continue; // the pot cannot pay it yet
                    }
                    pot = if size < 0 { pot.saturating_add(v.abs().ceil()) } else { pot.saturating_sub(v.floor()) };
                    let ix =
                        crate::options::settle_option_position(&self.group, a.asset_index, &account, expiry, i as u8);
                    let ok = self.send(t, &[ix], false, r);
                    r.option_settlements += ok as u32;
                    acted |= ok;
                }
            }
        }
        Ok(acted)
    }

    /// Settles the unsettled perp PnL of an unhealthy account into its quote balance against
    /// counterparties of the same markets (its losses against winners, its gains against losers),
    /// so that losses can be liquidated as a quote borrow and gains repay its debts. A loser is
    /// settled only as far as its collateral covers ([`covered_loss`], the program's bound), so a
    /// settlement the program would refuse is never sent.
    fn settle_losses(
        &self,
        t: &mut dyn Transport,
        v: &View,
        views: &[View],
        assets: &[Asset],
        r: &mut Report,
    ) -> Result<bool> {
        let now = t.now()?;
        // What the program would move between a winner and a loser (its own bound, S2-22).
        let amount = |win: &View, lose: &View, m: u16| -> u64 {
            let a = &assets[m as usize];
            let (Some(wp), Some(lp)) = (
                perp::settlement_pnl(&win.account, a, now, win.price(m), Round::Down),
                perp::settlement_pnl(&lose.account, a, now, lose.price(m), Round::Up),
            ) else {
                return 0;
            };
            covered_loss(lp, lose.collateral).map(|c| settleable(wp, c, u64::MAX)).unwrap_or(0)
        };
        for p in perp::positions(&v.account, assets, |i| v.price(i)) {
            let (m, gain) = (p.asset_index, p.pnl >= Fx::ONE);
            if !gain && p.pnl > -Fx::ONE {
                continue;
            }
            // Candidates from the round's views; each is re-checked on both accounts' bytes now,
            // since an earlier step of this round may have settled either side already.
            let candidates =
                views.iter().filter(|w| w.key != v.key && if gain { amount(v, w, m) > 0 } else { amount(w, v, m) > 0 });
            for w in candidates {
                let (win_key, lose_key) = if gain { (v.key, w.key) } else { (w.key, v.key) };
                // An account that cannot be read now (closed, an oracle down) is skipped, as at the
                // start of the round.
                let (Ok(win), Ok(lose)) = (self.view(t, win_key, assets, now), self.view(t, lose_key, assets, now))
                else {
                    continue;
                };
                // A loser that is not liquidatable settles within the market's window (the
                // program's rule): the window as it stands now, read from the asset's bytes.
                let room = if lose.liquidatable() { u64::MAX } else { self.settle_room(t, m, now)? };
                if amount(&win, &lose, m).min(room) == 0 {
                    continue;
                }
                let keys = self.keys(t, &lose.account, &[], assets, now)?;
                let oracle = assets[m as usize].oracle.address;
                let ix = perp::settle_pnl(
                    &crate::perp::SettleAccounts {
                        group: self.group,
                        asset_index: m,
                        oracle,
                        profitable: win.key,
                        unprofitable: lose.key,
                        loser_health: &keys,
                    },
                    u64::MAX,
                );
                let ok = self.send(t, &[ix], false, r);
                r.settlements += ok as u32;
                if ok {
                    // One settlement per account per round: the next round sees its new collateral.
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// What market `m`'s settle window still grants now, quote native units (the program's
    /// `SettleWindow::take` on the asset's current bytes).
    fn settle_room(&self, t: &mut dyn Transport, m: u16, now: i64) -> Result<u64> {
        let a = decode::asset(&require_account(t, &pda::asset(&self.group, m).0)?)?;
        let mut w = SettleWindow { start_ts: a.perp.settle_window_start, used: a.perp.settle_window_used };
        Ok(w.take(a.perp.settle_limit, a.perp.settle_window_secs, now, u64::MAX).unwrap_or(0))
    }

    /// For an account whose perp loss no settlement can take any more (the program's own
    /// predicate, [`check_perp_bankrupt`], on the same bytes): the fund pays the market's largest
    /// winner, then the rest is socialized.
    fn resolve_perps(
        &self,
        t: &mut dyn Transport,
        v: &View,
        views: &[View],
        assets: &[Asset],
        r: &mut Report,
    ) -> Result<bool> {
        let mut acted = false;
        let markets: Vec<u16> = v
            .account
            .perps
            .iter()
            .filter(|p| p.asset_index != FREE_SLOT && p.base_lots == 0 && p.quote.fx() <= -Fx::ONE)
            .map(|p| p.asset_index)
            .collect();
        for m in markets {
            let now = t.now()?;
            let acc = decode::margin_account(&require_account(t, &v.key)?)?;
            let keys = self.keys(t, &acc, &[], assets, now)?;
            let raws: Vec<RawAccount> = keys.iter().map(|k| require_account(t, k)).collect::<Result<_>>()?;
            let loaded = health::load(&self.group, &acc, &[], &raws, now)?;
            let config = decode::group(&require_account(t, &self.group)?)?.liquidation;
            let Ok(b) = check_perp_bankrupt(&acc, &loaded, &config, m, now) else { continue };
            // The winner with the largest PnL in the market. Without one, the program can only
            // socialize, which it does only when the account covers nothing and the fund can pay
            // nothing (its value, the market's cap less what it paid for this bankruptcy).
            let pnl_in = |w: &View| {
                perp::positions(&w.account, assets, |i| w.price(i))
                    .iter()
                    .find(|q| q.asset_index == m)
                    .map(|q| q.pnl)
                    .unwrap_or(Fx::MIN)
            };
            let Some(winner) = views.iter().filter(|w| w.key != v.key).max_by_key(|w| pnl_in(w)) else { continue };
            let g = decode::group(&require_account(t, &self.group)?)?;
            let cap = assets[m as usize].insurance_cap;
            let fund_can = b.loss.min(b.shortfall).min(g.insurance.can_pay(cap, acc.bankruptcy_insurance_paid));
            if pnl_in(winner) < Fx::ONE && (b.covered > 0 || fund_can > 0) {
                continue;
            }
            let q = &assets[QUOTE_ASSET_INDEX as usize];
            let oracle = assets[m as usize].oracle.address;
            let ix = crate::insurance::resolve_perp_bankruptcy(
                &self.group,
                &v.key,
                m,
                &oracle,
                &winner.key,
                &q.mint,
                &q.token_program,
                &keys,
            );
            // (the account's perp quote in the market, the fund's payouts, its quote balance)
            let state = |t: &mut dyn Transport| -> Result<(i128, u64, i128)> {
                let acc = decode::margin_account(&require_account(t, &v.key)?)?;
                let quote = acc.perp_slot(m).map(|s| acc.perps[s].quote.fx().to_num::<i128>()).unwrap_or(0);
                let now = t.now()?;
                let qa = decode::asset(&require_account(t, &pda::asset(&self.group, QUOTE_ASSET_INDEX).0)?)?;
                let bal = qa.projected_bank(now).map_err(program)?.native(acc.token_indexed(QUOTE_ASSET_INDEX));
                let bal = bal.map_err(|e| crate::SdkError::Program(format!("{e:?}")))?.to_num::<i128>();
                Ok((quote, decode::group(&require_account(t, &self.group)?)?.insurance.paid_out, bal))
            };
            let (q0, paid0, b0) = state(t)?;
            if self.send(t, &[ix], false, r) {
                let (q1, paid1, b1) = state(t)?;
                let paid = paid1.saturating_sub(paid0);
                let settled = u64::try_from(b0.saturating_sub(b1)).unwrap_or(0);
                let resolved = u64::try_from(q1.saturating_sub(q0)).unwrap_or(0);
                let e = r.perp_bad_debt.entry(m).or_default();
                e.0 += paid;
                e.1 += resolved.saturating_sub(paid).saturating_sub(settled);
                r.settlements += (settled > 0) as u32;
                r.bankruptcies += 1;
                acted = true;
            }
        }
        Ok(acted)
    }

    /// For a bankrupt account (the program's own predicate, [`check_bankrupt`], on the same bytes):
    /// resolves its debts, one asset at a time.
    fn resolve(&self, t: &mut dyn Transport, v: &View, assets: &[Asset], r: &mut Report) -> Result<bool> {
        let debts: Vec<u16> = v.balances.iter().filter(|(_, b)| *b < Fx::ZERO).map(|(i, _)| *i).collect();
        let mut acted = false;
        for l in debts {
            let now = t.now()?;
            let acc = decode::margin_account(&require_account(t, &v.key)?)?;
            let keys = self.keys(t, &acc, &[], assets, now)?;
            let pairs = 2 * health::health_asset_indexes(&acc, &[]).len();
            let raws: Vec<RawAccount> = keys.iter().map(|k| require_account(t, k)).collect::<Result<_>>()?;
            let loaded = health::load(&self.group, &acc, &[], &raws, now)?;
            let config = decode::group(&require_account(t, &self.group)?)?.liquidation;
            if check_bankrupt(&acc, &loaded, &config, l, now).is_err() {
                continue;
            }
            let debt = |t: &mut dyn Transport| -> Result<u64> {
                let acc = decode::margin_account(&require_account(t, &v.key)?)?;
                let now = t.now()?;
                let asset = decode::asset(&require_account(t, &pda::asset(&self.group, l).0)?)?;
                let bank = asset.projected_bank(now).map_err(program)?;
                bank.debt(acc.token_indexed(l)).map_err(|e| crate::SdkError::Program(format!("{e:?}")))
            };
            if l != QUOTE_ASSET_INDEX {
                let (q0, before) = (decode::group(&require_account(t, &self.group)?)?.insurance.paid_out, debt(t)?);
                if self.cover(t, v, &acc, l, assets, r)? {
                    let paid = decode::group(&require_account(t, &self.group)?)?.insurance.paid_out.saturating_sub(q0);
                    let e = r.covered.entry(l).or_default();
                    e.0 += before.saturating_sub(debt(t)?);
                    e.1 += paid;
                    acted = true;
                    continue;
                }
            }
            let before = debt(t)?;
            let a = &assets[l as usize];
            let ix = crate::insurance::resolve_bankruptcy(
                &self.group,
                &v.key,
                l,
                &a.mint,
                &a.token_program,
                u64::MAX,
                &keys[..pairs],
                &keys[pairs..],
            );
            let ok = self.send(t, &[ix], false, r);
            if ok {
                r.bankruptcies += 1;
                *r.bad_debt.entry(l).or_default() += before.saturating_sub(debt(t)?);
            }
            acted |= ok;
        }
        Ok(acted)
    }

    /// S2-23: when the keeper's owner holds tokens of a non-quote debt `l` in its associated token
    /// account (and a quote associated token account to be paid into), it delivers them with
    /// `cover_bankrupt_debt` so that the fund, not the asset's depositors, bears the debt first.
    /// True when a delivery was made.
    fn cover(
        &self,
        t: &mut dyn Transport,
        v: &View,
        acc: &MarginAccount,
        l: u16,
        assets: &[Asset],
        r: &mut Report,
    ) -> Result<bool> {
        let g = decode::group(&require_account(t, &self.group)?)?;
        let (a, q) = (&assets[l as usize], &assets[QUOTE_ASSET_INDEX as usize]);
        if g.insurance.can_pay(a.insurance_cap, acc.bankruptcy_insurance_paid) == 0 {
            return Ok(false);
        }
        let owner = self.owner.pubkey();
        let source = pda::associated_token(&owner, &a.mint, &a.token_program);
        let destination = pda::associated_token(&owner, &q.mint, &q.token_program);
        let balance = |t: &mut dyn Transport, k: &Pubkey| -> Result<Option<u64>> {
            Ok(t.get_account(k)?.filter(|x| x.data.bytes().len() >= 72).map(|x| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&x.data.bytes()[64..72]);
                u64::from_le_bytes(b)
            }))
        };
        let (Some(have), Some(_)) = (balance(t, &source)?, balance(t, &destination)?) else { return Ok(false) };
        if have == 0 {
            return Ok(false);
        }
        let now = t.now()?;
        let keys = self.keys(t, acc, &[QUOTE_ASSET_INDEX], assets, now)?;
        let c = crate::insurance::CoverAccounts {
            asset_index: l,
            mint: a.mint,
            token_program: a.token_program,
            deliverer: owner,
            source,
            quote_mint: q.mint,
            quote_token_program: q.token_program,
            destination,
        };
        let ix = crate::insurance::cover_bankrupt_debt(&self.group, &v.key, &c, have, &keys);
        Ok(self.send(t, &[ix], true, r))
    }
}

/// Cranks every price aggregate the group's assets read (oracle kind `Aggregate`) with its
/// sources; returns how many were cranked. A crank without quorum still succeeds (it marks the
/// aggregate invalid); a failed transaction is an error.
pub fn crank_aggregates(t: &mut dyn Transport, payer: &Keypair, group: &Pubkey) -> Result<usize> {
    use ballast::state::OracleKind;
    let g = decode::group(&require_account(t, group)?)?;
    let keys: Vec<Pubkey> = (0..g.num_assets).map(|i| pda::asset(group, i).0).collect();
    let mut done = 0;
    for raw in t.get_accounts(&keys)?.into_iter().flatten() {
        let a = decode::asset(&raw)?;
        if a.oracle.kind != OracleKind::Aggregate as u8 {
            continue;
        }
        let agg = decode::price_aggregate(&require_account(t, &a.oracle.address)?)?;
        let sources: Vec<Pubkey> = agg.sources.iter().filter(|s| s.is_set()).map(|s| s.address).collect();
        t.send(&[ix::update_price_aggregate(&a.oracle.address, &sources)], payer, &[])?;
        done += 1;
    }
    Ok(done)
}
