//! The perp part of `ballast simulate`: perp markets on SOL and BTC; the first traders are market
//! makers who sign orders a little away from the oracle, the others take them (and now and then
//! two traders block-trade); a keeper-like settler pairs winners with losers every step.

use anchor_lang::prelude::Pubkey;
use ballast::order::{SignedOrder, SIDE_BUY, SIDE_SELL};
use ballast::risk::{Fx, Price};
use ballast::state::PerpMarketParams;
use ballast::state::{Asset, MarginAccount, PERP_FLAG_ENABLED};
use ballast_sdk::perp::{self as sp, PerpView, TradeParty};
use ballast_sdk::transport::{require_account, EmbeddedBank, Transport};
use ballast_sdk::{decode, health, pda, Result, SdkError};
use solana_sdk::signature::{Keypair, Signer};

use crate::simulate::{Market, Rng, Trader};

/// Makers: the first traders.
const MAKERS: usize = 4;
/// Perp markets: (asset index, native base units per lot).
const PERP_MARKETS: [(u16, u64); 2] = [(1, 10_000_000), (2, 10_000)];

/// Scenario state of the perp markets.
pub struct Perps {
    group: Pubkey,
    nonce: u64,
    fills: u64,
    block_trades: u64,
    refused: u64,
    settlements: u64,
    settled: f64,
}

fn usd(x: Fx) -> f64 {
    x.to_num::<f64>() / 1e6
}

fn account(bank: &mut EmbeddedBank, key: &Pubkey) -> Result<Box<MarginAccount>> {
    decode::margin_account(&require_account(bank, key)?)
}

fn assets(bank: &mut EmbeddedBank, group: &Pubkey, n: usize) -> Result<Vec<Asset>> {
    (0..n).map(|i| decode::asset(&require_account(bank, &pda::asset(group, i as u16).0)?)).collect()
}

/// Oracle price in quote native per base native of a market.
fn native_price(m: &Market) -> Price {
    Price::from_num(m.price) / Price::from_num(10f64.powi(m.decimals as i32 - 6))
}

impl Perps {
    /// Enables the perp markets.
    pub fn enable(
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        admin: &Keypair,
        group: Pubkey,
        markets: &[Market],
    ) -> Result<Perps> {
        for (idx, lot) in PERP_MARKETS {
            let params = PerpMarketParams {
                base_lot_size: lot,
                price_band_bps: 300,
                taker_fee_bps: 5,
                maker_fee_bps: 2,
                insurance_fee_share_bps: 5_000,
                max_open_interest: u64::MAX / 4,
                max_funding_bps_per_day: 50,
                funding_window_secs: 3 * 3_600,
                settle_limit: 250_000_000_000,
                settle_window_secs: 3_600,
                init_pnl_cap: 5_000_000_000,
                flags: PERP_FLAG_ENABLED,
            };
            bank.send(&[sp::set_perp_market(&group, &admin.pubkey(), idx, params)], payer, &[admin])?;
            println!("perp market on {} (asset {idx}): lot {lot} native units, band 3%", markets[idx as usize].name);
        }
        Ok(Perps { group, nonce: 0, fills: 0, block_trades: 0, refused: 0, settlements: 0, settled: 0.0 })
    }

    fn party(&self, bank: &mut EmbeddedBank, t: &Trader, idx: u16, markets: &[Market]) -> Result<TradeParty> {
        let acc = account(bank, &t.account)?;
        let health = health::health_account_keys(&self.group, &acc, &[idx, 0], |k| markets[k as usize].oracle);
        Ok(TradeParty { account: t.account, authority: t.kp.pubkey(), health })
    }

    /// One step: fills of makers' signed orders, a block trade, then settlements.
    pub fn step(
        &mut self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        traders: &[Trader],
        markets: &[Market],
        rng: &mut Rng,
        now: i64,
    ) -> Result<()> {
        if traders.len() <= MAKERS {
            return Ok(());
        }
        for (idx, lot) in PERP_MARKETS {
            let m = &markets[idx as usize];
            let par = native_price(m).to_num::<f64>() * lot as f64; // quote native per lot at the oracle
            for taker in &traders[MAKERS..] {
                if rng.unit() > 0.3 {
                    continue;
                }
                let maker = &traders[(rng.next() % MAKERS as u64) as usize];
                // Takers lean towards buying (a premium builds up and longs pay funding).
                let maker_sells = rng.unit() < 0.6;
                let edge = 1.0 + if maker_sells { 0.002 } else { -0.002 };
                let usd_size = 1_000.0 + rng.unit() * 19_000.0;
                let lots = ((usd_size * 1e6 / par) as u64).max(1);
                self.nonce += 1;
                let order = SignedOrder {
                    account: maker.account,
                    asset_index: idx,
                    side: if maker_sells { SIDE_SELL } else { SIDE_BUY },
                    size_lots: lots,
                    limit_price_per_lot: (par * edge) as u64,
                    expiry: now + 60,
                    nonce: self.nonce,
                    max_fee_bps: 2,
                };
                let domain = sp::order_domain(bank, &self.group)?;
                let sig = sp::sign_order(&maker.kp, &self.group, &domain, &order);
                let mh = self.party(bank, maker, idx, markets)?.health;
                let t = self.party(bank, taker, idx, markets)?;
                let ixs = sp::fill_order_ixs(&self.group, &domain, 0, &order, &maker.kp.pubkey(), &sig, &mh, &t, lots);
                match bank.send(&ixs, payer, &[&taker.kp]) {
                    Ok(()) => self.fills += 1,
                    Err(_) => self.refused += 1, // health rule or limits: the trade is simply not done
                }
            }
            // A block trade between two random non-makers at the oracle.
            let i = MAKERS + (rng.next() % (traders.len() - MAKERS) as u64) as usize;
            let j = MAKERS + (rng.next() % (traders.len() - MAKERS) as u64) as usize;
            if i != j {
                let (b, s) =
                    (self.party(bank, &traders[i], idx, markets)?, self.party(bank, &traders[j], idx, markets)?);
                let lots = ((5_000.0 * 1e6 / par) as u64).max(1);
                let ix = sp::block_trade(&self.group, idx, 0, &b, &s, lots, par as u64);
                match bank.send(&[ix], payer, &[&traders[i].kp, &traders[j].kp]) {
                    Ok(()) => self.block_trades += 1,
                    Err(_) => self.refused += 1,
                }
            }
            self.settle(bank, payer, traders, markets, idx)?;
        }
        Ok(())
    }

