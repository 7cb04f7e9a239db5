//! Circuit breakers: the instruction gate, the panic pause and frozen accounts, each with what it
//! stops and what still works; the pause-policy table against the IDL. Catalogue AG-05, AG-07.

use crate::harness::*;
use ballast::error::BallastError;
use ballast::gate::{Ix, GATEABLE_BITS, PANIC_PAUSE_SECS, POLICY};
use ballast::governance::GovChange;
use ballast::risk::Fx;
use ballast::state::ACCOUNT_FLAG_FROZEN;
use ballast_sdk::ix;
use solana_sdk::signature::{Keypair, Signer};

const USDC: u16 = 0;
const SOL: u16 = 1;
const TIMELOCK: u64 = 86_400;

fn bit(ix: Ix) -> u64 {
    1u64 << (ix as u8)
}

/// The liquidation setup (a lender, a liquidator with 50,000 USDC, a borrower with 10 SOL and
/// 600 USDC borrowed at SOL $100) handed over to a guardian with a one-day timelock.
fn setup() -> (Env, User, User, Keypair) {
    let (mut env, liqor, liqee) = liquidation_setup(10_000_000_000, 600_000_000, &[]);
    let guardian = Keypair::new();
    let admin = env.admin.pubkey();
    env.hand_over(&guardian.pubkey(), &admin, TIMELOCK);
    (env, liqor, liqee, guardian)
}

/// Mints `amount` of `asset` to the user's token account.
fn fund(env: &mut Env, u: &User, asset: u16, amount: u64) {
    let a = env.assets[asset as usize].clone();
    env.mint_to(&a.mint, &a.token_program, &u.token(asset), amount);
}

