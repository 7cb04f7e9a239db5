//! Lending: borrows against the whole portfolio, interest along the curve, every limit, repay,
//! fees. Catalogue AV-17, AV-18, AV-19, MR-01, MR-02, MR-04, MR-05, MR-09, MR-11.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use ballast::error::BallastError;
use ballast::instructions::EditAssetParams;
use ballast::risk::interest::{MAX_ACCRUAL_SECS, SECS_PER_YEAR};
use ballast::risk::{health, Fx, HealthType};
use ballast::state::{BorrowLimitsConfig, Fx128, OracleKind};
use ballast_sdk::{ix, pda};
use solana_sdk::signature::{Keypair, Signer};

/// USDC ($1, 6 decimals) and SOL ($150, 9 decimals); a lender with 1,000 SOL in the bank and a
/// borrower with 1,000 USDC.
fn setup() -> (Env, User, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let lender = env.user(0);
    let borrower = env.user(1);
    env.fund_and_deposit(&lender, 1, 1_000_000_000_000);
    env.fund_and_deposit(&borrower, 0, 1_000_000_000);
    (env, lender, borrower)
}

fn edit(env: &mut Env, asset: u16, p: EditAssetParams) {
    let admin = env.admin.insecure_clone();
    let ix = ix::edit_asset(&env.group, &admin.pubkey(), asset, p);
    env.send(&[ix], &[&admin]).unwrap();
}

fn limits(env: &mut Env, asset: u16) -> BorrowLimitsConfig {
    env.asset_state(asset).bank.limits
}

/// Init health of `u` if its position in `asset` were `shares` (pure engine, program's loader).
fn init_with(env: &mut Env, u: &User, asset: u16, shares: Fx) -> Fx {
    let mut acc = env.margin_account(&u.account);
    let keys = env.health_keys(&u.account, Some(asset));
    let raw: Vec<_> = keys
        .iter()
        .map(|k| ballast_sdk::transport::Transport::get_account(&mut env.bank, k).unwrap().unwrap())
        .collect();
    let now = env.now();
    let loaded = ballast_sdk::health::load(&env.group, &acc, &[asset], &raw, now).unwrap();
    let slot = acc.token_slot_or_open(asset).unwrap();
    acc.tokens[slot].indexed = Fx128::from_fx(shares);
    health(&loaded.health_input(&acc).unwrap(), HealthType::Init).unwrap()
}

#[test]
fn borrow_up_to_exactly_the_init_limit() {
    let (mut env, _lender, b) = setup();
    // Largest borrow (lamports) with Init health >= 0, by bisection on the engine.
    let (mut lo, mut hi) = (0u64, 100_000_000_000u64);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if init_with(&mut env, &b, 1, -Fx::from_num(mid)) >= Fx::ZERO {
            lo = mid
        } else {
            hi = mid
        }
    }
    // 1,000 USDC x 0.8 / (150 x 1.25) = 4.2666 SOL.
    assert!((lo as f64 / 1e9 - 4.266_666).abs() < 1e-5, "{lo}");
    let ix = env.borrow_ix(&b, 1, lo + 1);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::HealthMustBePositive);
    env.borrow(&b, 1, lo).unwrap();
    assert_eq!(env.token_balance(&b.token(1)), lo);
    assert!(env.margin_account(&b.account).token_indexed(1) < Fx::ZERO);
    // Without allow_borrow the same amount is just "more than the deposit".
    let ix = env.withdraw_ix(&b, 0, 1_000_000_001);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
}

