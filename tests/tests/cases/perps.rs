//! Perps: block trades, signed orders, funding, PnL settlement, caps and bands. Catalogue PX-01 …
//! PX-04, OR-13, AV-16 (adapted to `fill_order`), and I-7 after every trade.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::error::BallastError;
use ballast::order::{SignedOrder, SIDE_BUY, SIDE_SELL};
use ballast::risk::perp::MAX_FUNDING_SECS;
use ballast::risk::{Fx, HealthType};
use ballast::state::PerpMarketParams;
use ballast::state::{OracleKind, PERP_FLAG_ENABLED, PERP_FLAG_REDUCE_ONLY};
use ballast_sdk::perp::{self as sp, TradeParty};
use ballast_sdk::transport::Transport;
use ballast_sdk::{ix, pda};
use solana_sdk::signature::{Keypair, Signer};

/// Native SOL units per lot (0.01 SOL): at $100 a lot is worth 1,000,000 quote native ($1).
const LOT: u64 = 10_000_000;
/// $1 per lot at the $100 oracle.
const PAR: u64 = 1_000_000;
const USDC: u16 = 0;
const SOL: u16 = 1;

fn market_params() -> PerpMarketParams {
    ballast_sdk::scenario::perp_params(LOT)
}

fn set_market(env: &mut Env, p: PerpMarketParams) -> TxResult {
    let admin = env.admin.insecure_clone();
    let ix = sp::set_perp_market(&env.group, &admin.pubkey(), SOL, p);
    env.send(&[ix], &[&admin])
}

/// USDC ($1) and SOL ($100) with a SOL perp; two traders with 10,000 USDC each. The clock starts
/// one hour after the market opened, so the first fill carries full weight in the premium average.
fn setup() -> (Env, User, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    set_market(&mut env, market_params()).unwrap();
    let a = env.user(0);
    let b = env.user(1);
    env.fund_and_deposit(&a, USDC, 10_000_000_000);
    env.fund_and_deposit(&b, USDC, 10_000_000_000);
    env.set_time(T0 + 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 100.0);
    (env, a, b)
}

/// Moves the clock to `t`, publishes USDC at $1 and SOL at `sol`, and refreshes both assets.
fn reprice(env: &mut Env, t: i64, sol: f64) {
    env.set_time(t);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, sol);
    for i in [USDC, SOL] {
        let o = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
    }
}

fn party(env: &mut Env, u: &User) -> TradeParty {
    TradeParty { account: u.account, authority: u.kp.pubkey(), health: env.health_keys_with(&u.account, &[SOL, USDC]) }
}

fn block_ix(env: &mut Env, buyer: &User, seller: &User, lots: u64, price: u64) -> Instruction {
    let (b, s) = (party(env, buyer), party(env, seller));
    sp::block_trade(&env.group, SOL, USDC, &b, &s, lots, price)
}

fn block(env: &mut Env, buyer: &User, seller: &User, lots: u64, price: u64) -> TxResult {
    let ix = block_ix(env, buyer, seller, lots, price);
    let (kb, ks) = (buyer.kp.insecure_clone(), seller.kp.insecure_clone());
    env.send(&[ix], &[&kb, &ks])
}

/// (base lots, quote) of an account's SOL perp position ((0, 0) when it has none).
fn perp(env: &mut Env, u: &User) -> (i64, Fx) {
    let acc = env.margin_account(&u.account);
    acc.perp_slot(SOL).map(|s| (acc.perps[s].base_lots, acc.perps[s].quote.fx())).unwrap_or((0, Fx::ZERO))
}

/// Native USDC balance of an account (deposits positive, borrows negative).
fn usdc(env: &mut Env, u: &User) -> Fx {
    let acc = env.margin_account(&u.account);
    let a = env.asset_state(USDC);
    a.bank.state().native(acc.token_indexed(USDC)).unwrap()
}

/// Fees the quote asset holds for the protocol and the insurance fund.
fn fees(env: &mut Env) -> Fx {
    let a = env.asset_state(USDC);
    a.bank.protocol_fees.fx() + a.insurance_fees.fx()
}

/// Catalogue I-7 over `users`: base positions sum to zero, open interest is the sum of longs, and
/// quote positions (with funding applied up to the market's index) sum to zero when no funding
/// accrued; with funding the sum is never above zero and off only by the whole-unit rounding of
/// each funding settlement, against the account.
#[track_caller]
fn assert_i7(env: &mut Env, users: &[&User], funding: bool) {
    let mut base = 0i64;
    let mut longs = 0u64;
    let mut quote = Fx::ZERO;
    let assets = [env.asset_state(USDC), env.asset_state(SOL)];
    for u in users {
        let (b, _) = perp(env, u);
        base += b;
        longs += b.max(0) as u64;
        let acc = env.margin_account(&u.account);
        quote +=
            sp::positions(&acc, &assets, |_| ballast::risk::Price::from_num(0.1)).first().map_or(Fx::ZERO, |p| p.quote);
    }
    assert_eq!(base, 0, "I-7: base positions must sum to zero");
    assert_eq!(env.asset_state(SOL).perp.open_interest, longs, "I-7: open interest = sum of longs");
    if funding {
        assert!(quote <= Fx::ZERO && quote >= -Fx::from_num(64), "I-7: funding dust {quote}");
    } else {
        assert_eq!(quote, Fx::ZERO, "I-7: quote positions must sum to zero");
    }
}

