//! The SDK's health equals the program's, to the bit: `check_health` accepts the SDK's figure as
//! the minimum and rejects one unit of the last place more, on random portfolios.

use crate::harness::*;
use ballast::error::BallastError;
use ballast::risk::HealthType;
use ballast::state::OracleKind;
use ballast_sdk::ix;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

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
            let acc = env.margin_account(&u.account);
            let raw = env.health_raw(&u.account);
            let keys = env.health_keys(&u.account, None);
            let now = env.now();
            for (t, code) in [(HealthType::Init, 0u8), (HealthType::Maint, 1), (HealthType::LiquidationEnd, 2)] {
                let h = ballast_sdk::health::compute(&env.group, &acc, &raw, now, t).unwrap().health;
                let ok = ix::check_health(&env.group, &u.account, code, h.to_bits(), &keys);
                prop_assert!(env.send(&[ok], &[]).is_ok());
                let above = ix::check_health(&env.group, &u.account, code, h.to_bits() + 1, &keys);
                assert_code(env.send(&[above], &[]), BallastError::HealthBelowMinimum);
            }
            Ok(())
        })
        .unwrap();
}
