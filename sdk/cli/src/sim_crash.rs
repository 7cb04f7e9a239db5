//! The crash of `ballast simulate`: an insurance fund with stakers and a keeper with a well-funded
//! liquidator account are set up before the path; after it, SOL and BTC fall hour by hour while the
//! keeper liquidates, settles and resolves bankruptcies. The summary reconciles bad debt with what
//! the insurance fund paid and what depositors bore, and fails if anything is left liquidatable.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast_sdk::keeper::{Keeper, Report};
use ballast_sdk::transport::{require_account, EmbeddedBank, Transport};
use ballast_sdk::{decode, health, insurance as ins, ix, pda, Result, SdkError};
use solana_sdk::signature::{Keypair, Signer};

use crate::simulate::{set_price, Market};

/// Crash state: the keeper, the stakers, the breaker probe, and the figures before the crash.
pub struct Crash {
    group: Pubkey,
    keeper: Keeper,
    stakers: Vec<Keypair>,
    liqor_equity_before: f64,
    probe: Probe,
}

/// A depositor of SOL and BTC that tries to withdraw one native unit of each when a price prints
/// and again once the breaker's hold after the refresh is over: what the price-deviation breaker
/// stops and lets go.
struct Probe {
    owner: Keypair,
    account: Pubkey,
    tokens: [Pubkey; 2],
}

/// The crash's deviation breaker on SOL and BTC, bps of the stable price.
const CRASH_BREAKER_BPS: u16 = 1_000;

/// What the breaker did during the crash, per market (SOL, BTC).
#[derive(Default)]
struct BreakerReport {
    /// Withdrawals refused with PriceDeviationBreaker at a print.
    stopped: [u32; 2],
    /// Withdrawals that went through at a print (the move was within the breaker).
    passed: [u32; 2],
    /// Withdrawals that went through once the hold was over (the breaker lifted).
    lifted: [u32; 2],
    /// Withdrawals still refused once the hold was over (the stable price still lagging).
    held: [u32; 2],
    /// Minutes after the crash's last step until a withdrawal went through again.
    after: [i64; 2],
}

fn usd(x: ballast::risk::Fx) -> f64 {
    x.to_num::<f64>() / 1e6
}

/// A token account of `owner` for `mint`, funded with `amount`.
fn funded_token(
    keys: &mut crate::simulate::Rng,
    bank: &mut EmbeddedBank,
    payer: &Keypair,
    admin: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Result<Pubkey> {
    let tok = keys.keypair();
    bank.send(
        &[
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &tok.pubkey(),
                10_000_000,
                165,
                &anchor_spl::token::ID,
            ),
            t22::instruction::initialize_account3(&anchor_spl::token::ID, &tok.pubkey(), mint, owner).unwrap(),
        ],
        payer,
        &[&tok],
    )?;
    if amount > 0 {
        let mint_ix =
            t22::instruction::mint_to(&anchor_spl::token::ID, mint, &tok.pubkey(), &admin.pubkey(), &[], amount)
                .unwrap();
        bank.send(&[mint_ix], payer, &[admin])?;
    }
    Ok(tok.pubkey())
}

/// A new owner with lamports for fees and its margin account number `num`.
fn owner_with_account(
    keys: &mut crate::simulate::Rng,
    bank: &mut EmbeddedBank,
    payer: &Keypair,
    group: Pubkey,
    num: u32,
) -> Result<(Keypair, Pubkey)> {
    let owner = keys.keypair();
    bank.send(
        &[solana_system_interface::instruction::transfer(&payer.pubkey(), &owner.pubkey(), 100_000_000)],
        payer,
        &[],
    )?;
    bank.send(&[ix::create_account(&group, &owner.pubkey(), &payer.pubkey(), num)], payer, &[&owner])?;
    let account = pda::margin_account(&group, &owner.pubkey(), num).0;
    Ok((owner, account))
}

fn equity(bank: &mut EmbeddedBank, group: &Pubkey, account: &Pubkey, markets: &[Market], now: i64) -> Result<f64> {
    let acc = decode::margin_account(&require_account(bank, account)?)?;
    let keys = health::health_account_keys(group, &acc, &[], |k| markets[k as usize].oracle);
    let raw: Vec<_> = keys.iter().map(|k| require_account(bank, k)).collect::<Result<_>>()?;
    Ok(usd(health::compute_all(group, &acc, &raw, now)?[1].equity))
}