#[test]
fn block_trade_open_add_reduce_flip_close() {
    let (mut env, a, b) = setup();
    let steps: [(bool, u64, u64, i64); 5] = [
        (true, 20, PAR, 20),          // a opens long 20 at par
        (true, 10, PAR + 10_000, 30), // a adds 10 at +1%
        (false, 5, PAR + 20_000, 25), // a reduces 5 at +2%
        (false, 40, PAR, -15),        // a flips to short 15
        (true, 15, PAR - 10_000, 0),  // a closes at -1%
    ];
    let mut a_cash = Fx::ZERO;
    for (a_buys, lots, price, a_after) in steps {
        let (fees_before, ua, ub) = (fees(&mut env), usdc(&mut env, &a), usdc(&mut env, &b));
        if a_buys {
            block(&mut env, &a, &b, lots, price).unwrap();
            a_cash -= Fx::from_num(lots * price);
        } else {
            block(&mut env, &b, &a, lots, price).unwrap();
            a_cash += Fx::from_num(lots * price);
        }
        let (a_lots, a_quote) = perp(&mut env, &a);
        assert_eq!(a_lots, a_after);
        assert_eq!(a_quote, a_cash, "quote is exactly the cash of the trades");
        // Each side pays 10 bps of notional, rounded up, from its USDC balance, to the fees.
        let fee = Fx::from_num((lots * price * 10).div_ceil(10_000));
        assert_eq!(ua - usdc(&mut env, &a), fee);
        assert_eq!(ub - usdc(&mut env, &b), fee);
        assert_eq!(fees(&mut env) - fees_before, fee * 2, "I-7: fees balance the token debits");
        assert_i7(&mut env, &[&a, &b], false);
    }
    // Closed with realized PnL: a bought 20@1.00 + 10@1.01 + 15@0.99, sold 5@1.02 + 40@1.00.
    assert_eq!(perp(&mut env, &a).1, Fx::from_num(5 * 1_020_000 + 40 * PAR - 20 * PAR - 10 * 1_010_000 - 15 * 990_000));
}

#[test]
fn px_01_wash_trade_off_oracle_price_rejected() {
    let (mut env, a, b) = setup();
    // 5% band: 1,050,000 per lot is the highest price, 950,000 the lowest.
    for price in [PAR * 105 / 100 + 1, PAR * 95 / 100 - 1, PAR * 2] {
        let ix = block_ix(&mut env, &a, &b, 100, price);
        let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
        env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::PriceOutsideBand);
    }
    // At the band's edge the trade clears, but health values the PnL at the oracle: the "winner"
    // of a wash trade gains equity only the band's width, and the PnL stays unsettled until a
    // settlement within the window limit.
    block(&mut env, &a, &b, 100, PAR * 95 / 100).unwrap();
    let raw = env.health_raw(&a.account);
    let acc = env.margin_account(&a.account);
    let now = env.now();
    let eq = ballast_sdk::health::compute(&env.group, &acc, &raw, now, HealthType::Maint).unwrap().equity;
    let fee = Fx::from_num((100 * PAR * 95 / 100 * 10).div_ceil(10_000));
    let want = Fx::from_num(10_000_000_000u64 + 100 * PAR * 5 / 100) - fee;
    assert!((eq - want).abs() < Fx::from_num(0.001), "{eq} vs {want}");
    assert_i7(&mut env, &[&a, &b], false);
}

#[test]
fn or_13_band_cannot_exceed_maint_shocks() {
    let (mut env, a, b) = setup();
    // The SOL asset's maint shocks are 10% down and 12.5% up: a band of 10.01% is refused.
    let admin = env.admin.insecure_clone();
    let ix = sp::set_perp_market(
        &env.group,
        &admin.pubkey(),
        SOL,
        PerpMarketParams { price_band_bps: 1_001, ..market_params() },
    );
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
    // With the widest band allowed (10%), a bid above oracle x (1 + maint down) is still rejected.
    set_market(&mut env, PerpMarketParams { price_band_bps: 1_000, ..market_params() }).unwrap();
    let ix = block_ix(&mut env, &a, &b, 10, PAR * 110 / 100 + 1);
    let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::PriceOutsideBand);
    let ix = block_ix(&mut env, &a, &b, 10, PAR * 90 / 100 - 1);
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::PriceOutsideBand);
    // Just inside the band (the oracle's binary fraction of $100 is a hair below it).
    block(&mut env, &a, &b, 10, PAR * 110 / 100 - 1).unwrap();
    assert_i7(&mut env, &[&a, &b], false);
}

