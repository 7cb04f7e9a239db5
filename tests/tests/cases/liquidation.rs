//! Token liquidation: who may liquidate whom, how much, at what price, and what it leaves.
//! Catalogue LQ-01 … LQ-06, LQ-09, LQ-11, LQ-12, LQ-15, MR-10.

use crate::harness::*;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::error::BallastError;
use ballast::instructions::EditAssetParams;
use ballast::risk::Fx;
use ballast::state::{
    OracleKind, ACCOUNT_FLAG_BEING_LIQUIDATED, ASSET_FLAG_BORROWABLE, ASSET_FLAG_NO_ASSET_LIQUIDATION,
};
use ballast_sdk::ix;
use solana_sdk::signature::Signer;

const USDC: u16 = 0;
const SOL: u16 = 1;

/// USDC ($1) and SOL ($100); a lender with 100,000 USDC, a liquidator with 50,000 USDC, and a
/// borrower with `sol` lamports of SOL who borrows `usdc` native USDC.
fn setup(sol: u64, usdc: u64) -> (Env, User, User) {
    liquidation_setup(sol, usdc, &[])
}

/// The standard liquidatable borrower: 10 SOL, 600 USDC borrowed; SOL falls to $70.
fn underwater() -> (Env, User, User) {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    advance(&mut env, 3_600, 70.0);
    (env, liqor, liqee)
}

#[test]
fn lq_01_healthy_account_is_not_liquidatable() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    assert!(healths(&mut env, &liqee)[1] > Fx::ZERO);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::NotLiquidatable);
}

#[test]
fn lq_02_liquidation_capped_at_target() {
    let (mut env, liqor, liqee) = underwater();
    let [_, maint, end] = healths(&mut env, &liqee);
    assert!(maint < Fx::ZERO && end < Fx::ZERO, "liquidatable: {maint} {end}");
    let debt_before = -balance(&mut env, &liqee, USDC);
    let (liqor_usdc, sol_before) = (balance(&mut env, &liqor, USDC), balance(&mut env, &liqee, SOL));
    // Ask for ten times the whole debt: the step stops at LiquidationEnd health 0.
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, 6_000_000_000).unwrap();
    let [_, maint, end] = healths(&mut env, &liqee);
    assert!(end >= Fx::ZERO && end < Fx::from_num(10_000), "LiquidationEnd just reaches 0: {end}");
    assert!(maint > end);
    let repaid = debt_before + balance(&mut env, &liqee, USDC);
    assert!(repaid > Fx::ZERO && repaid < debt_before, "partial: {repaid} of {debt_before}");
    // (Balances are shares times a deposit index just above 1: compare to a millionth of a unit.)
    let paid = liqor_usdc - balance(&mut env, &liqor, USDC);
    assert!((paid - repaid).abs() < Fx::from_num(0.001), "the liquidator paid the repaid debt: {paid} vs {repaid}");
    // Seized at the oracle plus the 10% fee (5% per asset), rounded down; 20% of the fee part to
    // the insurance fund: SOL is not the quote asset, so it is credited to SOL's protocol fees,
    // which the admin withdraws for the fund (S2-09).
    let seized = sol_before - balance(&mut env, &liqee, SOL);
    let fair = repaid.to_num::<f64>() / 0.07; // lamports worth the repaid USDC at $70
    assert!((seized.to_num::<f64>() - fair * 1.10).abs() <= 2.0, "{seized} vs {}", fair * 1.1);
    let ins = env.asset_state(SOL).bank.protocol_fees.fx();
    assert!((ins.to_num::<f64>() - fair * 0.10 * 0.2).abs() <= 2.0, "insurance {ins}");
    assert_eq!(balance(&mut env, &liqor, SOL) + ins, seized, "nothing lost or created");
    assert_eq!(env.margin_account(&liqee.account).flags & ACCOUNT_FLAG_BEING_LIQUIDATED, 0, "done: flag cleared");
    // Done: a second call finds nothing to do.
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::NotLiquidatable);
}

