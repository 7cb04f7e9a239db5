//! The SDK's health equals the program's, to the bit: `check_health` accepts the SDK's figure as
//! the minimum and rejects one unit of the last place more, on random portfolios.

use crate::harness::*;
use ballast::state::OracleKind;
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
            env.assert_sdk_health_is_program_health(&u.account);
            Ok(())
        })
        .unwrap();
}
