//! Security review S2 (`../shared/audits/2026-12-security-review.md`): each test turns a finding's
//! reproduction around and asserts the fixed behaviour; refusals also assert that nothing changed.
//! The engine-level findings (S2-03, S2-13, the search of S2-20 and the capacity of S2-21) are
//! unit-tested in `programs/ballast/src/risk/liquidation.rs`.

use crate::harness::*;
use ballast::error::BallastError;
use ballast::instructions::EditAssetParams;
use ballast::risk::Fx;
use ballast::state::{OracleKind, ASSET_FLAG_NO_ASSET_LIQUIDATION};
use ballast_sdk::insurance as ins;
use ballast_sdk::ix;
use solana_sdk::signature::Signer;

const USDC: u16 = 0;
const SOL: u16 = 1;

type Tweak = ListingTweak;

/// The harness's liquidation setup plus `extra` listings.
fn setup_with(sol: u64, usdc: u64, extra: &[(u8, f64, Tweak)]) -> (Env, User, User) {
    liquidation_setup(sol, usdc, extra)
}

fn setup(sol: u64, usdc: u64) -> (Env, User, User) {
    setup_with(sol, usdc, &[])
}

/// Moves the clock by `secs`, publishes fresh prices and refreshes those assets.
fn advance(env: &mut Env, secs: i64, prices: &[(u16, f64)]) {
    let now = env.now();
    env.set_time(now + secs);
    for (i, p) in prices {
        env.set_price(*i, *p);
        let oracle = env.assets[*i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, *i, &oracle)], &[]).unwrap();
    }
}

/// S2-19 (critical): a solvent account holding a deposit of less than one index share, worth about
/// $1,000 (one native unit of a 0-decimal asset whose deposit index grew above 1), borrows against
/// it and calls resolve_bankruptcy on itself. Bankruptcy is decided by value: the account's equity
/// at oracle prices is positive, so it is refused with NotInsolvent and nothing changes.
#[test]
fn s2_19_a_solvent_account_with_a_sub_share_deposit_cannot_be_resolved() {
    const GOLD: u16 = 2;
    let none: Tweak = |_| {};
    let (mut env, _liqor, _liqee) = setup_with(10_000_000_000, 100_000_000, &[(0, 1_000.0, none)]);
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 10_000_000).unwrap();
    // GOLD lenders and borrowers: an hour of interest lifts its deposit index above 1.
    let (gl, gb) = (env.user(5), env.user(6));
    env.fund_and_deposit(&gl, GOLD, 100);
    env.fund_and_deposit(&gb, USDC, 200_000_000_000);
    env.borrow(&gb, GOLD, 60).unwrap();
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 100.0), (GOLD, 1_000.0)]);
    assert!(env.asset_state(GOLD).bank.deposit_index.fx() > Fx::ONE);
    let attacker = env.user(7);
    env.fund_and_deposit(&attacker, GOLD, 1);
    let shares = env.margin_account(&attacker.account).token_indexed(GOLD);
    assert!(shares < Fx::ONE && shares > Fx::ZERO, "a sub-share deposit: {shares}");
    env.borrow(&attacker, USDC, 600_000_000).unwrap();
    let ix = resolve_ix(&mut env, &attacker, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[], BallastError::NotInsolvent);
    assert_eq!(env.group_state().insurance.paid_out, 0);
    assert_eq!(env.asset_state(USDC).socialized_loss, 0);
    assert!(balance(&mut env, &attacker, USDC) <= -Fx::from_num(600_000_000u64), "the debt is all there");
}

