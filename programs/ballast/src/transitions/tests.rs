//! Unit tests of every transition on plain structs (no bank), and a property test of value
//! conservation over random sequences of transitions.

use bytemuck::Zeroable;
use proptest::prelude::*;

use super::bankruptcy::*;
use super::insurance::*;
use super::liquidation::*;
use super::perp::*;
use super::token::*;
use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::BallastError;
use crate::oracle::OraclePrice;
use crate::risk::perp::PerpIndex;
use crate::risk::{Fx, Price};
use crate::state::*;

/// Unix time of every test step (interest and funding rates are zero, so time does not matter).
const NOW: i64 = 1_000_000;
/// Perp asset index.
const BASE: u16 = 1;
/// Native base units per lot.
const LOT: u64 = 100;

/// An asset with deposit and borrow indexes `di` and `bi`, no interest, no caps, borrowable; the
/// perp market enabled on every asset but the quote.
fn asset(index: u16, di: Fx, bi: Fx) -> Box<Asset> {
    let mut a: Box<Asset> = bytemuck::zeroed_box();
    a.asset_index = index;
    a.flags = ASSET_FLAG_BORROWABLE;
    a.bank.deposit_index = Fx128::from_fx(di);
    a.bank.borrow_index = Fx128::from_fx(bi);
    a.bank.deposit_cap = u64::MAX;
    a.bank.last_accrual_ts = NOW;
    a.bank.limits.borrow_cap = u64::MAX;
    a.bank.limits.net_borrow_limit = u64::MAX;
    a.bank.limits.net_borrow_window_secs = 3_600;
    a.bank.limits.util_cap_bps = 10_000;
    a.stable_price = Price128::from_price(Price::ONE);
    a.stable_updated_ts = NOW;
    a.insurance_cap = u64::MAX;
    if index != QUOTE_ASSET_INDEX {
        a.perp.flags = PERP_FLAG_ENABLED;
        a.perp.base_lot_size = LOT;
        a.perp.max_open_interest = u64::MAX;
        a.perp.settle_limit = u64::MAX;
        a.perp.settle_window_secs = 3_600;
        a.perp.funding_window_secs = 3_600;
        a.perp.price_band_bps = 10_000;
        a.perp.funding_last_ts = NOW;
        a.perp.last_fill_ts = NOW;
        a.perp.insurance_fee_share_bps = 2_000;
    }
    a
}

fn account() -> Box<MarginAccount> {
    let mut a: Box<MarginAccount> = bytemuck::zeroed_box();
    a.init_slots();
    a
}

fn oracle(price: u64) -> OraclePrice {
    OraclePrice { price: Price::from_num(price), publish_time: NOW, from_fallback: false, conf_bps: 0 }
}

fn native(a: &MarginAccount, asset: &Asset) -> Fx {
    asset.bank.state().native(a.token_indexed(asset.asset_index)).unwrap()
}

fn err<T: std::fmt::Debug>(r: anchor_lang::Result<T>) -> anchor_lang::error::Error {
    r.expect_err("the transition should fail")
}

fn is(e: anchor_lang::error::Error, want: BallastError) -> bool {
    e == want.into()
}

// ---- token ----

#[test]
fn deposit_credits_the_account_and_the_bank() {
    let (mut a, mut q) = (account(), asset(0, Fx::ONE, Fx::ONE));
    let out = deposit(&mut a, &mut q, 1_000, NOW).unwrap();
    assert_eq!(out.deposited, 1_000);
    assert_eq!(native(&a, &q), Fx::from_num(1_000));
    assert_eq!(q.bank.state().total_deposits().unwrap(), Fx::from_num(1_000));
}

#[test]
fn deposit_repays_a_borrow_first_and_respects_the_cap() {
    let (mut a, mut q) = (account(), asset(0, Fx::ONE, Fx::ONE));
    let mut lender = account();
    deposit(&mut lender, &mut q, 1_000, NOW).unwrap();
    withdraw(&mut a, &mut q, &oracle(1), 300, true, NOW).unwrap();
    q.bank.deposit_cap = 1_000;
    // Repaying 300 is never blocked by the cap; the 1 that becomes a deposit is.
    assert!(is(err(deposit(&mut a.clone(), &mut q.clone(), 301, NOW)), BallastError::DepositCapExceeded));
    let out = deposit(&mut a, &mut q, 300, NOW).unwrap();
    assert_eq!((out.repaid, out.deposited), (300, 0));
    assert_eq!(a.token_slot(0), None, "an empty position frees its slot");
}

#[test]
fn withdraw_borrows_only_when_allowed_and_borrowable() {
    let (mut a, mut q) = (account(), asset(0, Fx::ONE, Fx::ONE));
    let mut lender = account();
    deposit(&mut lender, &mut q, 1_000, NOW).unwrap();
    deposit(&mut a, &mut q, 100, NOW).unwrap();
    assert!(is(
        err(withdraw(&mut a.clone(), &mut q.clone(), &oracle(1), 150, false, NOW)),
        BallastError::InsufficientBalance
    ));
    q.flags = 0;
    assert!(is(
        err(withdraw(&mut a.clone(), &mut q.clone(), &oracle(1), 150, true, NOW)),
        BallastError::BorrowingDisabled
    ));
    q.flags = ASSET_FLAG_BORROWABLE;
    let out = withdraw(&mut a, &mut q, &oracle(1), 150, true, NOW).unwrap();
    assert_eq!((out.amount, out.borrowed), (150, 50));
    assert_eq!(native(&a, &q), Fx::from_num(-50));
    let all = withdraw(&mut lender, &mut q, &oracle(1), u64::MAX, false, NOW).unwrap();
    assert_eq!(all.amount, 1_000);
}