#[test]
fn the_pause_policy_table_names_every_instruction_of_the_idl_once() {
    let idl: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../idl/ballast.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<String> =
        idl["instructions"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect();
    for n in &names {
        assert_eq!(POLICY.iter().filter(|p| p.name == n).count(), 1, "{n} in the policy table once");
    }
    for p in POLICY.iter() {
        let test_only = matches!(p.ix, Ix::CreateStubOracle | Ix::SetStubOracle);
        assert!(test_only || names.iter().any(|n| n == p.name), "{} is an instruction", p.name);
        // Nothing that moves value out is left ungated, and governance cannot be gated.
        if p.panic {
            assert!(p.gated, "{}: what the panic pause stops, the gate can stop", p.name);
        }
    }
    for ix in [Ix::ProposeChange, Ix::CancelChange, Ix::ExecuteChange, Ix::SetIxGate, Ix::PanicPause, Ix::FreezeAccount]
    {
        assert_eq!(GATEABLE_BITS & bit(ix), 0);
    }
}

#[test]
fn ag_05_the_gate_stops_an_instruction_at_once_and_only_governance_reenables_it() {
    let (mut env, liqor, liqee, guardian) = setup();
    let g = guardian.insecure_clone();
    let admin = env.admin.insecure_clone();
    // The guardian disables withdrawals: refused, deposits and repays still work.
    env.send(&[ix::set_ix_gate(&env.group, &g.pubkey(), bit(Ix::Withdraw))], &[&g]).unwrap();
    let k = liqee.kp.insecure_clone();
    let w = env.withdraw_ix(&liqee, SOL, 1);
    env.assert_fails_nsc(&[w], &[&k], BallastError::IxDisabled);
    let b = env.borrow_ix(&liqee, USDC, 1);
    env.assert_fails_nsc(&[b], &[&k], BallastError::IxDisabled);
    fund(&mut env, &liqor, USDC, 1_000_000);
    env.deposit(&liqor, USDC, 1_000_000).unwrap();
    env.repay(&liqee, USDC, 1_000_000).unwrap();
    // Re-enabling: never the guardian, the admin only through the timelock.
    env.assert_fails_nsc(
        &[ix::set_ix_gate(&env.group, &g.pubkey(), 0)],
        &[&g],
        BallastError::GuardianCannotIncreaseRisk,
    );
    env.assert_fails_nsc(&[ix::set_ix_gate(&env.group, &admin.pubkey(), 0)], &[&admin], BallastError::TimelockRequired);
    // A governance instruction's bit cannot be set (the gate could lock governance out).
    let lock = bit(Ix::Withdraw) | bit(Ix::ExecuteChange);
    env.assert_fails_nsc(&[ix::set_ix_gate(&env.group, &g.pubkey(), lock)], &[&g], BallastError::InvalidConfig);
    let rando = Keypair::new();
    let all = bit(Ix::Withdraw) | bit(Ix::Deposit);
    env.assert_fails_nsc(&[ix::set_ix_gate(&env.group, &rando.pubkey(), all)], &[&rando], BallastError::Unauthorized);
    // Queued re-enable: after the timelock anyone executes it and withdrawals work again.
    let change = GovChange::SetIxGate(0);
    let num = env.propose(None, change.clone());
    advance(&mut env, TIMELOCK as i64, 100.0);
    env.send(&[ix::execute_change(&env.group, num, None, &change)], &[]).unwrap();
    env.withdraw(&liqee, SOL, 1).unwrap();
}

#[test]
fn ag_07_the_panic_pause_follows_the_documented_policy() {
    let (mut env, liqor, liqee, guardian) = setup();
    advance(&mut env, 60, 70.0); // the borrower is now liquidatable
    let g = guardian.insecure_clone();
    let rando = Keypair::new();
    env.assert_fails_nsc(&[ix::panic_pause(&env.group, &rando.pubkey())], &[&rando], BallastError::Unauthorized);
    env.send(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g]).unwrap();
    let paused_at = env.now();
    assert_eq!(env.group_state().panic_until, paused_at + PANIC_PAUSE_SECS);
    // Stopped: withdraw all, borrow, liquidation, settlement of bankruptcy paths, fee withdrawal.
    let (kq, kl) = (liqee.kp.insecure_clone(), liqor.kp.insecure_clone());
    let w = env.withdraw_ix(&liqor, USDC, u64::MAX);
    env.assert_fails_nsc(&[w], &[&kl], BallastError::ProtocolPaused);
    let b = env.borrow_ix(&liqor, SOL, 1);
    env.assert_fails_nsc(&[b], &[&kl], BallastError::ProtocolPaused);
    let l = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    env.assert_fails_nsc(&[l], &[&kl], BallastError::ProtocolPaused);
    let admin = env.admin.insecure_clone();
    let dest = env.token_account(&env.assets[1].mint.clone(), &admin.pubkey(), &spl());
    let f = ix::withdraw_fees(&env.group, &admin.pubkey(), SOL, &env.assets[1].mint, &spl(), &dest, 1);
    env.assert_fails_nsc(&[f], &[&admin], BallastError::ProtocolPaused);
    // Still works: deposits, repay all, governance (the guardian freezes).
    fund(&mut env, &liqor, USDC, 1_000_000);
    env.deposit(&liqor, USDC, 1_000_000).unwrap();
    fund(&mut env, &liqee, USDC, 1_000_000_000);
    env.repay(&liqee, USDC, u64::MAX).unwrap();
    assert!(env.margin_account(&liqee.account).token_indexed(USDC) >= ballast::risk::Fx::ZERO, "repaid in full");
    env.send(&[ix::freeze_account(&env.group, &g.pubkey(), &liqor.account, true)], &[&g]).unwrap();
    // A second pause in a row extends it; a third in a row is refused.
    advance(&mut env, 600, 70.0);
    env.send(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g]).unwrap();
    let second_end = env.group_state().panic_until;
    advance(&mut env, 600, 70.0);
    env.assert_fails_nsc(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g], BallastError::PanicPauseLimit);
    // It ends by itself: nobody unpauses (the liquidee, not frozen, withdraws).
    let now = env.now();
    advance(&mut env, second_end - now, 70.0);
    env.withdraw(&liqee, SOL, 1_000_000).unwrap();
    let _ = kq;
    // Within half an hour of the end the row continues (refused); after it a new row starts,
    // and that is the day's third pause; a fourth is refused until the day is over.
    env.assert_fails_nsc(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g], BallastError::PanicPauseLimit);
    advance(&mut env, PANIC_PAUSE_SECS, 70.0);
    env.send(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g]).unwrap();
    advance(&mut env, 2 * PANIC_PAUSE_SECS, 70.0);
    env.assert_fails_nsc(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g], BallastError::PanicPauseLimit);
    let now = env.now();
    advance(&mut env, paused_at + 86_400 - now, 70.0);
    env.send(&[ix::panic_pause(&env.group, &g.pubkey())], &[&g]).unwrap();
}

