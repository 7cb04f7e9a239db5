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
        &ballast_sdk::ix::LiquidationParties {
            group: env.group,
            liqor: attacker.account,
            liqor_owner: attacker.kp.pubkey(),
            liqee: victim.account,
            liqee_health: &ee,
            liqor_health: &or,
        },
        SOL,
        USDC,
        u64::MAX,
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
    perp_env_with(30_000_000)
}

/// [`perp_env`] with a settle limit of `settle_limit` quote native units per hour.
fn perp_env_with(settle_limit: u64) -> (Env, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    let params = ballast::state::PerpMarketParams { settle_limit, ..ballast_sdk::scenario::perp_params(LOT) };
    let m = ballast_sdk::perp::set_perp_market(&env.group, &admin.pubkey(), SOL, params);
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
    let ix = liq_perp_ix(&mut env, &liqor, &t, SOL);
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

// ---- S2-07, S2-22: perp losses ----

/// The account's unsettled perp PnL in SOL at $40 (quote native units), funding and socialized
/// loss included.
fn perp_pnl(env: &mut Env, u: &User) -> Fx {
    let acc = env.margin_account(&u.account);
    let assets = [env.asset_state(USDC), env.asset_state(SOL)];
    // $40 per SOL: 40e6 quote native per 1e9 base native.
    let price = ballast::risk::Price::from_num(40) / ballast::risk::Price::from_num(1_000);
    ballast_sdk::perp::positions(&acc, &assets, |_| price).first().map_or(Fx::ZERO, |p| p.pnl)
}

fn settle(env: &mut Env, win: &User, lose: &User) -> solana_sdk::instruction::Instruction {
    settle_ix(env, SOL, win, lose, u64::MAX)
}

/// S2-07: the audit's path (20 SOL of collateral, long 30 SOL of perps at $100, SOL at $70, $60,
/// $50, $45, the keeper run each hour) with the suite's $30/h settle limit. A liquidatable loser's
/// loss settles outside the window, so the keeper turns it into a quote borrow and liquidates it at
/// once: the account is never left liquidatable, stays solvent, and ends where an unthrottled
/// market ends (the audit measured 3/4 runs stuck and equity -$96.6 with the window).
#[test]
fn s2_07_a_liquidatable_losers_loss_settles_outside_the_window() {
    let run = |limit: u64| -> (Fx, usize, u64) {
        let (mut env, cp) = perp_env_with(limit);
        let t = env.user(2);
        env.fund_and_deposit(&t, SOL, 20_000_000_000);
        block_trade(&mut env, &t, &cp, 3_000, PAR).unwrap();
        let liqor = env.user(3);
        env.fund_and_deposit(&liqor, USDC, 100_000_000_000);
        let k = keeper(&env, &liqor);
        let mut stuck = 0;
        for p in [70.0, 60.0, 50.0, 45.0] {
            advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
            let r = k.run(&mut env.bank, 20).unwrap();
            stuck += r.still_liquidatable.contains(&t.account) as usize;
        }
        (maint_equity(&mut env, &t), stuck, env.asset_state(SOL).perp.settle_window_used)
    };
    let (eq, stuck, used) = run(30_000_000);
    let (eq_free, _, _) = run(1_000_000_000_000);
    println!(
        "S2-07 settle limit $30/h: equity {eq}, stuck {stuck}/4, window used {used}; unthrottled equity {eq_free}"
    );
    assert_eq!(stuck, 0, "the keeper brought the account back after every run");
    assert!(eq > Fx::ZERO, "solvent: {eq}");
    // (Within a few native units, $0.00001: settlements of the account once it is no longer
    // liquidatable still go through the window, in other amounts and so with other roundings.)
    assert!((eq - eq_free).abs() <= Fx::from_num(10), "the window changes nothing for a liquidatable loser");
}

/// S2-22: a loser whose loss exceeds its collateral ($1,000 of USDC, long 20 SOL from $100, SOL at
/// $40: a $1,200 loss) pays a winner only what its collateral covers; it never becomes a quote
/// borrower for the rest. A second settlement is refused with LossNotCovered and changes nothing.
#[test]
fn s2_22_settlement_never_pays_winners_more_than_the_losers_collateral() {
    let (mut env, cp) = perp_env_with(1_000_000_000_000);
    let t = env.user(2);
    env.fund_and_deposit(&t, USDC, 1_000_000_000);
    block_trade(&mut env, &t, &cp, 2_000, PAR).unwrap();
    advance(&mut env, 60, &[(USDC, 1.0), (SOL, 40.0)]);
    let equity = maint_equity(&mut env, &t);
    let loss = perp_pnl(&mut env, &t);
    assert!(equity < Fx::ZERO && loss < Fx::from_num(-1_150_000_000), "insolvent: {equity}, {loss}");
    let cp_before = balance(&mut env, &cp, USDC);
    let ix = settle(&mut env, &cp, &t);
    env.send(&[ix], &[]).unwrap();
    let moved = balance(&mut env, &cp, USDC) - cp_before;
    // What the collateral covers: the loss less the shortfall (a whole number, rounded down).
    let covered = (-(loss - equity)).floor();
    assert!((moved - covered).abs() <= Fx::ONE, "moved {moved}, covered {covered}");
    assert!(balance(&mut env, &t, USDC) >= Fx::ZERO, "the loser is not a quote borrower");
    assert_eq!(maint_equity(&mut env, &t), equity, "settlement leaves equity unchanged");
    assert!(perp_pnl(&mut env, &t) < Fx::from_num(-150_000_000), "the shortfall stays unsettled");
    assert_eq!(env.asset_state(SOL).perp.settle_window_used, 0, "a liquidatable loser uses no window");
    let ix = settle(&mut env, &cp, &t);
    env.assert_fails_nsc(&[ix], &[], BallastError::LossNotCovered);
}

/// A SOL market with an unthrottled window, an insurance fund of $500 capped at $100 for the SOL
/// market, and a trader with $1,000 of USDC long 20 SOL from $100 against `cp`. Returns (env, cp,
/// trader).
fn perp_bankruptcy_env() -> (Env, User, User) {
    let (mut env, cp) = perp_env_with(1_000_000_000_000);
    env.create_fund();
    let staker = env.user(6);
    env.stake(&staker, 500_000_000).unwrap();
    let admin = env.admin.insecure_clone();
    let cap = EditAssetParams { insurance_cap: Some(100_000_000), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, cap)], &[&admin]).unwrap();
    let t = env.user(2);
    env.fund_and_deposit(&t, USDC, 1_000_000_000);
    block_trade(&mut env, &t, &cp, 2_000, PAR).unwrap();
    (env, cp, t)
}