/// S2-06: dust deposited into bankrupt accounts no longer blocks their resolution. A deposit of an
/// asset flagged NO_ASSET_LIQUIDATION can be seized once the account is insolvent; a deposit worth
/// less than one unit of the debt is dust, swept to protocol fees when resolving. The keeper clears
/// both accounts, and a dust deposit cannot make a solvent account resolvable (S2-19 above).
#[test]
fn s2_06_dust_deposits_never_block_bankruptcy_resolution() {
    const LOCKED: u16 = 2;
    const TINY: u16 = 3;
    let locked: Tweak = |p| p.flags = ASSET_FLAG_NO_ASSET_LIQUIDATION;
    let tiny: Tweak = |_| {};
    let (mut env, liqor, liqee) = setup_with(50_000_000, 3_190_000, &[(6, 1.0, locked), (9, 0.0001, tiny)]);
    let second = env.user(4);
    env.fund_and_deposit(&second, SOL, 50_000_000);
    env.borrow(&second, USDC, 3_190_000).unwrap();
    let all = |p: f64| [(USDC, 1.0), (SOL, p), (LOCKED, 1.0), (TINY, 0.0001)];
    advance(&mut env, 3_600, &all(30.0));
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    liquidate(&mut env, &liqor, &second, SOL, USDC, u64::MAX).unwrap();
    assert!(balance(&mut env, &liqee, USDC) < Fx::ZERO && balance(&mut env, &second, USDC) < Fx::ZERO);
    // The attacker front-runs with a unit of the locked asset and with tiny dust.
    let attacker = env.user(9);
    let d1 = deposit_into(&mut env, &attacker, &liqee, LOCKED, 1);
    let d2 = deposit_into(&mut env, &attacker, &second, TINY, 1_000);
    let k = attacker.kp.insecure_clone();
    env.send(&[d1, d2], &[&k]).unwrap();
    advance(&mut env, 60, &all(30.0));
    // The locked unit is worth a whole unit of the debt: liquidation must take it first.
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[], BallastError::HasLiquidatablePositions);
    // Tiny dust (0.1 quote native) does not block: resolved at once, the dust swept to fees.
    let fees0 = env.asset_state(TINY).bank.protocol_fees.fx();
    let ix = resolve_ix(&mut env, &second, USDC, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(balance(&mut env, &second, USDC), Fx::ZERO);
    assert_eq!(balance(&mut env, &second, TINY), Fx::ZERO);
    assert!(env.asset_state(TINY).bank.protocol_fees.fx() > fees0);
    // The keeper seizes the locked unit from the insolvent account, then resolves it.
    let report = keeper(&env, &liqor).run(&mut env.bank, 5).unwrap();
    assert!(report.liquidations >= 1 && report.bankruptcies >= 1, "{report:?}");
    assert_eq!(balance(&mut env, &liqee, USDC), Fx::ZERO);
    assert_eq!(balance(&mut env, &liqee, LOCKED), Fx::ZERO);
    assert!(env.asset_state(USDC).socialized_loss > 0);
}

/// S2-01: the audit's scenario. A one-unit step flags the account; the owner repays; ten hours
/// later the account, healthy by Maint although below the LiquidationEnd target, is not
/// liquidatable (its episode lapsed six hours after its last step), exactly like its twin that was
/// never flagged. A one-lamport deposit does not reset the episode (it would reset the fee ramp).
#[test]
fn s2_01_a_maint_healthy_account_is_not_liquidated_on_an_old_flag() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    let twin = env.user(3);
    env.fund_and_deposit(&twin, SOL, 10_000_000_000);
    env.borrow(&twin, USDC, 300_000_000).unwrap();
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 70.0)]);
    assert!(healths(&mut env, &liqee)[1] < Fx::ZERO);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, 1).unwrap();
    assert!(flagged(&mut env, &liqee));
    let start = env.margin_account(&liqee.account).liquidation_start_ts;
    let dust = deposit_into(&mut env, &twin, &liqee, SOL, 1);
    let k = twin.kp.insecure_clone();
    env.send(&[dust], &[&k]).unwrap();
    assert_eq!(env.margin_account(&liqee.account).liquidation_start_ts, start, "a deposit does not reset the ramp");
    env.repay(&liqee, USDC, 300_000_000).unwrap();
    advance(&mut env, 36_000, &[(USDC, 1.0), (SOL, 40.0)]);
    for u in [&liqee, &twin] {
        let h = healths(&mut env, u);
        assert!(h[1] > Fx::ZERO && h[2] < Fx::ZERO, "{h:?}");
        let ix = liq_ix(&mut env, &liqor, u, SOL, USDC, u64::MAX);
        let k = liqor.kp.insecure_clone();
        env.assert_fails_nsc(&[ix], &[&k], BallastError::NotLiquidatable);
    }
}

