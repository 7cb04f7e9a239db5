//! The liquidation keeper: scans every margin account of a group through a [`Transport`], computes
//! health with the program's own code, and liquidates, settles and resolves bankruptcies until
//! nothing is left to do. `ballast keeper` runs it on the embedded bank or over RPC; `ballast
//! simulate` runs it after the crash.

use anchor_lang::prelude::Pubkey;
use ballast::constants::{FREE_SLOT, QUOTE_ASSET_INDEX};
use ballast::instructions::liquidation::LiqStart;
use ballast::instructions::resolve_bankruptcy::check_bankrupt;
use ballast::instructions::{liquidate_perp, liquidate_token};
use ballast::risk::{Fx, Price};
use ballast::state::{Asset, MarginAccount, ASSET_FLAG_NO_ASSET_LIQUIDATION};
use solana_sdk::signature::{Keypair, Signer};

use crate::decode::{self, RawAccount};
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
    /// Debt removed by bankruptcy resolutions, per asset index, native units (what the insurance
    /// fund paid plus what depositors bore).
    pub bad_debt: std::collections::BTreeMap<u16, u64>,
    /// Actions the program refused (with their error), for the log.
    pub refused: Vec<String>,
    /// Accounts still liquidatable when the run stopped.
    pub still_liquidatable: Vec<Pubkey>,
}

/// One account as the keeper sees it.
struct View {
    key: Pubkey,
    account: Box<MarginAccount>,
    /// Liquidatable by the program's own predicate.
    liquidatable: bool,
    end: Fx,
    /// Oracle prices of the account's assets (asset index, price).
    prices: Vec<(u16, Price)>,
    /// Signed native balances (asset index, balance).
    balances: Vec<(u16, Fx)>,
}

impl View {
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
    fn assets(&self, t: &mut dyn Transport) -> Result<Vec<Asset>> {
        let g = decode::group(&require_account(t, &self.group)?)?;
        (0..g.num_assets).map(|i| decode::asset(&require_account(t, &pda::asset(&self.group, i).0)?)).collect()
    }

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
        let input = loaded.health_input(&account).map_err(|e| crate::SdkError::Program(e.to_string()))?;
        let h = |ty| ballast::risk::health(&input, ty).map_err(|e| crate::SdkError::Program(format!("{e:?}")));
        let (maint, end) = (h(ballast::risk::HealthType::Maint)?, h(ballast::risk::HealthType::LiquidationEnd)?);
        let liquidatable =
            ballast::risk::liquidation::liquidatable(maint, end, account.liquidation_episode_active(now));
        let prices = loaded.items[..loaded.len].iter().map(|a| (a.risk.asset_index, a.risk.oracle_price)).collect();
        let mut balances = Vec::new();
        for a in &loaded.items[..loaded.len] {
            let pos = account.token_indexed(a.risk.asset_index);
            if pos != Fx::ZERO {
                let native = a.bank.native(pos).map_err(|e| crate::SdkError::Program(format!("{e:?}")))?;
                balances.push((a.risk.asset_index, native));
            }
        }
        Ok(View { key, account, liquidatable, end, prices, balances })
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

    /// Runs rounds until one does nothing (at most `max_rounds`).
    pub fn run(&self, t: &mut dyn Transport, max_rounds: usize) -> Result<Report> {
        let mut r = Report::default();
        for _ in 0..max_rounds {
            if !self.round(t, &mut r)? {
                break;
            }
        }
        let assets = self.assets(t)?;
        let now = t.now()?;
        r.still_liquidatable.clear();
        for key in t.margin_accounts(&self.group)? {
            if key != self.liqor && self.view(t, key, &assets, now).map(|v| v.liquidatable()).unwrap_or(false) {
                r.still_liquidatable.push(key);
            }
        }
        Ok(r)
    }