#[test]
fn interest_follows_the_curve_at_several_utilizations() {
    for (borrow_sol, _u) in [(1_000u64, 0.25), (2_600, 0.65), (3_600, 0.90)] {
        let mut env = Env::new();
        env.list(6, 1.0, OracleKind::PythPull);
        env.list(9, 1.0, OracleKind::PythPull);
        let lender = env.user(0);
        let b = env.user(1);
        env.fund_and_deposit(&lender, 1, 4_000_000_000_000);
        env.fund_and_deposit(&b, 0, 100_000_000_000);
        env.borrow(&b, 1, borrow_sol * 1_000_000_000).unwrap();
        let a0 = env.asset_state(1);
        let bank0 = a0.bank.state();
        let u = bank0.utilization().unwrap();
        let expect_rate = a0.interest.borrow_rate(u).unwrap().to_num::<f64>();
        env.set_time(T0 + 3_600);
        env.set_price(0, 1.0);
        env.set_price(1, 1.0);
        let oracle = env.assets[1].oracle;
        env.send(&[ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
        let a1 = env.asset_state(1);
        let bank1 = a1.bank.state();
        let growth = (bank1.borrow_index / bank0.borrow_index).to_num::<f64>() - 1.0;
        let want = expect_rate * 3_600.0 / SECS_PER_YEAR as f64;
        assert!((growth - want).abs() <= want * 1e-6 + 1e-14, "u {u}: {growth} vs {want}");
        let d_growth = (bank1.deposit_index / bank0.deposit_index).to_num::<f64>() - 1.0;
        let want_d = want * u.to_num::<f64>() * 0.9; // 10% protocol fee in the default curve
        assert!((d_growth - want_d).abs() <= want_d * 1e-6 + 1e-14, "u {u}: {d_growth} vs {want_d}");
        assert!(a1.bank.protocol_fees.fx() > Fx::ZERO);
    }
}

#[test]
fn borrow_cap_utilization_cap_min_size_window_and_flag() {
    let (mut env, _lender, b) = setup();
    let kp = b.kp.insecure_clone();
    // Borrow cap.
    let l = BorrowLimitsConfig { borrow_cap: 1_000_000_000, ..limits(&mut env, 1) };
    edit(&mut env, 1, EditAssetParams { limits: Some(l), ..Default::default() });
    let ix = env.borrow_ix(&b, 1, 1_000_000_001);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::BorrowCapExceeded);
    // Minimum borrow size.
    let l = BorrowLimitsConfig { borrow_cap: u64::MAX, min_borrow: 100_000_000, ..l };
    edit(&mut env, 1, EditAssetParams { limits: Some(l), ..Default::default() });
    let ix = env.borrow_ix(&b, 1, 99_999_999);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::BorrowTooSmall);
    // Utilization cap: 0.1% of 1,000 SOL.
    let l = BorrowLimitsConfig { min_borrow: 0, util_cap_bps: 10, ..l };
    edit(&mut env, 1, EditAssetParams { limits: Some(l), ..Default::default() });
    let ix = env.borrow_ix(&b, 1, 1_000_000_001);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::UtilizationCapExceeded);
    // Just under the cap (the cap rounds down, against the borrower).
    env.borrow(&b, 1, 999_000_000).unwrap();
    // Net-borrow window: 1.5 SOL per hour.
    let l = BorrowLimitsConfig {
        util_cap_bps: 10_000,
        net_borrow_limit: 1_500_000_000,
        net_borrow_window_secs: 3_600,
        ..l
    };
    edit(&mut env, 1, EditAssetParams { limits: Some(l), ..Default::default() });
    let ix = env.borrow_ix(&b, 1, 600_000_000);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::NetBorrowLimitExceeded);
    env.borrow(&b, 1, 500_000_000).unwrap();
    // Repaying frees room in the window.
    env.repay(&b, 1, 200_000_000).unwrap();
    env.borrow(&b, 1, 200_000_000).unwrap();
    // A new window starts after an hour.
    env.set_time(T0 + 3_600);
    env.set_price(0, 1.0);
    env.set_price(1, 150.0);
    env.borrow(&b, 1, 600_000_000).unwrap();
    // Borrowing disabled: only the deposit can be withdrawn.
    edit(&mut env, 0, EditAssetParams { flags: Some(0), ..Default::default() });
    let other = env.user(2);
    env.fund_and_deposit(&other, 1, 100_000_000_000);
    let ix = env.borrow_ix(&other, 0, 1);
    let okp = other.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&okp], BallastError::BorrowingDisabled);
}