/// S2-01: an episode nobody acts on lapses after six hours: a flagged account whose price
/// recovered and fell again, still above Maint, is no longer liquidatable.
#[test]
fn s2_01_a_stale_episode_lapses() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 70.0)]);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, 1).unwrap();
    assert!(flagged(&mut env, &liqee));
    // SOL at $80: above Maint, below the LiquidationEnd target; within the episode it is liquidatable.
    let liquidatable = |env: &mut Env| {
        let h = healths(env, &liqee);
        assert!(h[1] > Fx::ZERO && h[2] < Fx::ZERO, "{h:?}");
        let now = env.now();
        let episode = env.margin_account(&liqee.account).liquidation_episode_active(now);
        ballast::risk::liquidation::liquidatable(h[1], h[2], episode)
    };
    advance(&mut env, 600, &[(USDC, 1.0), (SOL, 80.0)]);
    assert!(liquidatable(&mut env));
    // Seven hours without a step: the episode has lapsed.
    advance(&mut env, 7 * 3_600, &[(USDC, 1.0), (SOL, 80.0)]);
    assert!(!liquidatable(&mut env));
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::NotLiquidatable);
}

/// S2-10: the insurance cap bounds the fund's payout over the whole bankruptcy, so one call for the
/// whole debt and calls of `cap` each split the loss the same way.
#[test]
fn s2_10_the_split_between_fund_and_depositors_does_not_depend_on_the_caller() {
    let outcome = |slices: bool| -> (u64, u64) {
        let (mut env, liqor, liqee) = setup(50_000_000, 3_190_000);
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 30.0)]);
        liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
        env.create_fund();
        let staker = env.user(8);
        env.stake(&staker, 10_000_000).unwrap();
        let admin = env.admin.insecure_clone();
        let cap = EditAssetParams { insurance_cap: Some(500_000), ..Default::default() };
        env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), USDC, cap)], &[&admin]).unwrap();
        for _ in 0..10 {
            if balance(&mut env, &liqee, USDC) >= Fx::ZERO {
                break;
            }
            let ix = resolve_ix(&mut env, &liqee, USDC, if slices { 500_000 } else { u64::MAX });
            env.send(&[ix], &[]).unwrap();
        }
        assert_eq!(balance(&mut env, &liqee, USDC), Fx::ZERO);
        (env.group_state().insurance.paid_out, env.asset_state(USDC).socialized_loss)
    };
    let whole = outcome(false);
    let sliced = outcome(true);
    assert_eq!(whole.0, 500_000, "the fund pays its cap");
    assert!(whole.1 > 1_000_000, "depositors bear the rest");
    assert_eq!(whole, sliced, "slicing changes nothing");
}