#[test]
fn px_02_open_interest_cap() {
    let (mut env, a, b) = setup();
    set_market(&mut env, PerpMarketParams { max_open_interest: 100, ..market_params() }).unwrap();
    let ix = block_ix(&mut env, &a, &b, 101, PAR);
    let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::MaxOpenInterest);
    block(&mut env, &a, &b, 100, PAR).unwrap();
    let ix = block_ix(&mut env, &a, &b, 1, PAR);
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::MaxOpenInterest);
    // Reducing at the cap is always possible.
    block(&mut env, &b, &a, 40, PAR).unwrap();
    assert_eq!(env.asset_state(SOL).perp.open_interest, 60);
    assert_i7(&mut env, &[&a, &b], false);
}

#[test]
fn reduce_only_market_only_shrinks_positions() {
    let (mut env, a, b) = setup();
    block(&mut env, &a, &b, 50, PAR).unwrap();
    set_market(&mut env, PerpMarketParams { flags: PERP_FLAG_ENABLED | PERP_FLAG_REDUCE_ONLY, ..market_params() })
        .unwrap();
    let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
    for (buyer, seller, lots) in [(&a, &b, 1u64), (&b, &a, 51)] {
        let ix = block_ix(&mut env, buyer, seller, lots, PAR);
        env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::ReduceOnly);
    }
    block(&mut env, &b, &a, 30, PAR).unwrap();
    assert_eq!(perp(&mut env, &a).0, 20);
    // A disabled market refuses every trade.
    set_market(&mut env, PerpMarketParams { flags: 0, ..market_params() }).unwrap();
    let ix = block_ix(&mut env, &b, &a, 1, PAR);
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::PerpMarketDisabled);
    assert_i7(&mut env, &[&a, &b], false);
}

#[test]
fn block_trade_needs_both_signatures_and_health() {
    let (mut env, a, b) = setup();
    let ix = block_ix(&mut env, &a, &b, 10, PAR);
    let ka = a.kp.insecure_clone();
    let stranger = Keypair::new();
    let forged = swap_account(ix.clone(), &b.kp.pubkey(), &stranger.pubkey());
    env.assert_fails_nsc(&[forged], &[&ka, &stranger], BallastError::Unauthorized);
    // 10,000 USDC cannot carry a 1,000,000-lot ($1M) position.
    let ix = block_ix(&mut env, &a, &b, 1_000_000, PAR);
    let kb = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::HealthMustBePositive);
    let ix = block_ix(&mut env, &a, &a, 10, PAR);
    env.assert_fails_nsc(&[ix], &[&ka], BallastError::SameAccount);
    assert_i7(&mut env, &[&a, &b], false);
}

// ---- signed orders ----

fn order(maker: &User, side: u8, size: u64, price: u64, nonce: u64, expiry: i64) -> SignedOrder {
    SignedOrder {
        account: maker.account,
        asset_index: SOL,
        side,
        size_lots: size,
        limit_price_per_lot: price,
        expiry,
        nonce,
        max_fee_bps: 5,
    }
}

/// The two instructions of a fill, signed by `signer`.
fn fill_ixs(env: &mut Env, o: &SignedOrder, signer: &Keypair, taker: &User, lots: u64) -> [Instruction; 2] {
    let domain = env.group_state().order_domain;
    let sig = sp::sign_order(signer, &env.group, &domain, o);
    let maker_health = env.health_keys_with(&o.account, &[SOL, USDC]);
    let t = party(env, taker);
    sp::fill_order_ixs(&env.group, &domain, USDC, o, &signer.pubkey(), &sig, &maker_health, &t, lots)
}

fn fill(env: &mut Env, o: &SignedOrder, signer: &Keypair, taker: &User, lots: u64) -> TxResult {
    let ixs = fill_ixs(env, o, signer, taker, lots);
    let k = taker.kp.insecure_clone();
    env.send(&ixs, &[&k])
}

#[test]
fn signed_order_fills_fully_partially_twice_then_rejects() {
    let (mut env, maker, taker) = setup();
    let mk = maker.kp.insecure_clone();
    let far = T0 + 86_400;
    // Fully, in one fill.
    let o1 = order(&maker, SIDE_SELL, 10, PAR, 1, far);
    fill(&mut env, &o1, &mk, &taker, 10).unwrap();
    assert_eq!((perp(&mut env, &maker).0, perp(&mut env, &taker).0), (-10, 10));
    // Partially, twice up to its size, then rejected.
    let o2 = order(&maker, SIDE_BUY, 10, PAR, 2, far);
    fill(&mut env, &o2, &mk, &taker, 4).unwrap();
    fill(&mut env, &o2, &mk, &taker, 6).unwrap();
    let ixs = fill_ixs(&mut env, &o2, &mk, &taker, 1);
    let tk = taker.kp.insecure_clone();
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::OrderSizeExhausted);
    let rec = env.bank.get_account(&pda::order_record(&maker.account, 2).0).unwrap().unwrap();
    let rec = ballast_sdk::decode::order_record(&rec).unwrap();
    assert_eq!((rec.size_lots, rec.filled_lots), (10, 10));
    assert_eq!(perp(&mut env, &maker).0, 0);
    // The maker paid 5 bps, the taker 10 bps, on each fill.
    assert_i7(&mut env, &[&maker, &taker], false);
    // A nonce the maker cancelled cannot fill.
    let o3 = order(&maker, SIDE_SELL, 10, PAR, 3, far);
    env.send(&[sp::cancel_order(&maker.account, &mk.pubkey(), 3)], &[&mk]).unwrap();
    let ixs = fill_ixs(&mut env, &o3, &mk, &taker, 1);
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::OrderSizeExhausted);
}