/// S2-22 with S2-07: the same crash with the keeper and an insurance fund capped at $100 for the
/// SOL market.
/// The keeper liquidates the perp, settles what the collateral covers, and resolves the rest as a
/// perp bankruptcy: the fund pays a winner up to its cap and the remainder is socialized over the
/// market's open interest. USDC depositors bear nothing, and the market's PnL never exceeds what
/// its losers owe (the sum of every position's PnL is at most zero).
#[test]
fn s2_22_a_bankrupt_perp_loss_is_paid_by_the_fund_then_socialized_over_open_interest() {
    let (mut env, cp, t) = perp_bankruptcy_env();
    let liqor = env.user(3);
    env.fund_and_deposit(&liqor, USDC, 100_000_000_000);
    let paid0 = env.group_state().insurance.paid_out;
    let social0 = env.asset_state(USDC).socialized_loss;
    // (Hourly, so that the stable price follows and liquidation is not refused as a sudden print.)
    for p in [80.0, 60.0, 40.0] {
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
    }
    let r = keeper(&env, &liqor).run(&mut env.bank, 20).unwrap();
    println!("S2-22 keeper: {r:?}");
    let (fund_paid, socialized) = r.perp_bad_debt.get(&SOL).copied().unwrap_or_default();
    assert_eq!(env.group_state().insurance.paid_out - paid0, 100_000_000, "the fund paid up to the cap");
    assert_eq!(fund_paid, 100_000_000);
    assert!(socialized > 0, "the rest was socialized over open interest");
    assert!(env.asset_state(SOL).perp.loss_index.fx() > Fx::ZERO);
    assert_eq!(env.asset_state(USDC).socialized_loss, social0, "quote depositors bore nothing");
    let acc = env.margin_account(&t.account);
    assert!(acc.perp_slot(SOL).is_none(), "the loss is resolved");
    assert!(r.still_liquidatable.is_empty(), "{r:?}");
    // Zero-sum: every position's PnL (the socialized loss projected) sums to at most zero, within
    // one unit of rounding per position.
    let total: Fx = [&cp, &liqor, &t].iter().map(|u| perp_pnl(&mut env, u)).sum();
    assert!(total <= Fx::ZERO && total > Fx::from_num(-4), "sum of PnL {total}");
}