#[test]
fn a_frozen_account_deposits_repays_and_is_liquidated_but_takes_no_risk() {
    let (mut env, liqor, liqee, guardian) = setup();
    let g = guardian.insecure_clone();
    let admin = env.admin.insecure_clone();
    env.send(&[ix::freeze_account(&env.group, &g.pubkey(), &liqee.account, true)], &[&g]).unwrap();
    env.send(&[ix::freeze_account(&env.group, &g.pubkey(), &liqor.account, true)], &[&g]).unwrap();
    assert_ne!(env.margin_account(&liqee.account).flags & ACCOUNT_FLAG_FROZEN, 0);
    // Stopped: withdrawals, borrows, and liquidating others.
    let k = liqee.kp.insecure_clone();
    let w = env.withdraw_ix(&liqee, SOL, 1);
    env.assert_fails_nsc(&[w], &[&k], BallastError::AccountFrozen);
    let b = env.borrow_ix(&liqee, USDC, 1);
    env.assert_fails_nsc(&[b], &[&k], BallastError::AccountFrozen);
    advance(&mut env, 60, 70.0);
    let kl = liqor.kp.insecure_clone();
    let l = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    env.assert_fails_nsc(&[l], &[&kl], BallastError::AccountFrozen);
    // Still works: deposits and repays; unfreezing is queued (never the guardian).
    fund(&mut env, &liqee, SOL, 1_000);
    env.deposit(&liqee, SOL, 1_000).unwrap();
    env.repay(&liqee, USDC, 1_000_000).unwrap();
    let unfreeze = ix::freeze_account(&env.group, &g.pubkey(), &liqor.account, false);
    env.assert_fails_nsc(&[unfreeze], &[&g], BallastError::GuardianCannotIncreaseRisk);
    let unfreeze = ix::freeze_account(&env.group, &admin.pubkey(), &liqor.account, false);
    env.assert_fails_nsc(&[unfreeze], &[&admin], BallastError::TimelockRequired);
    let change = GovChange::SetAccountFrozen(false);
    let num = env.group_state().num_proposals;
    let p = ix::propose_change_on(
        &env.group,
        &admin.pubkey(),
        &env.payer.pubkey(),
        num,
        Some(liqor.account),
        change.clone(),
    );
    env.send(&[p], &[&admin]).unwrap();
    advance(&mut env, TIMELOCK as i64, 70.0);
    env.send(&[ix::execute_change_on(&env.group, num, Some(liqor.account), &change)], &[]).unwrap();
    // The unfrozen liquidator liquidates the frozen borrower.
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
}

#[test]
fn the_docs_pause_policy_table_is_the_codes() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/governance.md")).unwrap();
    let yn = |b: bool| if b { "yes" } else { "no" };
    for (i, p) in POLICY.iter().enumerate() {
        let row = format!("| {i} | `{}` | {} | {} | {} |", p.name, yn(p.gated), yn(p.panic), yn(p.frozen));
        assert!(doc.contains(&row), "docs/governance.md lacks the row {row}");
    }
}