#[test]
fn repay_never_becomes_a_deposit() {
    let (mut a, mut q) = (account(), asset(0, Fx::ONE, Fx::ONE));
    let mut lender = account();
    deposit(&mut lender, &mut q, 1_000, NOW).unwrap();
    withdraw(&mut a, &mut q, &oracle(1), 200, true, NOW).unwrap();
    assert_eq!(debt(&a, &mut q, NOW).unwrap(), 200);
    assert!(is(err(repay(&mut a.clone(), &mut q.clone(), 201, NOW)), BallastError::InsufficientBalance));
    assert_eq!(repay(&mut a, &mut q, 150, NOW).unwrap(), 50);
    assert_eq!(repay(&mut a, &mut q, 50, NOW).unwrap(), 0);
    assert!(is(err(repay(&mut a, &mut q, 1, NOW)), BallastError::InsufficientBalance));
}

#[test]
fn quote_credit_and_debit_move_the_balance() {
    let q = asset(0, Fx::ONE, Fx::ONE);
    let mut bank = q.bank.state();
    let mut a = account();
    credit_quote(&mut a, &mut bank, 0, 70).unwrap();
    assert_eq!(debit_quote(&mut a, &mut bank, 0, 100).unwrap(), 30, "beyond the deposit it borrows");
    assert_eq!(bank.native(a.token_indexed(0)).unwrap(), Fx::from_num(-30));
}

#[test]
fn sweep_dust_moves_the_deposit_into_protocol_fees() {
    let (mut a, mut q) = (account(), asset(0, Fx::ONE, Fx::ONE));
    deposit(&mut a, &mut q, 3, NOW).unwrap();
    assert_eq!(sweep_dust(&mut a, &mut q, NOW).unwrap(), Fx::from_num(3));
    assert_eq!(a.token_slot(0), None);
    assert_eq!(q.bank.protocol_fees.fx(), Fx::from_num(3));
    assert_eq!(q.bank.state().total_deposits().unwrap(), Fx::ZERO);
}

// ---- perp ----

/// Two accounts with quote deposits, the quote asset and the perp asset.
fn market() -> (Box<MarginAccount>, Box<MarginAccount>, Box<Asset>, Box<Asset>) {
    let (mut b, mut s) = (account(), account());
    let mut q = asset(0, Fx::ONE, Fx::ONE);
    deposit(&mut b, &mut q, 1_000_000, NOW).unwrap();
    deposit(&mut s, &mut q, 1_000_000, NOW).unwrap();
    (b, s, asset(BASE, Fx::ONE, Fx::ONE), q)
}

/// Trades `lots` at `price` (quote native per base native) from `s` to `b`.
fn do_trade(
    b: &mut MarginAccount,
    s: &mut MarginAccount,
    base: &mut Asset,
    q: &mut Asset,
    lots: u64,
    price: u64,
) -> Traded {
    let m = fill_market(base, price * LOT, lots, &oracle(price), NOW).unwrap();
    let f = Fill::price(BASE, 0, lots, price * LOT, 10, 10).unwrap();
    trade(base, q, b, s, &f, &m, NOW).unwrap()
}

#[test]
fn fill_market_checks_the_band_and_the_enabled_flag() {
    let mut base = asset(BASE, Fx::ONE, Fx::ONE);
    base.perp.price_band_bps = 100;
    assert!(is(err(fill_market(&mut base.clone(), 2 * LOT, 1, &oracle(1), NOW)), BallastError::PriceOutsideBand));
    let m = fill_market(&mut base, LOT, 1, &oracle(1), NOW).unwrap();
    assert_eq!(m.params.base_lot_size, LOT);
    base.perp.flags = 0;
    assert!(is(err(fill_market(&mut base, LOT, 1, &oracle(1), NOW)), BallastError::PerpMarketDisabled));
}

#[test]
fn apply_perp_opens_moves_and_closes_a_position() {
    let mut a = account();
    let idx = PerpIndex::default();
    let m = apply_perp(&mut a, BASE, LOT, idx, true, 3, 300).unwrap();
    assert_eq!((m.old, m.new), (0, 3));
    let p = &a.perps[a.perp_slot(BASE).unwrap()];
    assert_eq!(p.quote.fx(), Fx::from_num(-300));
    let m = apply_perp(&mut a, BASE, LOT, idx, false, 3, 330).unwrap();
    assert!(m.reduces());
    // Closed with a 30 gain: the slot stays until the gain is settled.
    assert_eq!(a.perps[a.perp_slot(BASE).unwrap()].quote.fx(), Fx::from_num(30));
}