#[test]
fn liquidation_continues_while_flagged_and_the_fee_ramps() {
    let (mut env, liqor, liqee) = underwater();
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, 1_000_000).unwrap();
    let acc = env.margin_account(&liqee.account);
    assert_ne!(acc.flags & ACCOUNT_FLAG_BEING_LIQUIDATED, 0, "one dollar is not enough: flagged");
    let rate = |env: &mut Env, f: &mut dyn FnMut(&mut Env)| {
        let before = balance(env, &liqee, SOL);
        f(env);
        (before - balance(env, &liqee, SOL)).to_num::<f64>() / 1e6
    };
    let r0 = rate(&mut env, &mut |e| liquidate(e, &liqor, &liqee, SOL, USDC, 1_000_000).unwrap());
    // Two hours later the fee is 10% + 2 x 0.5% (the default ramp).
    advance(&mut env, 7_200, 70.0);
    let r1 = rate(&mut env, &mut |e| liquidate(e, &liqor, &liqee, SOL, USDC, 1_000_000).unwrap());
    assert!((r1 / r0 - 1.11 / 1.10).abs() < 1e-4, "{r0} -> {r1}");
}

#[test]
fn lq_03_step_that_lowers_health_is_rejected() {
    // A collateral with a 2% shock against a liability with a 5% up shock: at a 10% fee, seizing
    // 1.10 of collateral (weighted 0.98) for 1 of liability (weighted 1.05) lowers health.
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    let tight = |p: &mut ballast::instructions::ListAssetParams| {
        p.risk.init_down_bps = 200;
        p.risk.maint_down_bps = 100;
        p.risk.init_up_bps = 500;
        p.risk.maint_up_bps = 250;
    };
    env.list_with(6, 1.0, OracleKind::PythPull, spl(), tight).unwrap();
    env.list_with(6, 1.0, OracleKind::PythPull, spl(), tight).unwrap();
    let (lender, liqor, liqee) = (env.user(0), env.user(1), env.user(2));
    env.fund_and_deposit(&lender, 2, 100_000_000_000);
    env.fund_and_deposit(&liqor, 0, 100_000_000_000);
    env.fund_and_deposit(&liqee, 1, 1_000_000_000);
    env.borrow(&liqee, 2, 930_000_000).unwrap();
    let now = env.now();
    env.set_time(now + 60);
    for (i, p) in [(0u16, 1.0), (1, 1.0), (2, 1.05)] {
        env.set_price(i, p);
        let o = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
    }
    assert!(healths(&mut env, &liqee)[1] < Fx::ZERO);
    let ix = liq_ix(&mut env, &liqor, &liqee, 1, 2, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::WorseHealthPostLiquidation);
}

#[test]
fn lq_04_liquidator_without_collateral_is_refused() {
    let (mut env, _liqor, liqee) = underwater();
    let poor = env.user(9);
    let ix = liq_ix(&mut env, &poor, &liqee, SOL, USDC, u64::MAX);
    let k = poor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::HealthMustBePositive);
}

#[test]
fn lq_05_liquidator_that_is_itself_liquidatable_is_refused() {
    let (mut env, _liqor, liqee) = setup(10_000_000_000, 600_000_000);
    let other = env.user(7);
    env.fund_and_deposit(&other, SOL, 10_000_000_000);
    env.borrow(&other, USDC, 600_000_000).unwrap();
    advance(&mut env, 3_600, 70.0);
    let ix = liq_ix(&mut env, &other, &liqee, SOL, USDC, u64::MAX);
    let k = other.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::LiquidatorBeingLiquidated);
    // Nor may an account liquidate itself, nor a stranger sign for a liquidator.
    let ix = liq_ix(&mut env, &liqee, &liqee, SOL, USDC, u64::MAX);
    let k = liqee.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::SameAccount);
}

#[test]
fn lq_06_owner_cannot_push_own_account_below_maint() {
    // The Euler shape: a healthy account withdraws or borrows itself into liquidation so that a
    // second account of the same owner can liquidate it. The first step fails the health rule.
    let (mut env, _liqor, liqee) = setup(10_000_000_000, 600_000_000);
    for ix in [env.withdraw_ix(&liqee, SOL, 5_000_000_000), env.borrow_ix(&liqee, USDC, 100_000_000)] {
        let k = liqee.kp.insecure_clone();
        env.assert_fails_nsc(&[ix], &[&k], BallastError::HealthMustBePositive);
    }
    assert!(healths(&mut env, &liqee)[1] > Fx::ZERO);
}