    /// Pairs the account with the largest PnL with the one with the largest loss, a few times.
    fn settle(
        &mut self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        traders: &[Trader],
        markets: &[Market],
        idx: u16,
    ) -> Result<()> {
        for _ in 0..3 {
            let all = assets(bank, &self.group, markets.len())?;
            let mut views = Vec::new();
            for t in traders {
                let acc = account(bank, &t.account)?;
                let v = sp::positions(&acc, &all, |k| native_price(&markets[k as usize]));
                views.push(v.into_iter().find(|p| p.asset_index == idx).map_or(Fx::ZERO, |p| p.pnl));
            }
            let (w, l) = (argmax(&views, 1), argmax(&views, -1));
            if views[w] < Fx::from_num(1) || views[l] > Fx::from_num(-1) {
                return Ok(());
            }
            let loser = account(bank, &traders[l].account)?;
            let keys = health::health_account_keys(&self.group, &loser, &[], |k| markets[k as usize].oracle);
            let ix = sp::settle_pnl(
                &ballast_sdk::perp::SettleAccounts {
                    group: self.group,
                    asset_index: idx,
                    oracle: markets[idx as usize].oracle,
                    profitable: traders[w].account,
                    unprofitable: traders[l].account,
                    loser_health: &keys,
                },
                u64::MAX,
            );
            if bank.send(&[ix], payer, &[]).is_err() {
                return Ok(()); // window limit reached
            }
            let acc = account(bank, &traders[w].account)?;
            let after = sp::positions(&acc, &all, |k| native_price(&markets[k as usize]));
            let left = after.iter().find(|p| p.asset_index == idx).map_or(Fx::ZERO, |p| p.pnl);
            self.settlements += 1;
            self.settled += usd(views[w] - left);
        }
        Ok(())
    }

    /// Prints positions, funding and PnL per trader and market, and checks catalogue I-7.
    /// `keeper`: the keeper's liquidator account, which takes over positions in the crash.
    pub fn report(
        &self,
        bank: &mut EmbeddedBank,
        traders: &[Trader],
        keeper: Pubkey,
        markets: &[Market],
    ) -> Result<()> {
        let all = assets(bank, &self.group, markets.len())?;
        println!();
        println!(
            "perps: {} signed-order fills, {} block trades, {} trades refused by the health rule or limits, {} settlements moving {:.2} USD",
            self.fills, self.block_trades, self.refused, self.settlements, self.settled
        );
        println!(
            "{:>6} {:>5} {:>14} {:>14} {:>16} {:>16}",
            "trader", "perp", "base (units)", "notional USD", "funding paid USD", "unsettled PnL USD"
        );
        let mut sums = vec![(0i64, 0u64); markets.len()];
        let rows = traders
            .iter()
            .enumerate()
            .map(|(t, tr)| (t.to_string(), tr.account))
            .chain([("keeper".to_string(), keeper)]);
        for (t, key) in rows {
            let acc = account(bank, &key)?;
            let views: Vec<PerpView> = sp::positions(&acc, &all, |k| native_price(&markets[k as usize]));
            for v in views {
                let m = &markets[v.asset_index as usize];
                let lot = all[v.asset_index as usize].perp.base_lot_size as f64;
                let units = v.base_lots as f64 * lot / 10f64.powi(m.decimals as i32);
                sums[v.asset_index as usize].0 += v.base_lots;
                sums[v.asset_index as usize].1 += v.base_lots.max(0) as u64;
                println!(
                    "{:>6} {:>5} {:>14.4} {:>14.2} {:>16.2} {:>16.2}",
                    t,
                    m.name,
                    units,
                    units * m.price,
                    v.funding_paid as f64 / 1e6,
                    usd(v.pnl)
                );
            }
        }
        for (idx, _) in PERP_MARKETS {
            let a = &all[idx as usize];
            let (net, longs) = sums[idx as usize];
            println!(
                "{:>5} perp: open interest {} lots, funding index {:.9} quote/native, premium average {:.4}%, fees {:.2} USD",
                markets[idx as usize].name,
                a.perp.open_interest,
                a.perp.funding_index.fx().to_num::<f64>(),
                a.perp.premium_ema.fx().to_num::<f64>() * 100.0,
                a.perp.total_fees as f64 / 1e6
            );
            if net != 0 || longs != a.perp.open_interest {
                return Err(SdkError::Program(format!("I-7 violated on asset {idx}: net {net}, longs {longs}")));
            }
        }
        let q = &all[0];
        println!(
            "perp fees held in USDC: protocol {:.2} USD (with interest fees), insurance fund {:.2} USD",
            q.bank.protocol_fees.fx().to_num::<f64>() / 1e6,
            q.insurance_fees.fx().to_num::<f64>() / 1e6
        );
        Ok(())
    }
}

fn argmax(v: &[Fx], sign: i32) -> usize {
    let key = |x: Fx| if sign > 0 { x } else { -x };
    (0..v.len()).max_by_key(|&i| key(v[i])).unwrap_or(0)
}