impl Crash {
    /// The keeper's liquidator account.
    pub fn liqor(&self) -> Pubkey {
        self.keeper.liqor
    }

    /// Creates the insurance fund, three stakers with 2,000 USDC each, and the keeper's
    /// liquidator account with 2,000,000 USDC.
    pub fn setup(
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        admin: &Keypair,
        group: Pubkey,
        markets: &[Market],
        now: i64,
        keys: &mut crate::simulate::Rng,
    ) -> Result<Crash> {
        let usdc = markets[0].mint;
        bank.send(
            &[ins::create_insurance_fund(
                &group,
                &admin.pubkey(),
                &payer.pubkey(),
                &usdc,
                &anchor_spl::token::ID,
                86_400,
            )],
            payer,
            &[admin],
        )?;
        let fund = ins::fund(&group, &usdc, &anchor_spl::token::ID);
        let mut stakers = Vec::new();
        for _ in 0..3 {
            let kp = keys.keypair();
            bank.send(
                &[solana_system_interface::instruction::transfer(&payer.pubkey(), &kp.pubkey(), 100_000_000)],
                payer,
                &[],
            )?;
            let tok = funded_token(keys, bank, payer, admin, &usdc, &kp.pubkey(), 2_000_000_000)?;
            bank.send(&[ins::stake(fund, &kp.pubkey(), &tok, 2_000_000_000)], payer, &[&kp])?;
            stakers.push(kp);
        }
        let (owner, liqor) = owner_with_account(keys, bank, payer, group, 0)?;
        let tok = funded_token(keys, bank, payer, admin, &usdc, &owner.pubkey(), 2_000_000_000_000)?;
        let tia = ix::TokenIxAccounts {
            group,
            account: liqor,
            asset_index: 0,
            mint: usdc,
            token_program: anchor_spl::token::ID,
            user_token: tok,
        };
        bank.send(&[ix::deposit(&tia, &owner.pubkey(), 2_000_000_000_000)], payer, &[&owner])?;
        let liqor_equity_before = equity(bank, &group, &liqor, markets, now)?;
        let keeper = Keeper { group, liqor, owner, payer: payer.insecure_clone() };
        let probe = Probe::setup(bank, payer, admin, group, markets, keys)?;
        println!("insurance fund: 3 stakers x 2,000 USDC; keeper liquidator with 2,000,000 USDC");
        Ok(Crash { group, keeper, stakers, liqor_equity_before, probe })
    }

    /// The guardian turns the deviation breaker on for SOL and BTC (stricter: it applies at once,
    /// behind the timelock as well).
    pub fn breakers_on(&self, bank: &mut EmbeddedBank, payer: &Keypair, guardian: &Keypair) -> Result<()> {
        for i in [1u16, 2] {
            let on = ballast::instructions::EditAssetParams {
                deviation_breaker_bps: Some(CRASH_BREAKER_BPS),
                ..Default::default()
            };
            bank.send(&[ix::edit_asset(&self.group, &guardian.pubkey(), i, on)], payer, &[guardian])?;
        }
        Ok(())
    }