#[test]
fn signed_order_attacks_rejected_without_state_change() {
    let (mut env, maker, taker) = setup();
    let mk = maker.kp.insecure_clone();
    let tk = taker.kp.insecure_clone();
    let far = T0 + 86_400;
    let o = order(&maker, SIDE_SELL, 10, PAR, 7, far);

    // Expired.
    let expired = order(&maker, SIDE_SELL, 10, PAR, 8, T0 + 3_599);
    let ixs = fill_ixs(&mut env, &expired, &mk, &taker, 1);
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::OrderExpired);

    // Wrong signer: a valid signature by someone who may not trade the maker account.
    let ixs = fill_ixs(&mut env, &o, &tk, &taker, 1);
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::Unauthorized);

    // Tampered message: the submitted order differs from the signed one (a better price).
    let [verify, _] = fill_ixs(&mut env, &o, &mk, &taker, 1);
    let tampered = SignedOrder { limit_price_per_lot: PAR - 1, ..o };
    let [_, fill_t] = fill_ixs(&mut env, &tampered, &mk, &taker, 1);
    env.assert_fails_nsc(&[verify.clone(), fill_t], &[&tk], BallastError::OrderSignatureMismatch);

    // ed25519 instruction missing, or placed elsewhere (after, or two before).
    let [verify, fill_ix] = fill_ixs(&mut env, &o, &mk, &taker, 1);
    env.assert_fails_nsc(std::slice::from_ref(&fill_ix), &[&tk], BallastError::MissingSignatureVerification);
    env.assert_fails_nsc(&[fill_ix.clone(), verify.clone()], &[&tk], BallastError::MissingSignatureVerification);
    let refresh = ix::refresh_asset(&env.group, SOL, &env.assets[SOL as usize].oracle.clone());
    env.assert_fails_nsc(
        &[verify.clone(), refresh, fill_ix.clone()],
        &[&tk],
        BallastError::MissingSignatureVerification,
    );

    // A flipped signature byte fails in the precompile: nothing runs.
    let mut bad = verify.clone();
    bad.data[16 + 32] ^= 1;
    let keys = env.keys_of(std::slice::from_ref(&fill_ix));
    let before = env.snapshot(&keys);
    assert!(env.send(&[bad, fill_ix.clone()], &[&tk]).is_err());
    assert_eq!(env.snapshot(&keys), before);

    // AV-16 adapted: a fake account whose data mimics an instructions sysvar holding the verification.
    let fake = Pubkey::new_unique();
    let real = env.bank.get_account(&solana_sdk::sysvar::instructions::ID).unwrap();
    let data = real.map(|r| r.data.bytes().to_vec()).unwrap_or_else(|| vec![0u8; 64]);
    env.bank.set_account(&fake, &solana_sdk::sysvar::ID, 1_000_000, &data);
    let forged = swap_account(fill_ix.clone(), &solana_sdk::sysvar::instructions::ID, &fake);
    env.assert_fails_nsc(&[verify.clone(), forged], &[&tk], anchor_lang::error::ErrorCode::ConstraintAddress);

    // Replayed nonce: the nonce of a filled order, reused for another message.
    fill(&mut env, &o, &mk, &taker, 4).unwrap();
    let replay = SignedOrder { size_lots: 100, ..o };
    let ixs = fill_ixs(&mut env, &replay, &mk, &taker, 1);
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::NonceReused);
    // Fee above the order's max.
    let greedy = SignedOrder { max_fee_bps: 4, nonce: 9, ..o };
    let ixs = fill_ixs(&mut env, &greedy, &mk, &taker, 1);
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::FeeAboveOrderMax);
    assert_i7(&mut env, &[&maker, &taker], false);
}

#[test]
fn signed_order_by_trade_delegate() {
    let (mut env, maker, taker) = setup();
    let bot = Keypair::new();
    let mk = maker.kp.insecure_clone();
    let ix = ix::set_delegate(&maker.account, &mk.pubkey(), &bot.pubkey(), ballast::constants::DELEGATE_TRADE, 0);
    env.send(&[ix], &[&mk]).unwrap();
    let o = order(&maker, SIDE_BUY, 5, PAR, 1, T0 + 86_400);
    fill(&mut env, &o, &bot, &taker, 5).unwrap();
    assert_eq!(perp(&mut env, &maker).0, 5);
    assert_i7(&mut env, &[&maker, &taker], false);
}

// ---- funding ----