/// Catalogue OR-10: SOL's oracle moves 30% from its stable price (the price a sudden print or a
/// manipulation would show before the stable price follows). With a 10% breaker, withdrawals and
/// borrows of SOL are refused with nothing changed; a withdrawal of another asset, deposits,
/// repays and a liquidation (its own guard widened to 50%) go through. A refresh in the same
/// transaction cannot lift it (the refresh latches it for `BREAKER_HOLD_SECS`); once the hold is
/// over and the stable price has followed, SOL withdrawals work again.
#[test]
fn or_10_the_deviation_breaker_pauses_risk_in_the_asset_not_deposits_repays_or_liquidations() {
    let (mut env, liqor, liqee) = liquidation_setup(10_000_000_000, 600_000_000, &[]);
    let admin = env.admin.insecure_clone();
    let on = ballast::instructions::EditAssetParams { deviation_breaker_bps: Some(1_000), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, on)], &[&admin]).unwrap();
    let mut liq = ballast::instructions::LiquidationConfigParams::of(&env.group_state());
    liq.max_stable_deviation_bps = 5_000;
    env.send(&[ix::set_liquidation_config(&env.group, &admin.pubkey(), liq)], &[&admin]).unwrap();
    let lender = env.user(5);
    fund(&mut env, &lender, SOL, 10_000_000_000);
    env.deposit(&lender, SOL, 10_000_000_000).unwrap();
    // SOL prints $70; the stable price is still $100. The SDK says so with the program's check.
    env.set_price(SOL, 70.0);
    let print = ballast::risk::Price::from_num(0.07); // $70 in USDC native per lamport
    let now = env.now();
    assert!(ballast_sdk::lending::deviation_breaker_tripped(&env.asset_state(SOL), print, now));
    let kl = lender.kp.insecure_clone();
    let w = env.withdraw_ix(&lender, SOL, 1_000_000_000);
    env.assert_fails_nsc(&[w], &[&kl], BallastError::PriceDeviationBreaker);
    let kq = liqor.kp.insecure_clone();
    let b = env.borrow_ix(&liqor, SOL, 1_000_000);
    env.assert_fails_nsc(&[b], &[&kq], BallastError::PriceDeviationBreaker);
    // Not in SOL: the liquidator withdraws USDC; deposits and repays of SOL and USDC go through.
    env.withdraw(&liqor, USDC, 1_000_000).unwrap();
    fund(&mut env, &lender, SOL, 1_000);
    env.deposit(&lender, SOL, 1_000).unwrap();
    fund(&mut env, &liqee, USDC, 1_000_000);
    env.repay(&liqee, USDC, 1_000_000).unwrap();
    // The liquidation at the valid $70 price proceeds.
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    // A refresh in the same transaction as the withdrawal does not lift it: the refresh moves the
    // stable price an hour's worth but latches the breaker first (H1 of the breaker review).
    let now = env.now();
    env.set_time(now + 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 70.0);
    let refresh = ix::refresh_asset(&env.group, SOL, &env.assets[1].oracle);
    let w = env.withdraw_ix(&lender, SOL, 1_000_000_000);
    env.assert_fails_nsc(&[refresh.clone(), w], &[&kl], BallastError::PriceDeviationBreaker);
    env.send(&[refresh], &[]).unwrap();
    let held = env.asset_state(SOL);
    assert_eq!(held.breaker_until, now + 3_600 + ballast::state::BREAKER_HOLD_SECS);
    let w = env.withdraw_ix(&lender, SOL, 1_000_000_000);
    env.assert_fails_nsc(&[w], &[&kl], BallastError::PriceDeviationBreaker);
    // After the hold, with the stable price followed: the breaker lifts.
    advance(&mut env, ballast::state::BREAKER_HOLD_SECS, 70.0);
    let now = env.now();
    assert!(!ballast_sdk::lending::deviation_breaker_tripped(&env.asset_state(SOL), print, now));
    env.withdraw(&lender, SOL, 1_000_000_000).unwrap();
}