#[test]
fn trade_moves_both_sides_charges_fees_and_counts_open_interest() {
    let (mut b, mut s, mut base, mut q) = market();
    let before = native(&b, &q) + native(&s, &q);
    let t = do_trade(&mut b, &mut s, &mut base, &mut q, 5, 20);
    assert_eq!((t.buyer.new, t.seller.new, t.open_interest), (5, -5, 5));
    let fees = q.bank.protocol_fees.fx() + q.insurance_fees.fx();
    assert_eq!(fees, Fx::from_num(20), "10 bps of 10,000 each side");
    assert_eq!(native(&b, &q) + native(&s, &q) + fees, before);
    base.perp.flags |= PERP_FLAG_REDUCE_ONLY;
    let m = fill_market(&mut base, 20 * LOT, 1, &oracle(20), NOW).unwrap();
    let f = Fill::price(BASE, 0, 1, 20 * LOT, 0, 0).unwrap();
    assert!(is(err(trade(&mut base, &mut q, &mut b, &mut s, &f, &m, NOW)), BallastError::ReduceOnly));
}

#[test]
fn settle_moves_pnl_between_the_perp_quotes_and_the_balances() {
    let (mut b, mut s, mut base, mut q) = market();
    do_trade(&mut b, &mut s, &mut base, &mut q, 5, 20);
    let before = native(&b, &q) + native(&s, &q);
    let idx = base.perp.funding().indexes();
    let req = Settlement {
        ai: BASE,
        index: idx,
        oracle: Price::from_num(22),
        collateral: Fx::from_num(1_000_000),
        liquidatable: false,
        max_amount: u64::MAX,
    };
    // The buyer gained 5 lots * 100 * 2 = 1,000.
    assert_eq!(settle(&mut base, &mut q, &mut b, &mut s, &req, NOW).unwrap(), 1_000);
    assert_eq!(native(&b, &q) + native(&s, &q), before);
    assert_eq!(base.perp.settle_window_used, 1_000);
    // Nothing left to settle.
    assert!(is(err(settle(&mut base, &mut q, &mut b, &mut s, &req, NOW)), BallastError::NothingToSettle));
    // A loser without collateral is not settled.
    let mut req2 = req;
    req2.oracle = Price::from_num(23);
    req2.collateral = Fx::ZERO;
    assert!(is(err(settle(&mut base, &mut q, &mut b, &mut s, &req2, NOW)), BallastError::LossNotCovered));
    // The window's limit.
    base.perp.settle_limit = 1_000;
    req2.collateral = Fx::from_num(1_000_000);
    assert!(is(
        err(settle(&mut base.clone(), &mut q.clone(), &mut b.clone(), &mut s.clone(), &req2, NOW)),
        BallastError::SettleLimitReached
    ));
    // ... which a liquidatable loser skips (S2-07).
    req2.liquidatable = true;
    assert_eq!(settle(&mut base, &mut q, &mut b, &mut s, &req2, NOW).unwrap(), 500);
}

// ---- liquidation ----

#[test]
fn token_step_moves_debt_and_collateral_and_pays_the_fund() {
    let (mut q, mut sol) = (asset(0, Fx::ONE, Fx::ONE), asset(2, Fx::ONE, Fx::ONE));
    let (mut liqee, mut liqor, mut lender) = (account(), account(), account());
    deposit(&mut lender, &mut q, 10_000, NOW).unwrap();
    deposit(&mut liqee, &mut sol, 500, NOW).unwrap();
    withdraw(&mut liqee, &mut q, &oracle(1), 1_000, true, NOW).unwrap();
    deposit(&mut liqor, &mut q, 2_000, NOW).unwrap();
    let st = TokenLiquidation { ai: 2, li: 0, x: 400, y: 110, ins: 10, fee_bps: 100 };
    let out = token_step(&mut sol, &mut q, &mut liqee, &mut liqor, &st, NOW).unwrap();
    assert_eq!(native(&liqee, &q), Fx::from_num(-600));
    assert_eq!(native(&liqee, &sol), Fx::from_num(390));
    assert_eq!(native(&liqor, &q), Fx::from_num(1_600));
    assert_eq!(native(&liqor, &sol), Fx::from_num(100));
    assert_eq!(sol.bank.protocol_fees.fx(), Fx::from_num(10), "a non-quote asset's fund share is a protocol fee");
    assert_eq!(out.bank_a.total_deposits().unwrap(), Fx::from_num(490));
    // Seizing more than the deposit never creates a borrow.
    let st = TokenLiquidation { ai: 2, li: 0, x: 1, y: 391, ins: 0, fee_bps: 0 };
    assert!(is(err(token_step(&mut sol, &mut q, &mut liqee, &mut liqor, &st, NOW)), BallastError::InsufficientBalance));
}