#[test]
fn funding_accrues_in_the_right_direction_and_amount() {
    let (mut env, long, short) = setup();
    // One fill at a 1% premium with full weight: the premium average is 1%, clamped to 1% per day.
    block(&mut env, &long, &short, 1_000, PAR + 10_000).unwrap();
    let f = env.asset_state(SOL).perp;
    assert!((f.premium_ema.fx().to_num::<f64>() - 0.01).abs() < 1e-9);
    // One hour later a permissionless refresh accrues 1%/day x $100 x 1/24 per SOL.
    env.set_time(T0 + 2 * 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 100.0);
    let oracle = env.assets[SOL as usize].oracle;
    env.send(&[ix::refresh_asset(&env.group, SOL, &oracle)], &[]).unwrap();
    let index = env.asset_state(SOL).perp.funding_index.fx();
    let per_native = 0.01 * 0.1 / 24.0; // quote native per native base unit
    assert!((index.to_num::<f64>() - per_native).abs() < 1e-12, "{index}");
    // Applied lazily: the long pays, the short receives, rounded against each.
    let assets = [env.asset_state(USDC), env.asset_state(SOL)];
    let price = |_| ballast::risk::Price::from_num(0.1);
    let pl = sp::positions(&env.margin_account(&long.account), &assets, price)[0];
    let ps = sp::positions(&env.margin_account(&short.account), &assets, price)[0];
    let owed = 1_000.0 * LOT as f64 * per_native; // 416,666.67
    let (ql, qs) = (perp(&mut env, &long).1, perp(&mut env, &short).1);
    assert_eq!(ql - pl.quote, Fx::from_num(owed.ceil()));
    assert_eq!(ps.quote - qs, Fx::from_num(owed.floor()));
    // A touch (another trade) settles it into the positions.
    block(&mut env, &long, &short, 1, PAR + 10_000).unwrap();
    assert_eq!(env.margin_account(&long.account).perps[0].funding_paid, owed.ceil() as i64);
    assert_eq!(env.margin_account(&short.account).perps[0].funding_paid, -(owed.floor() as i64));
    assert_i7(&mut env, &[&long, &short], true);
}

#[test]
fn px_04_funding_after_a_day_without_updates_is_clamped_and_capped() {
    let (mut env, long, short) = setup();
    // A fill 4% over the oracle: the premium is clamped to the 1% per day maximum.
    block(&mut env, &long, &short, 1_000, PAR + 40_000).unwrap();
    env.set_time(T0 + 3_600 + 86_400);
    env.set_price(SOL, 100.0);
    let oracle = env.assets[SOL as usize].oracle;
    env.send(&[ix::refresh_asset(&env.group, SOL, &oracle)], &[]).unwrap();
    let index = env.asset_state(SOL).perp.funding_index.fx().to_num::<f64>();
    // At most one hour (MAX_FUNDING_SECS) at the clamped rate.
    let capped = 0.01 * 0.1 * MAX_FUNDING_SECS as f64 / 86_400.0;
    assert!((index - capped).abs() < 1e-12, "{index} vs {capped}");
    assert_i7(&mut env, &[&long, &short], true);
}

// ---- settlement ----

/// a long 1,000 lots at par, SOL up 10%: a has $100 of PnL, b -$100.
fn pnl_setup() -> (Env, User, User) {
    let (mut env, a, b) = setup();
    block(&mut env, &a, &b, 1_000, PAR).unwrap();
    env.set_price(SOL, 110.0);
    (env, a, b)
}

fn equity(env: &mut Env, u: &User) -> Fx {
    let raw = env.health_raw(&u.account);
    let acc = env.margin_account(&u.account);
    let now = env.now();
    ballast_sdk::health::compute(&env.group, &acc, &raw, now, HealthType::Maint).unwrap().equity
}