    /// The crash: `hours` hourly steps, SOL x0.8 and BTC x0.85 each; at each print the probe tries
    /// the deviation breaker ([`Self::breakers_on`] first); after every step the assets are
    /// refreshed, insurance fees swept, and the keeper runs. Then the summary.
    pub fn run(
        &self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        markets: &mut [Market],
        traders: &[Pubkey],
        now: &mut i64,
        hours: u32,
    ) -> Result<()> {
        let before: Vec<f64> =
            traders.iter().map(|t| equity(bank, &self.group, t, markets, *now)).collect::<Result<_>>()?;
        let g0 = decode::group(&require_account(bank, &self.group)?)?;
        let social0: Vec<u64> = (0..markets.len())
            .map(|i| asset(bank, &self.group, i).map(|a| a.socialized_loss))
            .collect::<Result<_>>()?;
        let fund = ins::fund(&self.group, &markets[0].mint, &anchor_spl::token::ID);
        let mut total = Report::default();
        // One cache across the crash: each hour's first sweep re-checks first the accounts holding
        // what fell most.
        let mut cache = ballast_sdk::sweep::AccountCache::new(self.group);
        let mut bad: BTreeMap<u16, u64> = BTreeMap::new();
        let mut perp_bad: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
        let mut covered: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
        let mut breaker = BreakerReport::default();
        println!();
        let hold = ballast::state::BREAKER_HOLD_SECS;
        for h in 0..hours {
            *now += 3_600 - hold;
            bank.set_unix_timestamp(*now)?;
            markets[1].price *= 0.8;
            markets[2].price *= 0.85;
            for m in markets.iter() {
                set_price(bank, m, *now);
            }
            // The print, before the stable prices follow: the breaker stops SOL and BTC withdrawals.
            for k in 0..2 {
                match self.probe.withdraw(bank, payer, &self.group, markets, k)? {
                    true => breaker.passed[k] += 1,
                    false => breaker.stopped[k] += 1,
                }
            }
            for (i, m) in markets.iter().enumerate() {
                bank.send(&[ix::refresh_asset(&self.group, i as u16, &m.oracle)], payer, &[])?;
            }
            let _ = bank.send(&[ins::sweep_insurance_fees(fund)], payer, &[]);
            let r = self.keeper.run_with(bank, 30, &mut cache)?;
            // The refresh latched the breaker (a refresh cannot lift it in the same transaction);
            // it lifts once its hold is over and the stable price has followed.
            *now += hold;
            bank.set_unix_timestamp(*now)?;
            for (i, m) in markets.iter().enumerate() {
                set_price(bank, m, *now);
                bank.send(&[ix::refresh_asset(&self.group, i as u16, &m.oracle)], payer, &[])?;
            }
            for k in 0..2 {
                match self.probe.withdraw(bank, payer, &self.group, markets, k)? {
                    true => breaker.lifted[k] += 1,
                    false => breaker.held[k] += 1,
                }
            }
            println!(
                "crash hour {}: SOL {:.2} BTC {:.0}: keeper {} liquidations, {} settlements, {} bankruptcies",
                h + 1,
                markets[1].price,
                markets[2].price,
                r.liquidations,
                r.settlements,
                r.bankruptcies
            );
            total.liquidations += r.liquidations;
            total.settlements += r.settlements;
            total.bankruptcies += r.bankruptcies;
            total.evaluated += r.evaluated;
            total.sweep_nanos += r.sweep_nanos;
            for (k, v) in r.bad_debt {
                *bad.entry(k).or_default() += v;
            }
            for (k, (f, so)) in r.perp_bad_debt {
                let e = perp_bad.entry(k).or_default();
                e.0 += f;
                e.1 += so;
            }
            for (k, (d, q)) in r.covered {
                let e = covered.entry(k).or_default();
                e.0 += d;
                e.1 += q;
            }
            total.still_liquidatable = r.still_liquidatable;
            total.refused.extend(r.refused);
        }
        // After the crash, prices hold: the stable prices catch up and the breaker lifts.
        let start = *now;
        let mut open = [false; 2];
        for _ in 0..32 {
            if open.iter().all(|o| *o) {
                break;
            }
            *now += hold;
            bank.set_unix_timestamp(*now)?;
            for (i, m) in markets.iter().enumerate() {
                set_price(bank, m, *now);
                bank.send(&[ix::refresh_asset(&self.group, i as u16, &m.oracle)], payer, &[])?;
            }
            for (k, done) in open.iter_mut().enumerate() {
                if !*done && self.probe.withdraw(bank, payer, &self.group, markets, k)? {
                    *done = true;
                    breaker.after[k] = (*now - start) / 60;
                }
            }
        }
        if !open.iter().all(|o| *o) {
            return Err(SdkError::Program("the deviation breaker did not lift within 8 hours after the crash".into()));
        }
        if !total.still_liquidatable.is_empty() {
            for k in &total.still_liquidatable {
                let acc = decode::margin_account(&require_account(bank, k)?)?;
                eprintln!(
                    "DEBUG {k}: tokens {:?} perps {:?} options {:?}",
                    acc.tokens
                        .iter()
                        .filter(|t| t.asset_index != u16::MAX)
                        .map(|t| (t.asset_index, t.indexed.fx().to_num::<f64>()))
                        .collect::<Vec<_>>(),
                    acc.perps
                        .iter()
                        .filter(|t| t.asset_index != u16::MAX)
                        .map(|t| (t.asset_index, t.base_lots))
                        .collect::<Vec<_>>(),
                    acc.options
                        .iter()
                        .filter(|t| t.asset_index != u16::MAX)
                        .map(|t| (t.expiry, t.strike.price().to_num::<f64>() * 1000.0, t.kind, t.size))
                        .collect::<Vec<_>>()
                );
            }
            return Err(SdkError::Program(format!(
                "{} accounts left liquidatable ({:?}); the keeper's last refusals: {:?}",
                total.still_liquidatable.len(),
                total.still_liquidatable,
                total.refused
            )));
        }
        // The keeper plans with the program's own code and sends only what it accepts: a rejected
        // transaction is a disagreement between the two (architecture issue: 0 rejected).
        if !total.refused.is_empty() {
            return Err(SdkError::Program(format!(
                "the program rejected {} keeper transactions: {:?}",
                total.refused.len(),
                total.refused
            )));
        }
        let g1 = decode::group(&require_account(bank, &self.group)?)?;
        let paid = g1.insurance.paid_out - g0.insurance.paid_out;
        println!();
        println!(
            "keeper totals: {} liquidations, {} settlements, {} bankruptcies; {} rejected keeper transactions; no account left liquidatable",
            total.liquidations,
            total.settlements,
            total.bankruptcies,
            total.refused.len()
        );
        println!(
            "keeper sweeps: {} account evaluations from cached bytes, {:.0} accounts/s (wall time of the evaluations: Maint, LiquidationEnd and collateral per account; varies by machine)",
            total.evaluated,
            total.evals_per_sec()
        );
        // What the fund paid for perp losses (to winners) and for non-quote debts (to deliverers);
        // the rest of its payments repaid quote debts.
        let perp_paid: u64 = perp_bad.values().map(|v| v.0).sum();
        let cover_paid: u64 = covered.values().map(|v| v.1).sum();
        let quote_paid = paid
            .checked_sub(perp_paid + cover_paid)
            .ok_or_else(|| SdkError::Program(format!("fund paid {paid} < perp {perp_paid} + covered {cover_paid}")))?;
        let mut bad_usd = 0.0;
        let mut social_usd = 0.0;
        for (i, m) in markets.iter().enumerate() {
            let social = asset(bank, &self.group, i)?.socialized_loss - social0[i];
            let removed = bad.get(&(i as u16)).copied().unwrap_or(0);
            let fund_part = if i == 0 { quote_paid } else { 0 };
            let scale = 10f64.powi(m.decimals as i32);
            println!(
                "{:>5}: bad debt {:.6} = insurance paid {:.6} + socialized {:.6} ({} native units)",
                m.name,
                removed as f64 / scale,
                fund_part as f64 / scale,
                social as f64 / scale,
                removed
            );
            if removed != fund_part + social {
                return Err(SdkError::Program(format!(
                    "{}: bad debt {removed} != paid {fund_part} + socialized {social}",
                    m.name
                )));
            }
            if let Some((debt, q)) = covered.get(&(i as u16)) {
                println!(
                    "{:>5}: {:.6} more covered by the fund through deliveries, for {:.2} USDC",
                    m.name,
                    *debt as f64 / scale,
                    *q as f64 / 1e6
                );
                bad_usd += *debt as f64 / scale * m.price;
            }
            bad_usd += removed as f64 / scale * m.price;
            social_usd += social as f64 / scale * m.price;
        }
        let mut perp_social_usd = 0.0;
        for (i, (f, so)) in &perp_bad {
            println!(
                "{:>5} perp: bankrupt loss {:.2} = insurance paid {:.2} + socialized over open interest {:.2} (USDC)",
                markets[*i as usize].name,
                (f + so) as f64 / 1e6,
                *f as f64 / 1e6,
                *so as f64 / 1e6
            );
            bad_usd += (f + so) as f64 / 1e6;
            perp_social_usd += *so as f64 / 1e6;
        }
        let after: Vec<f64> =
            traders.iter().map(|t| equity(bank, &self.group, t, markets, *now)).collect::<Result<_>>()?;
        let traders_loss: f64 = before.iter().zip(&after).map(|(b, a)| b - a).sum();
        let liqor_gain = equity(bank, &self.group, &self.keeper.liqor, markets, *now)? - self.liqor_equity_before;
        println!(
            "deviation breaker ({}% of the stable price, set by the guardian; a refresh that trips it holds it {} minutes): the probe's SOL/BTC withdrawals were stopped at {}/{} of {} hourly prints ({}/{} went through) and {}/{} times 15 minutes later while the stable price lagged ({}/{} went through); after the crash it lifted after {}/{} minutes. Deposits, repays and the keeper's liquidations were never stopped by it",
            CRASH_BREAKER_BPS / 100,
            ballast::state::BREAKER_HOLD_SECS / 60,
            breaker.stopped[0],
            breaker.stopped[1],
            hours,
            breaker.passed[0],
            breaker.passed[1],
            breaker.held[0],
            breaker.held[1],
            breaker.lifted[0],
            breaker.lifted[1],
            breaker.after[0],
            breaker.after[1]
        );
        println!("losses by party (USD):");
        println!("  traders (equity fall in the crash): {:.2}", traders_loss);
        println!(
            "  insurance fund:                     {:.2} paid ({} stakers' 6,000 plus perp and liquidation fees swept in; {:.2} left)",
            paid as f64 / 1e6,
            self.stakers.len(),
            g1.insurance.value as f64 / 1e6
        );
        println!("  depositors (socialized loss):       {:.2}", social_usd);
        println!("  perp open positions (loss index):   {:.2}", perp_social_usd);
        println!("  liquidator (loss on positions taken over, net of fees): {:.2}", -liqor_gain);
        println!(
            "bad debt {:.2} USD: insurance paid {:.2}, depositors {:.2}, perp open positions {:.2}",
            bad_usd,
            paid as f64 / 1e6,
            social_usd,
            perp_social_usd
        );
        Ok(())
    }
}