#[test]
fn token_step_lets_the_liquidator_borrow_only_within_the_liabilitys_limits() {
    let (mut q, mut sol) = (asset(0, Fx::ONE, Fx::ONE), asset(2, Fx::ONE, Fx::ONE));
    let (mut liqee, mut liqor, mut lender) = (account(), account(), account());
    deposit(&mut lender, &mut q, 10_000, NOW).unwrap();
    deposit(&mut liqee, &mut sol, 500, NOW).unwrap();
    withdraw(&mut liqee, &mut q, &oracle(1), 1_000, true, NOW).unwrap();
    // The liquidator holds no quote: paying 400 of it is a borrow.
    let st = TokenLiquidation { ai: 2, li: 0, x: 400, y: 110, ins: 10, fee_bps: 100 };
    q.flags = 0;
    assert!(is(
        err(token_step(&mut sol.clone(), &mut q.clone(), &mut liqee.clone(), &mut liqor.clone(), &st, NOW)),
        BallastError::BorrowingDisabled
    ));
    q.flags = ASSET_FLAG_BORROWABLE;
    q.bank.limits.min_borrow = 401;
    assert!(is(
        err(token_step(&mut sol.clone(), &mut q.clone(), &mut liqee.clone(), &mut liqor.clone(), &st, NOW)),
        BallastError::BorrowTooSmall
    ));
    q.bank.limits.min_borrow = 0;
    q.bank.limits.net_borrow_limit = 1_399;
    // The liquidated account's borrow of 1,000 already counts in the window.
    assert!(is(
        err(token_step(&mut sol.clone(), &mut q.clone(), &mut liqee.clone(), &mut liqor.clone(), &st, NOW)),
        BallastError::NetBorrowLimitExceeded
    ));
    q.bank.limits.net_borrow_limit = u64::MAX;
    token_step(&mut sol, &mut q, &mut liqee, &mut liqor, &st, NOW).unwrap();
    assert_eq!(native(&liqor, &q), Fx::from_num(-400));
    assert_eq!(q.bank.window_net, 1_400, "the liquidated account's borrow and the liquidator's");
}

#[test]
fn perp_step_moves_the_position_and_charges_the_liquidator() {
    let (mut b, mut s, mut base, mut q) = market();
    do_trade(&mut b, &mut s, &mut base, &mut q, 5, 20);
    let mut liqor = account();
    deposit(&mut liqor, &mut q, 10_000, NOW).unwrap();
    let st = PerpLiquidation {
        ai: BASE,
        qi: 0,
        lots: 2,
        price: 19 * LOT,
        long: true,
        ins: 7,
        fee_bps: 100,
        lot_size: LOT,
        oracle: Price::from_num(20),
    };
    let fees_before = q.insurance_fees.fx();
    let out = perp_step(&mut base, &mut q, &mut b, &mut liqor, &st, NOW).unwrap();
    assert_eq!((out.liqee.new, out.liqor.new), (3, 2));
    assert_eq!(base.perp.open_interest, 5, "a transfer between longs leaves open interest");
    assert_eq!(q.insurance_fees.fx() - fees_before, Fx::from_num(7));
    assert_eq!(native(&liqor, &q), Fx::from_num(9_993));
}

// ---- bankruptcy ----

#[test]
fn write_off_pays_then_socializes_and_ends_the_episode() {
    let mut q = asset(0, Fx::ONE, Fx::ONE);
    let (mut a, mut lender) = (account(), account());
    deposit(&mut lender, &mut q, 10_000, NOW).unwrap();
    withdraw(&mut a, &mut q, &oracle(1), 1_000, true, NOW).unwrap();
    a.flags |= ACCOUNT_FLAG_BEING_LIQUIDATED;
    let out = write_off_token(&mut a, &mut q, 300, 700).unwrap();
    assert_eq!((out.socialized, out.debt_left), (700, 0));
    assert_eq!(q.socialized_loss, 700);
    assert_eq!(a.flags & ACCOUNT_FLAG_BEING_LIQUIDATED, 0);
    assert_eq!(a.bankruptcy_insurance_paid, 0, "debt-free: the cap's count restarts");
    assert!(native(&lender, &q) <= Fx::from_num(9_300));
}

#[test]
fn write_off_counts_the_fund_payment_while_debt_remains() {
    let mut q = asset(0, Fx::ONE, Fx::ONE);
    let (mut a, mut lender) = (account(), account());
    deposit(&mut lender, &mut q, 10_000, NOW).unwrap();
    withdraw(&mut a, &mut q, &oracle(1), 1_000, true, NOW).unwrap();
    let out = write_off_token(&mut a, &mut q, 300, 0).unwrap();
    assert_eq!((out.socialized, out.debt_left), (0, 700));
    assert_eq!(a.bankruptcy_insurance_paid, 300);
    assert_eq!(q.socialized_loss, 0);
}

#[test]
fn cover_debt_repays_and_counts_the_fund_payment() {
    let mut sol = asset(2, Fx::ONE, Fx::ONE);
    let (mut a, mut lender) = (account(), account());
    deposit(&mut lender, &mut sol, 10_000, NOW).unwrap();
    withdraw(&mut a, &mut sol, &oracle(1), 100, true, NOW).unwrap();
    let mut other = asset(3, Fx::ONE, Fx::ONE);
    deposit(&mut lender, &mut other, 10, NOW).unwrap();
    withdraw(&mut a, &mut other, &oracle(1), 5, true, NOW).unwrap();
    assert_eq!(cover_debt(&mut a, &mut sol, 60, 90, NOW).unwrap(), 40);
    assert_eq!(a.bankruptcy_insurance_paid, 90, "still in debt: the count stays");
}