#[test]
fn settle_pnl_moves_exactly_the_settled_amount_within_the_window() {
    let (mut env, a, b) = pnl_setup();
    let (ea, eb) = (equity(&mut env, &a), equity(&mut env, &b));
    let (ua, ub) = (usdc(&mut env, &a), usdc(&mut env, &b));
    let (qa, qb) = (perp(&mut env, &a).1, perp(&mut env, &b).1);
    // Wrong direction: the loser has nothing to be paid.
    let ix = settle_ix(&mut env, SOL, &b, &a, u64::MAX);
    env.assert_fails_nsc(&[ix], &[], BallastError::NothingToSettle);
    // $100 of PnL, a $30 window limit: the request is reduced to the limit.
    let ix = settle_ix(&mut env, SOL, &a, &b, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    let moved = Fx::from_num(30_000_000);
    assert_eq!(usdc(&mut env, &a) - ua, moved);
    assert_eq!(ub - usdc(&mut env, &b), moved);
    assert_eq!(qa - perp(&mut env, &a).1, moved);
    assert_eq!(perp(&mut env, &b).1 - qb, moved);
    assert_eq!(equity(&mut env, &a), ea, "settlement leaves equity unchanged");
    assert_eq!(equity(&mut env, &b), eb);
    // The window is used up.
    let ix = settle_ix(&mut env, SOL, &a, &b, u64::MAX);
    env.assert_fails_nsc(&[ix], &[], BallastError::SettleLimitReached);
    // The next window settles more; an explicit maximum is honoured.
    env.set_time(T0 + 2 * 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 110.0);
    let ix = settle_ix(&mut env, SOL, &a, &b, 12_345);
    env.send(&[ix], &[]).unwrap();
    assert_eq!(usdc(&mut env, &a) - ua, Fx::from_num(30_012_345));
    assert_i7(&mut env, &[&a, &b], false);
}

#[test]
fn px_03_unrealized_pnl_is_not_withdrawable_and_settles_within_limits() {
    let (mut env, a, b) = pnl_setup();
    // a's $100 of unrealized PnL is not a deposit: withdrawing more than its USDC fails.
    let ix = env.withdraw_ix(&a, USDC, 10_000_000_001);
    let ka = a.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&ka], BallastError::InsufficientBalance);
    // With the Init PnL cap at zero (and the stable price caught up), the PnL backs nothing in Init
    // health: all of it is charged back, while Maint counts it.
    set_market(&mut env, PerpMarketParams { init_pnl_cap: 0, ..market_params() }).unwrap();
    env.set_time(T0 + 2 * 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 110.0);
    let oracle = env.assets[SOL as usize].oracle;
    env.send(&[ix::refresh_asset(&env.group, SOL, &oracle)], &[]).unwrap();
    let raw = env.health_raw(&a.account);
    let acc = env.margin_account(&a.account);
    let now = env.now();
    let h = ballast_sdk::health::compute_all(&env.group, &acc, &raw, now).unwrap();
    assert!(h[0].addon_charge >= Fx::from_num(99_000_000), "Init: {:?}", h[0]);
    assert_eq!(h[1].addon_charge, Fx::ZERO, "Maint counts the PnL");
    // Settled within the limit, it can be withdrawn; the rest waits for the next window.
    let fee = 1_000 * PAR * 10 / 10_000;
    let ix = settle_ix(&mut env, SOL, &a, &b, u64::MAX);
    env.send(&[ix], &[]).unwrap();
    env.withdraw(&a, USDC, 30_000_000).expect("withdraw settled PnL");
    assert_eq!(usdc(&mut env, &a), Fx::from_num(10_000_000_000 - fee));
    let ix = env.withdraw_ix(&a, USDC, 10_000_000_000 - fee + 1);
    env.assert_fails_nsc(&[ix], &[&ka], BallastError::InsufficientBalance);
    assert_i7(&mut env, &[&a, &b], false);
}

// ---- SDK parity ----

#[test]
fn sdk_health_equals_program_health_with_perps() {
    let (mut env, a, b) = setup();
    let c = env.user(2);
    env.fund_and_deposit(&c, SOL, 50_000_000_000);
    let mut rng = 0x2545f4914f6cdd1du64;
    let mut next = |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    let users = [&a, &b, &c];
    let mut px = 100u64;
    for round in 0..8 {
        let (i, j) = (next(3) as usize, next(3) as usize);
        if i != j {
            // Within 3% of the oracle; a trade the health rule refuses is simply skipped.
            let price = (PAR * px / 100) * 97 / 100 + next(PAR * px / 100 * 6 / 100);
            let _ = block(&mut env, users[i], users[j], 1 + next(3_000), price);
        }
        env.set_time(T0 + 3_600 + 600 * (round + 1));
        px = 80 + next(40);
        env.set_price(USDC, 1.0);
        env.set_price(SOL, px as f64);
        for u in users {
            env.assert_sdk_health_is_program_health(&u.account);
        }
    }
    assert!(perp(&mut env, &a).0 != 0 || perp(&mut env, &b).0 != 0 || perp(&mut env, &c).0 != 0);
    assert_i7(&mut env, &users, true);
}

// ---- liquidation ----