/// S2-02: one set of shocks per risk group, fixed at listing. Listing mSOL into SOL's group with a
/// larger shock is refused (and so is an edit that would make a member's shocks differ, or change
/// the group or the leader's shocks while it has members). Listed with the group's shocks, a
/// one-lamport mSOL deposit cannot make the victim liquidatable: the attacker's deposit and
/// liquidation in one transaction fail with NotLiquidatable and nothing changes, and the deposit
/// alone raises every health.
#[test]
fn s2_02_a_dust_deposit_of_a_group_member_cannot_make_an_account_liquidatable() {
    const MSOL: u16 = 2;
    let (mut env, attacker, victim) = setup(10_000_000_000, 630_000_000);
    let riskier = env.list_with(9, 100.0, OracleKind::PythPull, spl(), |p| {
        p.risk.risk_group = SOL;
        p.risk.init_down_bps = 2_500;
        p.risk.maint_down_bps = 1_500;
    });
    assert_code(riskier.map(|_| ()), BallastError::InvalidConfig);
    env.list_with(9, 100.0, OracleKind::PythPull, spl(), |p| p.risk.risk_group = SOL).unwrap();
    assert_eq!(env.asset_state(SOL).group_members, 1);
    let admin = env.admin.insecure_clone();
    let edit = |env: &mut Env, index: u16, f: &dyn Fn(&mut ballast::state::RiskConfig)| {
        let mut r = env.asset_state(index).risk;
        f(&mut r);
        ix::edit_asset(&env.group, &admin.pubkey(), index, EditAssetParams { risk: Some(r), ..Default::default() })
    };
    for (index, f) in [
        (MSOL, &(|r: &mut ballast::state::RiskConfig| r.maint_down_bps = 1_500) as &dyn Fn(&mut _)),
        (MSOL, &|r: &mut ballast::state::RiskConfig| r.risk_group = MSOL),
        (SOL, &|r: &mut ballast::state::RiskConfig| r.maint_down_bps = 900),
    ] {
        let ix = edit(&mut env, index, f);
        env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    }
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 81.0), (MSOL, 81.0)]);
    let before = healths(&mut env, &victim);
    assert!(before[1] > Fx::ZERO, "healthy by Maint: {before:?}");
    let depositor = env.user(9);
    let dep = deposit_into(&mut env, &depositor, &victim, MSOL, 1);
    let ee = env.health_keys_with(&victim.account, &[MSOL]);
    let or = env.health_keys_with(&attacker.account, &[SOL, USDC]);
    let liq = ix::liquidate_token(
        &env.group,
        &attacker.account,
        &attacker.kp.pubkey(),
        &victim.account,
        SOL,
        USDC,
        u64::MAX,
        &ee,
        &or,
    );
    let (k, kd) = (attacker.kp.insecure_clone(), depositor.kp.insecure_clone());
    env.assert_fails_nsc(&[dep.clone(), liq], &[&k, &kd], BallastError::NotLiquidatable);
    env.send(&[dep], &[&kd]).unwrap();
    let after = healths(&mut env, &victim);
    for t in 0..3 {
        assert!(after[t] >= before[t], "health fell after a deposit: {before:?} -> {after:?}");
    }
}