#[test]
fn lq_09_invalid_or_deviating_price_refuses_liquidation() {
    let (mut env, liqor, liqee) = underwater();
    // SOL's oracle goes stale (120 s, max age 60 s): refused.
    let now = env.now();
    env.set_time(now + 120);
    env.set_price(USDC, 1.0);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleStale);
    // A fresh price 30% below the stable price (a sudden move): refused until the stable price follows.
    env.set_price(SOL, 49.0);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleDeviatesFromStable);
}

/// 0.05 SOL, 3.19 USDC borrowed (a $5 account, below the $10 close-out value): liquidated in full.
fn small_account(sol_price: f64) -> (Env, User, User) {
    let (mut env, liqor, liqee) = setup(50_000_000, 3_190_000);
    advance(&mut env, 3_600, sol_price);
    (env, liqor, liqee)
}

#[test]
fn lq_11_repay_is_capped_to_the_debt() {
    let (mut env, liqor, liqee) = small_account(75.0);
    assert!(healths(&mut env, &liqee)[1] < Fx::ZERO);
    let debt = -balance(&mut env, &liqee, USDC);
    let liqor_usdc = balance(&mut env, &liqor, USDC);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    assert_eq!(balance(&mut env, &liqee, USDC), Fx::ZERO, "the whole debt, and no more");
    let paid = liqor_usdc - balance(&mut env, &liqor, USDC);
    assert_eq!(paid.round(), debt.ceil(), "the liquidator paid the debt");
    // The seizure is computed from the actual repay.
    let seized = (Fx::from_num(50_000_000) - balance(&mut env, &liqee, SOL)).to_num::<f64>();
    assert!((seized - paid.to_num::<f64>() * 1.10 / 0.075).abs() <= 2.0, "{seized}");
}

#[test]
fn lq_12_collateral_below_debt_plus_bonus_is_seized_whole() {
    let (mut env, liqor, liqee) = small_account(50.0);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    let acc = env.margin_account(&liqee.account);
    // No SOL left, never a SOL borrow; the remaining USDC debt waits for bankruptcy resolution.
    assert_eq!(balance(&mut env, &liqee, SOL), Fx::ZERO, "no dust left behind");
    assert!(balance(&mut env, &liqee, SOL) >= Fx::ZERO);
    assert!(balance(&mut env, &liqee, USDC) < Fx::ZERO, "residual debt");
    assert!(acc.token_indexed(SOL) >= Fx::ZERO);
    // The bonus came from the liquidated account's own collateral only.
    let ins = env.asset_state(SOL).bank.protocol_fees.fx();
    assert_eq!(balance(&mut env, &liqor, SOL) + ins + balance(&mut env, &liqee, SOL), Fx::from_num(50_000_000));
}

#[test]
fn lq_15_asset_flagged_against_liquidation_cannot_be_seized() {
    let (mut env, liqor, liqee) = underwater();
    let admin = env.admin.insecure_clone();
    let p =
        EditAssetParams { flags: Some(ASSET_FLAG_BORROWABLE | ASSET_FLAG_NO_ASSET_LIQUIDATION), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, p)], &[&admin]).unwrap();
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::TokenAssetLiquidationDisabled);
}

#[test]
fn mr_10_many_one_unit_liquidations_gain_no_more_than_the_fee() {
    let (mut env, liqor, liqee) = underwater();
    let sol_before = balance(&mut env, &liqee, SOL);
    let usdc_before = balance(&mut env, &liqor, USDC);
    let k = liqor.kp.insecure_clone();
    for _ in 0..20 {
        let ixs: Vec<Instruction> = (0..10).map(|_| liq_ix(&mut env, &liqor, &liqee, SOL, USDC, 1)).collect();
        env.send(&ixs, &[&k]).unwrap();
    }
    let repaid = (usdc_before - balance(&mut env, &liqor, USDC)).round().to_num::<f64>();
    let seized = (sol_before - balance(&mut env, &liqee, SOL)).to_num::<f64>();
    assert_eq!(repaid, 200.0);
    // 1 USDC-native buys 15.71 lamports at $70 with the 10% fee: each call rounds down to 15.
    assert!(seized <= repaid * 1.10 / 0.07, "{seized} lamports for {repaid}");
    assert_eq!(seized, 200.0 * 15.0);
    let h = healths(&mut env, &liqee);
    assert!(h[2] < Fx::ZERO, "still liquidatable");
}