#[test]
fn perp_bankruptcy_steps_settle_pay_socialize_and_close() {
    let (mut b, mut s, mut base, mut q) = market();
    do_trade(&mut b, &mut s, &mut base, &mut q, 5, 20);
    // The seller closes at 30 against a third account: it lost 5 * 100 * 10 = 5,000.
    let mut c = account();
    deposit(&mut c, &mut q, 1_000_000, NOW).unwrap();
    do_trade(&mut s, &mut c, &mut base, &mut q, 5, 30);
    let idx = base.perp.funding().indexes();
    let px = MarketAt { ai: BASE, lot: LOT, index: idx, price: Price::from_num(30) };
    // The loser holds only 1,000 of quote (the rest withdrawn).
    let keep = native(&s, &q).to_num::<u64>() - 1_000;
    withdraw(&mut s, &mut q, &oracle(1), keep, false, NOW).unwrap();
    let settled = settle_from_deposit(&mut q, &mut b, &mut s, &px, u64::MAX, NOW).unwrap();
    assert_eq!(settled, 1_000);
    let claim = winner_claim(&mut b, &px, 1_500).unwrap();
    assert_eq!(claim, 1_500);
    credit_winner(&mut q, &mut b, BASE, claim, NOW).unwrap();
    let oi = Fx::from_num(base.perp.open_interest * LOT);
    let (loss_index, done) = socialize_perp_loss(&mut base, idx, 2_500, oi).unwrap();
    assert!(done && loss_index > idx.loss);
    let left = close_perp_loss(&mut s, BASE, 1_500, 2_500).unwrap();
    assert_eq!(left, 0);
    assert_eq!(s.perp_slot(BASE), None);
    assert_eq!(s.bankruptcy_insurance_paid, 1_500);
}

// ---- insurance ----

fn fund() -> InsuranceFund {
    let mut f = InsuranceFund::zeroed();
    f.vault = anchor_lang::prelude::Pubkey::new_unique();
    f.cooldown_secs = 100;
    f
}

#[test]
fn stake_unstake_and_the_cooldown() {
    let mut f = fund();
    let mut st = InsuranceStake::zeroed();
    assert_eq!(stake(&mut f, &mut st, 1_000).unwrap(), 1_000);
    assert!(is(err(request_unstake(&f, &mut st, 1_001, NOW)), BallastError::InvalidUnstakeRequest));
    assert_eq!(request_unstake(&f, &mut st, 400, NOW).unwrap(), 400);
    assert!(is(err(request_unstake(&f, &mut st, 1, NOW)), BallastError::InvalidUnstakeRequest));
    cancel_unstake(&mut st).unwrap();
    assert!(is(err(cancel_unstake(&mut st)), BallastError::InvalidUnstakeRequest));
    request_unstake(&f, &mut st, 400, NOW).unwrap();
    assert!(is(err(withdraw_unstake(&mut f, &mut st.clone(), NOW + 99)), BallastError::UnstakeCooldown));
    let expired = NOW + 100 + crate::constants::UNSTAKE_WINDOW_SECS + 1;
    assert!(is(err(withdraw_unstake(&mut f, &mut st.clone(), expired)), BallastError::UnstakeRequestExpired));
    // A loss during the cooldown is borne.
    assert_eq!(fund_payout(&mut f, 500).unwrap(), 500);
    let out = withdraw_unstake(&mut f, &mut st, NOW + 100).unwrap();
    assert_eq!(out, Unstaked { shares: 400, pay: 200 });
    assert_eq!((f.value, f.total_shares, st.shares), (300, 600, 600));
}

#[test]
fn fees_swept_while_nobody_stakes_become_protocol_shares() {
    let mut f = fund();
    let mut q = asset(0, Fx::ONE, Fx::ONE);
    q.insurance_fees = Fx128::from_fx(Fx::from_num(250) + Fx::from_bits(1));
    assert_eq!(sweep_fees(&mut f, &mut q).unwrap(), 250);
    assert_eq!(q.insurance_fees.fx(), Fx::from_bits(1), "the fraction stays");
    assert!(is(err(sweep_fees(&mut f, &mut q)), BallastError::ZeroAmount));
    assert_eq!((f.value, f.protocol_shares), (250, 250));
    assert!(is(err(withdraw_protocol_shares(&mut f, 251)), BallastError::InsufficientBalance));
    assert_eq!(withdraw_protocol_shares(&mut f, 100).unwrap().pay, 100);
    assert_eq!((f.value, f.total_shares, f.protocol_shares), (150, 150, 150));
}

#[test]
fn fund_payout_is_bounded_by_its_value_and_needs_a_fund() {
    let mut f = fund();
    f.value = 100;
    assert_eq!(fund_payout(&mut f, 150).unwrap(), 100);
    assert_eq!((f.value, f.paid_out), (0, 100));
    let mut none = InsuranceFund::zeroed();
    none.value = 5;
    assert_eq!(fund_payout(&mut none, 5).unwrap(), 0);
}

#[test]
fn protocol_fees_are_taken_in_whole_units() {
    let mut q = asset(0, Fx::ONE, Fx::ONE);
    q.bank.protocol_fees = Fx128::from_fx(Fx::from_num(10) + Fx::from_bits(7));
    assert!(is(err(take_protocol_fees(&mut q, 11, NOW)), BallastError::InsufficientFees));
    let out = take_protocol_fees(&mut q, u64::MAX, NOW).unwrap();
    assert_eq!((out.amount, out.left), (10, Fx::from_bits(7)));
    assert!(is(err(take_protocol_fees(&mut q, u64::MAX, NOW)), BallastError::ZeroAmount));
}