/// S2-22: perp bankruptcy is refused while the account still has base to liquidate, and for an
/// account with no perp loss; nothing changes.
#[test]
fn s2_22_perp_bankruptcy_is_refused_while_collateral_is_left() {
    let (mut env, cp) = perp_env_with(1_000_000_000_000);
    env.create_fund();
    let t = env.user(2);
    env.fund_and_deposit(&t, USDC, 1_000_000_000);
    block_trade(&mut env, &t, &cp, 2_000, PAR).unwrap();
    advance(&mut env, 60, &[(USDC, 1.0), (SOL, 40.0)]);
    let q = env.assets[USDC as usize].clone();
    let oracle = env.assets[SOL as usize].oracle;
    let resolve = |env: &mut Env, who: &User, winner: &User| {
        let keys = env.health_keys(&who.account, None);
        ins::resolve_perp_bankruptcy(
            &env.group,
            &who.account,
            SOL,
            &oracle,
            &winner.account,
            &q.mint,
            &q.token_program,
            &keys,
        )
    };
    // Base still open: liquidate first.
    let ix = resolve(&mut env, &t, &cp);
    env.assert_fails_nsc(&[ix], &[], BallastError::HasLiquidatablePositions);
    // An account with no perp position has no perp loss.
    let other = env.user(4);
    env.fund_and_deposit(&other, USDC, 1_000_000);
    let ix = resolve(&mut env, &other, &cp);
    env.assert_fails_nsc(&[ix], &[], BallastError::NoPerpLoss);
}

/// The bankrupt account's resolution against `winner`.
fn resolve_perp_ix(env: &mut Env, who: &User, winner: &User) -> solana_sdk::instruction::Instruction {
    let q = env.assets[USDC as usize].clone();
    let oracle = env.assets[SOL as usize].oracle;
    let keys = env.health_keys(&who.account, None);
    ins::resolve_perp_bankruptcy(
        &env.group,
        &who.account,
        SOL,
        &oracle,
        &winner.account,
        &q.mint,
        &q.token_program,
        &keys,
    )
}

