//! Oracle validation through withdraw (health-dependent) and deposit (price-free), both Pyth
//! formats. Catalogue OR-01 … OR-07.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use ballast::error::BallastError;
use ballast::state::OracleKind;
use ballast_sdk::oracle_accounts::{pyth_pull, OracleQuote, PYTH_STATUS_HALTED, PYTH_STATUS_TRADING};
use ballast_sdk::transport::Transport;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::signature::Signer;

/// USDC (pull) and SOL (kind) listed, a user with deposits in both.
fn setup(kind: OracleKind) -> (Env, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, kind);
    let u = env.user(0);
    env.fund_and_deposit(&u, 0, 1_000_000_000);
    env.fund_and_deposit(&u, 1, 10_000_000_000);
    (env, u)
}

fn attempt_withdraw(env: &mut Env, u: &User, code: BallastError) {
    let ix = env.withdraw_ix(u, 0, 1_000);
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], code);
}

#[test]
fn or_01_stale_price_blocks_withdraw_not_deposit() {
    for kind in [OracleKind::PythPull, OracleKind::PythLegacy] {
        let (mut env, u) = setup(kind);
        env.set_time(T0 + 61); // both oracles published at T0, max age 60
        env.set_price(0, 1.0); // USDC fresh, SOL stale
        attempt_withdraw(&mut env, &u, BallastError::OracleStale);
        // Deposits never need a price.
        let a = env.assets[1].clone();
        env.mint_to(&a.mint, &a.token_program, &u.token(1), 5);
        env.deposit(&u, 1, 5).unwrap();
    }
}

#[test]
fn or_02_unconfident_price_is_rejected() {
    for kind in [OracleKind::PythPull, OracleKind::PythLegacy] {
        let (mut env, u) = setup(kind);
        let a = env.assets[1].clone();
        let q = OracleQuote::from_decimal(150.0, 600, T0); // 6% > 5% limit
        match kind {
            OracleKind::PythLegacy => env.set_legacy(&a.oracle, q, PYTH_STATUS_TRADING, T0),
            _ => env.set_pull(&a.oracle, a.feed_id, q, VerificationLevel::Full),
        }
        attempt_withdraw(&mut env, &u, BallastError::OracleConfidence);
    }
}

#[test]
fn or_03_legacy_not_trading_is_treated_as_stale() {
    let (mut env, u) = setup(OracleKind::PythLegacy);
    let a = env.assets[1].clone();
    env.set_time(T0 + 30);
    env.set_price(0, 1.0);
    // Aggregate halted: the previous price (published 2 minutes ago) is what Pyth reports.
    env.set_legacy(&a.oracle, OracleQuote::from_decimal(150.0, 10, T0 + 30), PYTH_STATUS_HALTED, T0 - 90);
    attempt_withdraw(&mut env, &u, BallastError::OracleStale);
}

#[test]
fn or_04_non_positive_price_is_rejected() {
    for kind in [OracleKind::PythPull, OracleKind::PythLegacy] {
        for price in [0i64, -5] {
            let (mut env, u) = setup(kind);
            let a = env.assets[1].clone();
            let q = OracleQuote { price, conf: 0, expo: -8, publish_time: T0 };
            match kind {
                OracleKind::PythLegacy => env.set_legacy(&a.oracle, q, PYTH_STATUS_TRADING, T0),
                _ => env.set_pull(&a.oracle, a.feed_id, q, VerificationLevel::Full),
            }
            attempt_withdraw(&mut env, &u, BallastError::OracleNonPositive);
        }
    }
}

#[test]
fn or_05_partially_verified_update_is_rejected() {
    let (mut env, u) = setup(OracleKind::PythPull);
    let a = env.assets[1].clone();
    env.set_pull(
        &a.oracle,
        a.feed_id,
        OracleQuote::from_decimal(150.0, 10, T0),
        VerificationLevel::Partial { num_signatures: 5 },
    );
    attempt_withdraw(&mut env, &u, BallastError::OracleVerificationLevel);
}

#[test]
fn or_06_age_counts_from_publish_time_not_posting() {
    let (mut env, u) = setup(OracleKind::PythPull);
    let a = env.assets[1].clone();
    env.set_time(T0 + 300);
    env.set_price(0, 1.0);
    // Posted now (the account is freshly written) but published 5 minutes ago.
    env.set_pull(&a.oracle, a.feed_id, OracleQuote::from_decimal(150.0, 10, T0), VerificationLevel::Full);
    attempt_withdraw(&mut env, &u, BallastError::OracleStale);
}