// ---- bankruptcy and the insurance fund ----

/// A $1.50 account owing ~1.83 USDC after its whole collateral was liquidated at $30.
fn bankrupt() -> (Env, User, User) {
    let (mut env, liqor, liqee) = small_account(30.0);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    assert!(balance(&mut env, &liqee, SOL) < Fx::ONE);
    (env, liqor, liqee)
}

/// Vault + borrows against deposits + protocol fees + insurance claims of USDC (catalogue I-1).
fn assert_solvent(env: &mut Env) {
    let a = env.asset_state(USDC);
    let vault = env.token_balance(&ballast_sdk::pda::vault(&ballast_sdk::pda::asset(&env.group, USDC).0).0);
    let s = a.bank.state();
    let claims = s.total_deposits().unwrap() + a.bank.protocol_fees.fx() + a.insurance_fees.fx();
    assert!(Fx::from_num(vault) + s.total_borrows().unwrap() + Fx::ONE >= claims, "I-1: {vault} + borrows < {claims}");
}

#[test]
fn ib_01_account_with_assets_left_is_not_bankrupt() {
    let (mut env, _liqor, liqee) = underwater();
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[], BallastError::HasLiquidatablePositions);
}

#[test]
fn ib_02_fund_pays_what_it_has_and_depositors_bear_the_rest() {
    let (mut env, _liqor, liqee) = bankrupt();
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 500_000).unwrap();
    // The staker asks to leave before the loss: the payout will reflect it (IB-06).
    let k = staker.kp.insecure_clone();
    let g = env.group;
    env.send(&[ballast_sdk::insurance::request_unstake(&g, &staker.kp.pubkey(), 500_000)], &[&k]).unwrap();
    let debt = -balance(&mut env, &liqee, USDC);
    let deposits_before = env.asset_state(USDC).bank.state().total_deposits().unwrap();
    let index_before = env.asset_state(USDC).bank.deposit_index.fx();
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(balance(&mut env, &liqee, USDC), Fx::ZERO, "no liability left");
    let f = env.group_state().insurance;
    assert_eq!((f.value, f.paid_out), (0, 500_000), "the fund paid all it had");
    let fall = deposits_before - env.asset_state(USDC).bank.state().total_deposits().unwrap();
    let socialized = env.asset_state(USDC).socialized_loss;
    // I-8: insurance paid + socialized loss = the debt removed; depositors lose at least that.
    assert_eq!(Fx::from_num(500_000 + socialized), debt.ceil());
    assert!(fall >= Fx::from_num(socialized) && fall < Fx::from_num(socialized + 2), "{fall} vs {socialized}");
    assert!(env.asset_state(USDC).bank.deposit_index.fx() < index_before);
    assert_solvent(&mut env);
    // The staker's request pays min(value now, value at request) = 0.
    let now = env.now();
    env.set_time(now + 3_600);
    let before = env.token_balance(&staker.token(0));
    env.send(&[ballast_sdk::insurance::withdraw_unstake(env.fund(), &staker.kp.pubkey(), &staker.token(0))], &[&k])
        .unwrap();
    assert_eq!(env.token_balance(&staker.token(0)), before);
}

#[test]
fn ib_03_a_rich_fund_pays_everything_and_depositors_lose_nothing() {
    let (mut env, _liqor, liqee) = bankrupt();
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 10_000_000).unwrap();
    let index_before = env.asset_state(USDC).bank.deposit_index.fx();
    let debt = -balance(&mut env, &liqee, USDC);
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(env.asset_state(USDC).bank.deposit_index.fx(), index_before);
    assert_eq!(Fx::from_num(env.group_state().insurance.paid_out), debt.ceil());
    assert_eq!(env.asset_state(USDC).socialized_loss, 0);
    assert_solvent(&mut env);
}