/// S2-11: an unstake request can be withdrawn only within two days after its cooldown; a ripe
/// request held for thirty days has expired, so the staker cannot leave the instant a bankruptcy
/// shows up. Cancelling and requesting again restarts the cooldown.
#[test]
fn s2_11_a_ripe_unstake_request_expires() {
    let (mut env, liqor, liqee) = setup(50_000_000, 3_190_000);
    env.create_fund();
    let (s1, s2) = (env.user(7), env.user(8));
    env.stake(&s1, 1_000_000).unwrap();
    env.stake(&s2, 1_000_000).unwrap();
    let g = env.group;
    let k1 = s1.kp.insecure_clone();
    env.send(&[ins::request_unstake(&g, &s1.kp.pubkey(), 1_000_000)], &[&k1]).unwrap();
    advance(&mut env, 30 * 86_400, &[(USDC, 1.0), (SOL, 30.0)]);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    let ix = ins::withdraw_unstake(env.fund(), &s1.kp.pubkey(), &s1.token(0));
    env.assert_fails_nsc(&[ix], &[&k1], BallastError::UnstakeRequestExpired);
    // The bankruptcy is resolved while both stakers are in: they share the loss.
    let ix = resolve_ix(&mut env, &liqee, USDC, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    let f = env.group_state().insurance;
    assert!(f.paid_out > 1_000_000 && f.value > 0, "{f:?}");
    // Cancel and request again: a new cooldown, then the withdrawal pays the reduced value.
    env.send(&[ins::cancel_unstake(&g, &s1.kp.pubkey())], &[&k1]).unwrap();
    env.send(&[ins::request_unstake(&g, &s1.kp.pubkey(), 1_000_000)], &[&k1]).unwrap();
    let ix = ins::withdraw_unstake(env.fund(), &s1.kp.pubkey(), &s1.token(0));
    env.assert_fails_nsc(std::slice::from_ref(&ix), &[&k1], BallastError::UnstakeCooldown);
    advance(&mut env, 3_600, &[(USDC, 1.0)]);
    let before = env.token_balance(&s1.token(0));
    env.send(&[ix], &[&k1]).unwrap();
    let got = env.token_balance(&s1.token(0)) - before;
    assert!(got < 1_000_000 && got == f.value / 2, "half of what is left: {got} of {}", f.value);
}

/// S2-18: value left in the fund after the last staker leaves (fees swept in during its cooldown)
/// becomes protocol shares; a new one-unit stake gets one share, not the leftover.
#[test]
fn s2_18_value_left_after_the_last_staker_goes_to_the_protocol() {
    let (mut env, liqor, _liqee) = setup(10_000_000_000, 100_000_000);
    env.create_fund();
    let sol_lender = env.user(5);
    env.fund_and_deposit(&sol_lender, SOL, 100_000_000_000);
    // A USDC depositor borrowing SOL, liquidated when SOL rises: the fund's fee share is in USDC.
    let short = env.user(6);
    env.fund_and_deposit(&short, USDC, 1_000_000_000);
    env.borrow(&short, SOL, 6_000_000_000).unwrap();
    let s1 = env.user(7);
    env.stake(&s1, 1_000_000).unwrap();
    let g = env.group;
    let k1 = s1.kp.insecure_clone();
    env.send(&[ins::request_unstake(&g, &s1.kp.pubkey(), 1_000_000)], &[&k1]).unwrap();
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 140.0)]);
    liquidate(&mut env, &liqor, &short, USDC, SOL, u64::MAX).unwrap();
    env.send(&[ins::sweep_insurance_fees(env.fund())], &[]).unwrap();
    assert!(env.group_state().insurance.value > 1_000_000, "the fund gained during the cooldown");
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 140.0)]);
    env.send(&[ins::withdraw_unstake(env.fund(), &s1.kp.pubkey(), &s1.token(0))], &[&k1]).unwrap();
    let f = env.group_state().insurance;
    assert!(f.value > 0);
    assert_eq!((f.total_shares, f.protocol_shares), (f.value, f.value), "the leftover is the protocol's: {f:?}");
    // A one-unit stake buys one unit's worth of shares.
    let staker2 = env.user(8);
    env.stake(&staker2, 1).unwrap();
    let s = env.group_state().insurance;
    assert_eq!((s.total_shares - f.total_shares, s.value - f.value), (1, 1));
}

/// S2-09: the fund's share of a liquidation fee seized in a non-quote asset is credited to that
/// asset's protocol fees, which the admin can withdraw (and add to the fund), instead of a claim
/// nobody can ever move.
#[test]
fn s2_09_the_fund_share_of_a_non_quote_seizure_can_be_withdrawn() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 70.0)]);
    liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
    assert_eq!(env.asset_state(SOL).insurance_fees.fx(), Fx::ZERO, "no stranded claim");
    let share = env.asset_state(SOL).bank.protocol_fees.fx();
    assert!(share > Fx::from_num(100_000_000u64), "about 0.147 SOL: {share}");
    let admin = env.admin.insecure_clone();
    let sol = env.assets[SOL as usize].clone();
    let dest = env.token_account(&sol.mint, &admin.pubkey(), &sol.token_program);
    let amount = share.to_num::<u64>();
    let ix = ix::withdraw_fees(&env.group, &admin.pubkey(), SOL, &sol.mint, &sol.token_program, &dest, amount);
    env.send(&[ix], &[&admin]).unwrap();
    assert_eq!(env.token_balance(&dest), amount);
}