#[test]
fn or_07_oracle_owned_by_attacker_is_rejected() {
    for kind in [OracleKind::PythPull, OracleKind::PythLegacy] {
        let (mut env, u) = setup(kind);
        let a = env.assets[1].clone();
        let attacker_program = Pubkey::new_unique();
        let (_, data) = match kind {
            OracleKind::PythLegacy => ballast_sdk::oracle_accounts::pyth_legacy(
                OracleQuote::from_decimal(1e6, 10, T0),
                PYTH_STATUS_TRADING,
                T0,
            ),
            _ => pyth_pull(a.feed_id, OracleQuote::from_decimal(1e6, 10, T0), VerificationLevel::Full),
        };
        env.bank.set_account(&a.oracle, &attacker_program, 10_000_000, &data);
        attempt_withdraw(&mut env, &u, BallastError::OracleWrongOwner);
    }
}

#[test]
fn wrong_feed_id_is_rejected() {
    let (mut env, u) = setup(OracleKind::PythPull);
    let a = env.assets[1].clone();
    env.set_pull(&a.oracle, [0xAB; 32], OracleQuote::from_decimal(150.0, 10, T0), VerificationLevel::Full);
    attempt_withdraw(&mut env, &u, BallastError::OracleFeedMismatch);
}

#[test]
fn refresh_moves_the_stable_price_within_its_bound() {
    let (mut env, _u) = setup(OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    // 500 bps per hour growth.
    let ix = ballast_sdk::ix::edit_asset(
        &env.group,
        &admin.pubkey(),
        1,
        ballast::instructions::EditAssetParams { stable_growth_bps_per_hour: Some(500), ..Default::default() },
    );
    env.send(&[ix], &[&admin]).unwrap();
    env.set_time(T0 + 3_600);
    env.set_price(1, 1_500.0); // 10x spike
    let oracle = env.assets[1].oracle;
    env.send(&[ballast_sdk::ix::refresh_asset(&env.group, 1, &oracle)], &[]).unwrap();
    let s = env.asset_state(1).stable_price.price().to_num::<f64>();
    // 0.15 quote native per lamport, +5% at most.
    assert!(s <= 0.15 * 1.05 + 1e-12 && s > 0.15, "{s}");
}

#[test]
fn legacy_oracle_of_another_asset_is_unexpected() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythLegacy);
    env.list(9, 150.0, OracleKind::PythLegacy);
    let u = env.user(0);
    env.fund_and_deposit(&u, 0, 1_000_000);
    let other = env.assets[1].oracle;
    let mut ix = env.withdraw_ix(&u, 0, 1_000);
    let n = ix.accounts.len();
    ix.accounts[n - 1].pubkey = other;
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::UnexpectedOracle);
}

#[test]
fn fallback_oracle_is_used_only_when_the_primary_is_invalid() {
    let (mut env, u) = setup(OracleKind::PythPull);
    // Configure a legacy fallback for SOL.
    let fallback = Pubkey::new_unique();
    env.set_legacy(&fallback, OracleQuote::from_decimal(151.0, 10, T0), PYTH_STATUS_TRADING, T0);
    let admin = env.admin.insecure_clone();
    let cfg = Env::oracle_config(OracleKind::PythLegacy, fallback, [0; 32]);
    let edit = ballast_sdk::ix::edit_asset(
        &env.group,
        &admin.pubkey(),
        1,
        ballast::instructions::EditAssetParams { fallback_oracle: Some(cfg), ..Default::default() },
    );
    let mut ixs = ballast_sdk::ix::claim_feeds(&env.group, &env.payer.pubkey(), &[fallback.to_bytes()]);
    ixs.push(edit);
    env.send(&ixs, &[&admin]).unwrap();
    let kp = u.kp.insecure_clone();
    // Primary valid: a trailing fallback is not used, so it is an extra account and rejected.
    let ix = crate::harness::push_account(env.withdraw_ix(&u, 0, 1_000), &fallback);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
    // Primary stale: without the fallback the withdrawal fails ...
    env.set_time(T0 + 50);
    env.set_price(0, 1.0);
    env.set_legacy(&fallback, OracleQuote::from_decimal(151.0, 10, T0 + 50), PYTH_STATUS_TRADING, T0 + 50);
    env.set_time(T0 + 61);
    env.set_price(0, 1.0);
    let ix = env.withdraw_ix(&u, 0, 1_000);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::OracleStale);
    // ... a fallback that is not the configured one is refused ...
    let wrong = env.assets[0].oracle;
    let ix = crate::harness::push_account(env.withdraw_ix(&u, 0, 1_000), &wrong);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::OracleStale);
    // ... and the configured fallback makes it work.
    let ix = crate::harness::push_account(env.withdraw_ix(&u, 0, 1_000), &fallback);
    env.send(&[ix], &[&kp]).unwrap();
    assert_eq!(env.token_balance(&u.token(0)), 1_000);
}