/// S2-22 (review): the fund's cap counts over the whole perp bankruptcy, and a deposit into the
/// bankrupt account can neither reset it nor block the resolution. A small winner is paid first
/// ($6 of PnL, below the $100 cap); a one-unit deposit into the bankrupt account then leaves the
/// count as it is, the next resolution settles that unit to the winner, and the fund pays exactly
/// the rest of its cap before the remainder is socialized.
#[test]
fn s2_22_a_deposit_cannot_reset_the_cap_or_block_a_perp_bankruptcy() {
    let (mut env, cp, t) = perp_bankruptcy_env();
    // A small winner: short 10 lots against a third account.
    let (small, x) = (env.user(4), env.user(5));
    env.fund_and_deposit(&small, USDC, 100_000_000);
    env.fund_and_deposit(&x, USDC, 100_000_000);
    block_trade(&mut env, &x, &small, 10, PAR).unwrap();
    let liqor = env.user(3);
    env.fund_and_deposit(&liqor, USDC, 100_000_000_000);
    for p in [80.0, 60.0, 40.0] {
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
    }
    // Liquidate the base, settle what the collateral covers.
    let k = liqor.kp.insecure_clone();
    for _ in 0..10 {
        if perp_lots(&mut env, &t) == 0 {
            break;
        }
        let ix = liq_perp_ix(&mut env, &liqor, &t, SOL);
        env.send(&[ix], &[&k]).unwrap();
    }
    assert_eq!(perp_lots(&mut env, &t), 0);
    let ix = settle(&mut env, &cp, &t);
    env.send(&[ix], &[]).unwrap();
    let paid0 = env.group_state().insurance.paid_out;
    // The small winner first: the fund pays its PnL only, nothing is socialized yet.
    let ix = resolve_perp_ix(&mut env, &t, &small);
    env.send(&[ix], &[]).unwrap();
    let first = env.group_state().insurance.paid_out - paid0;
    assert!(first > 0 && first < 100_000_000, "{first}");
    assert_eq!(env.asset_state(SOL).perp.loss_index.fx(), Fx::ZERO);
    assert_eq!(env.margin_account(&t.account).bankruptcy_insurance_paid, first);
    // A one-unit deposit into the bankrupt account resets nothing ...
    let funder = env.user(9);
    let ix = deposit_into(&mut env, &funder, &t, USDC, 1);
    let kf = funder.kp.insecure_clone();
    env.send(&[ix], &[&kf]).unwrap();
    assert_eq!(env.margin_account(&t.account).bankruptcy_insurance_paid, first, "the cap's count is kept");
    // ... and blocks nothing: it is settled to the winner, then the fund pays the rest of its cap.
    let cp_before = balance(&mut env, &cp, USDC);
    let ix = resolve_perp_ix(&mut env, &t, &cp);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(env.group_state().insurance.paid_out - paid0, 100_000_000, "the fund paid exactly its cap");
    assert_eq!(balance(&mut env, &cp, USDC) - cp_before, Fx::from_num(100_000_000 - first + 1));
    assert!(env.asset_state(SOL).perp.loss_index.fx() > Fx::ZERO, "the rest is socialized");
    assert!(env.margin_account(&t.account).perp_slot(SOL).is_none());
}

// ---- S2-23: the fund covers bad debt in any asset ----

/// A borrower of SOL against USDC left insolvent by a SOL rally and liquidated down to dust: it
/// owes about 1.2 SOL that nothing backs. Returns (env, the borrower, a deliverer holding 10 SOL).
fn sol_bad_debt() -> (Env, User, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let lender = env.user(0);
    env.fund_and_deposit(&lender, SOL, 1_000_000_000_000);
    let liqor = env.user(1);
    env.fund_and_deposit(&liqor, USDC, 50_000_000_000);
    env.fund_and_deposit(&liqor, SOL, 100_000_000_000);
    let t = env.user(2);
    env.fund_and_deposit(&t, USDC, 1_000_000_000);
    env.borrow(&t, SOL, 6_000_000_000).unwrap();
    for p in [130.0, 160.0, 200.0] {
        advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, p)]);
    }
    for _ in 0..10 {
        if liquidate(&mut env, &liqor, &t, USDC, SOL, u64::MAX).is_err() {
            break;
        }
    }
    assert!(balance(&mut env, &t, USDC) < Fx::ONE, "collateral taken");
    assert!(balance(&mut env, &t, SOL) < Fx::from_num(-1_000_000_000), "bad debt in SOL");
    env.create_fund();
    let staker = env.user(8);
    env.stake(&staker, 1_000_000_000).unwrap();
    let d = env.user(7);
    let sol = env.assets[SOL as usize].clone();
    env.mint_to(&sol.mint, &sol.token_program, &d.token(SOL), 10_000_000_000);
    (env, t, d)
}

fn cover_ix(env: &mut Env, who: &User, d: &User, asset: u16, max: u64) -> solana_sdk::instruction::Instruction {
    let (a, q) = (env.assets[asset as usize].clone(), env.assets[USDC as usize].clone());
    let keys = env.health_keys_with(&who.account, &[USDC]);
    let c = ins::CoverAccounts {
        asset_index: asset,
        mint: a.mint,
        token_program: a.token_program,
        deliverer: d.kp.pubkey(),
        source: d.token(asset),
        quote_mint: q.mint,
        quote_token_program: q.token_program,
        destination: d.token(USDC),
    };
    ins::cover_bankrupt_debt(&env.group, &who.account, &c, max, &keys)
}

