//! Governance: roles, the timelock with on-chain proposals, and what the guardian may do.
//! Catalogue AG-01, AG-03, AG-04, AG-05, AG-06 and the acceptance burst of issue 13.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::error::BallastError;
use ballast::governance::{GovChange, RolesParams};
use ballast::instructions::EditAssetParams;
use ballast::state::*;
use ballast_sdk::transport::Transport;
use ballast_sdk::{ix, pda};
use solana_sdk::signature::{Keypair, Signer};

/// The timelock of these tests: one day.
const TIMELOCK: u64 = 86_400;

fn propose(env: &mut Env, target: Option<u16>, change: GovChange) -> u64 {
    env.propose(target, change)
}

fn execute_ix(env: &Env, num: u64, target: Option<u16>, change: &GovChange) -> Instruction {
    ix::execute_change(&env.group, num, target, change)
}

fn hand_over(env: &mut Env, guardian: &Pubkey, fee_recipient: &Pubkey, timelock_secs: u64) {
    env.hand_over(guardian, fee_recipient, timelock_secs)
}

/// USDC ($1) and SOL ($150) listed in a setup group, a lender with 1,000,000 USDC, then the group
/// handed over to a guardian and a treasury with a one-day timelock.
fn setup() -> (Env, User, Keypair, Keypair) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let lender = env.user(0);
    env.fund_and_deposit(&lender, 0, 1_000_000_000_000);
    let (guardian, treasury) = (Keypair::new(), Keypair::new());
    hand_over(&mut env, &guardian.pubkey(), &treasury.pubkey(), TIMELOCK);
    (env, lender, guardian, treasury)
}

fn edit_ix(
    env: &Env,
    signer: &Pubkey,
    asset: u16,
    p: EditAssetParams,
) -> anchor_lang::solana_program::instruction::Instruction {
    ix::edit_asset(&env.group, signer, asset, p)
}

/// Every vault's token balance.
fn vault_balances(env: &mut Env) -> Vec<u64> {
    let vaults: Vec<Pubkey> = env.assets.iter().map(|a| pda::vault(&pda::asset(&env.group, a.index).0).0).collect();
    vaults.iter().map(|v| env.token_balance(v)).collect()
}

/// Refreshes every oracle at the current time (after a clock jump).
fn fresh_prices(env: &mut Env, prices: &[f64]) {
    for (i, p) in prices.iter().enumerate() {
        env.set_price(i as u16, *p);
    }
}