/// SOL priced by an aggregate of three Pyth pull feeds (quorum 2, 2% divergence); USDC and ETH by
/// one feed each. Returns the env, the aggregate, its three feed accounts and feed ids.
fn aggregate_setup() -> (Env, Pubkey, [(Pubkey, [u8; 32]); 3]) {
    use ballast::instructions::{EditAssetParams, PriceAggregateParams};
    use ballast::state::OracleConfig;
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    env.list(8, 100.0, OracleKind::PythPull);
    let feeds = [
        (env.assets[1].oracle, env.assets[1].feed_id),
        (Pubkey::new_unique(), [71; 32]),
        (Pubkey::new_unique(), [72; 32]),
    ];
    let source = |(address, feed_id): (Pubkey, [u8; 32])| OracleConfig {
        address,
        feed_id,
        max_age_secs: 60,
        max_conf_bps: 500,
        kind: OracleKind::PythPull as u8,
        reserved: 0,
    };
    let params = PriceAggregateParams { sources: feeds.map(source), quorum: 2, max_divergence_bps: 200, decimals: 9 };
    let admin = env.admin.insecure_clone();
    let group = env.group;
    env.send(
        &[ballast_sdk::ix::create_price_aggregate(&group, &admin.pubkey(), &env.payer.pubkey(), 0, params)],
        &[&admin],
    )
    .unwrap();
    let agg = ballast_sdk::pda::price_aggregate(&group, 0).0;
    set_sources(&mut env, &feeds, [Some(150.0); 3]);
    crank(&mut env, agg, &feeds).unwrap();
    // SOL's oracle becomes the aggregate (a setup group: at once; behind a timelock, queued).
    let oracle = OracleConfig {
        address: agg,
        feed_id: [0; 32],
        max_age_secs: 60,
        max_conf_bps: 500,
        kind: OracleKind::Aggregate as u8,
        reserved: 0,
    };
    let mut edit = ballast_sdk::ix::edit_asset(
        &group,
        &admin.pubkey(),
        1,
        EditAssetParams { oracle: Some(oracle), ..Default::default() },
    );
    edit.accounts.extend(ballast_sdk::ix::aggregate_claim_metas(&group, &agg, &params.sources));
    let ids: Vec<[u8; 32]> = feeds.iter().map(|f| f.1).collect();
    let mut ixs = ballast_sdk::ix::claim_feeds(&group, &env.payer.pubkey(), &ids);
    ixs.push(edit);
    env.send(&ixs, &[&admin]).unwrap();
    env.assets[1].oracle = agg;
    (env, agg, feeds)
}

/// Writes the three feeds: Some(price) fresh, None stale (published 10 minutes ago).
fn set_sources(env: &mut Env, feeds: &[(Pubkey, [u8; 32]); 3], prices: [Option<f64>; 3]) {
    let now = env.now();
    for ((key, feed), p) in feeds.iter().zip(prices) {
        let q = match p {
            Some(p) => OracleQuote::from_decimal(p, 10, now),
            None => OracleQuote::from_decimal(150.0, 10, now - 600),
        };
        env.set_pull(key, *feed, q, VerificationLevel::Full);
    }
}

fn crank(env: &mut Env, agg: Pubkey, feeds: &[(Pubkey, [u8; 32]); 3]) -> TxResult {
    let keys: Vec<Pubkey> = feeds.iter().map(|f| f.0).collect();
    env.send(&[ballast_sdk::ix::update_price_aggregate(&agg, &keys)], &[])
}

fn aggregate_state(env: &mut Env, agg: Pubkey) -> ballast::state::PriceAggregate {
    use ballast_sdk::transport::Transport;
    ballast_sdk::decode::price_aggregate(&env.bank.get_account(&agg).unwrap().unwrap()).unwrap()
}