    /// One pass over every account; true when anything was done.
    fn round(&self, t: &mut dyn Transport, r: &mut Report) -> Result<bool> {
        let assets = self.assets(t)?;
        let now = t.now()?;
        let keys = t.margin_accounts(&self.group)?;
        r.scanned = keys.len();
        let mut views = Vec::new();
        // Every account is a possible settlement counterparty (the liquidator's taken-over positions
        // included); the liquidator itself is never acted on.
        for key in keys {
            if let Ok(v) = self.view(t, key, &assets, now) {
                views.push(v);
            }
        }
        let mut acted = false;
        for v in views.iter().filter(|v| v.key != self.liqor) {
            // Liquidate while there is something to take; an account left with debts only is
            // resolved as bankrupt.
            let done = (v.liquidatable() && self.liquidate(t, v, &assets, r)?)
                || (v.end < Fx::ZERO && self.settle_losses(t, v, &views, &assets, r)?)
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
        v: &View,
        liqor: &MarginAccount,
        extra: &[u16],
        assets: &[Asset],
        now: i64,
    ) -> Result<(LiqStart, Vec<Pubkey>, Vec<Pubkey>)> {
        let g = decode::group(&require_account(t, &self.group)?)?;
        let limits = (g.liquidation, g.max_liquidation_step);
        let (ee, or) = (self.keys(t, &v.account, &[], assets, now)?, self.keys(t, liqor, extra, assets, now)?);
        let raws = |t: &mut dyn Transport, keys: &[Pubkey]| -> Result<Vec<RawAccount>> {
            keys.iter().map(|k| require_account(t, k)).collect()
        };
        let ee_loaded = health::load(&self.group, &v.account, &[], &raws(t, &ee)?, now)?;
        let or_loaded = health::load(&self.group, liqor, extra, &raws(t, &or)?, now)?;
        let s = LiqStart::new(limits, &v.account, ee_loaded, liqor, or_loaded, now).map_err(program)?;
        Ok((s, ee, or))
    }

    /// One liquidation step on `v`: candidates in order (perp positions by size, then token
    /// (liability, asset) pairs by value), each planned with the program's own planner on the
    /// accounts' bytes; the first step the planner accepts is sent with exactly its amount. A
    /// candidate the planner refuses (nothing to take, no amount raises health, more than the
    /// liquidator can carry) is never sent.
    fn liquidate(&self, t: &mut dyn Transport, v: &View, assets: &[Asset], r: &mut Report) -> Result<bool> {
        let liqor = decode::margin_account(&require_account(t, &self.liqor)?)?;
        let now = t.now()?;
        let lot = |i: u16| assets[i as usize].perp.base_lot_size;
        let mut perps: Vec<_> =
            v.account.perps.iter().filter(|p| p.asset_index != FREE_SLOT && p.base_lots != 0).collect();
        perps.sort_by_key(|p| {
            std::cmp::Reverse(Fx::from_num(p.base_lots.unsigned_abs()).saturating_mul(Fx::from_num(lot(p.asset_index))))
        });
        for p in perps {
            let (m, q) = (p.asset_index, QUOTE_ASSET_INDEX);
            let Ok((mut s, ee, or)) = self.start(t, v, &liqor, &[m, q], assets, now) else { continue };
            let fee = assets[m as usize].risk.liquidation_fee_bps as u32;
            let Ok(step) = liquidate_perp::plan_perp(&mut s, &v.account, m, q, fee, lot(m), u64::MAX) else { continue };
            let ix =
                perp::liquidate_perp(&self.group, m, q, &self.liqor, &self.owner.pubkey(), &v.key, step.lots, &ee, &or);
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
                let Ok((mut s, ee, or)) = self.start(t, v, &liqor, &[*a, *l], assets, now) else { continue };
                let (asset, liab) = (&assets[*a as usize], &assets[*l as usize]);
                if asset.flags & ASSET_FLAG_NO_ASSET_LIQUIDATION != 0 && !s.insolvent {
                    continue;
                }
                let fee = asset.risk.liquidation_fee_bps as u32 + liab.risk.liquidation_fee_bps as u32;
                let Ok(step) = liquidate_token::plan_token(&mut s, &v.account, *a, *l, fee, u64::MAX) else { continue };
                let ix = ix::liquidate_token(
                    &self.group,
                    &self.liqor,
                    &self.owner.pubkey(),
                    &v.key,
                    *a,
                    *l,
                    step.x,
                    &ee,
                    &or,
                );
                if self.send(t, &[ix], true, r) {
                    r.liquidations += 1;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Settles the unsettled perp PnL of an unhealthy account into its quote balance against
    /// counterparties of the same markets (its losses against winners, its gains against losers),
    /// so that losses can be liquidated as a quote borrow and gains repay its debts.
    fn settle_losses(
        &self,
        t: &mut dyn Transport,
        v: &View,
        views: &[View],
        assets: &[Asset],
        r: &mut Report,
    ) -> Result<bool> {
        let mut acted = false;
        for p in perp::positions(&v.account, assets, |i| v.price(i)) {
            let (m, gain) = (p.asset_index, p.pnl >= Fx::ONE);
            if !gain && p.pnl > -Fx::ONE {
                continue;
            }
            let other = views.iter().find(|w| {
                w.key != v.key
                    && perp::positions(&w.account, assets, |i| w.price(i))
                        .iter()
                        .any(|q| q.asset_index == m && if gain { q.pnl <= -Fx::ONE } else { q.pnl >= Fx::ONE })
            });
            if let Some(w) = other {
                let (win, lose) = if gain { (&v.key, &w.key) } else { (&w.key, &v.key) };
                let oracle = assets[m as usize].oracle.address;
                let ix = perp::settle_pnl(&self.group, m, QUOTE_ASSET_INDEX, &oracle, win, lose, u64::MAX);
                let ok = self.send(t, &[ix], false, r);
                r.settlements += ok as u32;
                acted |= ok;
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
}