/// Reduce-only per asset: the guardian sets it at once; deposits only repay a borrow, nothing is
/// borrowed; withdrawals of deposits, repays and liquidations go on; clearing it is queued.
#[test]
fn a_reduce_only_asset_only_shrinks_positions() {
    let (mut env, liqor, liqee, guardian) = setup();
    let g = guardian.insecure_clone();
    let admin = env.admin.insecure_clone();
    // A SOL borrower before the flag: the liquidator borrows 1 SOL against its USDC.
    env.borrow(&liqor, SOL, 1_000_000_000).unwrap();
    let flags = env.asset_state(SOL).flags;
    // Reduce-only lends nothing: borrowing is turned off with it (both at once for the guardian).
    let ro = ballast::instructions::EditAssetParams {
        flags: Some((flags | ballast::state::ASSET_FLAG_REDUCE_ONLY) & !ballast::state::ASSET_FLAG_BORROWABLE),
        ..Default::default()
    };
    let keep_borrowable = ballast::instructions::EditAssetParams {
        flags: Some(flags | ballast::state::ASSET_FLAG_REDUCE_ONLY),
        ..Default::default()
    };
    let ix_k = ix::edit_asset(&env.group, &g.pubkey(), SOL, keep_borrowable);
    env.assert_fails_nsc(&[ix_k], &[&g], BallastError::InvalidConfig);
    env.send(&[ix::edit_asset(&env.group, &g.pubkey(), SOL, ro)], &[&g]).unwrap();
    // Stopped: a deposit beyond the borrow, a new borrow.
    let (kq, kl) = (liqee.kp.insecure_clone(), liqor.kp.insecure_clone());
    fund(&mut env, &liqee, SOL, 1_000);
    let d = ix::deposit(&env.token_ix(&liqee, SOL), &liqee.kp.pubkey(), 1_000);
    env.assert_fails_nsc(&[d], &[&kq], BallastError::ReduceOnly);
    let d = ix::deposit(&env.token_ix(&liqor, SOL), &liqor.kp.pubkey(), 1_000_000_001);
    fund(&mut env, &liqor, SOL, 1_000_000_001);
    env.assert_fails_nsc(&[d], &[&kl], BallastError::ReduceOnly);
    let b = env.borrow_ix(&liqor, SOL, 1);
    env.assert_fails_nsc(&[b], &[&kl], BallastError::BorrowingDisabled);
    // Go on: a deposit that only repays, a withdrawal of a deposit.
    env.deposit(&liqor, SOL, 500_000_000).unwrap();
    env.withdraw(&liqee, SOL, 1_000_000).unwrap();
    // Clearing it: never the guardian; the admin through the timelock.
    let clear = ballast::instructions::EditAssetParams { flags: Some(flags), ..Default::default() };
    let ix_g = ix::edit_asset(&env.group, &g.pubkey(), SOL, clear.clone());
    env.assert_fails_nsc(&[ix_g], &[&g], BallastError::GuardianCannotIncreaseRisk);
    let ix_a = ix::edit_asset(&env.group, &admin.pubkey(), SOL, clear);
    env.assert_fails_nsc(&[ix_a], &[&admin], BallastError::TimelockRequired);
}

/// Makes SOL force-closed in a setup group: no collateral value, reduce-only, not borrowable.
fn force_close_sol(env: &mut Env) {
    use ballast::state::{ASSET_FLAG_FORCE_CLOSE, ASSET_FLAG_REDUCE_ONLY};
    let admin = env.admin.insecure_clone();
    let sol = env.asset_state(SOL);
    let p = ballast::instructions::EditAssetParams {
        risk: Some(ballast::state::RiskConfig { init_down_bps: 10_000, maint_down_bps: 10_000, ..sol.risk }),
        flags: Some(ASSET_FLAG_REDUCE_ONLY | ASSET_FLAG_FORCE_CLOSE),
        ..Default::default()
    };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, p)], &[&admin]).unwrap();
}

/// Catalogue LQ-14: with the seized asset and the repaid liability reduce-only, and with the
/// seized asset force-closed, liquidations go on and never leave the liquidated account with a
/// new borrow: seizing the liability's token (which would deepen its borrow) is refused with
/// nothing changed, and repeated steps stop at a zero deposit.
#[test]
fn lq_14_liquidation_never_creates_a_borrow_in_reduce_only_or_force_closed_assets() {
    use ballast::state::ASSET_FLAG_REDUCE_ONLY;
    for force_close in [false, true] {
        let (mut env, liqor, liqee) = liquidation_setup(10_000_000_000, 600_000_000, &[]);
        let admin = env.admin.insecure_clone();
        for i in [USDC, SOL] {
            let f = (env.asset_state(i).flags | ASSET_FLAG_REDUCE_ONLY) & !ballast::state::ASSET_FLAG_BORROWABLE;
            let p = ballast::instructions::EditAssetParams { flags: Some(f), ..Default::default() };
            env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), i, p)], &[&admin]).unwrap();
        }
        if force_close {
            force_close_sol(&mut env);
            advance(&mut env, 60, 100.0);
        } else {
            advance(&mut env, 3_600, 70.0);
        }
        let k = liqor.kp.insecure_clone();
        // Seizing USDC, the liquidated account's debt token, for SOL it does not owe: refused.
        let bad = liq_ix(&mut env, &liqor, &liqee, USDC, SOL, u64::MAX);
        env.assert_fails_nsc(&[bad], &[&k], BallastError::NothingToLiquidate);
        // The real steps, as many as it takes: SOL never goes below zero.
        for _ in 0..4 {
            if liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).is_err() {
                break;
            }
            assert!(balance(&mut env, &liqee, SOL) >= Fx::ZERO, "no SOL borrow (force-close {force_close})");
        }
        assert!(balance(&mut env, &liqee, SOL) >= Fx::ZERO);
        assert!(balance(&mut env, &liqee, USDC) > -Fx::from_num(600_000_000), "some debt repaid");
    }
}