#[test]
fn repay_in_full_leaves_no_dust_and_repay_on_behalf() {
    let (mut env, lender, b) = setup();
    env.borrow(&b, 1, 2_000_000_000).unwrap();
    env.set_time(T0 + 3_000);
    env.set_price(0, 1.0);
    env.set_price(1, 150.0);
    let oracle = env.assets[1].oracle;
    env.send(&[ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
    let a = env.asset_state(1);
    let debt = a.bank.state().debt(env.margin_account(&b.account).token_indexed(1)).unwrap();
    assert!(debt > 2_000_000_000, "interest accrued");
    // Someone else pays part of it: the borrower's health only improves.
    let mint = env.assets[1].mint;
    env.mint_to(&mint, &spl(), &lender.token(1), 10_000_000);
    let t = ballast_sdk::ix::TokenIxAccounts { user_token: lender.token(1), ..env.token_ix(&b, 1) };
    let pos = env.margin_account(&b.account).token_indexed(1);
    let before = init_with(&mut env, &b, 1, pos);
    let lkp = lender.kp.insecure_clone();
    env.send(&[ix::repay(&t, &lkp.pubkey(), 10_000_000)], &[&lkp]).unwrap();
    let pos = env.margin_account(&b.account).token_indexed(1);
    let after = init_with(&mut env, &b, 1, pos);
    assert!(after > before);
    // The borrower repays the rest in full.
    env.mint_to(&mint, &spl(), &b.token(1), 1_000_000_000);
    let bal = env.token_balance(&b.token(1));
    env.repay(&b, 1, u64::MAX).unwrap();
    let paid = bal - env.token_balance(&b.token(1));
    assert!(paid <= debt - 10_000_000 + 1 && paid + 1 >= debt - 10_000_000, "{paid} vs {debt}");
    let acc = env.margin_account(&b.account);
    assert!(acc.token_slot(1).is_none(), "no dust position left");
    assert_eq!(env.asset_state(1).bank.indexed_borrows.fx(), Fx::ZERO);
    // Nothing left to repay.
    let ix = ix::repay(&env.token_ix(&b, 1), &b.kp.pubkey(), 1);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
}

#[test]
fn mr_09_a_year_without_updates() {
    let (mut env, _lender, b) = setup();
    env.borrow(&b, 1, 2_000_000_000).unwrap();
    let i0 = env.asset_state(1).bank.borrow_index.fx();
    env.set_time(T0 + 365 * 86_400);
    env.set_price(0, 1.0);
    env.set_price(1, 150.0);
    let oracle = env.assets[1].oracle;
    env.send(&[ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
    let i1 = env.asset_state(1).bank.borrow_index.fx();
    assert!(i1 >= i0);
    // At most one capped interval at the maximum rate (150%/year).
    let g = (i1 / i0).to_num::<f64>() - 1.0;
    assert!(g <= 1.5 * MAX_ACCRUAL_SECS as f64 / SECS_PER_YEAR as f64 + 1e-12, "{g}");
}

#[test]
fn ag_08_fee_withdrawal_is_limited_to_accrued_fees() {
    let (mut env, _lender, b) = setup();
    env.borrow(&b, 1, 4_000_000_000).unwrap();
    for h in 1..=3 {
        env.set_time(T0 + h * 3_600);
        env.set_price(1, 150.0);
        let oracle = env.assets[1].oracle;
        env.send(&[ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
    }
    let fees = ballast::risk::num::to_u64_floor(env.asset_state(1).bank.protocol_fees.fx()).unwrap();
    assert!(fees > 0);
    let admin = env.admin.insecure_clone();
    let dest = env.token_account(&env.assets[1].mint.clone(), &admin.pubkey(), &spl());
    let mint = env.assets[1].mint;
    let ix = ix::withdraw_fees(&env.group, &admin.pubkey(), 1, &mint, &spl(), &dest, fees + 1);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InsufficientFees);
    let rando = Keypair::new();
    let ix = ix::withdraw_fees(&env.group, &rando.pubkey(), 1, &mint, &spl(), &dest, 1);
    env.assert_fails_nsc(&[ix], &[&rando], anchor_lang::error::ErrorCode::ConstraintHasOne);
    env.send(&[ix::withdraw_fees(&env.group, &admin.pubkey(), 1, &mint, &spl(), &dest, fees)], &[&admin]).unwrap();
    assert_eq!(env.token_balance(&dest), fees);
}

#[test]
fn av_17_liability_bank_omitted() {
    let (mut env, _lender, b) = setup();
    env.borrow(&b, 1, 1_000_000_000).unwrap();
    let mut ix = env.withdraw_ix(&b, 0, 1_000);
    let n = ix.accounts.len();
    ix.accounts.truncate(n - 2); // drop the SOL Asset and oracle
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
}

#[test]
fn av_18_duplicated_or_extra_bank() {
    let (mut env, _lender, b) = setup();
    env.list(9, 1e6, OracleKind::PythPull); // a rich oracle the account does not use
    env.borrow(&b, 1, 1_000_000_000).unwrap();
    let kp = b.kp.insecure_clone();
    let full = env.withdraw_ix(&b, 0, 1_000);
    let n = full.accounts.len();
    let mut dup = full.clone();
    dup.accounts[n - 2] = dup.accounts[n - 4].clone();
    dup.accounts[n - 1] = dup.accounts[n - 3].clone();
    env.assert_fails_nsc(&[dup], &[&kp], BallastError::InvalidHealthAccounts);
    let extra_asset = pda::asset(&env.group, 2).0;
    let extra_oracle = env.assets[2].oracle;
    let ix = push_account(push_account(full, &extra_asset), &extra_oracle);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
}

#[test]
fn av_19_oracle_slots_swapped() {
    let (mut env, _lender, b) = setup();
    env.borrow(&b, 1, 1_000_000_000).unwrap();
    let mut ix = env.withdraw_ix(&b, 0, 1_000);
    let n = ix.accounts.len();
    ix.accounts.swap(n - 3, n - 1);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::UnexpectedOracle);
}

/// A bank whose deposit index is not 1: a borrow accrues for an hour.
fn indexed_env(decimals: u8) -> (Env, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(decimals, 1.0, OracleKind::PythPull);
    let lender = env.user(0);
    let b = env.user(1);
    env.fund_and_deposit(&lender, 1, 10u64.pow(decimals as u32 + 3) + 7);
    env.fund_and_deposit(&b, 0, 1_000_000_000_000);
    env.borrow(&b, 1, 10u64.pow(decimals as u32 + 2) * 8).unwrap();
    env.set_time(T0 + 3_600);
    env.set_price(0, 1.0);
    env.set_price(1, 1.0);
    let oracle = env.assets[1].oracle;
    env.send(&[ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
    assert!(env.asset_state(1).bank.deposit_index.fx() > Fx::ONE);
    (env, lender)
}

#[test]
fn mr_01_many_one_unit_withdrawals_never_pay_more() {
    for decimals in [0u8, 6, 9] {
        let (mut env, lender) = indexed_env(decimals);
        let bank = env.asset_state(1).bank.state();
        let pos0 = env.margin_account(&lender.account).token_indexed(1);
        let value0 = bank.native(pos0).unwrap();
        let kp = lender.kp.insecure_clone();
        for _ in 0..20 {
            let ixs: Vec<_> = (0..10).map(|_| env.withdraw_ix(&lender, 1, 1)).collect();
            env.send(&ixs, &[&kp]).unwrap();
        }
        let received = env.token_balance(&lender.token(1));
        assert_eq!(received, 200);
        let pos1 = env.margin_account(&lender.account).token_indexed(1);
        let value1 = env.asset_state(1).bank.state().native(pos1).unwrap();
        // The position fell by at least what was received.
        assert!(value0 - value1 >= Fx::from_num(received), "decimals {decimals}");
    }
}

#[test]
fn mr_02_many_one_unit_deposits_then_withdraw_all() {
    for decimals in [0u8, 6, 9] {
        let (mut env, _lender) = indexed_env(decimals);
        let u = env.user(5);
        let mint = env.assets[1].mint;
        env.mint_to(&mint, &spl(), &u.token(1), 1_000);
        let kp = u.kp.insecure_clone();
        for _ in 0..20 {
            let ixs: Vec<_> = (0..10).map(|_| ix::deposit(&env.token_ix(&u, 1), &kp.pubkey(), 1)).collect();
            env.send(&ixs, &[&kp]).unwrap();
        }
        env.withdraw(&u, 1, u64::MAX).unwrap();
        let back = env.token_balance(&u.token(1));
        assert!(back <= 1_000, "decimals {decimals}: received more than deposited");
    }
}

#[test]
fn mr_04_repeated_updates_do_not_inflate_the_index() {
    // No flash loans in Ballast: the nearest attack is hammering the permissionless update.
    let (mut env, lender) = indexed_env(6);
    let before = env.asset_state(1).bank.state();
    let oracle = env.assets[1].oracle;
    for _ in 0..10 {
        let ixs: Vec<_> = (0..20).map(|_| ix::refresh_asset(&env.group, 1, &oracle)).collect();
        env.send(&ixs, &[]).unwrap();
    }
    // No time passed: no interest, no index change.
    assert_eq!(env.asset_state(1).bank.state(), before);
    // And the lender can take out no more than its deposit is worth.
    let w = before.withdrawable(env.margin_account(&lender.account).token_indexed(1)).unwrap();
    let ix = env.withdraw_ix(&lender, 1, w + 1);
    let kp = lender.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
}

#[test]
fn mr_05_a_position_is_never_both_deposit_and_borrow() {
    let (mut env, _lender, b) = setup();
    env.borrow(&b, 1, 1).unwrap();
    assert!(env.margin_account(&b.account).token_indexed(1) < Fx::ZERO);
    let mint = env.assets[1].mint;
    env.mint_to(&mint, &spl(), &b.token(1), 5);
    env.deposit(&b, 1, 3).unwrap();
    let pos = env.margin_account(&b.account).token_indexed(1);
    let bank = env.asset_state(1).bank.state();
    // One signed number: now a deposit of what is left after the repayment.
    assert!(pos > Fx::ZERO);
    assert_eq!(bank.withdrawable(pos).unwrap(), 2);
    let ix = env.withdraw_ix(&b, 1, 3);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
}

#[test]
fn mr_11_borrows_are_limited_by_accounted_deposits() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 1.0, OracleKind::PythPull);
    let lender = env.user(0);
    let b = env.user(1);
    env.fund_and_deposit(&lender, 1, 1_000);
    env.fund_and_deposit(&b, 0, 1_000_000_000_000);
    let vault = pda::vault(&pda::asset(&env.group, 1).0).0;
    let mint = env.assets[1].mint;
    env.mint_to(&mint, &spl(), &vault, 1_000_000); // donation, not a deposit
    let ix = env.borrow_ix(&b, 1, 1_001);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::UtilizationCapExceeded);
    env.borrow(&b, 1, 1_000).unwrap();
}

/// The SDK's one-call solvers give exactly the program's limits: `fetch` reads the account and its
/// health accounts, `max_borrow` is the largest borrow the program accepts (one more unit fails
/// with HealthMustBePositive and changes nothing), and `max_withdraw` the largest withdrawal after it.
#[test]
fn sdk_max_borrow_and_max_withdraw_are_the_programs_limits() {
    let (mut env, _lender, b) = setup();
    let f = ballast_sdk::health::fetch(&mut env.bank, &env.group, &b.account, &[1]).unwrap();
    let m = f.max_borrow(1, Fx::ZERO).unwrap();
    // 1,000 USDC x 0.8 / (150 x 1.25) = 4.2666 SOL.
    assert!((m as f64 / 1e9 - 4.266_666).abs() < 1e-5, "{m}");
    let ix = env.borrow_ix(&b, 1, m + 1);
    let kp = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::HealthMustBePositive);
    env.borrow(&b, 1, m).unwrap();
    // Half the debt repaid: the USDC that can leave now.
    env.mint_to(&env.assets[1].mint.clone(), &env.assets[1].token_program.clone(), &b.token(1), m);
    env.repay(&b, 1, m / 2).unwrap();
    let f = ballast_sdk::health::fetch(&mut env.bank, &env.group, &b.account, &[]).unwrap();
    let w = f.max_withdraw(0, false, Fx::ZERO).unwrap();
    assert!(w > 0 && w < 1_000_000_000, "{w}");
    let ix = env.withdraw_ix(&b, 0, w + 1);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::HealthMustBePositive);
    env.withdraw(&b, 0, w).unwrap();
    // A target above zero keeps that much Init health.
    let f = ballast_sdk::health::fetch(&mut env.bank, &env.group, &b.account, &[]).unwrap();
    assert_eq!(f.max_withdraw(0, false, Fx::from_num(1)).unwrap(), 0);
    assert_eq!(f.max_withdraw(0, false, Fx::ZERO).unwrap(), 0);
}

/// Health keys for a sequence of instructions in one transaction: a deposit into a new asset then
/// a withdrawal needs the new asset in the withdrawal's list. `KeyPlan` gives that list; the list
/// computed from the account before the transaction is refused and changes nothing.
#[test]
fn health_keys_for_a_sequence_of_instructions_in_one_transaction() {
    let (mut env, _lender, b) = setup();
    let sol = env.assets[1].clone();
    env.mint_to(&sol.mint, &sol.token_program, &b.token(1), 1_000_000_000);
    let deposit = ix::deposit(&env.token_ix(&b, 1), &b.kp.pubkey(), 1_000_000_000);
    let assets: Vec<_> = (0..2).map(|i| env.asset_state(i)).collect();
    let acc = env.margin_account(&b.account);
    let stale = ballast_sdk::health::health_account_keys_from_assets(&env.group, &acc, &[0], &assets);
    let mut plan = ballast_sdk::health::KeyPlan::new(&env.group, &acc, &assets);
    let planned = plan.opens(1).unwrap().keys(&[0]);
    assert_eq!((stale.len(), planned.len()), (2, 4));
    let kp = b.kp.insecure_clone();
    let withdraw = |keys: &[Pubkey]| ix::withdraw(&env.token_ix(&b, 0), &kp.pubkey(), 100_000_000, false, keys);
    let (bad, good) = (withdraw(&stale), withdraw(&planned));
    env.assert_fails_nsc(&[deposit.clone(), bad], &[&kp], BallastError::InvalidHealthAccounts);
    env.send(&[deposit, good], &[&kp]).unwrap();
    assert_eq!(env.token_balance(&b.token(0)), 100_000_000);
}

/// The withdrawal rate limit (a circuit breaker of the governance issue): 10% of the deposits less
/// the borrows an hour, with a floor. Withdrawals and borrows count as outflow and are refused beyond the limit
/// (WithdrawalRateLimited, nothing changed); deposits and repays are never refused and make room;
/// a new window starts from the deposits then; the floor allows small pools to move; the
/// configuration is validated.
#[test]
fn withdrawal_rate_limit_stops_outflows_and_never_deposits_or_repays() {
    use ballast::state::OutflowLimitConfig;
    let (mut env, lender, b) = setup();
    const SOL: u64 = 1_000_000_000;
    let limit = OutflowLimitConfig { floor: SOL, window_secs: 3_600, limit_bps: 1_000, reserved: 0 };
    edit(&mut env, 1, EditAssetParams { withdraw_limit: Some(limit), ..Default::default() });
    let (lk, bk) = (lender.kp.insecure_clone(), b.kp.insecure_clone());
    // The window opens on the first outflow with 1,000 SOL of deposits: 100 SOL may leave.
    env.withdraw(&lender, 1, 60 * SOL).unwrap();
    env.borrow(&b, 1, 3 * SOL).unwrap();
    let ix = env.withdraw_ix(&lender, 1, 37 * SOL + 1);
    env.assert_fails_nsc(&[ix], &[&lk], BallastError::WithdrawalRateLimited);
    let ix = env.borrow_ix(&b, 1, 37 * SOL + 1);
    env.assert_fails_nsc(&[ix], &[&bk], BallastError::WithdrawalRateLimited);
    env.withdraw(&lender, 1, 37 * SOL).unwrap();
    let a = env.asset_state(1);
    assert_eq!((a.outflow_net, a.outflow_base), (100 * SOL as i64, 1_000 * SOL));
    let ix = env.withdraw_ix(&lender, 1, 1);
    env.assert_fails_nsc(&[ix], &[&lk], BallastError::WithdrawalRateLimited);
    // Deposits and repays still work, and make room for as much.
    env.fund_and_deposit(&lender, 1, 5 * SOL);
    env.repay(&b, 1, SOL).unwrap();
    assert_eq!(env.asset_state(1).outflow_net, 94 * SOL as i64);
    let now = env.now();
    assert_eq!(ballast_sdk::lending::withdraw_room(&env.asset_state(1), now).unwrap(), 6 * SOL);
    env.withdraw(&lender, 1, 6 * SOL).unwrap();
    let ix = env.withdraw_ix(&lender, 1, 1);
    env.assert_fails_nsc(&[ix], &[&lk], BallastError::WithdrawalRateLimited);
    // An hour later a new window opens on the deposits less the borrows then (902 SOL deposited,
    // 2 SOL borrowed, and their interest): 90.0 SOL may leave.
    let t = env.now() + 3_600;
    env.set_time(t);
    env.set_price(0, 1.0);
    env.set_price(1, 150.0);
    // The SDK's room is the program's limit to the unit: one more is refused, that much passes.
    let now = env.now();
    let room = ballast_sdk::lending::withdraw_room(&env.asset_state(1), now).unwrap();
    assert!(room > 89 * SOL && room < 91 * SOL, "{room}");
    let ix = env.withdraw_ix(&lender, 1, room + 1);
    env.assert_fails_nsc(&[ix], &[&lk], BallastError::WithdrawalRateLimited);
    env.withdraw(&lender, 1, room).unwrap();
    let a = env.asset_state(1);
    assert!(a.outflow_base > 899 * SOL && a.outflow_base < 901 * SOL, "{}", a.outflow_base);
    assert_eq!(ballast_sdk::lending::withdraw_room(&a, now).unwrap(), 0);
    // The floor: at 0.01% an hour, 2 SOL may still leave in a window.
    let small = OutflowLimitConfig { floor: 2 * SOL, limit_bps: 1, ..limit };
    edit(&mut env, 1, EditAssetParams { withdraw_limit: Some(small), ..Default::default() });
    env.set_time(t + 3_600);
    env.set_price(0, 1.0);
    env.set_price(1, 150.0);
    env.withdraw(&lender, 1, 2 * SOL).unwrap();
    let ix = env.withdraw_ix(&lender, 1, 1);
    env.assert_fails_nsc(&[ix], &[&lk], BallastError::WithdrawalRateLimited);
    // Off: no limit.
    edit(&mut env, 1, EditAssetParams { withdraw_limit: Some(OutflowLimitConfig::default()), ..Default::default() });
    let now = env.now();
    assert_eq!(ballast_sdk::lending::withdraw_room(&env.asset_state(1), now).unwrap(), u64::MAX);
    env.withdraw(&lender, 1, 100 * SOL).unwrap();
    // Bounds: at most 100% per window, a window of a second to 30 days, reserved zero.
    let admin = env.admin.insecure_clone();
    for bad in [
        OutflowLimitConfig { limit_bps: 10_001, ..limit },
        OutflowLimitConfig { window_secs: 0, ..limit },
        OutflowLimitConfig { window_secs: 30 * 86_400 + 1, ..limit },
        OutflowLimitConfig { reserved: 1, ..limit },
    ] {
        let ix = ix::edit_asset(
            &env.group,
            &admin.pubkey(),
            1,
            EditAssetParams { withdraw_limit: Some(bad), ..Default::default() },
        );
        env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    }
}

/// Catalogue OR-09: SOL's oracle jumps 10x in one second. Init health values the collateral at
/// min(oracle, stable), and the stable price moves at most `stable_growth_bps_per_hour` (here 20%)
/// per hour: no new borrow capacity appears at once, and an hour later at most the growth bound's.
#[test]
fn or_09_a_10x_oracle_jump_adds_borrow_capacity_only_at_the_stable_growth_bound() {
    let (mut env, _lender, b) = setup();
    let admin = env.admin.insecure_clone();
    let growth = EditAssetParams { stable_growth_bps_per_hour: Some(2_000), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), 1, growth)], &[&admin]).unwrap();
    let u = env.user(5);
    env.fund_and_deposit(&u, 1, 1_000_000_000); // 1 SOL: $150 x 0.8 / 1.25 = $96 of USDC
    let k = u.kp.insecure_clone();
    env.set_price(1, 1_500.0);
    let over = env.borrow_ix(&u, 0, 97_000_000);
    env.assert_fails_nsc(&[over], &[&k], BallastError::HealthMustBePositive);
    env.borrow(&u, 0, 95_000_000).unwrap();
    // An hour later, refreshed: the stable price has grown 20% ($180): $115.2 in all.
    env.set_time(T0 + 3_600);
    env.set_price(0, 1.0);
    env.set_price(1, 1_500.0);
    for i in [0u16, 1] {
        let oracle = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
    }
    let stable = env.asset_state(1).stable_price.price().to_num::<f64>() * 1e3;
    assert!((stable - 180.0).abs() < 1e-6, "{stable}");
    let over = env.borrow_ix(&u, 0, 21_000_000);
    env.assert_fails_nsc(&[over], &[&k], BallastError::HealthMustBePositive);
    env.borrow(&u, 0, 19_000_000).unwrap();
    let _ = b;
}