/// S2-23: the fund covers a bankrupt account's SOL debt within SOL's cap ($150 here) before SOL's
/// depositors bear anything: a deliverer repays it with its own SOL and the fund pays the deliverer
/// in USDC at the liquidation rate (oracle plus the pair's fee). Once the cap is reached a further
/// delivery is refused and changes nothing, and `resolve_bankruptcy` writes off only the rest.
#[test]
fn s2_23_the_fund_covers_bad_debt_in_a_non_quote_asset_within_its_cap() {
    let (mut env, t, d) = sol_bad_debt();
    let admin = env.admin.insecure_clone();
    let cap = EditAssetParams { insurance_cap: Some(150_000_000), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, cap)], &[&admin]).unwrap();
    let debt0 = -balance(&mut env, &t, SOL);
    let (sol0, usdc0) = (env.token_balance(&d.token(SOL)), env.token_balance(&d.token(USDC)));
    let (value0, social0) = (env.group_state().insurance.value, env.asset_state(SOL).socialized_loss);
    let ix = cover_ix(&mut env, &t, &d, SOL, u64::MAX);
    let kd = d.kp.insecure_clone();
    env.send(&[ix], &[&kd]).unwrap();
    let delivered = sol0 - env.token_balance(&d.token(SOL));
    let paid = env.token_balance(&d.token(USDC)) - usdc0;
    println!("S2-23: debt {debt0} lamports, delivered {delivered}, fund paid {paid}");
    assert_eq!(value0 - env.group_state().insurance.value, paid, "the fund paid the deliverer");
    assert!(paid <= 150_000_000 && paid > 149_000_000, "up to the cap: {paid}");
    // $200 per SOL plus the fee: more than $200 and at most $200 × 1.2 per SOL delivered.
    let per_sol = paid as f64 / (delivered as f64 / 1e9);
    assert!(per_sol > 200e6 && per_sol <= 240e6, "{per_sol}");
    let repaid = debt0 + balance(&mut env, &t, SOL);
    assert!((repaid - Fx::from_num(delivered)).abs() <= Fx::ONE, "the delivery repaid the debt: {repaid}");
    assert_eq!(env.asset_state(SOL).socialized_loss, social0, "SOL depositors bore nothing yet");
    // The cap is reached: refused, nothing changes.
    let ix = cover_ix(&mut env, &t, &d, SOL, u64::MAX);
    env.assert_fails_nsc(&[ix], &[&kd], BallastError::InsuranceFundEmpty);
    // Quote debts are the fund's in resolve_bankruptcy.
    let ix = cover_ix(&mut env, &t, &d, USDC, u64::MAX);
    env.assert_fails_nsc(&[ix], &[&kd], BallastError::QuoteDebtNotCovered);
    // The rest is written off against SOL's depositors.
    let left = -balance(&mut env, &t, SOL);
    let ix = resolve_ix(&mut env, &t, SOL, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    let social = env.asset_state(SOL).socialized_loss - social0;
    assert!(Fx::from_num(social) >= left.floor() && Fx::from_num(social) <= left.ceil(), "{social} vs {left}");
    assert!(balance(&mut env, &t, SOL) >= Fx::ZERO);
}

/// S2-23: a solvent account's debt cannot be bought by the fund: the bankruptcy predicate holds for
/// deliveries too (its collateral is still there to liquidate); nothing changes.
#[test]
fn s2_23_the_fund_does_not_cover_a_solvent_account() {
    let (mut env, t, d) = sol_bad_debt();
    let other = env.user(9);
    env.fund_and_deposit(&other, USDC, 10_000_000_000);
    env.borrow(&other, SOL, 1_000_000_000).unwrap();
    let ix = cover_ix(&mut env, &other, &d, SOL, u64::MAX);
    let kd = d.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kd], BallastError::HasLiquidatablePositions);
    let _ = t;
}