#[test]
fn lq_13_perp_position_taken_over_at_oracle_minus_fee() {
    let (mut env, liqor, b) = setup();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, USDC, 2_000_000_000);
    block(&mut env, &liqee, &b, 4_000, PAR).unwrap();
    // SOL falls to $60 over an hour (the stable price follows): the long is liquidatable.
    reprice(&mut env, T0 + 2 * 3_600, 60.0);
    let health = |env: &mut Env, u: &User| {
        let acc = env.margin_account(&u.account);
        let raw = env.health_raw(&u.account);
        let now = env.now();
        ballast_sdk::health::compute_all(&env.group, &acc, &raw, now).unwrap()
    };
    let before = health(&mut env, &liqee);
    assert!(before[1].health < Fx::ZERO, "maint {}", before[1].health);
    let oi = env.asset_state(SOL).perp.open_interest;
    let ins_before = env.asset_state(USDC).insurance_fees.fx();
    let (q_liqee, q_liqor) = (perp(&mut env, &liqee).1, perp(&mut env, &liqor).1);
    let ix = liq_perp_ix(&mut env, &liqor, &liqee, SOL);
    let k = liqor.kp.insecure_clone();
    env.send(&[ix], &[&k]).unwrap();
    let after = health(&mut env, &liqee);
    assert!(
        after[2].health >= Fx::ZERO && after[2].health < Fx::from_num(1_000_000),
        "stops at 0: {}",
        after[2].health
    );
    assert!(after[1].health > before[1].health, "the liquidated account's health improves");
    // The liquidator bought n lots at $0.60 x (1 - 5%) = 570,000 per lot; open interest is unchanged.
    let (n, ql) = perp(&mut env, &liqor);
    assert!(n > 0 && n < 4_000, "partial: {n}");
    assert_eq!(perp(&mut env, &liqee).0, 4_000 - n);
    // (The oracle's binary fraction puts a lot a hair under $0.60; the fee rounds against the
    // liquidated account: 569,999 per lot.)
    let paid = q_liqor - ql;
    let per_lot = paid / Fx::from_num(n);
    assert!(per_lot == Fx::from_num(569_999) || per_lot == Fx::from_num(570_000), "{per_lot}");
    assert_eq!(perp(&mut env, &liqee).1 - q_liqee, paid, "the position moved at one price: no PnL created");
    assert_eq!(env.asset_state(SOL).perp.open_interest, oi);
    // The insurance fund's 20% of the ~30,000-per-lot fee, paid by the liquidator in USDC.
    let ins = (env.asset_state(USDC).insurance_fees.fx() - ins_before).to_num::<f64>();
    assert!((ins - n as f64 * 30_000.0 * 0.2).abs() <= n as f64, "{ins}");
    assert_i7(&mut env, &[&liqee, &liqor, &b], false);
}

#[test]
fn ib_10_perp_loss_beyond_collateral_is_covered_by_the_fund_then_socialized_across_open_positions() {
    // A perp loss is settled only as far as the loser's collateral covers (S2-22); the rest is
    // resolved by `resolve_perp_bankruptcy`: the fund pays a winner up to the market's cap (the SOL
    // asset's `insurance_cap`) and the remainder is socialized across open positions through the
    // market's loss index. Quote depositors bear nothing; positions stay zero-sum (I-7).
    let (mut env, liqor, b) = setup();
    env.create_fund();
    let staker = env.user(6);
    env.stake(&staker, 500_000_000).unwrap();
    let admin = env.admin.insecure_clone();
    let cap = ballast::instructions::EditAssetParams { insurance_cap: Some(300_000_000), ..Default::default() };
    env.send(&[ix::edit_asset(&env.group, &admin.pubkey(), SOL, cap)], &[&admin]).unwrap();
    // (A settle limit large enough to settle the loss within the hour.)
    set_market(&mut env, PerpMarketParams { settle_limit: 1_000_000_000_000, ..market_params() }).unwrap();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, USDC, 2_000_000_000);
    block(&mut env, &liqee, &b, 4_000, PAR).unwrap();
    let keeper = ballast_sdk::keeper::Keeper {
        group: env.group,
        liqor: liqor.account,
        owner: liqor.kp.insecure_clone(),
        payer: env.payer.insecure_clone(),
    };
    let mut t = T0 + 3_600;
    for price in [40.0, 40.0, 40.0] {
        t += 3_600;
        reprice(&mut env, t, price);
        keeper.run(&mut env.bank, 20).unwrap();
    }
    let acc = env.margin_account(&liqee.account);
    assert!(acc.is_empty(), "the bankrupt account is closed out: {:?}", acc.active_assets(&[]));
    let f = env.group_state().insurance;
    assert_eq!(f.paid_out, 300_000_000, "the fund paid up to the cap");
    assert!(env.asset_state(SOL).perp.loss_index.fx() > Fx::ZERO, "the rest was socialized across open positions");
    assert_eq!(env.asset_state(USDC).socialized_loss, 0, "quote depositors bore nothing");
    // I-7: base positions still net to zero and open interest matches. (A settlement rounding
    // residue of at most one native unit of the bankrupt's perp loss was written off with it.)
    let bases: i64 = [&liqee, &liqor, &b].iter().map(|u| perp(&mut env, u).0).sum();
    assert_eq!(bases, 0);
    assert_eq!(env.asset_state(SOL).perp.open_interest, perp(&mut env, &liqor).0.max(0) as u64);
}