#[test]
fn a_compromised_admin_burst_moves_nothing_before_the_timelock_and_the_guardian_cancels() {
    let (mut env, lender, guardian, _treasury) = setup();
    let admin = env.admin.insecure_clone();
    let adm = env.user_with(admin.insecure_clone(), 7);
    // The guardian turns on a withdrawal limit on USDC (risk-reducing: applies at once).
    let limit = OutflowLimitConfig { floor: 0, window_secs: 3_600, limit_bps: 100, reserved: 0 };
    let g = guardian.insecure_clone();
    env.send(
        &[edit_ix(&env, &g.pubkey(), 0, EditAssetParams { withdraw_limit: Some(limit), ..Default::default() })],
        &[&g],
    )
    .unwrap();
    let vaults_before = vault_balances(&mut env);
    let lender_before = env.snapshot(&[lender.account]);
    let (usdc_before, sol_before) = (env.asset_state(0), env.asset_state(1));

    // 1. Lists a self-minted token priced at $1,000 with collateral value: refused.
    let scam_mint = env.create_mint(6, spl(), false);
    let r = env.list_mint(scam_mint, 6, 1_000.0, OracleKind::PythPull, spl(), |_| {});
    assert_code(r.map(|_| ()), BallastError::TimelockRequired);
    assert!(env.bank.get_account(&pda::asset(&env.group, 2).0).unwrap().is_none(), "nothing listed");
    // Listed inert (deposits disabled, not borrowable) it applies at once, and holds nothing.
    let scam = env
        .list_mint(scam_mint, 6, 1_000.0, OracleKind::PythPull, spl(), |p| {
            p.flags = (p.flags | ASSET_FLAG_DEPOSITS_DISABLED) & !ASSET_FLAG_BORROWABLE
        })
        .unwrap();
    let adm_scam = env.token_account(&scam.mint, &admin.pubkey(), &spl());
    env.mint_to(&scam.mint, &spl(), &adm_scam, 1_000_000_000);
    let deposit = |env: &Env| {
        let t = ix::TokenIxAccounts {
            group: env.group,
            account: adm.account,
            asset_index: 2,
            mint: scam.mint,
            token_program: spl(),
            user_token: adm_scam,
        };
        ix::deposit(&t, &admin.pubkey(), 1_000_000_000)
    };
    env.assert_fails_nsc(&[deposit(&env)], &[&admin], BallastError::DepositsDisabled);

    // 2. Changes SOL's oracle to a feed of its own (the token's feed is refused outright: a
    // cross-asset source without a depeg shock, OR-12), 3. raises SOL's weight, 4. removes the
    // USDC withdrawal limit: each refused, nothing changes.
    let mut sol_oracle = sol_before.oracle;
    (sol_oracle.address, sol_oracle.feed_id) = (Pubkey::new_unique(), [77; 32]);
    env.send(&ix::claim_feeds(&env.group, &env.payer.pubkey(), &[[77; 32]]), &[]).unwrap();
    let mut scam_feed = sol_oracle;
    (scam_feed.address, scam_feed.feed_id) = (scam.oracle, scam.feed_id);
    let num = env.group_state().num_proposals;
    let change = GovChange::edit(EditAssetParams { oracle: Some(scam_feed), ..Default::default() });
    let ix = ix::propose_change(&env.group, &admin.pubkey(), &env.payer.pubkey(), num, Some(1), change);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::CrossAssetOracle);
    let oracle_change = EditAssetParams { oracle: Some(sol_oracle), ..Default::default() };
    let weight_change =
        EditAssetParams { risk: Some(RiskConfig { init_down_bps: 1_000, ..sol_before.risk }), ..Default::default() };
    let unlimit =
        EditAssetParams { withdraw_limit: Some(OutflowLimitConfig { limit_bps: 0, ..limit }), ..Default::default() };
    for (asset, p) in [(1, oracle_change.clone()), (1, weight_change.clone()), (0, unlimit.clone())] {
        env.assert_fails_nsc(&[edit_ix(&env, &admin.pubkey(), asset, p)], &[&admin], BallastError::TimelockRequired);
    }
    // 5. Withdraws: protocol fees only to the fee recipient, and the admin's account borrows
    // nothing (it holds nothing of value).
    let adm_usdc = adm.token(0);
    let fees = ix::withdraw_fees(&env.group, &admin.pubkey(), 0, &env.assets[0].mint, &spl(), &adm_usdc, 1);
    env.assert_fails_nsc(&[fees], &[&admin], BallastError::Unauthorized);
    let borrow = env.borrow_ix(&adm, 0, 1_000_000);
    env.assert_fails_nsc(&[borrow], &[&admin], BallastError::HealthMustBePositive);

    // The admin queues all of it instead.
    let activate = GovChange::edit(EditAssetParams { flags: Some(ASSET_FLAG_BORROWABLE), ..Default::default() });
    let p_activate = propose(&mut env, Some(2), activate.clone());
    let p_oracle = propose(&mut env, Some(1), GovChange::edit(oracle_change.clone()));
    let p_weight = propose(&mut env, Some(1), GovChange::edit(weight_change.clone()));
    let p_unlimit = propose(&mut env, Some(0), GovChange::edit(unlimit.clone()));
    let roles = GovChange::SetRoles(RolesParams {
        admin: admin.pubkey(),
        guardian: guardian.pubkey(),
        listing_admin: Pubkey::default(),
        fee_recipient: admin.pubkey(),
        timelock_secs: TIMELOCK,
    });
    let p_roles = propose(&mut env, None, roles.clone());

    // Before the timelock nothing executes, no deposit of the token, no borrow against anything.
    env.set_time(T0 + TIMELOCK as i64 - 1);
    fresh_prices(&mut env, &[1.0, 150.0, 1_000.0]);
    let ix = execute_ix(&env, p_activate, Some(2), &activate);
    env.assert_fails_nsc(&[ix], &[], BallastError::ProposalNotReady);
    env.assert_fails_nsc(&[deposit(&env)], &[&admin], BallastError::DepositsDisabled);
    let borrow = env.borrow_ix(&adm, 0, 1_000_000);
    env.assert_fails_nsc(&[borrow], &[&admin], BallastError::HealthMustBePositive);
    assert_eq!(vault_balances(&mut env)[..2], vaults_before[..], "no user fund moved");
    assert_eq!(env.snapshot(&[lender.account]), lender_before);
    let (usdc_now, sol_now) = (env.asset_state(0), env.asset_state(1));
    assert_eq!((sol_now.oracle, sol_now.risk), (sol_before.oracle, sol_before.risk));
    assert_eq!(usdc_now.outflow_limit, limit);
    assert_eq!(usdc_now.risk, usdc_before.risk);

    // The guardian cancels the oracle change during the delay; a stranger cannot cancel.
    let rando = Keypair::new();
    let ix = ix::cancel_change(&env.group, &rando.pubkey(), p_weight);
    env.assert_fails_nsc(&[ix], &[&rando], BallastError::Unauthorized);
    env.send(&[ix::cancel_change(&env.group, &guardian.pubkey(), p_oracle)], &[&guardian]).unwrap();

    // After the timelock anyone executes the rest, and the actions work as proposed.
    env.set_time(T0 + TIMELOCK as i64 + 10);
    fresh_prices(&mut env, &[1.0, 150.0, 1_000.0]);
    let ix = execute_ix(&env, p_oracle, Some(1), &GovChange::edit(oracle_change));
    env.assert_fails_nsc(&[ix], &[], BallastError::ProposalNotQueued);
    for (num, target, change) in [
        (p_activate, Some(2), activate.clone()),
        (p_weight, Some(1), GovChange::edit(weight_change)),
        (p_unlimit, Some(0), GovChange::edit(unlimit)),
        (p_roles, None, roles),
    ] {
        let ix = execute_ix(&env, num, target, &change);
        env.send(&[ix], &[]).unwrap();
        let ix = execute_ix(&env, num, target, &change);
        env.assert_fails_nsc(&[ix], &[], BallastError::ProposalNotQueued);
    }
    let sol = env.asset_state(1);
    assert_eq!(sol.oracle, sol_before.oracle, "the cancelled oracle change never applied");
    assert_eq!(sol.risk.init_down_bps, 1_000);
    assert_eq!(env.asset_state(0).outflow_limit.limit_bps, 0);
    assert_eq!(env.group_state().fee_recipient, admin.pubkey());
    // The token now takes deposits and lends against them: $1,000,000 at 80% / 1.25.
    env.send(&[deposit(&env)], &[&admin]).unwrap();
    env.borrow(&adm, 0, 600_000_000_000).unwrap();
    assert_eq!(env.token_balance(&adm_usdc), 600_000_000_000);
}