/// Catalogue OR-11 and issue 13's acceptance: one of three sources 10x off leaves the median and
/// every action on the good price; two of three bad make SOL's price invalid: withdrawals and
/// borrows against SOL are refused with nothing changed, while deposits, repays and a liquidation
/// at valid prices (ETH) go through; a quorum back makes it valid again.
#[test]
fn or_11_a_median_of_three_sources_survives_one_bad_source_and_stops_on_two() {
    let (mut env, agg, feeds) = aggregate_setup();
    let (liqor, sol_user, eth_user) = (env.user(1), env.user(2), env.user(3));
    env.fund_and_deposit(&liqor, 0, 100_000_000_000);
    env.fund_and_deposit(&sol_user, 1, 10_000_000_000); // 10 SOL
    env.fund_and_deposit(&eth_user, 2, 1_000_000_000); // 10 ETH at $100
    env.borrow(&eth_user, 0, 600_000_000).unwrap();
    // One source 10x off: the aggregate is the middle good price; the outlier does not agree.
    set_sources(&mut env, &feeds, [Some(150.0), Some(1_500.0), Some(150.5)]);
    crank(&mut env, agg, &feeds).unwrap();
    let a = aggregate_state(&mut env, agg);
    assert_eq!((a.valid, a.agreeing), (1, 0b101));
    assert!((a.price.price().to_num::<f64>() * 1e3 - 150.5).abs() < 1e-6, "{}", a.price.price());
    // Borrowing uses it: 10 SOL x $150 x 0.8 / 1.25 = $960 (not the $9,600 the outlier would give).
    let k = sol_user.kp.insecure_clone();
    let too_much = env.borrow_ix(&sol_user, 0, 961_000_000);
    env.assert_fails_nsc(&[too_much], &[&k], BallastError::HealthMustBePositive);
    env.borrow(&sol_user, 0, 900_000_000).unwrap();
    // Two of three bad (one stale, one 10x off): no quorum; the aggregate is invalid.
    set_sources(&mut env, &feeds, [Some(150.0), None, Some(1_500.0)]);
    crank(&mut env, agg, &feeds).unwrap();
    assert_eq!(aggregate_state(&mut env, agg).valid, 0);
    let w = env.withdraw_ix(&sol_user, 1, 1);
    env.assert_fails_nsc(&[w], &[&k], BallastError::OracleQuorum);
    let b = env.borrow_ix(&sol_user, 0, 1);
    env.assert_fails_nsc(&[b], &[&k], BallastError::OracleQuorum);
    // Still working: deposits and repays (no price), a liquidation at valid prices.
    let t = env.assets[1].clone();
    env.mint_to(&t.mint, &t.token_program, &sol_user.token(1), 1_000);
    env.deposit(&sol_user, 1, 1_000).unwrap();
    env.repay(&sol_user, 0, 100_000_000).unwrap();
    env.set_price(2, 70.0); // ETH falls 30%; refreshed an hour later the stable price follows
    let now = env.now();
    env.set_time(now + 3_600);
    env.set_price(0, 1.0);
    env.set_price(2, 70.0);
    for i in [0u16, 2] {
        let oracle = env.assets[i as usize].oracle;
        env.send(&[ballast_sdk::ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
    }
    liquidate(&mut env, &liqor, &eth_user, 2, 0, u64::MAX).unwrap();
    // A quorum back: valid again (cranked by the keeper's helper, which finds the aggregate
    // through SOL's oracle), SOL withdrawals work.
    set_sources(&mut env, &feeds, [Some(150.0), Some(150.2), None]);
    let payer = env.payer.insecure_clone();
    let group = env.group;
    assert_eq!(ballast_sdk::keeper::crank_aggregates(&mut env.bank, &payer, &group).unwrap(), 1);
    assert_eq!(aggregate_state(&mut env, agg).valid, 1);
    env.withdraw(&sol_user, 1, 1).unwrap();
    // No single fallback feed can stand in for the quorum: an aggregate primary takes none.
    let admin = env.admin.insecure_clone();
    let fb = ballast::state::OracleConfig {
        address: feeds[0].0,
        feed_id: feeds[0].1,
        max_age_secs: 60,
        max_conf_bps: 500,
        kind: OracleKind::PythPull as u8,
        reserved: 0,
    };
    let p = ballast::instructions::EditAssetParams { fallback_oracle: Some(fb), ..Default::default() };
    let edit = ballast_sdk::ix::edit_asset(&env.group, &admin.pubkey(), 1, p);
    env.assert_fails_nsc(&[edit], &[&admin], BallastError::InvalidConfig);
}

/// An oracle change naming an aggregate cannot skip the timelock: it is queued only once the
/// aggregate exists (its sources are read to check their claims, OR-12), so its sources are public
/// for the whole delay; and no asset reads an aggregate until a timelock after its creation.
#[test]
fn an_oracle_change_to_an_aggregate_is_queued_only_once_the_aggregate_exists() {
    use ballast::governance::GovChange;
    use ballast::instructions::{EditAssetParams, PriceAggregateParams};
    use ballast::state::OracleConfig;
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let (guardian, admin) = (solana_sdk::signature::Keypair::new(), env.admin.insecure_clone());
    env.hand_over(&guardian.pubkey(), &admin.pubkey(), 86_400);
    let group = env.group;
    let agg = ballast_sdk::pda::price_aggregate(&group, 0).0;
    let oracle = OracleConfig {
        address: agg,
        feed_id: [0; 32],
        max_age_secs: 60,
        max_conf_bps: 500,
        kind: OracleKind::Aggregate as u8,
        reserved: 0,
    };
    let feed = (Pubkey::new_unique(), [90u8; 32]);
    let src = OracleConfig {
        address: feed.0,
        feed_id: feed.1,
        max_age_secs: 60,
        max_conf_bps: 500,
        kind: OracleKind::PythPull as u8,
        reserved: 0,
    };
    let sources = [src, OracleConfig::default(), OracleConfig::default()];
    env.send(&ballast_sdk::ix::claim_feeds(&group, &env.payer.pubkey(), &[feed.1]), &[]).unwrap();
    let change = GovChange::edit(EditAssetParams { oracle: Some(oracle), ..Default::default() });
    let propose = |env: &mut Env| {
        let num = env.group_state().num_proposals;
        let mut ix =
            ballast_sdk::ix::propose_change(&group, &admin.pubkey(), &env.payer.pubkey(), num, Some(1), change.clone());
        ix.accounts.extend(ballast_sdk::ix::aggregate_claim_metas(&group, &agg, &sources));
        (num, ix)
    };
    // Not created yet: refused, nothing changes.
    let (_, ix) = propose(&mut env);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::FeedClaimMissing);
    // Created, the change is queued; it executes a timelock later, when the aggregate (created a
    // timelock before) may be read.
    let params = PriceAggregateParams { sources, quorum: 1, max_divergence_bps: 200, decimals: 9 };
    env.send(
        &[ballast_sdk::ix::create_price_aggregate(&group, &admin.pubkey(), &env.payer.pubkey(), 0, params)],
        &[&admin],
    )
    .unwrap();
    let t0 = env.now();
    assert_eq!(aggregate_state(&mut env, agg).usable_from, t0 + 86_400);
    let (num, ix) = propose(&mut env);
    env.send(&[ix], &[&admin]).unwrap();
    env.set_time(t0 + 86_400);
    env.set_price(0, 1.0);
    let now = env.now();
    env.set_pull(&feed.0, feed.1, OracleQuote::from_decimal(150.0, 10, now), VerificationLevel::Full);
    env.send(&[ballast_sdk::ix::update_price_aggregate(&agg, &[feed.0])], &[]).unwrap();
    let mut ix = ballast_sdk::ix::execute_change(&group, num, Some(1), &change);
    ix.accounts.extend(ballast_sdk::ix::aggregate_claim_metas(&group, &agg, &sources));
    env.send(&[ix], &[]).unwrap();
    assert_eq!(env.asset_state(1).oracle.address, agg);
    let claim = env.bank.get_account(&ballast_sdk::pda::feed_claim(&group, &feed.1).0).unwrap().unwrap();
    assert_eq!(ballast_sdk::decode::feed_claim(&claim).unwrap().asset_index, 1);
}

/// Catalogue OR-08: a source update older than the last aggregate is never used, even when it is
/// within its own age limit; without it there is no quorum.
#[test]
fn or_08_a_source_older_than_the_last_aggregate_is_not_used() {
    let (mut env, agg, feeds) = aggregate_setup();
    let last = aggregate_state(&mut env, agg).publish_time;
    let now = env.now();
    env.set_time(now + 20);
    // Source 0 republished at an older time (still within its 60 s), source 1 fresh, 2 stale.
    env.set_pull(&feeds[0].0, feeds[0].1, OracleQuote::from_decimal(150.0, 10, last - 5), VerificationLevel::Full);
    env.set_pull(&feeds[1].0, feeds[1].1, OracleQuote::from_decimal(150.0, 10, now + 20), VerificationLevel::Full);
    env.set_pull(&feeds[2].0, feeds[2].1, OracleQuote::from_decimal(150.0, 10, now - 600), VerificationLevel::Full);
    crank(&mut env, agg, &feeds).unwrap();
    let a = aggregate_state(&mut env, agg);
    assert_eq!(a.valid, 0, "one usable source is below the quorum");
    assert_eq!(a.publish_time, last, "the last aggregate's time never goes back");
    // A wrong account in a source's place is an error, not an invalid source.
    let keys = [feeds[0].0, Pubkey::new_unique(), feeds[2].0];
    let ix = ballast_sdk::ix::update_price_aggregate(&agg, &keys);
    env.assert_fails_nsc(&[ix], &[], BallastError::UnexpectedOracle);
}

/// Catalogue OR-12: a wrapped or pegged asset priced by its underlying's feed (an mSOL on SOL's)
/// is listed only with the depeg shock (maint shocks and basis of at least 20%) and a deposit
/// cap, and stays so; so a depeg its oracle cannot see lends at most the cap's value at the
/// shocked price. The first asset on a feed is not pegged; another asset's oracle moved onto it is.
#[test]
fn or_12_a_wrapped_asset_on_its_underlyings_feed_needs_a_depeg_shock_and_a_cap() {
    use ballast::instructions::{EditAssetParams, ListAssetParams};
    use ballast::state::{ASSET_FLAG_BORROWABLE, ASSET_FLAG_PEGGED};
    use ballast_sdk::ix;
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let lender = env.user(0);
    env.fund_and_deposit(&lender, 0, 1_000_000_000_000);
    let sol = env.asset_state(1).oracle;
    let admin = env.admin.insecure_clone();
    let mint = env.create_mint(9, spl(), false);
    let listing = |env: &Env, tweak: &dyn Fn(&mut ListAssetParams)| {
        let mut p = Env::default_params(2, sol);
        tweak(&mut p);
        ix::list_asset_ixs(&env.group, &admin.pubkey(), &env.payer.pubkey(), &mint, &spl(), 2, p)
    };
    // On SOL's feed with its underlying's shocks: refused, nothing listed.
    env.assert_fails_nsc(&listing(&env, &|_| {}), &[&admin], BallastError::CrossAssetOracle);
    let depeg = |p: &mut ListAssetParams| {
        (p.risk.init_down_bps, p.risk.maint_down_bps, p.risk.init_up_bps, p.risk.maint_up_bps) =
            (3_000, 2_000, 3_000, 2_000);
        p.risk.basis_bps = 2_000;
    };
    // The shock without a cap: refused too.
    env.assert_fails_nsc(&listing(&env, &depeg), &[&admin], BallastError::CrossAssetOracle);
    // With both: listed, pegged. SOL, the feed's first asset, is not.
    let capped = |p: &mut ListAssetParams| {
        depeg(p);
        p.deposit_cap = 100_000_000_000; // 100 mSOL, $15,000
    };
    env.send(&listing(&env, &capped), &[&admin]).unwrap();
    env.assets.push(TestAsset {
        index: 2,
        mint,
        token_program: spl(),
        decimals: 9,
        oracle: sol.address,
        feed_id: sol.feed_id,
        kind: OracleKind::PythPull,
    });
    assert_ne!(env.asset_state(2).flags & ASSET_FLAG_PEGGED, 0);
    assert_eq!(env.asset_state(1).flags & ASSET_FLAG_PEGGED, 0);
    // mSOL depegs 50% on its market; its oracle still says $150. An attacker deposits the cap
    // (one more unit is refused) and borrows: at most $15,000 x (1 - 30%) of USDC, whatever it
    // paid for the mSOL.
    let a = env.user(1);
    env.fund_and_deposit(&a, 2, 100_000_000_000);
    let k = a.kp.insecure_clone();
    env.mint_to(&mint, &spl(), &a.token(2), 1);
    let one_more = ix::deposit(&env.token_ix(&a, 2), &k.pubkey(), 1);
    env.assert_fails_nsc(&[one_more], &[&k], BallastError::DepositCapExceeded);
    let too_much = env.borrow_ix(&a, 0, 10_500_000_001);
    env.assert_fails_nsc(&[too_much], &[&k], BallastError::HealthMustBePositive);
    env.borrow(&a, 0, 5_000_000_000).unwrap();
    // It stays pegged: a lower shock is refused, an edit of the flags keeps the flag.
    let ad = admin.pubkey();
    let mut lower = env.asset_state(2).risk;
    lower.maint_down_bps = 1_000;
    let edit = ix::edit_asset(&env.group, &ad, 2, EditAssetParams { risk: Some(lower), ..Default::default() });
    env.assert_fails_nsc(&[edit], &[&admin], BallastError::CrossAssetOracle);
    let uncap =
        ix::edit_asset(&env.group, &ad, 2, EditAssetParams { deposit_cap: Some(u64::MAX), ..Default::default() });
    env.assert_fails_nsc(&[uncap], &[&admin], BallastError::CrossAssetOracle);
    let flags = EditAssetParams { flags: Some(ASSET_FLAG_BORROWABLE), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &ad, 2, flags)], &[&admin]).unwrap();
    assert_ne!(env.asset_state(2).flags & ASSET_FLAG_PEGGED, 0);
    // ETH on its own feed is not pegged; moved onto SOL's feed without the shock it is refused.
    env.list(9, 3_000.0, OracleKind::PythPull);
    assert_eq!(env.asset_state(3).flags & ASSET_FLAG_PEGGED, 0);
    let edit = ix::edit_asset(&env.group, &ad, 3, EditAssetParams { oracle: Some(sol), ..Default::default() });
    env.assert_fails_nsc(&[edit], &[&admin], BallastError::CrossAssetOracle);
    // Without the claim of the new source the change is refused before anything else.
    let fresh = ballast::state::OracleConfig { feed_id: [99; 32], ..sol };
    let edit = ix::edit_asset(&env.group, &ad, 3, EditAssetParams { oracle: Some(fresh), ..Default::default() });
    env.assert_fails_nsc(&[edit], &[&admin], BallastError::FeedClaimMissing);
}