#[test]
fn ib_04_many_one_unit_resolutions_pay_no_more_than_the_debt_removed() {
    let (mut env, _liqor, liqee) = bankrupt();
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 10_000_000).unwrap();
    let debt_before = -balance(&mut env, &liqee, USDC);
    for _ in 0..100 {
        let ixs: Vec<Instruction> = (0..10).map(|_| resolve_ix(&mut env, &liqee, USDC, 1)).collect();
        env.send(&ixs, &[]).unwrap();
    }
    let removed = debt_before + balance(&mut env, &liqee, USDC);
    let paid = env.group_state().insurance.paid_out;
    assert_eq!(paid, 1_000);
    assert!(Fx::from_num(paid) <= removed.ceil(), "fund outflow {paid} <= debt removed {removed}");
    assert_solvent(&mut env);
}

#[test]
fn ib_07_no_new_stake_while_the_fund_is_empty_and_shares_exist() {
    let (mut env, _liqor, liqee) = bankrupt();
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 500_000).unwrap();
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(env.group_state().insurance.value, 0);
    let late = env.user(9);
    let q = env.assets[0].clone();
    env.mint_to(&q.mint, &q.token_program, &late.token(0), 1_000_000);
    let ix = ballast_sdk::insurance::stake(env.fund(), &late.kp.pubkey(), &late.token(0), 1_000_000);
    let k = late.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::InsuranceFundEmpty);
}

#[test]
fn liquidation_fees_reach_the_fund() {
    // A USDC depositor with a SOL borrow: the seized asset is USDC, so the insurance share of the
    // fee accrues on the quote asset and can be swept into the fund's vault.
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    env.create_fund();
    let (lender, liqor, liqee) = (env.user(0), env.user(1), env.user(2));
    env.fund_and_deposit(&lender, SOL, 100_000_000_000);
    env.fund_and_deposit(&liqor, SOL, 100_000_000_000);
    env.fund_and_deposit(&liqee, USDC, 1_000_000_000);
    env.borrow(&liqee, SOL, 6_000_000_000).unwrap();
    advance(&mut env, 3_600, 140.0);
    liquidate(&mut env, &liqor, &liqee, USDC, SOL, u64::MAX).unwrap();
    let claim = env.asset_state(USDC).insurance_fees.fx();
    assert!(claim > Fx::ONE, "{claim}");
    env.send(&[ballast_sdk::insurance::sweep_insurance_fees(env.fund())], &[]).unwrap();
    let f = env.group_state().insurance;
    assert_eq!(Fx::from_num(f.value), claim.floor());
    assert_eq!(f.protocol_shares, f.total_shares, "no stakers yet: the protocol owns the revenue");
    assert_eq!(env.token_balance(&ballast_sdk::pda::insurance_vault(&env.group).0), f.value);
    assert_solvent(&mut env);
    // The admin may withdraw protocol shares.
    let admin = env.admin.insecure_clone();
    let dest = env.token_account(&env.assets[0].mint.clone(), &admin.pubkey(), &spl());
    let ix = ballast_sdk::insurance::withdraw_protocol_insurance(env.fund(), &admin.pubkey(), &dest, f.protocol_shares);
    env.send(&[ix], &[&admin]).unwrap();
    assert_eq!(env.token_balance(&dest), f.value);
}

// ---- keeper ----