#[test]
fn ag_01_a_random_signer_changes_nothing_and_roles_stay_governed() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    let rando = Keypair::new();
    let r = rando.pubkey();
    let group = env.group;
    let cap = EditAssetParams { deposit_cap: Some(1), ..Default::default() };
    let perp = ballast_sdk::scenario::perp_params(1_000_000);
    let num = env.group_state().num_proposals;
    let attacks = [
        edit_ix(&env, &r, 1, cap.clone()),
        ballast_sdk::perp::set_perp_market(&group, &r, 1, perp),
        ix::propose_change(&group, &r, &env.payer.pubkey(), num, Some(1), GovChange::edit(cap.clone())),
    ];
    for a in attacks {
        env.assert_fails_nsc(&[a], &[&rando], BallastError::Unauthorized);
    }
    // Nor may it cancel a queued change.
    let queued = propose(&mut env, Some(1), GovChange::edit(cap));
    env.assert_fails_nsc(&[ix::cancel_change(&group, &r, queued)], &[&rando], BallastError::Unauthorized);
    // Nor may the admin turn a governed group back into a setup group, or drop the guardian.
    let admin = env.admin.insecure_clone();
    let g = env.group_state();
    let roles = RolesParams {
        admin: admin.pubkey(),
        guardian: g.guardian,
        listing_admin: Pubkey::default(),
        fee_recipient: g.fee_recipient,
        timelock_secs: TIMELOCK,
    };
    let num = g.num_proposals;
    for bad in [
        RolesParams { timelock_secs: 0, ..roles },
        RolesParams { timelock_secs: ballast::governance::MIN_GOVERNED_TIMELOCK_SECS - 1, ..roles },
        RolesParams { guardian: Pubkey::default(), ..roles },
    ] {
        let ix = ix::propose_change(&group, &admin.pubkey(), &env.payer.pubkey(), num, None, GovChange::SetRoles(bad));
        env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    }
}