/// OR-12, the review's paths: an aggregate fallback counts its sources (an asset on its own feed
/// with a fallback aggregating SOL's feed is pegged), another group's aggregate is never accepted,
/// a pegged asset gets no perp market of its own (its own hedge would net the shock away), and the
/// guardian's risk-reducing flag edits on a pegged asset still apply at once.
#[test]
fn or_12_aggregate_fallbacks_foreign_aggregates_derivatives_and_the_guardian() {
    use ballast::instructions::{EditAssetParams, ListAssetParams, PriceAggregateParams};
    use ballast::state::{OracleConfig, ASSET_FLAG_BORROWABLE, ASSET_FLAG_DEPOSITS_DISABLED, ASSET_FLAG_PEGGED};
    use ballast_sdk::ix;
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let sol = env.asset_state(1).oracle;
    let admin = env.admin.insecure_clone();
    let (g, ad, payer) = (env.group, admin.pubkey(), env.payer.pubkey());
    let one_of_one = PriceAggregateParams {
        sources: [sol, OracleConfig::default(), OracleConfig::default()],
        quorum: 1,
        max_divergence_bps: 200,
        decimals: 9,
    };
    env.send(&[ix::create_price_aggregate(&g, &ad, &payer, 0, one_of_one)], &[&admin]).unwrap();
    let agg = ballast_sdk::pda::price_aggregate(&g, 0).0;
    let agg_cfg = OracleConfig { address: agg, feed_id: [0; 32], kind: OracleKind::Aggregate as u8, ..sol };
    // An asset on a feed of its own with SOL's aggregate as fallback: pegged, refused without the
    // shock; the aggregate's account and its sources' claims are part of the listing.
    let mint = env.create_mint(9, spl(), false);
    let own = OracleConfig { address: Pubkey::new_unique(), feed_id: [55; 32], ..sol };
    let listing =
        |env: &Env, fallback: OracleConfig, agg_group: &Pubkey, agg: &Pubkey, tweak: &dyn Fn(&mut ListAssetParams)| {
            let mut p = Env::default_params(2, own);
            p.fallback_oracle = fallback;
            tweak(&mut p);
            let mut ixs = ix::list_asset_ixs(&env.group, &ad, &env.payer.pubkey(), &mint, &spl(), 2, p);
            ixs.last_mut().unwrap().accounts.extend(ix::aggregate_claim_metas(agg_group, agg, &[sol]));
            ixs
        };
    let now = env.now();
    env.set_pull(&own.address, own.feed_id, OracleQuote::from_decimal(150.0, 10, now), VerificationLevel::Full);
    let ixs = listing(&env, agg_cfg, &g, &agg, &|_| {});
    env.assert_fails_nsc(&ixs, &[&admin], BallastError::CrossAssetOracle);
    // Another group's aggregate (its admin sets it up at once): never accepted.
    let (attacker, g2) = env.foreign_group();
    let theirs =
        PriceAggregateParams { sources: [own, OracleConfig::default(), OracleConfig::default()], ..one_of_one };
    env.send(&[ix::create_price_aggregate(&g2, &attacker.pubkey(), &payer, 0, theirs)], &[&attacker]).unwrap();
    let agg2 = ballast_sdk::pda::price_aggregate(&g2, 0).0;
    let foreign = OracleConfig { address: agg2, ..agg_cfg };
    let ixs = listing(&env, foreign, &g, &agg2, &|_| {});
    env.assert_fails_nsc(&ixs, &[&admin], BallastError::FeedClaimMissing);
    // With the shock and a cap: listed, pegged.
    let capped = |p: &mut ListAssetParams| {
        (p.risk.init_down_bps, p.risk.maint_down_bps, p.risk.init_up_bps, p.risk.maint_up_bps) =
            (3_000, 2_000, 3_000, 2_000);
        p.risk.basis_bps = 2_000;
        p.deposit_cap = 100_000_000_000;
    };
    env.send(&listing(&env, agg_cfg, &g, &agg, &capped), &[&admin]).unwrap();
    assert_ne!(env.asset_state(2).flags & ASSET_FLAG_PEGGED, 0);
    // No perp market of its own.
    let perp = ballast_sdk::perp::set_perp_market(&g, &ad, 2, ballast_sdk::scenario::perp_params(10_000_000));
    env.assert_fails_nsc(&[perp], &[&admin], BallastError::CrossAssetOracle);
    // Behind a timelock the guardian disables its deposits at once, the flag kept though its edit
    // leaves the bit out.
    let guardian = solana_sdk::signature::Keypair::new();
    env.hand_over(&guardian.pubkey(), &ad, 86_400);
    let stop =
        EditAssetParams { flags: Some(ASSET_FLAG_BORROWABLE | ASSET_FLAG_DEPOSITS_DISABLED), ..Default::default() };
    env.send(&[ix::edit_asset(&g, &guardian.pubkey(), 2, stop)], &[&guardian]).unwrap();
    let flags = env.asset_state(2).flags;
    assert_eq!(
        flags & (ASSET_FLAG_PEGGED | ASSET_FLAG_DEPOSITS_DISABLED),
        ASSET_FLAG_PEGGED | ASSET_FLAG_DEPOSITS_DISABLED
    );
}