/// S2-12: a sudden print on a third asset (ETH −60%, its stable price still $100) no longer lets a
/// liquidator seize SOL against USDC: every exposed asset's price must be near its stable price.
#[test]
fn s2_12_a_sudden_print_on_any_asset_of_the_account_refuses_liquidation() {
    const ETH: u16 = 2;
    let none: Tweak = |_| {};
    let (mut env, liqor, _liqee) = setup_with(10_000_000_000, 100_000_000, &[(9, 100.0, none)]);
    let liqee = env.user(3);
    env.fund_and_deposit(&liqee, SOL, 5_000_000_000);
    env.fund_and_deposit(&liqee, ETH, 5_000_000_000);
    env.borrow(&liqee, USDC, 600_000_000).unwrap();
    advance(&mut env, 60, &[(USDC, 1.0), (SOL, 100.0), (ETH, 100.0)]);
    assert!(healths(&mut env, &liqee)[1] > Fx::ZERO);
    env.set_price(ETH, 40.0);
    assert!(healths(&mut env, &liqee)[1] < Fx::ZERO, "liquidatable at the fresh print");
    let k = liqor.kp.insecure_clone();
    for asset in [ETH, SOL] {
        let ix = liq_ix(&mut env, &liqor, &liqee, asset, USDC, u64::MAX);
        env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleDeviatesFromStable);
    }
}

// ---- S2-20, S2-21: liquidations the planner sizes ----

/// Native SOL units per perp lot (0.01 SOL), and $1 a lot at $100.
const LOT: u64 = 10_000_000;
const PAR: u64 = 1_000_000;

/// USDC and SOL, a SOL perp market, lenders of both, and a perp counterparty.
fn perp_env() -> (Env, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    let m =
        ballast_sdk::perp::set_perp_market(&env.group, &admin.pubkey(), SOL, ballast_sdk::scenario::perp_params(LOT));
    env.send(&[m], &[&admin]).unwrap();
    let lender = env.user(0);
    env.fund_and_deposit(&lender, USDC, 1_000_000_000_000);
    env.fund_and_deposit(&lender, SOL, 10_000_000_000_000);
    let cp = env.user(1);
    env.fund_and_deposit(&cp, USDC, 100_000_000_000);
    (env, cp)
}

fn block_trade(env: &mut Env, buyer: &User, seller: &User, lots: u64, price: u64) -> TxResult {
    let party = |env: &mut Env, u: &User| ballast_sdk::perp::TradeParty {
        account: u.account,
        authority: u.kp.pubkey(),
        health: env.health_keys_with(&u.account, &[SOL, USDC]),
    };
    let (b, s) = (party(env, buyer), party(env, seller));
    let ix = ballast_sdk::perp::block_trade(&env.group, SOL, USDC, &b, &s, lots, price);
    let (kb, ks) = (buyer.kp.insecure_clone(), seller.kp.insecure_clone());
    env.send(&[ix], &[&kb, &ks])
}

fn perp_lots(env: &mut Env, u: &User) -> i64 {
    let acc = env.margin_account(&u.account);
    acc.perp_slot(SOL).map(|s| acc.perps[s].base_lots).unwrap_or(0)
}

fn liquidatable(env: &mut Env, u: &User) -> bool {
    let h = healths(env, u);
    let now = env.now();
    let episode = env.margin_account(&u.account).liquidation_episode_active(now);
    ballast::risk::liquidation::liquidatable(h[1], h[2], episode)
}

fn maint_equity(env: &mut Env, u: &User) -> Fx {
    let acc = env.margin_account(&u.account);
    let raw = env.health_raw(&u.account);
    let now = env.now();
    ballast_sdk::health::compute_all(&env.group, &acc, &raw, now).unwrap()[1].equity
}