#[test]
fn ag_03_a_new_listing_holds_nothing_until_its_queued_activation() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    // Borrowable, or taking deposits (even at no value: dust would count in bankruptcy), or
    // joining another asset's risk group (it would fix that leader's shocks): refused.
    for tweak in [
        (|p: &mut ballast::instructions::ListAssetParams| {
            p.flags = ASSET_FLAG_DEPOSITS_DISABLED | ASSET_FLAG_BORROWABLE
        }) as fn(&mut _),
        |p| p.flags = 0,
        |p| {
            p.flags = 0;
            p.risk.init_down_bps = 10_000;
            p.risk.maint_down_bps = 10_000;
        },
        |p| {
            p.flags = ASSET_FLAG_DEPOSITS_DISABLED;
            p.risk.risk_group = 1;
        },
    ] {
        let r = env.list_with(6, 10.0, OracleKind::PythPull, spl(), tweak);
        assert_code(r.map(|_| ()), BallastError::TimelockRequired);
        assert!(env.bank.get_account(&pda::asset(&env.group, 2).0).unwrap().is_none());
    }
    // Inert: listed at once, and nobody can hold it.
    let a = env.list_with(6, 10.0, OracleKind::PythPull, spl(), |p| p.flags = ASSET_FLAG_DEPOSITS_DISABLED).unwrap();
    let u = env.user(3);
    let t = a.mint;
    env.mint_to(&t, &spl(), &u.token(a.index), 1_000_000_000);
    let kp = u.kp.insecure_clone();
    let dep = ix::deposit(&env.token_ix(&u, a.index), &u.kp.pubkey(), 1_000_000_000);
    env.assert_fails_nsc(&[dep], &[&kp], BallastError::DepositsDisabled);
    // Its activation is queued; after the timelock the same deposit lends.
    let change = GovChange::edit(EditAssetParams { flags: Some(0), ..Default::default() });
    let num = propose(&mut env, Some(a.index), change.clone());
    env.set_time(T0 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0, 10.0]);
    env.send(&[execute_ix(&env, num, Some(a.index), &change)], &[]).unwrap();
    env.deposit(&u, a.index, 1_000_000_000).unwrap();
    env.borrow(&u, 0, 1_000_000).unwrap();
}

#[test]
fn ag_04_a_pending_change_leaves_user_actions_on_the_old_parameters() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    let u = env.user(3);
    env.fund_and_deposit(&u, 1, 10_000_000_000); // 10 SOL = $1,500
    let sol = env.asset_state(1);
    // Init capacity $1,500 x 0.8 / 1.25 = $960; with a 10% shock $1,080.
    let raise = GovChange::edit(EditAssetParams {
        risk: Some(RiskConfig { init_down_bps: 1_000, ..sol.risk }),
        ..Default::default()
    });
    let num = propose(&mut env, Some(1), raise.clone());
    let kp = u.kp.insecure_clone();
    for t in [T0, T0 + 3_600, T0 + TIMELOCK as i64 - 1] {
        env.set_time(t);
        fresh_prices(&mut env, &[1.0, 150.0]);
        let borrow = env.borrow_ix(&u, 0, 1_000_000_000);
        env.assert_fails_nsc(&[borrow], &[&kp], BallastError::HealthMustBePositive);
        env.assert_fails_nsc(&[execute_ix(&env, num, Some(1), &raise)], &[], BallastError::ProposalNotReady);
        assert_eq!(env.asset_state(1).risk, sol.risk);
    }
    env.borrow(&u, 0, 950_000_000).unwrap();
    env.set_time(T0 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    env.send(&[execute_ix(&env, num, Some(1), &raise)], &[]).unwrap();
    env.borrow(&u, 0, 100_000_000).unwrap();
}