/// OR-12 for assets listed before claims existed: `record_asset_sources` (anyone) records them in
/// index order, so the underlying owns its feed and a wrapped asset already on it is marked
/// pegged, or refused (nothing changed) until it carries the shock.
#[test]
fn or_12_assets_listed_before_claims_are_recorded_and_marked() {
    use ballast::instructions::EditAssetParams;
    use ballast::state::ASSET_FLAG_PEGGED;
    use ballast_sdk::ix;
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let g = env.group;
    let sol = env.asset_state(1).oracle;
    // Before the upgrade: asset 2 on SOL's feed, and no claims at all.
    let key = ballast_sdk::pda::asset(&g, 2).0;
    let raw = env.bank.get_account(&key).unwrap().unwrap();
    let mut data = raw.data.bytes().to_vec();
    let mut a = ballast_sdk::decode::asset(&raw).unwrap();
    a.oracle = sol;
    data[8..8 + std::mem::size_of::<ballast::state::Asset>()].copy_from_slice(bytemuck::bytes_of(&a));
    env.bank.set_account(&key, &raw.owner, raw.lamports, &data);
    env.assets[2].oracle = sol.address;
    for i in 0..3u16 {
        let id = env.assets[i as usize].feed_id;
        env.bank.set_account(&ballast_sdk::pda::feed_claim(&g, &id).0, &Pubkey::default(), 0, &[]);
    }
    let record = |env: &mut Env, i: u16| {
        let asset = env.asset_state(i);
        let (ids, metas) = ix::asset_source_metas(&mut env.bank, &g, &asset).unwrap();
        let mut ixs = ix::claim_feeds(&g, &env.payer.pubkey(), &ids);
        ixs.push(ix::record_asset_sources(&g, i, &metas));
        ixs
    };
    for i in [0, 1] {
        let ixs = record(&mut env, i);
        env.send(&ixs, &[]).unwrap();
    }
    assert_eq!(env.asset_state(1).flags & ASSET_FLAG_PEGGED, 0);
    let ixs = record(&mut env, 2);
    env.assert_fails_nsc(&ixs, &[], BallastError::CrossAssetOracle);
    let mut risk = env.asset_state(2).risk;
    (risk.init_down_bps, risk.maint_down_bps, risk.init_up_bps, risk.maint_up_bps, risk.basis_bps) =
        (3_000, 2_000, 3_000, 2_000, 2_000);
    let admin = env.admin.insecure_clone();
    let edit = EditAssetParams { risk: Some(risk), deposit_cap: Some(1_000_000_000_000), ..Default::default() };
    env.send(&[ix::edit_asset(&g, &admin.pubkey(), 2, edit)], &[&admin]).unwrap();
    let ixs = record(&mut env, 2);
    env.send(&ixs, &[]).unwrap();
    assert_ne!(env.asset_state(2).flags & ASSET_FLAG_PEGGED, 0);
    let claim = env.bank.get_account(&ballast_sdk::pda::feed_claim(&g, &sol.feed_id).0).unwrap().unwrap();
    assert_eq!(ballast_sdk::decode::feed_claim(&claim).unwrap().asset_index, 1);
}