#[test]
fn keeper_liquidates_every_liquidatable_account_and_resolves_bankruptcy() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    // A second, small borrower that will end bankrupt, and an insurance fund with a stake.
    let small = env.user(5);
    env.fund_and_deposit(&small, SOL, 50_000_000);
    env.borrow(&small, USDC, 3_190_000).unwrap();
    env.create_fund();
    let staker = env.user(6);
    env.stake(&staker, 1_000_000).unwrap();
    advance(&mut env, 3_600, 70.0);
    advance(&mut env, 3_600, 56.0);
    advance(&mut env, 3_600, 45.0);
    advance(&mut env, 3_600, 36.0);
    advance(&mut env, 3_600, 30.0);
    assert!(healths(&mut env, &liqee)[1] < Fx::ZERO && healths(&mut env, &small)[1] < Fx::ZERO);
    let k = keeper(&env, &liqor);
    let report = k.run(&mut env.bank, 10).unwrap();
    assert!(report.liquidations >= 2, "{report:?}");
    assert!(report.still_liquidatable.is_empty(), "{report:?}");
    assert!(report.bankruptcies >= 1, "{report:?}");
    // The small account's debt is gone: the fund paid, depositors bore the rest (I-8).
    assert_eq!(balance(&mut env, &small, USDC), Fx::ZERO);
    let paid = env.group_state().insurance.paid_out;
    let socialized = env.asset_state(USDC).socialized_loss;
    assert!(paid > 0 && paid + socialized > 1_000_000, "{paid} + {socialized}");
    assert_solvent(&mut env);
}

// ---- remaining catalogue cases ----

#[test]
fn av_08_liquidator_equals_liquidated_account() {
    let (mut env, _liqor, liqee) = underwater();
    let ix = liq_ix(&mut env, &liqee, &liqee, SOL, USDC, u64::MAX);
    let k = liqee.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::SameAccount);
}

#[test]
fn av_09_asset_and_liability_in_the_same_bank() {
    let (mut env, liqor, liqee) = underwater();
    let ix = liq_ix(&mut env, &liqor, &liqee, USDC, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::SameAsset);
}

#[test]
fn lq_08_ib_05_no_window_in_which_an_account_can_be_pushed_under_and_liquidated() {
    // Adapted: Ballast has no flash loans or health regions. In one transaction the account
    // borrows far beyond its health and a second account liquidates it: the borrow fails the
    // health rule at once, so the transaction fails and nothing changes.
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    let borrow = env.borrow_ix(&liqee, USDC, 400_000_000);
    let liq = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let (a, b) = (liqee.kp.insecure_clone(), liqor.kp.insecure_clone());
    env.assert_fails_nsc(&[borrow, liq], &[&a, &b], BallastError::HealthMustBePositive);
}

#[test]
fn lq_10_whale_is_liquidated_gradually_with_a_bounded_fee() {
    // A whale holding most of the SOL bank: one call takes only what reaches the target; the fee
    // never exceeds the base fee plus the ramp cap; repeated calls finish the job as prices fall.
    let (mut env, liqor, whale) = setup(1_000_000_000_000, 60_000_000_000);
    let small = env.user(4);
    env.fund_and_deposit(&small, SOL, 100_000_000_000);
    advance(&mut env, 3_600, 70.0);
    let debt = -balance(&mut env, &whale, USDC);
    let sol_before = balance(&mut env, &whale, SOL);
    liquidate(&mut env, &liqor, &whale, SOL, USDC, u64::MAX).unwrap();
    let repaid = debt + balance(&mut env, &whale, USDC);
    assert!(repaid < debt, "one call does not take everything");
    assert!(healths(&mut env, &whale)[2] >= Fx::ZERO);
    let seized = (sol_before - balance(&mut env, &whale, SOL)).to_num::<f64>();
    let max_fee = 0.10 + 0.05; // 5% per asset + the 5% ramp cap
    assert!(seized <= repaid.to_num::<f64>() / 0.07 * (1.0 + max_fee), "fee bounded");
    advance(&mut env, 3_600, 60.0);
    advance(&mut env, 3_600, 50.0);
    liquidate(&mut env, &liqor, &whale, SOL, USDC, u64::MAX).unwrap();
    assert!(healths(&mut env, &whale)[2] >= Fx::ZERO, "completed over repeated calls");
}