// ---- S2-14, S2-16 ----

/// S2-14: a perp lot of 2^47 native units or more overflowed `Price` and wrapped in release builds,
/// giving a garbage fill price. The fill price is now computed with checked conversions: a trade in
/// a market of 1e15-lamport lots fails with MathOverflow and changes nothing, in every build.
#[test]
fn s2_14_a_lot_beyond_the_price_range_fails_instead_of_wrapping() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    let lot: u64 = 1_000_000_000_000_000; // 1e6 SOL a lot: beyond Price's 47 integer bits
    let m =
        ballast_sdk::perp::set_perp_market(&env.group, &admin.pubkey(), SOL, ballast_sdk::scenario::perp_params(lot));
    env.send(&[m], &[&admin]).unwrap();
    let (a, b) = (env.user(1), env.user(2));
    env.fund_and_deposit(&a, USDC, 1_000_000_000_000);
    env.fund_and_deposit(&b, USDC, 1_000_000_000_000);
    let party = |env: &mut Env, u: &User| ballast_sdk::perp::TradeParty {
        account: u.account,
        authority: u.kp.pubkey(),
        health: env.health_keys_with(&u.account, &[SOL, USDC]),
    };
    let (pa, pb) = (party(&mut env, &a), party(&mut env, &b));
    // $100 per SOL: 1e8 USD (1e14 quote native) a lot.
    let ix = ballast_sdk::perp::block_trade(&env.group, SOL, USDC, &pa, &pb, 1, 100_000_000_000_000);
    let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::MathOverflow);
}

/// S2-16: over RPC every transaction asks for the full 1.4M compute units (appended after the
/// instructions, so instruction-relative indexes hold); and the keeper passes an asset's fallback
/// oracle when its primary is unusable. Here SOL's primary goes stale after the borrower became
/// liquidatable: a liquidation with the primary alone fails with OracleStale, the keeper
/// liquidates through the configured fallback without a single refused transaction.
#[test]
fn s2_16_the_keeper_liquidates_through_a_fallback_oracle_and_rpc_asks_for_the_full_budget() {
    use ballast_sdk::oracle_accounts::{OracleQuote, PYTH_STATUS_TRADING};
    use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
    let budget = ballast_sdk::transport::compute_budget_ixs(0);
    assert_eq!(budget, vec![Cb::set_compute_unit_limit(1_400_000)]);
    assert_eq!(ballast_sdk::transport::compute_budget_ixs(7)[1], Cb::set_compute_unit_price(7));
    let (mut env, liqor, liqee) = setup(50_000_000, 3_190_000);
    let fallback = solana_sdk::pubkey::Pubkey::new_unique();
    let now = env.now();
    env.set_legacy(&fallback, OracleQuote::from_decimal(100.0, 10, now), PYTH_STATUS_TRADING, now);
    let admin = env.admin.insecure_clone();
    let cfg = Env::oracle_config(OracleKind::PythLegacy, fallback, [0; 32]);
    let edit = EditAssetParams { fallback_oracle: Some(cfg), ..Default::default() };
    let mut ixs = ix::claim_feeds(&env.group, &env.payer.pubkey(), &[fallback.to_bytes()]);
    ixs.push(ix::edit_asset(&env.group, &admin.pubkey(), SOL, edit));
    env.send(&ixs, &[&admin]).unwrap();
    advance(&mut env, 3_600, &[(USDC, 1.0), (SOL, 30.0)]);
    // The primary goes stale; the fallback publishes the same price.
    let t = env.now() + 61;
    env.set_time(t);
    env.set_price(USDC, 1.0);
    env.set_legacy(&fallback, OracleQuote::from_decimal(30.0, 10, t), PYTH_STATUS_TRADING, t);
    let ix = liq_ix(&mut env, &liqor, &liqee, SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::OracleStale);
    let r = keeper(&env, &liqor).run(&mut env.bank, 5).unwrap();
    assert!(r.liquidations >= 1, "{r:?}");
    assert!(r.refused.is_empty(), "nothing refused: {r:?}");
}