#[test]
fn ag_05_the_guardian_may_only_reduce_risk() {
    let (mut env, _lender, guardian, _treasury) = setup();
    let g = guardian.insecure_clone();
    let gk = g.pubkey();
    let admin = env.admin.insecure_clone();
    // Disabling withdrawals, deposits and borrowing, lowering a cap, raising shocks: at once.
    let sol = env.asset_state(1);
    let reduce = [
        EditAssetParams {
            flags: Some(ASSET_FLAG_WITHDRAWALS_DISABLED | ASSET_FLAG_DEPOSITS_DISABLED),
            ..Default::default()
        },
        EditAssetParams { deposit_cap: Some(1_000), ..Default::default() },
        EditAssetParams {
            risk: Some(RiskConfig { init_down_bps: 3_000, maint_down_bps: 1_500, ..sol.risk }),
            ..Default::default()
        },
    ];
    for p in reduce {
        env.send(&[edit_ix(&env, &gk, 1, p)], &[&g]).unwrap();
    }
    let now = env.asset_state(1);
    assert_eq!(now.flags, ASSET_FLAG_WITHDRAWALS_DISABLED | ASSET_FLAG_DEPOSITS_DISABLED);
    assert_eq!((now.bank.deposit_cap, now.risk.init_down_bps), (1_000, 3_000));
    // Re-enabling, raising a cap, lowering a shock, changing an oracle, interest or the
    // insurance cap: refused for the guardian, nothing changes.
    let increase = [
        EditAssetParams { flags: Some(ASSET_FLAG_DEPOSITS_DISABLED), ..Default::default() },
        EditAssetParams {
            flags: Some(ASSET_FLAG_WITHDRAWALS_DISABLED | ASSET_FLAG_DEPOSITS_DISABLED | ASSET_FLAG_BORROWABLE),
            ..Default::default()
        },
        EditAssetParams { deposit_cap: Some(1_001), ..Default::default() },
        EditAssetParams { risk: Some(RiskConfig { init_down_bps: 2_999, ..now.risk }), ..Default::default() },
        EditAssetParams { risk: Some(RiskConfig { liquidation_fee_bps: 100, ..now.risk }), ..Default::default() },
        EditAssetParams { oracle: Some(OracleConfig { max_age_secs: 61, ..now.oracle }), ..Default::default() },
        EditAssetParams { interest: Some(InterestConfig { fee_bps: 1, ..now.interest }), ..Default::default() },
        EditAssetParams { insurance_cap: Some(now.insurance_cap ^ 1), ..Default::default() },
    ];
    for p in increase.clone() {
        env.assert_fails_nsc(&[edit_ix(&env, &gk, 1, p)], &[&g], BallastError::GuardianCannotIncreaseRisk);
    }
    // The admin may not either, at once: it must queue.
    for p in increase {
        env.assert_fails_nsc(&[edit_ix(&env, &admin.pubkey(), 1, p)], &[&admin], BallastError::TimelockRequired);
    }
    // Perp market: enabling it is queued (the guardian cannot); once enabled the guardian sets it
    // reduce-only and lowers the open-interest cap, and cannot clear reduce-only, raise the cap
    // or change a fee.
    let perp = ballast_sdk::scenario::perp_params(1_000_000);
    let enable = GovChange::SetPerpMarket(perp);
    let num = propose(&mut env, Some(1), enable.clone());
    let ix = ballast_sdk::perp::set_perp_market(&env.group, &gk, 1, perp);
    env.assert_fails_nsc(&[ix], &[&g], BallastError::GuardianCannotIncreaseRisk);
    env.set_time(T0 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    env.send(&[execute_ix(&env, num, Some(1), &enable)], &[]).unwrap();
    let reduce_only =
        PerpMarketParams { flags: PERP_FLAG_ENABLED | PERP_FLAG_REDUCE_ONLY, max_open_interest: 10, ..perp };
    env.send(&[ballast_sdk::perp::set_perp_market(&env.group, &gk, 1, reduce_only)], &[&g]).unwrap();
    for p in [
        perp,
        PerpMarketParams { max_open_interest: 11, ..reduce_only },
        PerpMarketParams { taker_fee_bps: 1, ..reduce_only },
    ] {
        let ix = ballast_sdk::perp::set_perp_market(&env.group, &gk, 1, p);
        env.assert_fails_nsc(&[ix], &[&g], BallastError::GuardianCannotIncreaseRisk);
    }
    // The guardian cannot queue changes, set the liquidation configuration, or withdraw fees.
    let num = env.group_state().num_proposals;
    let ix = ix::propose_change(&env.group, &gk, &gk, num, Some(1), GovChange::edit(EditAssetParams::default()));
    env.assert_fails_nsc(&[ix], &[&g], BallastError::Unauthorized);
    let mut liq = ballast::instructions::LiquidationConfigParams::of(&env.group_state());
    liq.fee_ramp_cap_bps = 0;
    let ix = ix::set_liquidation_config(&env.group, &gk, liq);
    env.assert_fails_nsc(&[ix], &[&g], BallastError::GuardianCannotIncreaseRisk);
    let dest = env.token_account(&env.assets[1].mint.clone(), &gk, &spl());
    let ix = ix::withdraw_fees(&env.group, &gk, 1, &env.assets[1].mint, &spl(), &dest, 1);
    env.assert_fails_nsc(&[ix], &[&g], anchor_lang::error::ErrorCode::ConstraintHasOne);
}

#[test]
fn ag_06_invalid_parameters_are_refused_when_queued_and_when_executed() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    let admin = env.admin.insecure_clone();
    let sol = env.asset_state(1);
    let num = env.group_state().num_proposals;
    let invalid = [
        (
            Some(1),
            GovChange::edit(EditAssetParams {
                risk: Some(RiskConfig { maint_down_bps: 2_500, ..sol.risk }),
                ..Default::default()
            }),
        ),
        (
            Some(1),
            GovChange::edit(EditAssetParams {
                oracle: Some(OracleConfig { max_age_secs: 0, ..sol.oracle }),
                ..Default::default()
            }),
        ),
        (
            Some(1),
            GovChange::edit(EditAssetParams {
                oracle: Some(OracleConfig { max_conf_bps: 10_000, ..sol.oracle }),
                ..Default::default()
            }),
        ),
        (
            Some(1),
            GovChange::SetPerpMarket(PerpMarketParams {
                price_band_bps: 5_000,
                ..ballast_sdk::scenario::perp_params(1)
            }),
        ),
        (
            None,
            GovChange::SetRoles(RolesParams {
                admin: Pubkey::default(),
                guardian: Pubkey::default(),
                listing_admin: Pubkey::default(),
                fee_recipient: admin.pubkey(),
                timelock_secs: 1,
            }),
        ),
        (
            None,
            GovChange::SetRoles(RolesParams {
                admin: admin.pubkey(),
                guardian: Pubkey::default(),
                listing_admin: Pubkey::default(),
                fee_recipient: admin.pubkey(),
                timelock_secs: 31 * 86_400,
            }),
        ),
    ];
    for (target, change) in invalid {
        let ix = ix::propose_change(&env.group, &admin.pubkey(), &env.payer.pubkey(), num, target, change);
        env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    }
    // Valid when queued, invalid when executed: a perp market with a 5% band, valid while SOL's
    // maint shocks are 10% and 12.5%, after a queued edit lowering them to 4% executes first (the
    // band may not exceed the maint shocks). Execution applies the same transition, which would
    // refuse it; the edit changed SOL, so the proposal is refused as stale before that, and
    // stays queued; the market stays off.
    let lower = GovChange::edit(EditAssetParams {
        risk: Some(RiskConfig { maint_down_bps: 400, maint_up_bps: 400, ..sol.risk }),
        ..Default::default()
    });
    let perp = GovChange::SetPerpMarket(ballast_sdk::scenario::perp_params(1_000_000));
    let (a, b) = (propose(&mut env, Some(1), lower.clone()), propose(&mut env, Some(1), perp.clone()));
    env.set_time(T0 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    env.send(&[execute_ix(&env, a, Some(1), &lower)], &[]).unwrap();
    env.assert_fails_nsc(&[execute_ix(&env, b, Some(1), &perp)], &[], BallastError::ProposalStale);
    // Queued again on the new state, it is refused at once.
    let num = env.group_state().num_proposals;
    let ix = ix::propose_change(&env.group, &admin.pubkey(), &env.payer.pubkey(), num, Some(1), perp);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    assert_eq!(env.asset_state(1).perp.base_lot_size, 0);
}

#[test]
fn a_proposal_executes_only_on_its_target_and_within_its_grace_period() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    let change = GovChange::edit(EditAssetParams { deposit_cap: Some(u64::MAX - 1), ..Default::default() });
    let num = propose(&mut env, Some(1), change.clone());
    let p = ballast_sdk::decode::proposal(&env.bank.get_account(&pda::proposal(&env.group, num).0).unwrap().unwrap())
        .unwrap();
    assert_eq!((p.state, p.eta, p.target), (PROPOSAL_QUEUED, T0 + TIMELOCK as i64, pda::asset(&env.group, 1).0));
    assert_eq!(ballast_sdk::decode::proposal_change(&p).unwrap(), change);
    env.set_time(T0 + TIMELOCK as i64);
    // Another asset as the target, or none: refused.
    env.assert_fails_nsc(&[execute_ix(&env, num, Some(0), &change)], &[], BallastError::ProposalMismatch);
    env.assert_fails_nsc(&[execute_ix(&env, num, None, &change)], &[], BallastError::ProposalMismatch);
    // Past the grace period: expired, nothing applied.
    env.set_time(T0 + TIMELOCK as i64 + ballast::constants::PROPOSAL_GRACE_SECS);
    env.assert_fails_nsc(&[execute_ix(&env, num, Some(1), &change)], &[], BallastError::ProposalExpired);
    assert_eq!(env.asset_state(1).bank.deposit_cap, u64::MAX);
}