/// S2-20: a basis trade (long 30 SOL of perps, short 20 SOL spot: borrowed and sold for USDC) is
/// solvent but below Maint after SOL falls to $55. It holds no deposit a token liquidation could
/// take, and taking over its whole perp would leave it net short, lowering its health. Asked for
/// the whole position, the program takes the planned part (down to net flat), and the keeper, whose
/// liquidator holds $300 (a few percent of the account's $2,750 of gross exposure), liquidates it to
/// its target without ever flipping it.
#[test]
fn s2_20_a_basis_trade_is_liquidated_to_its_target() {
    let (mut env, cp) = perp_env();
    let t = env.user(2);
    env.fund_and_deposit(&t, USDC, 2_500_000_000);
    block_trade(&mut env, &t, &cp, 3_000, 100 * PAR / 100).unwrap();
    env.borrow(&t, SOL, 20_000_000_000).unwrap();
    for p in [90.0, 80.0, 70.0, 60.0, 55.0] {
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
    }
    let h = healths(&mut env, &t);
    assert!(h[1] < Fx::ZERO && maint_equity(&mut env, &t) > Fx::ZERO, "solvent, below Maint: {h:?}");
    let liqor = env.user(3);
    env.fund_and_deposit(&liqor, USDC, 300_000_000);
    // Asked for the whole 3,000 lots, the program takes the planned part, and health rises.
    let ee = env.health_keys(&t.account, None);
    let or = env.health_keys_with(&liqor.account, &[SOL, USDC]);
    let ix = ballast_sdk::perp::liquidate_perp(
        &env.group,
        SOL,
        USDC,
        &liqor.account,
        &liqor.kp.pubkey(),
        &t.account,
        u64::MAX,
        &ee,
        &or,
    );
    let k = liqor.kp.insecure_clone();
    env.send(&[ix], &[&k]).expect("a planned partial takeover");
    let lots = perp_lots(&mut env, &t);
    assert!(lots > 0 && lots < 3_000, "partial, never flipped: {lots}");
    assert!(healths(&mut env, &t)[2] > h[2]);
    // The keeper finishes the job with the program's planner.
    let report = keeper(&env, &liqor).run(&mut env.bank, 10).unwrap();
    assert!(report.still_liquidatable.is_empty(), "{report:?}");
    assert!(!liquidatable(&mut env, &t));
    assert!(perp_lots(&mut env, &t) >= 0, "never flipped");
    assert!(maint_equity(&mut env, &t) > Fx::ZERO, "still solvent");
}

/// S2-21: a whale borrowing 90% of the USDC bank against SOL is liquidated in a 30% crash by
/// liquidators each holding about 3% of its debt: every step is sized to what its liquidator can
/// carry, so the whale reaches its target (about $62k repaid) in many small steps instead of riding
/// the crash.
#[test]
fn s2_21_a_whale_is_liquidated_by_small_liquidators() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let lender = env.user(0);
    env.fund_and_deposit(&lender, USDC, 100_000_000_000); // $100,000
    let whale = env.user(1);
    env.fund_and_deposit(&whale, SOL, 1_600_000_000_000); // 1,600 SOL, $160,000
    env.borrow(&whale, USDC, 90_000_000_000).unwrap(); // $90,000: 90% of the bank
    for p in [90.0, 80.0, 70.0] {
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
    }
    assert!(healths(&mut env, &whale)[1] < Fx::ZERO);
    assert!(maint_equity(&mut env, &whale) > Fx::ZERO);
    let mut steps = 0;
    for n in 0..12 {
        let liqor = env.user(10 + n);
        env.fund_and_deposit(&liqor, USDC, 3_000_000_000); // $3,000: about 3% of the debt
        let report = keeper(&env, &liqor).run(&mut env.bank, 40).unwrap();
        steps += report.liquidations;
        if !liquidatable(&mut env, &whale) {
            break;
        }
    }
    assert!(!liquidatable(&mut env, &whale), "the whale reached its target in {steps} steps");
    assert!(steps > 3, "many small steps: {steps}");
    assert!(healths(&mut env, &whale)[2] >= Fx::ZERO);
}

