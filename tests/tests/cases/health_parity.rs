//! The SDK's health equals the program's, to the bit: `check_health` accepts the SDK's figure as
//! the minimum and rejects one unit of the last place more, on random portfolios.

use crate::harness::*;
use ballast::state::OracleKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use solana_sdk::signature::Signer;

#[test]
fn sdk_health_equals_program_health_on_random_portfolios() {
    let env = std::cell::RefCell::new(Env::new());
    let n = std::cell::Cell::new(0u32);
    {
        let mut env = env.borrow_mut();
        env.list(6, 1.0, OracleKind::PythPull);
        env.list(9, 150.0, OracleKind::PythLegacy);
        env.list(0, 2_500.0, OracleKind::PythPull);
        env.list(8, 60_000.0, OracleKind::PythPull);
    }
    let mut runner = TestRunner::new(Config { cases: 12, failure_persistence: None, ..Config::default() });
    let strategy =
        (prop::collection::vec((0u16..4, 1u64..1_000_000_000_000), 1..6), prop::collection::vec(0.2f64..5.0, 4));
    runner
        .run(&strategy, |(deposits, moves)| {
            n.set(n.get() + 1);
            let mut env = env.borrow_mut();
            let u = env.user(n.get());
            for (asset, amount) in deposits {
                env.fund_and_deposit(&u, asset, amount);
            }
            for (i, m) in moves.iter().enumerate() {
                let base = [1.0, 150.0, 2_500.0, 60_000.0][i];
                env.set_price(i as u16, base * m);
            }
            env.assert_sdk_health_is_program_health(&u.account);
            Ok(())
        })
        .unwrap();
}

/// The same with options: random deposits and random option trades (calls and puts, long and
/// short, three strikes, two expiries) against a counterparty, then random moves of the price:
/// the SDK's health is the program's to the bit, the option grid included.
#[test]
fn sdk_health_equals_program_health_on_random_option_portfolios() {
    use ballast::risk::Price;
    use ballast_sdk::options as so;
    let env = std::cell::RefCell::new(Env::new());
    let n = std::cell::Cell::new(0u32);
    let (cp, expiries) = {
        let mut env = env.borrow_mut();
        env.list(6, 1.0, OracleKind::PythPull);
        env.list(9, 150.0, OracleKind::PythPull);
        let admin = env.admin.insecure_clone();
        let g = env.group;
        let now = env.now();
        let expiries = [now + 7 * 86_400, now + 45 * 86_400];
        let mut ixs = vec![so::set_option_market(&g, &admin.pubkey(), 1, so::default_params(10_000_000))];
        for (slot, e) in expiries.iter().enumerate() {
            ixs.push(so::set_option_expiry(&g, &admin.pubkey(), 1, slot as u8, so::flat_smile(*e, 8_000)));
        }
        env.send(&ixs, &[&admin]).unwrap();
        let cp = env.user(1_000);
        env.fund_and_deposit(&cp, 0, 100_000_000_000_000);
        (cp, expiries)
    };
    let held = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config { cases: 8, failure_persistence: None, ..Config::default() });
    let trade = (any::<bool>(), any::<bool>(), 0usize..3, 0usize..2, 1u64..2_000);
    let strategy = (1u64..100_000_000_000, prop::collection::vec(trade, 1..6), 0.6f64..1.5);
    runner
        .run(&strategy, |(usdc, trades, mv)| {
            n.set(n.get() + 1);
            let mut env = env.borrow_mut();
            let u = env.user(n.get());
            env.fund_and_deposit(&u, 0, usdc);
            env.set_price(1, 150.0);
            for (buy, call, k, e, contracts) in trades {
                let strike = Price::from_num([120.0, 150.0, 180.0][k] / 1_000.0);
                let years = (expiries[e] - env.now()) as f64 / 31_557_600.0;
                let p = so::reference_price(call, 150.0, [120.0, 150.0, 180.0][k], 0.8, years);
                let order =
                    so::order(expiries[e], strike, if call { 0 } else { 1 }, contracts, (p * 0.01 * 1e6) as u64);
                let party = |env: &mut Env, x: &User| ballast_sdk::perp::TradeParty {
                    account: x.account,
                    authority: x.kp.pubkey(),
                    health: env.health_keys_with(&x.account, &[1, 0]),
                };
                let (b, s) = if buy {
                    (party(&mut env, &u), party(&mut env, &cp))
                } else {
                    (party(&mut env, &cp), party(&mut env, &u))
                };
                let ix = so::trade_option(&env.group, 1, &b, &s, order);
                let (ku, kc) = (u.kp.insecure_clone(), cp.kp.insecure_clone());
                let _ = env.send(&[ix], &[&ku, &kc]); // the health rule may refuse: parity is what is checked
            }
            env.set_price(1, 150.0 * mv);
            if !so::positions(&env.margin_account(&u.account)).is_empty() {
                held.set(held.get() + 1);
            }
            env.assert_sdk_health_is_program_health(&u.account);
            Ok(())
        })
        .unwrap();
    assert!(held.get() >= 4, "most random accounts hold options: {}", held.get());
}