#[test]
fn ag_02_an_attackers_group_cannot_change_the_real_assets() {
    let (mut env, _lender, _guardian, _treasury) = setup();
    let (attacker, g2) = env.foreign_group();
    let payer = env.payer.pubkey();
    let real = pda::asset(&env.group, 1).0;
    let cap = EditAssetParams { deposit_cap: Some(u64::MAX - 1), ..Default::default() };
    // Its own group (it is the admin there, no timelock) with the real Asset account.
    let edit = swap_account(ix::edit_asset(&g2, &attacker.pubkey(), 1, cap.clone()), &pda::asset(&g2, 1).0, &real);
    env.assert_fails_nsc(&[edit], &[&attacker], anchor_lang::error::ErrorCode::ConstraintHasOne);
    let perp = ballast_sdk::scenario::perp_params(1_000_000);
    let set = swap_account(
        ballast_sdk::perp::set_perp_market(&g2, &attacker.pubkey(), 1, perp),
        &pda::asset(&g2, 1).0,
        &real,
    );
    env.assert_fails_nsc(&[set], &[&attacker], anchor_lang::error::ErrorCode::ConstraintHasOne);
    // Nor through a proposal of its group naming the real Asset.
    let propose = swap_account(
        ix::propose_change(&g2, &attacker.pubkey(), &payer, 0, Some(1), GovChange::edit(cap)),
        &pda::asset(&g2, 1).0,
        &real,
    );
    env.assert_fails_nsc(&[propose], &[&attacker], BallastError::ProposalMismatch);
}