// ---- value conservation ----

/// One random step of the property test.
#[derive(Clone, Debug)]
enum Op {
    Deposit { who: usize, asset: usize, amount: u64 },
    Withdraw { who: usize, asset: usize, amount: u64, borrow: bool },
    Repay { who: usize, asset: usize, amount: u64 },
    Trade { buyer: usize, seller: usize, lots: u64, price: u64 },
    Settle { win: usize, lose: usize, price: u64, liquidatable: bool, collateral: u64 },
    Liquidate { liqee: usize, liqor: usize, x: u64, y: u64 },
    PerpLiquidate { liqee: usize, liqor: usize, lots: u64, price: u64, ins: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..3usize;
    let amount = 1..100_000u64;
    prop_oneof![
        (who.clone(), 0..2usize, amount.clone()).prop_map(|(who, asset, amount)| Op::Deposit { who, asset, amount }),
        (who.clone(), 0..2usize, amount.clone(), any::<bool>()).prop_map(|(who, asset, amount, borrow)| Op::Withdraw {
            who,
            asset,
            amount,
            borrow
        }),
        (who.clone(), 0..2usize, amount).prop_map(|(who, asset, amount)| Op::Repay { who, asset, amount }),
        (who.clone(), who.clone(), 1..20u64, 1..50u64).prop_map(|(buyer, seller, lots, price)| Op::Trade {
            buyer,
            seller,
            lots,
            price
        }),
        (who.clone(), who.clone(), 1..50u64, any::<bool>(), 0..100_000u64).prop_map(
            |(win, lose, price, liquidatable, collateral)| Op::Settle { win, lose, price, liquidatable, collateral }
        ),
        (who.clone(), who.clone(), 1..5_000u64, 1..5_000u64).prop_map(|(liqee, liqor, x, y)| Op::Liquidate {
            liqee,
            liqor,
            x,
            y
        }),
        (who.clone(), who, 1..20u64, 1..50u64, 0..500u64)
            .prop_map(|(liqee, liqor, lots, price, ins)| Op::PerpLiquidate { liqee, liqor, lots, price, ins }),
    ]
}

/// Three accounts, the quote asset (0) and a perp asset (1), with the tokens each vault holds.
#[derive(Clone)]
struct World {
    accounts: [Box<MarginAccount>; 3],
    assets: [Box<Asset>; 2],
    vault: [u64; 2],
}

fn pair<T>(v: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    assert_ne!(i, j);
    if i < j {
        let (a, b) = v.split_at_mut(j);
        (&mut a[i], &mut b[0])
    } else {
        let (a, b) = v.split_at_mut(i);
        (&mut b[0], &mut a[j])
    }
}

impl World {
    fn apply(&mut self, op: &Op) -> anchor_lang::Result<()> {
        match *op {
            Op::Deposit { who, asset, amount } => {
                deposit(&mut self.accounts[who], &mut self.assets[asset], amount, NOW)?;
                self.vault[asset] += amount;
            }
            Op::Withdraw { who, asset, amount, borrow } => {
                let out = withdraw(&mut self.accounts[who], &mut self.assets[asset], &oracle(1), amount, borrow, NOW)?;
                // The token program refuses a transfer beyond the vault's balance (deposits lent out
                // or credited by a settlement against a borrower): the transaction fails.
                self.vault[asset] =
                    self.vault[asset].checked_sub(out.amount).ok_or(BallastError::InsufficientBalance)?;
            }
            Op::Repay { who, asset, amount } => {
                let d = debt(&self.accounts[who], &mut self.assets[asset], NOW)?;
                let pay = amount.min(d);
                repay(&mut self.accounts[who], &mut self.assets[asset], pay, NOW)?;
                self.vault[asset] += pay;
            }
            Op::Trade { buyer, seller, lots, price } => {
                if buyer == seller {
                    return Err(BallastError::SameAccount.into());
                }
                let (b, s) = pair(&mut self.accounts, buyer, seller);
                let (q, base) = pair(&mut self.assets, 0, 1);
                let m = fill_market(base, price * LOT, lots, &oracle(price), NOW)?;
                let f = Fill::price(BASE, 0, lots, price * LOT, 10, 5)?;
                trade(base, q, b, s, &f, &m, NOW)?;
            }
            Op::Settle { win, lose, price, liquidatable, collateral } => {
                if win == lose {
                    return Err(BallastError::SameAccount.into());
                }
                let (w, l) = pair(&mut self.accounts, win, lose);
                let (q, base) = pair(&mut self.assets, 0, 1);
                let req = Settlement {
                    ai: BASE,
                    index: base.perp.funding().indexes(),
                    oracle: Price::from_num(price),
                    collateral: Fx::from_num(collateral),
                    liquidatable,
                    max_amount: u64::MAX,
                };
                settle(base, q, w, l, &req, NOW)?;
            }
            Op::Liquidate { liqee, liqor, x, y } => {
                if liqee == liqor {
                    return Err(BallastError::SameAccount.into());
                }
                let (e, r) = pair(&mut self.accounts, liqee, liqor);
                let (q, base) = pair(&mut self.assets, 0, 1);
                let st = TokenLiquidation { ai: BASE, li: 0, x, y, ins: y / 10, fee_bps: 0 };
                token_step(base, q, e, r, &st, NOW)?;
            }
            Op::PerpLiquidate { liqee, liqor, lots, price, ins } => {
                if liqee == liqor {
                    return Err(BallastError::SameAccount.into());
                }
                let (e, r) = pair(&mut self.accounts, liqee, liqor);
                let held = e.perp_slot(BASE).map(|s| e.perps[s].base_lots).unwrap_or(0);
                if held == 0 || lots > held.unsigned_abs() {
                    return Err(BallastError::NothingToLiquidate.into());
                }
                let (q, base) = pair(&mut self.assets, 0, 1);
                let st = PerpLiquidation {
                    ai: BASE,
                    qi: 0,
                    lots,
                    price: price * LOT,
                    long: held > 0,
                    ins,
                    fee_bps: 0,
                    lot_size: LOT,
                    oracle: Price::from_num(price),
                };
                perp_step(base, q, e, r, &st, NOW)?;
            }
        }
        Ok(())
    }

