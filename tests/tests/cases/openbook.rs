//! The real OpenBook v2 program (`../shared/fixtures/openbook_v2.so`) runs in the embedded bank: a
//! SOL/USDC market between two listed assets, a maker resting asks, a taker swapping through
//! `placeTakeOrder`, the maker settling (issue 14's venue).

use crate::harness::*;
use ballast::state::OracleKind;
use ballast_sdk::openbook::{self as ob, PlaceOrderArgs, PlaceOrderType, PlaceTakeOrderArgs, SelfTradeBehavior, Side};
use solana_sdk::signature::Signer;

const USDC: u16 = 0;
const SOL: u16 = 1;

#[test]
fn a_taker_swaps_usdc_for_sol_against_resting_asks_on_the_real_openbook() {
    let mut env = Env::with_openbook();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    // 0.001 SOL per base lot, 1 micro-USDC per quote lot: $150 is 150,000 lots per lot.
    let m = env.openbook_market(SOL, USDC, 1_000_000, 1);
    let maker = env.openbook_trader(&m, 10_000_000_000, 0);
    let taker = env.openbook_trader(&m, 0, 1_000_000_000);
    let mk = maker.kp.insecure_clone();
    for (i, price) in [(1u64, 150_000i64), (2, 151_000)] {
        let args = PlaceOrderArgs {
            side: Side::Ask,
            price_lots: price,
            max_base_lots: 2_000,
            max_quote_lots_including_fees: i64::MAX,
            client_order_id: i,
            order_type: PlaceOrderType::Limit,
            expiry_timestamp: 0,
            self_trade_behavior: SelfTradeBehavior::DecrementTake,
            limit: 10,
        };
        env.send(&[ob::place_order(&m, &mk.pubkey(), &maker.open_orders, &maker.base, args)], &[&mk]).unwrap();
    }
    assert_eq!(env.token_balance(&maker.base), 6_000_000_000);
    // The taker buys 3 SOL: 2 at $150 and 1 at $151, plus the 4 bps taker fee.
    let tk = taker.kp.insecure_clone();
    let take = PlaceTakeOrderArgs {
        side: Side::Bid,
        price_lots: 152_000,
        max_base_lots: 3_000,
        max_quote_lots_including_fees: 1_000_000_000,
        order_type: PlaceOrderType::ImmediateOrCancel,
        limit: 10,
    };
    env.send(&[ob::place_take_order(&m, &tk.pubkey(), &taker.base, &taker.quote, take)], &[&tk]).unwrap();
    assert_eq!(env.token_balance(&taker.base), 3_000_000_000);
    let cost = 2 * 150_000_000 + 151_000_000;
    let fee = cost * 4 / 10_000;
    assert_eq!(env.token_balance(&taker.quote), 1_000_000_000 - cost - fee);
    // The maker's fills are credited once the events are consumed; it settles its USDC.
    env.send(&[ob::consume_events(&m, &[maker.open_orders], 10)], &[]).unwrap();
    env.send(&[ob::settle_funds(&m, &mk.pubkey(), &maker.open_orders, &maker.base, &maker.quote)], &[&mk]).unwrap();
    assert_eq!(env.token_balance(&maker.quote), cost);
}