#[test]
fn a_queued_change_never_undoes_a_later_one() {
    let (mut env, _lender, guardian, _treasury) = setup();
    let g = guardian.insecure_clone();
    // Queued: SOL's flags as they are (a harmless-looking restatement) and SOL's perp market.
    let sol = env.asset_state(1);
    let restate = GovChange::edit(EditAssetParams { flags: Some(sol.flags), ..Default::default() });
    let p_restate = propose(&mut env, Some(1), restate.clone());
    let perp = GovChange::SetPerpMarket(ballast_sdk::scenario::perp_params(1_000_000));
    let p_perp = propose(&mut env, Some(1), perp.clone());
    let usdc_cap = GovChange::edit(EditAssetParams { deposit_cap: Some(u64::MAX - 1), ..Default::default() });
    let p_usdc = propose(&mut env, Some(0), usdc_cap.clone());
    // Then the guardian disables SOL withdrawals.
    let off = EditAssetParams { flags: Some(sol.flags | ASSET_FLAG_WITHDRAWALS_DISABLED), ..Default::default() };
    env.send(&[edit_ix(&env, &g.pubkey(), 1, off)], &[&g]).unwrap();
    // The restatement would re-enable them: stale, nothing changes, it stays queued. Any queued
    // change of SOL is stale (the asset's configuration count moved); USDC's is not.
    env.set_time(T0 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    env.assert_fails_nsc(&[execute_ix(&env, p_restate, Some(1), &restate)], &[], BallastError::ProposalStale);
    env.assert_fails_nsc(&[execute_ix(&env, p_perp, Some(1), &perp)], &[], BallastError::ProposalStale);
    assert_ne!(env.asset_state(1).flags & ASSET_FLAG_WITHDRAWALS_DISABLED, 0);
    env.send(&[execute_ix(&env, p_usdc, Some(0), &usdc_cap)], &[]).unwrap();
    // A value changed and changed back still counts as changed: two re-enables of the gate are
    // queued while withdrawals are gated; the first executes, the guardian gates again, and the
    // second, whose gate value matches again, is stale.
    let w = 1u64 << (ballast::gate::Ix::Withdraw as u8);
    env.send(&[ix::set_ix_gate(&env.group, &g.pubkey(), w)], &[&g]).unwrap();
    let open = GovChange::SetIxGate(0);
    let (a, b) = (propose(&mut env, None, open.clone()), propose(&mut env, None, open.clone()));
    env.set_time(T0 + 2 * TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    env.send(&[execute_ix(&env, a, None, &open)], &[]).unwrap();
    env.send(&[ix::set_ix_gate(&env.group, &g.pubkey(), w)], &[&g]).unwrap();
    env.assert_fails_nsc(&[execute_ix(&env, b, None, &open)], &[], BallastError::ProposalStale);
    assert_eq!(env.group_state().ix_gate, w);
}

#[test]
fn protocol_value_goes_only_to_the_fee_recipient() {
    let (mut env, _lender, _guardian, treasury) = setup();
    env.create_fund();
    let admin = env.admin.insecure_clone();
    let q = env.assets[0].clone();
    let mine = env.token_account(&q.mint, &admin.pubkey(), &q.token_program);
    let f = env.fund();
    let to_admin = ballast_sdk::insurance::withdraw_protocol_insurance(f, &admin.pubkey(), &mine, 0);
    env.assert_fails_nsc(&[to_admin], &[&admin], BallastError::Unauthorized);
    let fees = ix::withdraw_fees(&env.group, &admin.pubkey(), 0, &q.mint, &q.token_program, &mine, 1);
    env.assert_fails_nsc(&[fees], &[&admin], BallastError::Unauthorized);
    assert_eq!(env.group_state().fee_recipient, treasury.pubkey());
}

/// Catalogue AG-09: every admin and guardian instruction, tried against a group whose users hold
/// deposits and borrows (risk-increasing ones queued and executed after the timelock), leaves
/// every user's positions and token accounts as they were; the vaults change only by the
/// protocol fees paid to the fee recipient. There is no admin path to a user's funds.
#[test]
fn ag_09_no_admin_or_guardian_instruction_moves_a_users_funds() {
    let (mut env, lender, guardian, treasury) = setup();
    // A SOL depositor and the lender borrowing 90% of it (interest, hence protocol fees, in SOL),
    // the depositor borrowing USDC.
    let borrower = env.user(4);
    env.fund_and_deposit(&borrower, 1, 10_000_000_000);
    env.borrow(&lender, 1, 9_000_000_000).unwrap();
    env.borrow(&borrower, 0, 100_000_000).unwrap();
    for h in 1..=3 {
        env.set_time(T0 + h * 3_600);
        fresh_prices(&mut env, &[1.0, 150.0]);
        for i in 0..2u16 {
            let oracle = env.assets[i as usize].oracle;
            env.send(&[ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
        }
    }
    let users = [&lender, &borrower];
    let positions = |env: &mut Env| -> Vec<_> {
        users
            .iter()
            .map(|u| {
                let a = env.margin_account(&u.account);
                (a.tokens.map(|t| (t.asset_index, t.indexed)), a.perps.map(|p| (p.asset_index, p.base_lots)))
            })
            .collect()
    };
    let tokens = |env: &mut Env| -> Vec<u64> {
        users.iter().flat_map(|u| u.tokens.clone()).map(|(_, k)| env.token_balance(&k)).collect()
    };
    let (p0, t0, v0) = (positions(&mut env), tokens(&mut env), vault_balances(&mut env));
    let admin = env.admin.insecure_clone();
    let (a, g) = (admin.pubkey(), guardian.pubkey());
    let group = env.group;
    let q = env.assets[1].clone();
    // Every direct admin and guardian instruction, with each signer (failures are fine: any attempt).
    env.create_fund();
    let to_treasury = env.token_account(&q.mint, &treasury.pubkey(), &q.token_program);
    let to_admin = env.token_account(&q.mint, &a, &q.token_program);
    let u = env.assets[0].clone();
    let usdc_treasury = env.token_account(&u.mint, &treasury.pubkey(), &u.token_program);
    let usdc_admin = env.token_account(&u.mint, &a, &u.token_program);
    let cap =
        EditAssetParams { deposit_cap: Some(1), flags: Some(ASSET_FLAG_WITHDRAWALS_DISABLED), ..Default::default() };
    let mut attempts = Vec::new();
    for (signer, kp) in [(a, &admin), (g, &guardian)] {
        for dest in [to_treasury, to_admin] {
            attempts.push((ix::withdraw_fees(&group, &signer, 1, &q.mint, &q.token_program, &dest, u64::MAX), kp));
        }
        for dest in [usdc_treasury, usdc_admin] {
            attempts
                .push((ballast_sdk::insurance::withdraw_protocol_insurance(env.fund(), &signer, &dest, u64::MAX), kp));
        }
        for asset in 0..2u16 {
            attempts.push((edit_ix(&env, &signer, asset, cap.clone()), kp));
        }
        attempts.push((
            ballast_sdk::perp::set_perp_market(&group, &signer, 1, ballast_sdk::scenario::perp_params(1_000_000)),
            kp,
        ));
        attempts.push((ix::set_ix_gate(&group, &signer, ballast::gate::GATEABLE_BITS), kp));
        attempts.push((ix::panic_pause(&group, &signer), kp));
        for u in users {
            attempts.push((ix::freeze_account(&group, &signer, &u.account, true), kp));
        }
    }
    let mut fees_paid = 0;
    for (ix, kp) in attempts {
        let before = env.token_balance(&to_treasury);
        let _ = env.send(&[ix], &[kp]);
        fees_paid += env.token_balance(&to_treasury) - before;
    }
    // Queued changes, executed after the timelock: roles (fee recipient to the admin), the gate
    // reopened, accounts unfrozen.
    let roles = GovChange::SetRoles(RolesParams {
        admin: a,
        guardian: g,
        listing_admin: Pubkey::default(),
        fee_recipient: a,
        timelock_secs: TIMELOCK,
    });
    let queued = [propose(&mut env, None, roles.clone()), propose(&mut env, None, GovChange::SetIxGate(0))];
    env.set_time(T0 + 3 * 3_600 + TIMELOCK as i64);
    fresh_prices(&mut env, &[1.0, 150.0]);
    let _ = env.send(&[execute_ix(&env, queued[0], None, &roles)], &[]);
    let _ = env.send(&[execute_ix(&env, queued[1], None, &GovChange::SetIxGate(0))], &[]);
    let _ = env.send(&[ix::withdraw_fees(&group, &a, 1, &q.mint, &q.token_program, &to_admin, u64::MAX)], &[&admin]);
    let admin_paid = env.token_balance(&to_admin);
    assert!(fees_paid > 0, "the protocol's fees were paid (to the fee recipient only)");
    assert_eq!(positions(&mut env), p0, "no user position changed");
    assert_eq!(tokens(&mut env), t0, "no user token account changed");
    let v1 = vault_balances(&mut env);
    assert_eq!(v0[1] - v1[1], fees_paid + admin_paid, "the SOL vault paid protocol fees only");
    assert_eq!(v0[0], v1[0], "the USDC vault paid nothing");
}