#[test]
fn ds_02_dust_positions_do_not_make_an_account_unliquidatable() {
    // Dust deposits in 12 other assets fill the account to the 14-underlying cap; a 15th is
    // refused; liquidation still fits one transaction and seizes dust like any deposit.
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    for _ in 0..13 {
        env.list(6, 10.0, OracleKind::PythPull);
    }
    let (lender, liqor, liqee) = (env.user(0), env.user(1), env.user(2));
    env.fund_and_deposit(&lender, USDC, 100_000_000_000);
    env.fund_and_deposit(&liqor, USDC, 50_000_000_000);
    env.fund_and_deposit(&liqee, SOL, 10_000_000_000);
    for i in 2..14u16 {
        env.fund_and_deposit(&liqee, i, 1);
    }
    env.borrow(&liqee, USDC, 600_000_000).unwrap();
    let a = env.assets[14].clone();
    env.mint_to(&a.mint, &a.token_program, &liqee.token(14), 1);
    assert_code(env.deposit(&liqee, 14, 1), BallastError::TooManyAssets);
    let now = env.now();
    env.set_time(now + 3_600);
    for i in 0..15u16 {
        env.set_price(i, [1.0, 70.0].get(i as usize).copied().unwrap_or(10.0));
        let o = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
    }
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    assert!(healths(&mut env, &liqee)[2] >= Fx::ZERO);
    // SOL collapses: the keeper seizes the SOL and every dust deposit, then resolves the debt.
    let now = env.now();
    env.set_time(now + 3_600);
    for step in 0..8 {
        let t = env.now();
        env.set_time(t + 3_600);
        for i in 0..15u16 {
            env.set_price(i, [1.0, 70.0 * 0.7f64.powi(step + 1)].get(i as usize).copied().unwrap_or(10.0));
            let o = env.assets[i as usize].oracle;
            env.send(&[ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
        }
        keeper(&env, &liqor).run(&mut env.bank, 30).unwrap();
    }
    let acc = env.margin_account(&liqee.account);
    assert!(
        acc.tokens.iter().all(|t| t.asset_index == u16::MAX),
        "every position closed: {:?}",
        acc.active_assets(&[])
    );
}

#[test]
fn liquidation_config_is_admin_only_and_validated() {
    use ballast::instructions::LiquidationConfigParams;
    let (mut env, liqor, liqee) = underwater();
    let p = LiquidationConfigParams {
        close_out_value: 10_000_000,
        fee_ramp_bps_per_hour: 0,
        fee_ramp_cap_bps: 0,
        insurance_share_bps: 0,
        max_stable_deviation_bps: 2_000,
        max_step_value: 1_000_000_000_000,
    };
    let k = liqor.kp.insecure_clone();
    let ix = ix::set_liquidation_config(&env.group, &liqor.kp.pubkey(), p);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::Unauthorized);
    let admin = env.admin.insecure_clone();
    let bad = LiquidationConfigParams { fee_ramp_cap_bps: 5_001, ..p };
    let ix = ix::set_liquidation_config(&env.group, &admin.pubkey(), bad);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    // With no insurance share, the seized fee all goes to the liquidator.
    env.send(&[ix::set_liquidation_config(&env.group, &admin.pubkey(), p)], &[&admin]).unwrap();
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    assert_eq!(env.asset_state(SOL).bank.protocol_fees.fx(), Fx::ZERO);
    assert_eq!(env.group_state().liquidation.insurance_share_bps, 0);
}

/// Catalogue OR-14 and DS-07: the clock jumps three days with no update while SOL falls to $70.
/// A liquidation on the stale prices is refused; with fresh prices but a three-day-old stable
/// price, too; one refresh (the next user operation) completes, interest over the gap stays within
/// one capped interval, and the liquidation then goes through.
#[test]
fn or_14_after_a_clock_jump_stale_prices_are_refreshed_before_any_liquidation() {
    use ballast::risk::interest::{MAX_ACCRUAL_SECS, SECS_PER_YEAR};
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    let k = liqor.kp.insecure_clone();
    let i0 = env.asset_state(USDC).bank.borrow_index.fx();
    let now = env.now();
    env.set_time(now + 3 * 86_400);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleStale);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 70.0);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleDeviatesFromStable);
    for i in [USDC, SOL] {
        let oracle = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
    }
    let i1 = env.asset_state(USDC).bank.borrow_index.fx();
    let g = (i1 / i0).to_num::<f64>() - 1.0;
    assert!(g > 0.0 && g <= 1.5 * MAX_ACCRUAL_SECS as f64 / SECS_PER_YEAR as f64 + 1e-12, "{g}");
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    let [_, _, end] = healths(&mut env, &liqee);
    assert!(end >= Fx::ZERO, "liquidated to its target: {end}");
}