/// Force-close (delisting): anyone returns a deposit of a force-closed asset to its owner, in full,
/// with no seizure and no health effect, when the account owes nothing; not for an account with
/// liabilities (its equity backs them), another asset, another destination or a frozen account;
/// force-close needs reduce-only, no borrowing and no collateral value.
#[test]
fn force_close_returns_deposits_to_their_owners_in_full() {
    use ballast::state::{ASSET_FLAG_FORCE_CLOSE, ASSET_FLAG_REDUCE_ONLY};
    let (mut env, liqor, _liqee) = liquidation_setup(10_000_000_000, 600_000_000, &[]);
    let admin = env.admin.insecure_clone();
    let holder = env.user(6);
    fund(&mut env, &holder, SOL, 3_000_000_000);
    env.deposit(&holder, SOL, 3_000_000_000).unwrap();
    // Not force-closed yet: refused.
    let fw = ix::force_withdraw(&env.token_ix(&holder, SOL), &holder.token(SOL));
    env.assert_fails_nsc(std::slice::from_ref(&fw), &[], BallastError::NotForceClosed);
    // Force-close without reduce-only, or with collateral value: refused.
    let sol = env.asset_state(SOL);
    for p in [
        ballast::instructions::EditAssetParams { flags: Some(ASSET_FLAG_FORCE_CLOSE), ..Default::default() },
        ballast::instructions::EditAssetParams {
            flags: Some(ASSET_FLAG_FORCE_CLOSE | ASSET_FLAG_REDUCE_ONLY),
            risk: Some(sol.risk),
            ..Default::default()
        },
    ] {
        let e = ix::edit_asset(&env.group, &admin.pubkey(), SOL, p);
        env.assert_fails_nsc(&[e], &[&admin], BallastError::InvalidConfig);
    }
    force_close_sol(&mut env);
    let health_before = healths(&mut env, &holder);
    // An account that owes anything keeps its deposit for its liquidation (its equity backs the
    // debt): the borrower with 10 SOL and 600 USDC borrowed.
    let owes = ix::force_withdraw(&env.token_ix(&_liqee, SOL), &_liqee.token(SOL));
    env.assert_fails_nsc(&[owes], &[], BallastError::ForceWithdrawWithLiabilities);
    // To another owner's token account: refused.
    let other = ix::force_withdraw(&env.token_ix(&holder, SOL), &liqor.token(SOL));
    env.assert_fails_nsc(&[other], &[], BallastError::Unauthorized);
    // A frozen account's deposit stays (the owner cannot be paid out while frozen).
    env.send(&[ix::freeze_account(&env.group, &admin.pubkey(), &holder.account, true)], &[&admin]).unwrap();
    env.assert_fails_nsc(std::slice::from_ref(&fw), &[], BallastError::AccountFrozen);
    env.send(&[ix::freeze_account(&env.group, &admin.pubkey(), &holder.account, false)], &[&admin]).unwrap();
    // Anyone (here the fee payer alone): the whole deposit to the owner, health unchanged.
    let before = env.token_balance(&holder.token(SOL));
    env.send(std::slice::from_ref(&fw), &[]).unwrap();
    assert_eq!(env.token_balance(&holder.token(SOL)) - before, 3_000_000_000);
    assert_eq!(balance(&mut env, &holder, SOL), Fx::ZERO);
    assert_eq!(healths(&mut env, &holder), health_before);
    env.assert_fails_nsc(&[fw], &[], BallastError::ZeroAmount);
}