#[test]
fn ib_11_winners_cannot_withdraw_before_losers_settle() {
    let (mut env, a, b) = setup();
    let c = env.user(7);
    env.fund_and_deposit(&c, USDC, 10_000_000_000);
    block(&mut env, &a, &b, 1_000, PAR).unwrap();
    env.set_price(SOL, 110.0);
    // The winner closes at $110 against a third account: $100 of PnL, all unsettled.
    block(&mut env, &c, &a, 1_000, PAR * 110 / 100).unwrap();
    assert_eq!(perp(&mut env, &a).0, 0);
    let deposit = usdc(&mut env, &a);
    let ix = env.withdraw_ix(&a, USDC, deposit.to_num::<u64>() + 1);
    let ka = a.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&ka], BallastError::InsufficientBalance);
    // Only what a loser settles becomes withdrawable, within the window limit.
    let oracle = env.assets[SOL as usize].oracle;
    let keys = env.health_keys(&b.account, None);
    let settle = sp::settle_pnl(
        &ballast_sdk::perp::SettleAccounts {
            group: env.group,
            asset_index: SOL,
            oracle,
            profitable: a.account,
            unprofitable: b.account,
            loser_health: &keys,
        },
        u64::MAX,
    );
    env.send(&[settle], &[]).unwrap();
    assert_eq!(usdc(&mut env, &a) - deposit, Fx::from_num(30_000_000));
    env.withdraw(&a, USDC, deposit.to_num::<u64>() + 30_000_000).expect("settled PnL is withdrawable");
    assert_i7(&mut env, &[&a, &b, &c], false);
}

#[test]
fn lq_07_outstanding_signed_orders_do_not_block_liquidation() {
    // Adapted: signed orders are off-chain intents, not on-chain open orders: nothing to cancel
    // first. Liquidation proceeds, and the liquidated account's order cannot add risk afterwards.
    let (mut env, liqor, b) = setup();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, USDC, 2_000_000_000);
    block(&mut env, &liqee, &b, 4_000, PAR).unwrap();
    let mk = liqee.kp.insecure_clone();
    reprice(&mut env, T0 + 2 * 3_600, 60.0);
    let o = order(&liqee, SIDE_BUY, 1_000, PAR * 60 / 100, 1, T0 + 86_400);
    let ix = liq_perp_ix(&mut env, &liqor, &liqee, SOL);
    let k = liqor.kp.insecure_clone();
    env.send(&[ix], &[&k]).unwrap();
    let ixs = fill_ixs(&mut env, &o, &mk, &b, 1_000);
    let kb = b.kp.insecure_clone();
    env.assert_fails_nsc(&ixs, &[&kb], BallastError::HealthMustBePositive);
}

/// S2-15 (security review): every signed order commits to its group's `order_domain`, a hash of the
/// program, the group, its creator and the slot and time it was created at. An order signed for the
/// same group address on another cluster (same creator key and group number, another domain) is
/// refused with OrderSignatureMismatch and nothing changes; the same order signed for this group
/// fills.
#[test]
fn s2_15_an_order_signed_for_another_cluster_is_refused() {
    let (mut env, maker, taker) = setup();
    let domain = env.group_state().order_domain;
    assert_ne!(domain, [0; 32], "set at create_group");
    let o = order(&maker, SIDE_SELL, 10, PAR, 1, T0 + 86_400);
    let other_cluster = {
        let mut d = domain;
        d[0] ^= 1;
        d
    };
    let mk = maker.kp.insecure_clone();
    let sig = sp::sign_order(&mk, &env.group, &other_cluster, &o);
    let maker_health = env.health_keys_with(&o.account, &[SOL, USDC]);
    let t = party(&mut env, &taker);
    let ixs = sp::fill_order_ixs(&env.group, &other_cluster, USDC, &o, &mk.pubkey(), &sig, &maker_health, &t, 10);
    let tk = taker.kp.insecure_clone();
    env.assert_fails_nsc(&ixs, &[&tk], BallastError::OrderSignatureMismatch);
    fill(&mut env, &o, &mk, &taker, 10).unwrap();
    assert_eq!(perp(&mut env, &taker).0, 10);
}

/// The SDK's `max_perp_trade` is the largest trade the program accepts for the trader: one more
/// lot fails with HealthMustBePositive and changes nothing.
#[test]
fn sdk_max_perp_trade_is_the_programs_limit() {
    let (mut env, a, b) = setup();
    // The seller is rich, so the buyer's health is the limit.
    env.fund_and_deposit(&b, USDC, 10_000_000_000_000);
    let fee = market_params().taker_fee_bps;
    let f = ballast_sdk::health::fetch(&mut env.bank, &env.group, &a.account, &[SOL, USDC]).unwrap();
    let m = f.max_perp_trade(SOL, true, PAR, fee, Fx::ZERO).unwrap();
    assert!(m > 1_000, "10,000 USDC carries more than 1,000 lots of $1: {m}");
    let ix = block_ix(&mut env, &a, &b, m + 1, PAR);
    let (ka, kb) = (a.kp.insecure_clone(), b.kp.insecure_clone());
    env.assert_fails_nsc(&[ix], &[&ka, &kb], BallastError::HealthMustBePositive);
    block(&mut env, &a, &b, m, PAR).unwrap();
    let f = ballast_sdk::health::fetch(&mut env.bank, &env.group, &a.account, &[SOL, USDC]).unwrap();
    assert_eq!(f.max_perp_trade(SOL, true, PAR, fee, Fx::ZERO).unwrap(), 0);
    assert!(f.max_perp_trade(SOL, false, PAR, fee, Fx::ZERO).unwrap() >= m, "selling back reduces risk");
}