    /// The invariants every transition keeps; `steps` transitions have been applied, each of which
    /// may leave the vault at most one native unit of rounding per balance it changes (two at
    /// most) above the claims on it.
    fn check(&self, steps: u64) {
        for (k, a) in self.assets.iter().enumerate() {
            let bank = a.bank.state();
            let (mut dep, mut bor, mut claims) = (Fx::ZERO, Fx::ZERO, Fx::ZERO);
            for acc in &self.accounts {
                let pos = acc.token_indexed(a.asset_index);
                if pos > Fx::ZERO {
                    dep += pos
                } else {
                    bor -= pos
                }
                claims += bank.native(pos).unwrap();
            }
            // Shares: the bank's totals are exactly the sum of the positions.
            assert_eq!(dep, bank.indexed_deposits, "asset {k}: deposit shares");
            assert_eq!(bor, bank.indexed_borrows, "asset {k}: borrow shares");
            // Tokens: the vault covers every claim on it (deposits less borrows, fees), rounding
            // always against the accounts.
            let owed = claims + a.bank.protocol_fees.fx() + a.insurance_fees.fx();
            let vault = Fx::from_num(self.vault[k]);
            assert!(vault >= owed, "asset {k}: vault {} < claims {owed}", self.vault[k]);
            // ... and nothing is lost: the surplus is rounding only. A transition changes at most
            // two balances (a settlement debits the loser and credits the winner), and each change
            // may round by less than one native unit against its account: a winner's credit that
            // repays a borrow of 1.000000000000004 units takes 2, a loser's debit of a balance of
            // 0.999999999999996 units borrows the whole amount (proptest regression 849a72d7).
            assert!(
                vault - owed <= Fx::from_num(2 * steps),
                "asset {k}: vault {vault} exceeds claims {owed} by more than rounding"
            );
        }
        // Perps: every long has a short, every quote paid is received.
        let lots: i64 = self
            .accounts
            .iter()
            .flat_map(|a| a.perps.iter())
            .filter(|p| p.asset_index == BASE)
            .map(|p| p.base_lots)
            .sum();
        assert_eq!(lots, 0, "base lots");
        let quote: Fx = self
            .accounts
            .iter()
            .flat_map(|a| a.perps.iter())
            .filter(|p| p.asset_index == BASE)
            .map(|p| p.quote.fx())
            .sum();
        assert_eq!(quote, Fx::ZERO, "perp quote");
        let oi: u64 = self
            .accounts
            .iter()
            .flat_map(|a| a.perps.iter())
            .filter(|p| p.asset_index == BASE && p.base_lots > 0)
            .map(|p| p.base_lots as u64)
            .sum();
        assert_eq!(oi, self.assets[1].perp.open_interest, "open interest");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any sequence of deposits, withdrawals, borrows, repayments, trades, settlements and token
    /// liquidation steps keeps the share totals equal to the positions, the vaults covering every
    /// claim, and perp base, quote and open interest balanced. A failed transition is discarded as
    /// Solana discards a failed transaction.
    #[test]
    fn transitions_conserve_value(
        di in 1_000u32..3_000,
        bi in 1_000u32..3_000,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let (di, bi) = (Fx::from_num(di) / 1_000, Fx::from_num(bi) / 1_000);
        let mut w = World {
            accounts: [account(), account(), account()],
            assets: [asset(0, di, bi), asset(BASE, di, bi)],
            vault: [0, 0],
        };
        let mut steps = 0;
        for op in &ops {
            let before = w.clone();
            if w.apply(op).is_err() {
                w = before;
            } else {
                steps += 1;
            }
            w.check(steps);
        }
    }
}

/// Governance's direction rules of an asset edit and an option market (docs/governance.md): what
/// the guardian may do at once, and every single loosening it may not.
#[test]
fn asset_and_option_direction_rules_refuse_every_single_loosening() {
    use crate::instructions::EditAssetParams;
    let mut a = asset(BASE, Fx::ONE, Fx::ONE);
    a.risk = RiskConfig {
        concentration_threshold: u64::MAX,
        init_down_bps: 2_000,
        init_up_bps: 2_500,
        maint_down_bps: 1_000,
        maint_up_bps: 1_250,
        risk_group: BASE,
        liquidation_fee_bps: 500,
        ..Default::default()
    };
    a.bank.deposit_cap = 1_000;
    let e = |f: fn(&mut EditAssetParams)| {
        let mut p = EditAssetParams::default();
        f(&mut p);
        p
    };
    let ok = [
        e(|p| p.name = Some([7; 16])),
        e(|p| p.deposit_cap = Some(999)),
        e(|p| p.flags = Some(ASSET_FLAG_BORROWABLE | ASSET_FLAG_DEPOSITS_DISABLED | ASSET_FLAG_WITHDRAWALS_DISABLED)),
        e(|p| p.flags = Some(0)),
    ];
    for p in ok {
        assert!(p.no_riskier_than(&a), "{p:?}");
    }
    let risk = a.risk;
    let looser = [
        e(|p| p.deposit_cap = Some(1_001)),
        e(|p| p.flags = Some(ASSET_FLAG_BORROWABLE | ASSET_FLAG_NO_ASSET_LIQUIDATION)),
        e(|p| p.oracle = Some(OracleConfig { max_age_secs: 1, ..OracleConfig::default() })),
        e(|p| p.fallback_oracle = Some(OracleConfig { max_age_secs: 1, ..OracleConfig::default() })),
        e(|p| p.interest = Some(crate::risk::interest::InterestConfig { fee_bps: 1, ..Default::default() })),
        e(|p| p.stable_growth_bps_per_hour = Some(1)),
        e(|p| p.insurance_cap = Some(1)),
    ];
    for p in looser {
        assert!(!p.no_riskier_than(&a), "{p:?}");
    }
    // The deviation breaker: on or tighter at once; off or looser queued.
    let breaker = |b: u16| EditAssetParams { deviation_breaker_bps: Some(b), ..Default::default() };
    assert!(breaker(500).no_riskier_than(&a));
    a.deviation_breaker_bps = 500;
    assert!(breaker(400).no_riskier_than(&a) && breaker(500).no_riskier_than(&a));
    assert!(!breaker(0).no_riskier_than(&a) && !breaker(600).no_riskier_than(&a));
    // Higher shocks: at once without options, queued with them.
    let higher = EditAssetParams { risk: Some(RiskConfig { init_down_bps: 3_000, ..risk }), ..Default::default() };
    assert!(higher.no_riskier_than(&a));
    a.option.contract_size = 1;
    assert!(!higher.no_riskier_than(&a));
    assert!(EditAssetParams { risk: Some(risk), ..Default::default() }.no_riskier_than(&a));

    let m = OptionMarketParams {
        contract_size: 10,
        max_open_interest: 100,
        max_expiry_open_interest: 50,
        min_strike_bps: 5_000,
        max_strike_bps: 20_000,
        settle_window_secs: 600,
        settle_spacing_secs: 30,
        max_vol_change_bps: 500,
        price_band_bps: 300,
        taker_fee_bps: 10,
        liquidation_fee_bps: 100,
        settle_max_conf_bps: 100,
        settle_min_samples: 5,
        flags: OPTION_FLAG_ENABLED,
        risk: crate::risk::options::grid::OptionRiskConfig::DEFAULT,
    };
    assert!(m.no_riskier_than(&m));
    let stricter = OptionMarketParams {
        max_open_interest: 99,
        max_expiry_open_interest: 49,
        min_strike_bps: 5_001,
        max_strike_bps: 19_999,
        max_vol_change_bps: 499,
        price_band_bps: 299,
        flags: OPTION_FLAG_ENABLED | OPTION_FLAG_REDUCE_ONLY,
        ..m
    };
    assert!(stricter.no_riskier_than(&m));
    let mut higher_vol = m;
    higher_vol.risk.init_vol_up_bps += 1;
    let mut higher_min = m;
    higher_min.risk.short_minimum_bps += 1;
    for x in [
        OptionMarketParams { contract_size: 11, ..m },
        OptionMarketParams { max_open_interest: 101, ..m },
        OptionMarketParams { max_expiry_open_interest: 51, ..m },
        OptionMarketParams { min_strike_bps: 4_999, ..m },
        OptionMarketParams { max_strike_bps: 20_001, ..m },
        OptionMarketParams { settle_window_secs: 601, ..m },
        OptionMarketParams { settle_spacing_secs: 31, ..m },
        OptionMarketParams { max_vol_change_bps: 501, ..m },
        OptionMarketParams { price_band_bps: 301, ..m },
        OptionMarketParams { taker_fee_bps: 9, ..m },
        OptionMarketParams { liquidation_fee_bps: 99, ..m },
        OptionMarketParams { settle_max_conf_bps: 99, ..m },
        OptionMarketParams { settle_min_samples: 4, ..m },
        OptionMarketParams { flags: 0, ..m },
        higher_vol,
        higher_min,
    ] {
        assert!(!x.no_riskier_than(&m), "{x:?}");
    }
    assert!(!m.no_riskier_than(&stricter), "clearing reduce-only and raising caps");
}