impl Probe {
    /// A depositor of 10 SOL and 1 BTC.
    fn setup(
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        admin: &Keypair,
        group: Pubkey,
        markets: &[Market],
        keys: &mut crate::simulate::Rng,
    ) -> Result<Probe> {
        let (owner, account) = owner_with_account(keys, bank, payer, group, 9)?;
        let mut tokens = [Pubkey::default(); 2];
        for (k, amount) in [(0usize, 10u64), (1, 1)] {
            let m = &markets[k + 1];
            let native = amount * 10u64.pow(m.decimals as u32);
            tokens[k] = funded_token(keys, bank, payer, admin, &m.mint, &owner.pubkey(), native)?;
            let t = ix::TokenIxAccounts {
                group,
                account,
                asset_index: (k + 1) as u16,
                mint: m.mint,
                token_program: anchor_spl::token::ID,
                user_token: tokens[k],
            };
            bank.send(&[ix::deposit(&t, &owner.pubkey(), native)], payer, &[&owner])?;
        }
        Ok(Probe { owner, account, tokens })
    }

    /// Withdraws one native unit of market `k + 1` (SOL, BTC): true if it went through, false if
    /// the deviation breaker refused it (any other error is the simulation's).
    fn withdraw(
        &self,
        bank: &mut EmbeddedBank,
        payer: &Keypair,
        group: &Pubkey,
        markets: &[Market],
        k: usize,
    ) -> Result<bool> {
        let index = (k + 1) as u16;
        let m = &markets[k + 1];
        let acc = decode::margin_account(&require_account(bank, &self.account)?)?;
        let keys = health::health_account_keys(group, &acc, &[index], |i| markets[i as usize].oracle);
        let t = ix::TokenIxAccounts {
            group: *group,
            account: self.account,
            asset_index: index,
            mint: m.mint,
            token_program: anchor_spl::token::ID,
            user_token: self.tokens[k],
        };
        match bank.send(&[ix::withdraw(&t, &self.owner.pubkey(), 1, false, &keys)], payer, &[&self.owner]) {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some(u32::from(ballast::error::BallastError::PriceDeviationBreaker)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn asset(bank: &mut EmbeddedBank, group: &Pubkey, i: usize) -> Result<ballast::state::Asset> {
    decode::asset(&require_account(bank, &pda::asset(group, i as u16).0)?)
}