/// S2-08: a fill weighs in the premium average by its size (against 10% of open interest) as well
/// as by the idle time before it. After a quiet hour, a one-lot wash trade at the band's edge moves
/// the average by a hundredth of the premium, not to it; a fill of 10% of open interest moves it
/// fully.
#[test]
fn s2_08_a_one_lot_wash_trade_barely_moves_the_funding_rate() {
    let (mut env, cp) = perp_env();
    let (victim, atk1, atk2) = (env.user(5), env.user(6), env.user(7));
    for u in [&victim, &atk1, &atk2] {
        env.fund_and_deposit(u, USDC, 10_000_000_000);
    }
    block_trade(&mut env, &victim, &atk1, 1_000, PAR).unwrap();
    advance(&mut env, 2 * 3_600, &[(USDC, 1.0), (SOL, 100.0)]);
    block_trade(&mut env, &atk2, &atk1, 1, PAR * 1_049 / 1_000).unwrap();
    let ema = env.asset_state(SOL).perp.premium_ema.fx().to_num::<f64>();
    assert!(ema > 0.0 && ema <= 0.049 / 100.0 + 1e-9, "one lot moves the premium by a hundredth: {ema}");
    // A fill of 10% of open interest after another quiet hour moves it to the fill's premium.
    advance(&mut env, 2 * 3_600, &[(USDC, 1.0), (SOL, 100.0)]);
    block_trade(&mut env, &atk2, &cp, 100, PAR * 1_049 / 1_000).unwrap();
    let ema = env.asset_state(SOL).perp.premium_ema.fx().to_num::<f64>();
    assert!((ema - 0.049).abs() < 1e-6, "a full-size fill sets the premium: {ema}");
}

/// S2-21, catalogue I-14: with a per-step bound of $100 (`set_liquidation_config`), a request for
/// everything repays at most $100 per call; the account still reaches its target, in six steps.
#[test]
fn s2_21_each_step_is_bounded_by_the_per_call_limit() {
    let (mut env, liqor, liqee) = setup(10_000_000_000, 600_000_000);
    let admin = env.admin.insecure_clone();
    let c = env.group_state().liquidation;
    let p = ballast::instructions::LiquidationConfigParams {
        close_out_value: c.close_out_value,
        fee_ramp_bps_per_hour: c.fee_ramp_bps_per_hour,
        fee_ramp_cap_bps: c.fee_ramp_cap_bps,
        insurance_share_bps: c.insurance_share_bps,
        max_stable_deviation_bps: c.max_stable_deviation_bps,
        max_step_value: 100_000_000,
    };
    let bad = ballast::instructions::LiquidationConfigParams { max_step_value: 0, ..p };
    let ix = ix::set_liquidation_config(&env.group, &admin.pubkey(), bad);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    env.send(&[ix::set_liquidation_config(&env.group, &admin.pubkey(), p)], &[&admin]).unwrap();
    assert_eq!(env.group_state().max_liquidation_step, 100_000_000);
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 70.0)]);
    let mut steps = 0;
    while liquidatable(&mut env, &liqee) {
        let before = balance(&mut env, &liqee, USDC);
        liquidate(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX).unwrap();
        let repaid = balance(&mut env, &liqee, USDC) - before;
        assert!(repaid > Fx::ZERO && repaid <= Fx::from_num(100_000_000u64), "one step repaid {repaid}");
        steps += 1;
        assert!(steps < 20);
    }
    assert_eq!(steps, 6, "about $513 to repay in steps of at most $100");
    assert!(healths(&mut env, &liqee)[2] >= Fx::ZERO);
}

/// S2-17: quote borrows created by perp fees are recorded in the quote asset's net-borrow window
/// (without being refused: they are owed whatever the limits), so later user borrows see them.
#[test]
fn s2_17_perp_fee_borrows_count_in_the_net_borrow_window() {
    let (mut env, cp) = perp_env();
    let t = env.user(2);
    env.fund_and_deposit(&t, SOL, 10_000_000_000); // SOL collateral only: fees become a USDC borrow
    let w0 = env.asset_state(USDC).bank.window_net;
    block_trade(&mut env, &t, &cp, 100, PAR).unwrap();
    let owed = -balance(&mut env, &t, USDC);
    assert!(owed > Fx::ZERO, "the taker fee is a quote borrow");
    let w1 = env.asset_state(USDC).bank.window_net;
    assert_eq!(Fx::from_num(w1 - w0), owed.ceil(), "the window records it");
}
