//! Options on chain: market and expiry configuration, option block trades (premium, fee, bands,
//! caps), health with the scenario grid (SDK = program), PX-06, and option liquidation (options
//! before tokens, shorts before longs, steps sized to the LiquidationEnd target).

use crate::harness::*;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::error::BallastError;
use ballast::order::{SignedOptionOrder, SIDE_BUY, SIDE_SELL};
use ballast::risk::{Fx, Price};
use ballast::state::{OptionMarketParams, OracleKind};
use ballast_sdk::options as so;
use ballast_sdk::perp::TradeParty;
use solana_sdk::signature::{Keypair, Signer};

const USDC: u16 = 0;
const SOL: u16 = 1;
/// 0.01 SOL per contract: $1 of notional at $100.
const CONTRACT: u64 = 10_000_000;
const DAY: i64 = 86_400;

/// The strike of `usd` per SOL, quote native per base native (USDC 6 decimals, SOL 9).
fn strike(usd: f64) -> Price {
    Price::from_num(usd / 1_000.0)
}

/// Black-76 premium per contract in quote native units (f64 reference for test prices).
fn premium(call: bool, f: f64, k: f64, vol: f64, days: f64) -> u64 {
    (so::reference_price(call, f, k, vol, days / 365.0) * 0.01 * 1e6).round() as u64
}

fn admin_send(env: &mut Env, ix: Instruction) -> TxResult {
    let admin = env.admin.insecure_clone();
    env.send(&[ix], &[&admin])
}

fn set_market(env: &mut Env, p: OptionMarketParams) -> TxResult {
    let admin = env.admin.pubkey();
    admin_send(env, so::set_option_market(&env.group, &admin, SOL, p))
}

/// USDC ($1) and SOL ($100); SOL options of 0.01 SOL with expiries 30 and 60 days out at a flat
/// 60%; a writer and a buyer with 10,000 USDC each. Returns (env, writer, buyer, 30-day expiry).
fn setup() -> (Env, User, User, i64) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    set_market(&mut env, so::default_params(CONTRACT)).unwrap();
    let now = env.now();
    let expiry = now + 30 * DAY;
    let admin = env.admin.pubkey();
    let g = env.group;
    for (slot, e) in [(0u8, expiry), (1, now + 60 * DAY)] {
        admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, slot, so::flat_smile(e, 6_000))).unwrap();
    }
    let w = env.user(0);
    let b = env.user(1);
    env.fund_and_deposit(&w, USDC, 10_000_000_000);
    env.fund_and_deposit(&b, USDC, 10_000_000_000);
    (env, w, b, expiry)
}

fn party(env: &mut Env, u: &User) -> TradeParty {
    TradeParty { account: u.account, authority: u.kp.pubkey(), health: env.health_keys_with(&u.account, &[SOL, USDC]) }
}

fn trade_ix(env: &mut Env, buyer: &User, seller: &User, o: ballast::instructions::OptionOrder) -> Instruction {
    let (b, s) = (party(env, buyer), party(env, seller));
    so::trade_option(&env.group, SOL, &b, &s, o)
}

fn trade(env: &mut Env, buyer: &User, seller: &User, o: ballast::instructions::OptionOrder) -> TxResult {
    let ix = trade_ix(env, buyer, seller, o);
    let (kb, ks) = (buyer.kp.insecure_clone(), seller.kp.insecure_clone());
    env.send(&[ix], &[&kb, &ks])
}

/// Contracts of `u` in its option slots (series order as opened).
fn contracts(env: &mut Env, u: &User) -> Vec<i64> {
    so::positions(&env.margin_account(&u.account)).iter().map(|(_, o)| o.size).collect()
}

#[test]
fn an_option_block_trade_moves_premium_fee_positions_and_open_interest() {
    let (mut env, w, b, expiry) = setup();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    let (w0, b0) = (balance(&mut env, &w, USDC), balance(&mut env, &b, USDC));
    trade(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 1_000, p)).unwrap();
    assert_eq!(contracts(&mut env, &b), vec![1_000]);
    assert_eq!(contracts(&mut env, &w), vec![-1_000]);
    // Fee: 3 bps of $1,000 of notional each, $0.30.
    let fee = 300_000;
    // Exact up to the bank's share rounding (one native unit, against the account).
    let near = |x: Fx, want: Fx| x <= want && want - x <= Fx::ONE;
    assert!(near(balance(&mut env, &b, USDC), b0 - Fx::from_num(1_000 * p + fee)));
    assert!(near(balance(&mut env, &w, USDC), w0 + Fx::from_num(1_000 * p - fee)));
    let m = env.asset_state(SOL).option;
    assert_eq!((m.open_interest, m.expiries[0].open_interest), (1_000, 1_000));
    // Buying back half shrinks both sides and the open interest.
    trade(&mut env, &w, &b, so::order(expiry, strike(100.0), 0, 500, p)).unwrap();
    assert_eq!(contracts(&mut env, &b), vec![500]);
    assert_eq!(env.asset_state(SOL).option.open_interest, 500);
    // Health with the option grid: the SDK's figure is the program's to the last bit.
    env.assert_sdk_health_is_program_health(&w.account);
    env.assert_sdk_health_is_program_health(&b.account);
    // The writer's Init health counts the short call's grid loss: below its cash.
    let [init, maint, end] = healths(&mut env, &w);
    assert!(init < maint && init <= end && end <= maint, "{init} {end} {maint}");
    assert!(maint < balance(&mut env, &w, USDC), "the short's value and charge count");
}

#[test]
fn option_trade_refusals_change_nothing() {
    let (mut env, w, b, expiry) = setup();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    let signers = |a: &User, c: &User| (a.kp.insecure_clone(), c.kp.insecure_clone());
    let cases: Vec<(ballast::instructions::OptionOrder, BallastError)> = vec![
        // An expiry that is not listed.
        (so::order(expiry + 1, strike(100.0), 0, 10, p), BallastError::OptionSeriesInvalid),
        // A strike beyond 500% of the price.
        (so::order(expiry, strike(600.0), 0, 10, 1), BallastError::OptionSeriesInvalid),
        // A kind other than call or put.
        (so::order(expiry, strike(100.0), 2, 10, p), BallastError::OptionSeriesInvalid),
        // A premium beyond the band (5% of the price, $0.05 per contract) around the model.
        (so::order(expiry, strike(100.0), 0, 10, p + 60_000), BallastError::PriceOutsideBand),
        (so::order(expiry, strike(100.0), 0, 10, p.saturating_sub(60_000)), BallastError::PriceOutsideBand),
        (so::order(expiry, strike(100.0), 0, 0, p), BallastError::ZeroAmount),
    ];
    for (o, code) in cases {
        let ix = trade_ix(&mut env, &b, &w, o);
        let (kb, kw) = signers(&b, &w);
        env.assert_fails_nsc(&[ix], &[&kb, &kw], code);
    }
    // More than the expiry's open-interest cap.
    let mut capped = so::default_params(CONTRACT);
    capped.max_expiry_open_interest = 100;
    set_market(&mut env, capped).unwrap();
    let ix = trade_ix(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 101, p));
    let (kb, kw) = signers(&b, &w);
    env.assert_fails_nsc(&[ix], &[&kb, &kw], BallastError::MaxOpenInterest);
    set_market(&mut env, so::default_params(CONTRACT)).unwrap();
    // The same account on both sides.
    let ix = trade_ix(&mut env, &b, &b, so::order(expiry, strike(100.0), 0, 10, p));
    let kb = b.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kb], BallastError::SameAccount);
    // A naked writer of far too many contracts fails the health rule.
    let ix = trade_ix(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 100_000, p));
    let (kb, kw) = signers(&b, &w);
    env.assert_fails_nsc(&[ix], &[&kb, &kw], BallastError::HealthMustBePositive);
    // A disabled market refuses new positions.
    let mut off = so::default_params(CONTRACT);
    off.flags = 0;
    set_market(&mut env, off).unwrap();
    let ix = trade_ix(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 10, p));
    let (kb, kw) = signers(&b, &w);
    env.assert_fails_nsc(&[ix], &[&kb, &kw], BallastError::OptionMarketDisabled);
    set_market(&mut env, so::default_params(CONTRACT)).unwrap();
    // After expiry the series no longer trades.
    trade(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 10, p)).unwrap();
    env.set_time(expiry + 1);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 100.0);
    let ix = trade_ix(&mut env, &w, &b, so::order(expiry, strike(100.0), 0, 10, 0));
    let (kw, kb) = signers(&w, &b);
    env.assert_fails_nsc(&[ix], &[&kw, &kb], BallastError::OptionSeriesInvalid);
}

// ---- signed option orders ----

/// `maker`'s signed order to buy (`side` SIDE_BUY) or sell `contracts` of the 30-day call at
/// strike 100 for `p` per contract, max fee 3 bps.
fn option_order(maker: &User, side: u8, expiry: i64, contracts: u64, p: u64, nonce: u64) -> SignedOptionOrder {
    SignedOptionOrder {
        account: maker.account,
        asset_index: SOL,
        side,
        kind: 0,
        contracts,
        premium_per_contract: p,
        expiry: expiry - DAY,
        nonce,
        max_fee_bps: 3,
        series_expiry: expiry,
        strike_bits: strike(100.0).to_bits(),
    }
}

/// The two instructions of a fill of `o` signed by `signer`, taken by `taker`.
fn option_fill_ixs(env: &mut Env, o: &SignedOptionOrder, signer: &Keypair, taker: &User, n: u64) -> [Instruction; 2] {
    let domain = env.group_state().order_domain;
    let sig = so::sign_option_order(signer, &env.group, &domain, o);
    let maker_health = env.health_keys_with(&o.account, &[SOL, USDC]);
    let t = party(env, taker);
    so::fill_option_order_ixs(&env.group, &domain, o, &signer.pubkey(), &sig, &maker_health, &t, n)
}

fn option_fill(env: &mut Env, o: &SignedOptionOrder, signer: &Keypair, taker: &User, n: u64) -> TxResult {
    let ixs = option_fill_ixs(env, o, signer, taker, n);
    let k = taker.kp.insecure_clone();
    env.send(&ixs, &[&k])
}

/// The order's fill record: (size, filled), contracts.
fn record(env: &mut Env, maker: &User, nonce: u64) -> (u64, u64) {
    use ballast_sdk::transport::Transport;
    let raw = env.bank.get_account(&ballast_sdk::pda::order_record(&maker.account, nonce).0).unwrap().unwrap();
    let r = ballast_sdk::decode::order_record(&raw).unwrap();
    (r.size_lots, r.filled_lots)
}

/// A maker signs an option order off-chain; takers fill it in parts at the maker's premium, both
/// paying the market's fee, until its size is used up; a buying maker's order fills the same way.
#[test]
fn a_signed_option_order_fills_in_parts_at_the_makers_premium() {
    let (mut env, w, b, expiry) = setup();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    let wk = w.kp.insecure_clone();
    let (w0, b0) = (balance(&mut env, &w, USDC), balance(&mut env, &b, USDC));
    // The writer offers 1,000 calls; the buyer takes 400, then 600.
    let o = option_order(&w, SIDE_SELL, expiry, 1_000, p, 1);
    option_fill(&mut env, &o, &wk, &b, 400).unwrap();
    assert_eq!((contracts(&mut env, &w), contracts(&mut env, &b)), (vec![-400], vec![400]));
    assert_eq!(record(&mut env, &w, 1), (1_000, 400));
    option_fill(&mut env, &o, &wk, &b, 600).unwrap();
    assert_eq!((contracts(&mut env, &w), contracts(&mut env, &b)), (vec![-1_000], vec![1_000]));
    assert_eq!(record(&mut env, &w, 1), (1_000, 1_000));
    // Premium at the maker's price and 3 bps of $1,000 of notional per side ($0.12 + $0.18), as
    // the block trade of the same size moves them (up to one native unit of share rounding per
    // bank operation, against the account).
    let fee = 300_000;
    let near = |x: Fx, want: Fx| x <= want && want - x <= Fx::from(2);
    assert!(near(balance(&mut env, &b, USDC), b0 - Fx::from_num(1_000 * p + fee)));
    assert!(near(balance(&mut env, &w, USDC), w0 + Fx::from_num(1_000 * p - fee)));
    assert_eq!(env.asset_state(SOL).option.open_interest, 1_000);
    // Its size is used up.
    let ixs = option_fill_ixs(&mut env, &o, &wk, &b, 1);
    let bk = b.kp.insecure_clone();
    env.assert_fails_nsc(&ixs, &[&bk], BallastError::OrderSizeExhausted);
    // A buying maker: the writer bids for 300 back, the buyer fills it (it shrinks both).
    let bid = option_order(&w, SIDE_BUY, expiry, 300, p, 3);
    option_fill(&mut env, &bid, &wk, &b, 300).unwrap();
    assert_eq!((contracts(&mut env, &w), contracts(&mut env, &b)), (vec![-700], vec![700]));
    assert_eq!(env.asset_state(SOL).option.open_interest, 700);
    env.assert_sdk_health_is_program_health(&w.account);
    env.assert_sdk_health_is_program_health(&b.account);
    // A trade delegate of the maker may sign its orders.
    let bot = Keypair::new();
    let ix =
        ballast_sdk::ix::set_delegate(&w.account, &wk.pubkey(), &bot.pubkey(), ballast::constants::DELEGATE_TRADE, 0);
    env.send(&[ix], &[&wk]).unwrap();
    let by_bot = option_order(&w, SIDE_SELL, expiry, 50, p, 2);
    option_fill(&mut env, &by_bot, &bot, &b, 50).unwrap();
    assert_eq!(contracts(&mut env, &w), vec![-750]);
}

/// Every way to fill an option order the maker did not sign, or beyond what it signed, is refused
/// with its error and changes nothing.
#[test]
fn signed_option_order_attacks_rejected_without_state_change() {
    let (mut env, w, b, expiry) = setup();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    use ballast_sdk::transport::Transport;
    let (wk, bk) = (w.kp.insecure_clone(), b.kp.insecure_clone());
    let o = option_order(&w, SIDE_SELL, expiry, 100, p, 7);
    let refuse = |env: &mut Env, ixs: &[Instruction], code: BallastError| env.assert_fails_nsc(ixs, &[&bk], code);

    // Expired (the order's own expiry, not the series').
    let expired = SignedOptionOrder { expiry: env.now() - 1, nonce: 8, ..o };
    let ixs = option_fill_ixs(&mut env, &expired, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::OrderExpired);
    // Signed by a key that may not trade the maker account.
    let ixs = option_fill_ixs(&mut env, &o, &bk, &b, 1);
    refuse(&mut env, &ixs, BallastError::Unauthorized);
    // Tampered: the submitted order differs from the signed one (premium, strike, kind, series).
    let [verify, _] = option_fill_ixs(&mut env, &o, &wk, &b, 1);
    for tampered in [
        SignedOptionOrder { premium_per_contract: p + 1, ..o },
        SignedOptionOrder { strike_bits: strike(101.0).to_bits(), ..o },
        SignedOptionOrder { kind: 1, ..o },
        SignedOptionOrder { series_expiry: expiry + 30 * DAY, ..o },
        SignedOptionOrder { side: SIDE_BUY, ..o },
        SignedOptionOrder { contracts: o.contracts + 1, ..o },
        SignedOptionOrder { expiry: o.expiry + 1, ..o },
        SignedOptionOrder { max_fee_bps: o.max_fee_bps + 1, ..o },
    ] {
        let [_, fill] = option_fill_ixs(&mut env, &tampered, &wk, &b, 1);
        refuse(&mut env, &[verify.clone(), fill], BallastError::OrderSignatureMismatch);
    }
    // A perp order's signature with the same fields never verifies an option order.
    let perp = ballast::order::SignedOrder {
        account: w.account,
        asset_index: SOL,
        side: SIDE_SELL,
        size_lots: 100,
        limit_price_per_lot: p,
        expiry: o.expiry,
        nonce: 7,
        max_fee_bps: 3,
    };
    let domain = env.group_state().order_domain;
    let perp_sig = ballast_sdk::perp::sign_order(&wk, &env.group, &domain, &perp);
    let perp_verify = ballast_sdk::perp::ed25519_verify(&wk.pubkey(), &perp_sig, &perp.message(&env.group, &domain));
    let [_, fill] = option_fill_ixs(&mut env, &o, &wk, &b, 1);
    refuse(&mut env, &[perp_verify, fill.clone()], BallastError::OrderSignatureMismatch);
    // No ed25519 instruction right before.
    refuse(&mut env, std::slice::from_ref(&fill), BallastError::MissingSignatureVerification);
    refuse(&mut env, &[fill.clone(), verify.clone()], BallastError::MissingSignatureVerification);
    // AV-16 adapted: a fake account whose data mimics an instructions sysvar.
    let fake = anchor_lang::prelude::Pubkey::new_unique();
    let real = env.bank.get_account(&solana_sdk::sysvar::instructions::ID).unwrap();
    let data = real.map(|r| r.data.bytes().to_vec()).unwrap_or_else(|| vec![0u8; 64]);
    env.bank.set_account(&fake, &solana_sdk::sysvar::ID, 1_000_000, &data);
    let forged = swap_account(fill.clone(), &solana_sdk::sysvar::instructions::ID, &fake);
    let bk2 = b.kp.insecure_clone();
    env.assert_fails_nsc(&[verify.clone(), forged], &[&bk2], anchor_lang::error::ErrorCode::ConstraintAddress);
    // The maker taking its own order.
    let ixs = option_fill_ixs(&mut env, &o, &wk, &w, 1);
    let wk2 = w.kp.insecure_clone();
    env.assert_fails_nsc(&ixs, &[&wk2], BallastError::SameAccount);
    // A fee cap below the market's 3 bps.
    let cheap = SignedOptionOrder { max_fee_bps: 2, nonce: 9, ..o };
    let ixs = option_fill_ixs(&mut env, &cheap, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::FeeAboveOrderMax);
    // A premium outside the band around the model value at the fill ($0.05 per contract).
    let off = SignedOptionOrder { premium_per_contract: p + 60_000, nonce: 10, ..o };
    let ixs = option_fill_ixs(&mut env, &off, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::PriceOutsideBand);
    // A series that is not listed.
    let unlisted = SignedOptionOrder { series_expiry: expiry + 1, nonce: 11, ..o };
    let ixs = option_fill_ixs(&mut env, &unlisted, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::OptionSeriesInvalid);
    // An empty fill.
    let ixs = option_fill_ixs(&mut env, &o, &wk, &b, 0);
    refuse(&mut env, &ixs, BallastError::ZeroAmount);
    // A naked writer's order far beyond its health.
    let huge = SignedOptionOrder { contracts: 100_000, nonce: 12, ..o };
    let ixs = option_fill_ixs(&mut env, &huge, &wk, &b, 100_000);
    refuse(&mut env, &ixs, BallastError::HealthMustBePositive);

    // The nonce of a filled order, reused for another message.
    option_fill(&mut env, &o, &wk, &b, 40).unwrap();
    let replay = SignedOptionOrder { contracts: 1_000, ..o };
    let ixs = option_fill_ixs(&mut env, &replay, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::NonceReused);
    // More than what is left (60 of 100).
    let ixs = option_fill_ixs(&mut env, &o, &wk, &b, 61);
    refuse(&mut env, &ixs, BallastError::OrderSizeExhausted);
    // Cancelled by the maker: nothing more fills.
    env.send(&[ballast_sdk::perp::cancel_order(&w.account, &wk.pubkey(), 7)], &[&wk]).unwrap();
    let ixs = option_fill_ixs(&mut env, &o, &wk, &b, 1);
    refuse(&mut env, &ixs, BallastError::OrderSizeExhausted);
    assert_eq!(record(&mut env, &w, 7), (100, 40));
    assert_eq!((contracts(&mut env, &w), contracts(&mut env, &b)), (vec![-40], vec![40]));
}

/// A maker's nonces are shared by its perp and option orders, one fill record each: once a nonce
/// has filled one message, another message with it (another series, or the other kind of order)
/// fails with NonceReused and changes nothing, whichever kind came first.
#[test]
fn a_nonce_fills_one_message_across_series_and_order_kinds() {
    let (mut env, w, b, expiry) = setup();
    let admin = env.admin.pubkey();
    let perp_market =
        ballast_sdk::perp::set_perp_market(&env.group, &admin, SOL, ballast_sdk::scenario::perp_params(CONTRACT));
    admin_send(&mut env, perp_market).unwrap();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    let (wk, bk) = (w.kp.insecure_clone(), b.kp.insecure_clone());
    let domain = env.group_state().order_domain;
    let perp_fill = |env: &mut Env, nonce: u64| {
        // Sells 10 lots of 0.01 SOL at $1 a lot (the oracle).
        let o = ballast::order::SignedOrder {
            account: w.account,
            asset_index: SOL,
            side: SIDE_SELL,
            size_lots: 10,
            limit_price_per_lot: 1_000_000,
            expiry: env.now() + DAY,
            nonce,
            max_fee_bps: 5,
        };
        let sig = ballast_sdk::perp::sign_order(&wk, &env.group, &domain, &o);
        let maker_health = env.health_keys_with(&w.account, &[SOL, USDC]);
        let t = party(env, &b);
        ballast_sdk::perp::fill_order_ixs(&env.group, &domain, USDC, &o, &wk.pubkey(), &sig, &maker_health, &t, 1)
    };
    // Option first: the same fields with another strike, then another series expiry.
    let o = option_order(&w, SIDE_SELL, expiry, 100, p, 20);
    option_fill(&mut env, &o, &wk, &b, 10).unwrap();
    let other_strike = SignedOptionOrder { strike_bits: strike(101.0).to_bits(), ..o };
    let ixs = option_fill_ixs(&mut env, &other_strike, &wk, &b, 1);
    env.assert_fails_nsc(&ixs, &[&bk], BallastError::NonceReused);
    let other_series = SignedOptionOrder { series_expiry: expiry + 30 * DAY, ..o };
    let ixs = option_fill_ixs(&mut env, &other_series, &wk, &b, 1);
    env.assert_fails_nsc(&ixs, &[&bk], BallastError::NonceReused);
    // A perp order on the option order's nonce.
    let ixs = perp_fill(&mut env, 20);
    env.assert_fails_nsc(&ixs, &[&bk], BallastError::NonceReused);
    // Perp first: an option order on the perp order's nonce.
    let ixs = perp_fill(&mut env, 21);
    env.send(&ixs, &[&bk]).unwrap();
    let on_perp_nonce = option_order(&w, SIDE_SELL, expiry, 100, p, 21);
    let ixs = option_fill_ixs(&mut env, &on_perp_nonce, &wk, &b, 1);
    env.assert_fails_nsc(&ixs, &[&bk], BallastError::NonceReused);
    // The original option order still fills what is left of it.
    option_fill(&mut env, &o, &wk, &b, 90).unwrap();
    assert_eq!(record(&mut env, &w, 20), (100, 100));
    assert_eq!(record(&mut env, &w, 21), (10, 1));
}

#[test]
fn option_market_and_expiry_configuration_rules() {
    let (mut env, _w, b, expiry) = setup();
    let admin = env.admin.pubkey();
    let g = env.group;
    // The contract size is fixed once set; the quote asset has no options.
    let mut p = so::default_params(CONTRACT * 2);
    assert_code(set_market(&mut env, p), BallastError::InvalidConfig);
    p = so::default_params(CONTRACT);
    p.max_strike_bps = 700_000; // beyond 64 times the price
    assert_code(set_market(&mut env, p), BallastError::InvalidConfig);
    assert_code(
        admin_send(&mut env, so::set_option_market(&g, &admin, USDC, so::default_params(1))),
        BallastError::InvalidConfig,
    );
    // Smile updates: within 10% per update, before expiry.
    let ok = so::flat_smile(expiry, 6_500);
    admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 0, ok)).unwrap();
    let jump = so::flat_smile(expiry, 9_000);
    assert_code(admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 0, jump)), BallastError::InvalidConfig);
    // A listed expiry cannot be listed twice, nor a past one.
    let now = env.now();
    let dup = so::flat_smile(expiry, 6_000);
    assert_code(admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 2, dup)), BallastError::InvalidConfig);
    let past = so::flat_smile(now - 1, 6_000);
    assert_code(admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 2, past)), BallastError::InvalidConfig);
    // A slot with open interest cannot be relisted.
    let w2 = env.user(7);
    env.fund_and_deposit(&w2, USDC, 10_000_000_000);
    trade(&mut env, &b, &w2, so::order(expiry, strike(100.0), 1, 10, premium(false, 100.0, 100.0, 0.65, 30.0)))
        .unwrap();
    let other = so::flat_smile(now + 90 * DAY, 6_000);
    assert_code(admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 0, other)), BallastError::InvalidConfig);
    admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 3, other)).unwrap();
    // Only the admin configures.
    let k = b.kp.insecure_clone();
    let ix = so::set_option_market(&g, &k.pubkey(), SOL, so::default_params(CONTRACT));
    assert!(env.send(&[ix], &[&k]).is_err());
}

/// Catalogue PX-06: a writer whose short call moved against it cannot withdraw the premium it
/// received: the short is margined on its worst grid scenario.
#[test]
fn px_06_a_short_option_premium_cannot_be_withdrawn_after_an_adverse_move() {
    let (mut env, _w, b, expiry) = setup();
    let writer = env.user(5);
    env.fund_and_deposit(&writer, USDC, 1_000_000_000); // $1,000
    let p = premium(true, 100.0, 110.0, 0.6, 30.0);
    trade(&mut env, &b, &writer, so::order(expiry, strike(110.0), 0, 3_000, p)).unwrap();
    let cash = balance(&mut env, &writer, USDC);
    assert!(cash > Fx::from_num(1_000_000_000u64), "the premium was received");
    // SOL rallies 15%.
    env.set_price(SOL, 115.0);
    let received = (cash - Fx::from_num(1_000_000_000u64)).to_num::<u64>();
    let ix = env.withdraw_ix(&writer, USDC, received);
    let k = writer.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&k], BallastError::HealthMustBePositive);
    env.assert_sdk_health_is_program_health(&writer.account);
}

#[test]
fn a_covered_call_needs_less_than_its_spot_alone() {
    let (mut env, _w, b, expiry) = setup();
    let covered = env.user(5);
    let spot = env.user(6);
    for u in [&covered, &spot] {
        env.fund_and_deposit(u, SOL, 10_000_000_000); // 10 SOL, $1,000
    }
    let p = premium(true, 100.0, 110.0, 0.6, 30.0);
    trade(&mut env, &b, &covered, so::order(expiry, strike(110.0), 0, 1_000, p)).unwrap();
    let [ci, cm, _] = healths(&mut env, &covered);
    let [si, sm, _] = healths(&mut env, &spot);
    assert!(ci > si && cm > sm, "covered {ci}/{cm} vs spot {si}/{sm}");
    env.assert_sdk_health_is_program_health(&covered.account);
}

/// Moves the clock by an hour, publishes USDC at $1 and SOL at `sol`, and refreshes both assets so
/// that stable prices follow.
fn advance(env: &mut Env, sol: f64) {
    let now = env.now();
    env.set_time(now + 3_600);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, sol);
    for i in [USDC, SOL] {
        let o = env.assets[i as usize].oracle;
        env.send(&[ballast_sdk::ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
    }
}

/// A writer of short puts with a long call, 1,000 USDC of collateral and a loan of 2 SOL; SOL falls
/// until it is liquidatable. Options go before tokens, shorts before longs, and each step takes no more
/// contracts than the LiquidationEnd target needs (the SDK's sizing is the program's).
#[test]
fn option_liquidation_goes_first_short_first_and_stops_at_the_target() {
    let (mut env, liqor, b, expiry) = setup();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, USDC, 1_000_000_000);
    env.fund_and_deposit(&b, SOL, 10_000_000_000);
    let put = premium(false, 100.0, 90.0, 0.6, 30.0);
    let call = premium(true, 100.0, 110.0, 0.6, 30.0);
    trade(&mut env, &b, &liqee, so::order(expiry, strike(90.0), 1, 2_000, put)).unwrap();
    trade(&mut env, &liqee, &b, so::order(expiry, strike(110.0), 0, 100, call)).unwrap();
    env.borrow(&liqee, SOL, 2_000_000_000).unwrap();
    let mut price = 100.0;
    while healths(&mut env, &liqee)[1] >= Fx::ZERO {
        price -= 4.0;
        advance(&mut env, price);
        assert!(price > 10.0, "never liquidatable");
    }
    let acc = env.margin_account(&liqee.account);
    let short_slot = so::liquidation_slot(&acc).unwrap();
    assert!(acc.options[short_slot].size < 0);
    let long_slot = so::positions(&acc).iter().find(|(_, o)| o.size > 0).unwrap().0;
    let ee = env.health_keys(&liqee.account, None);
    let or = env.health_keys_with(&liqor.account, &[SOL, USDC]);
    let k = liqor.kp.insecure_clone();
    // A token step sized on linear health (repay the SOL loan, seize USDC) would leave the short
    // puts' long delta naked: the full health with the grid falls, so it is refused.
    let or_tok = env.health_keys_with(&liqor.account, &[SOL, USDC]);
    let tok = ballast_sdk::ix::liquidate_token(&parties(&env, &liqor, &liqee, &ee, &or_tok), USDC, SOL, u64::MAX);
    env.assert_fails_nsc(&[tok], &[&k], BallastError::WorseHealthPostLiquidation);
    // Longs wait for the shorts.
    let ix = so::liquidate_option(&parties(&env, &liqor, &liqee, &ee, &or), SOL, long_slot as u8, 100);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::ShortOptionsFirst);
    // The step the SDK sizes is accepted; one more contract is refused as beyond the target.
    let raws = env.health_raw(&liqee.account);
    let now = env.now();
    let fee_bps = env.group_state().liquidation.schedule().fee_bps(500, 0);
    let n = so::liquidation_contracts(&env.group, &acc, &raws, now, short_slot, fee_bps).unwrap();
    assert!(n > 1 && n < 2_000, "a partial step: {n}");
    let too_many = so::liquidate_option(&parties(&env, &liqor, &liqee, &ee, &or), SOL, short_slot as u8, n + 1);
    env.assert_fails_nsc(&[too_many], &[&k], BallastError::LiquidationBeyondTarget);
    let before = balance(&mut env, &liqor, USDC);
    let ok = so::liquidate_option(&parties(&env, &liqor, &liqee, &ee, &or), SOL, short_slot as u8, n);
    env.send(&[ok], &[&k]).unwrap();
    let left = so::positions(&env.margin_account(&liqee.account));
    assert_eq!(left.iter().map(|(_, o)| o.size).collect::<Vec<_>>(), vec![-(2_000 - n as i64), 100]);
    assert_eq!(contracts(&mut env, &liqor), vec![-(n as i64)]);
    assert!(balance(&mut env, &liqor, USDC) > before, "the liquidator was paid the value plus the fee");
    assert_eq!(env.asset_state(SOL).option.open_interest, 2_000 + 100, "a take-over moves open interest nowhere");
    let [_, _, end] = healths(&mut env, &liqee);
    assert!(end >= Fx::ZERO, "LiquidationEnd reached: {end}");
    env.assert_sdk_health_is_program_health(&liqee.account);
    env.assert_sdk_health_is_program_health(&liqor.account);
}

/// Records a settlement sample of SOL's `expiry` at the current clock (price published now).
fn sample_ix(env: &mut Env, expiry: i64) -> Instruction {
    let oracle = env.assets[SOL as usize].oracle;
    so::record_option_sample(&env.group, SOL, &oracle, &env.payer.pubkey(), expiry)
}

/// Catalogue PX-05: an attacker moves the oracle in the expiry slot. Settlement uses the median of
/// samples spaced over a window after expiry, so the one-slot print moves nothing; a burst of
/// samples in that slot is refused; the crank settles shorts into the pot and longs out of it.
#[test]
fn px_05_a_one_slot_oracle_move_at_expiry_does_not_move_the_settlement() {
    let (mut env, w, b, expiry) = setup();
    let p = premium(true, 100.0, 100.0, 0.6, 30.0);
    trade(&mut env, &b, &w, so::order(expiry, strike(100.0), 0, 100, p)).unwrap();
    // Before expiry no sample is taken.
    env.set_time(expiry - 30);
    env.set_price(SOL, 110.0);
    let early = sample_ix(&mut env, expiry);
    env.assert_fails_nsc(&[early], &[], BallastError::OptionSettlementWindow);
    // Samples every minute from expiry; the attacker prints $300 for the slot at +60.
    for i in 0..9i64 {
        env.set_time(expiry + 60 * i);
        env.set_price(USDC, 1.0);
        env.set_price(SOL, if i == 1 { 300.0 } else { 110.0 });
        let ix = sample_ix(&mut env, expiry);
        env.send(&[ix], &[]).unwrap();
        if i == 1 {
            // A second sample in the manipulated second is refused.
            let again = sample_ix(&mut env, expiry);
            env.assert_fails_nsc(&[again], &[], BallastError::OptionSettlementSpacing);
        }
    }
    // Expired and unsettled: margined at intrinsic value; nothing settles before the window closes.
    env.assert_sdk_health_is_program_health(&w.account);
    let g = env.group;
    env.assert_fails_nsc(&[so::settle_option_expiry(&g, SOL, expiry)], &[], BallastError::OptionSettlementNotReady);
    env.set_time(expiry + 1_800);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 110.0);
    env.send(&[so::settle_option_expiry(&g, SOL, expiry)], &[]).unwrap();
    let settled = env.asset_state(SOL).option.expiries[0].settlement_price.price();
    let off = (settled - Price::from_num(0.11)).abs();
    assert!(off < Price::from_num(1e-12), "the median of the samples ({settled}), not the $300 print");
    // Longs wait for the shorts' payment into the pot.
    let long = so::settle_option_position(&g, SOL, &b.account, expiry, 0);
    env.assert_fails_nsc(std::slice::from_ref(&long), &[], BallastError::OptionSettlementAwaitingShorts);
    let (w0, b0) = (balance(&mut env, &w, USDC), balance(&mut env, &b, USDC));
    env.send(&[so::settle_option_position(&g, SOL, &w.account, expiry, 0)], &[]).unwrap();
    env.send(&[long], &[]).unwrap();
    // $10 of intrinsic value per SOL on 100 contracts of 0.01 SOL: $10.
    let paid = Fx::from_num(10_000_000);
    assert!((w0 - balance(&mut env, &w, USDC) - paid).abs() <= Fx::ONE);
    assert!((balance(&mut env, &b, USDC) - b0 - paid).abs() <= Fx::ONE);
    assert!(contracts(&mut env, &w).is_empty() && contracts(&mut env, &b).is_empty());
    let m = env.asset_state(SOL).option;
    assert_eq!((m.open_interest, m.expiries[0].open_interest), (0, 0));
    // The slot is free for a new expiry.
    let admin = env.admin.pubkey();
    let now = env.now();
    admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 0, so::flat_smile(now + 90 * DAY, 6_000))).unwrap();
}

/// Review finding: an option that no step can profitably take over (a worthless far
/// out-of-the-money long) must not shield the account's loan from liquidation.
#[test]
fn a_worthless_long_option_does_not_block_token_liquidation() {
    let (mut env, liqor, b, expiry) = setup();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, SOL, 10_000_000_000);
    trade(&mut env, &liqee, &b, so::order(expiry, strike(490.0), 0, 1, 0)).unwrap();
    env.borrow(&liqee, USDC, 600_000_000).unwrap();
    let mut price = 100.0;
    while healths(&mut env, &liqee)[1] >= Fx::ZERO {
        price -= 5.0;
        advance(&mut env, price);
        assert!(price > 10.0, "never liquidatable");
    }
    let ee = env.health_keys(&liqee.account, None);
    let or = env.health_keys_with(&liqor.account, &[SOL, USDC]);
    let tok = ballast_sdk::ix::liquidate_token(&parties(&env, &liqor, &liqee, &ee, &or), SOL, USDC, u64::MAX);
    let k = liqor.kp.insecure_clone();
    env.send(&[tok], &[&k]).unwrap();
    assert!(healths(&mut env, &liqee)[2] >= Fx::ZERO, "LiquidationEnd reached with the option still held");
    assert_eq!(contracts(&mut env, &liqee), vec![1]);
}

/// Catalogue PX-07 (new): volatility-surface manipulation. A smile update moves each parameter by
/// at most the market's change limit (10%), and only before expiry; a refused update changes
/// nothing.
#[test]
fn px_07_a_vol_surface_update_is_bounded_per_update() {
    let (mut env, _w, _b, expiry) = setup();
    let admin = env.admin.insecure_clone();
    let g = env.group;
    for (atm, ok) in [(6_600u32, true), (5_000, false), (6_000, true), (12_000, false)] {
        let ix = so::set_option_expiry(&g, &admin.pubkey(), SOL, 0, so::flat_smile(expiry, atm));
        if ok {
            env.send(&[ix], &[&admin]).unwrap();
        } else {
            env.assert_fails_nsc(&[ix], &[&admin], BallastError::InvalidConfig);
        }
    }
    env.set_time(expiry);
    let late = so::set_option_expiry(&g, &admin.pubkey(), SOL, 0, so::flat_smile(expiry, 6_100));
    env.assert_fails_nsc(&[late], &[&admin], BallastError::OptionSeriesInvalid);
}

/// Catalogue PX-08 (new): pin risk. An expiry settling exactly at the strike pays nothing either
/// way: neither the writer of the call nor the writer of the put owes anything, and no long is paid.
#[test]
fn px_08_pin_risk_at_expiry_settles_at_zero_for_both_kinds() {
    let (mut env, w, b, expiry) = setup();
    let (c, p) = (premium(true, 100.0, 100.0, 0.6, 30.0), premium(false, 100.0, 100.0, 0.6, 30.0));
    // Struck at exactly the price the oracle's $100 converts to (the listing's stable price).
    let k = env.asset_state(SOL).stable_price.price();
    trade(&mut env, &b, &w, so::order(expiry, k, 0, 100, c)).unwrap();
    trade(&mut env, &b, &w, so::order(expiry, k, 1, 100, p)).unwrap();
    for i in 0..5i64 {
        env.set_time(expiry + 60 * i);
        env.set_price(USDC, 1.0);
        env.set_price(SOL, 100.0);
        let ix = sample_ix(&mut env, expiry);
        env.send(&[ix], &[]).unwrap();
    }
    env.set_time(expiry + 1_800);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, 100.0);
    let g = env.group;
    env.send(&[so::settle_option_expiry(&g, SOL, expiry)], &[]).unwrap();
    let (w0, b0) = (balance(&mut env, &w, USDC), balance(&mut env, &b, USDC));
    for u in [&w, &b] {
        for slot in [0u8, 1] {
            env.send(&[so::settle_option_position(&g, SOL, &u.account, expiry, slot)], &[]).unwrap();
        }
    }
    assert_eq!((balance(&mut env, &w, USDC), balance(&mut env, &b, USDC)), (w0, b0));
    assert!(contracts(&mut env, &w).is_empty() && contracts(&mut env, &b).is_empty());
    assert_eq!(env.asset_state(SOL).option.expiries[0].open_interest, 0);
}

/// The keeper liquidates an options account (shorts first, sized to the target, nothing refused)
/// and runs the settle crank after expiry: samples every minute, the settlement, every position.
#[test]
fn the_keeper_liquidates_options_and_settles_the_expiry() {
    let (mut env, liqor, b, expiry) = setup();
    let liqee = env.user(5);
    env.fund_and_deposit(&liqee, USDC, 1_000_000_000);
    env.fund_and_deposit(&b, SOL, 10_000_000_000);
    let put = premium(false, 100.0, 90.0, 0.6, 30.0);
    trade(&mut env, &b, &liqee, so::order(expiry, strike(90.0), 1, 2_000, put)).unwrap();
    env.borrow(&liqee, SOL, 2_000_000_000).unwrap();
    let mut price = 100.0;
    while healths(&mut env, &liqee)[1] >= Fx::ZERO {
        price -= 4.0;
        advance(&mut env, price);
    }
    let k = keeper(&env, &liqor);
    let r = k.run(&mut env.bank, 10).unwrap();
    assert!(r.liquidations > 0 && r.refused.is_empty(), "{r:?}");
    assert!(!r.still_liquidatable.contains(&liqee.account), "{r:?}");
    assert!(contracts(&mut env, &liqor).iter().any(|c| *c < 0), "the liquidator took over short puts");
    // Review finding: lamports sent to the settlement record's address beforehand (anyone can
    // compute it) neither halt the keeper nor stop the record's creation.
    let record = ballast_sdk::pda::option_settlement(&env.group, SOL, expiry).0;
    let payer = env.payer.pubkey();
    env.send(&[solana_system_interface::instruction::transfer(&payer, &record, 1_000_000)], &[]).unwrap();
    // Expiry: the crank records a sample each minute, then settles the expiry and every position.
    for i in 0..6i64 {
        env.set_time(expiry + 60 * i);
        env.set_price(USDC, 1.0);
        env.set_price(SOL, price);
        let r = k.run(&mut env.bank, 3).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
    }
    env.set_time(expiry + 1_800);
    env.set_price(USDC, 1.0);
    env.set_price(SOL, price);
    let r = k.run(&mut env.bank, 5).unwrap();
    assert!(r.option_settlements > 0 && r.refused.is_empty(), "{r:?}");
    for u in [&liqee, &b, &liqor] {
        assert!(contracts(&mut env, u).is_empty(), "every position settled");
    }
    let m = env.asset_state(SOL).option;
    assert_eq!((m.open_interest, m.expiries[0].open_interest), (0, 0));
}

/// The what-if: the SDK's Init and Maint health of a writer after SOL -20% and volatility +30% is
/// exactly what `check_what_if` computes (accepted at the figure, refused one unit of the last place
/// above), and the stress lowers both. The report's Greeks (the rest of the return data) list SOL
/// only, with a short option's signs, and move with the stress; its bytes read back to it.
#[test]
fn what_if_sdk_equals_program_to_the_bit() {
    use ballast::transitions::option::PriceMove;
    let (mut env, w, b, expiry) = setup();
    env.fund_and_deposit(&w, SOL, 5_000_000_000);
    let put = premium(false, 100.0, 95.0, 0.6, 30.0);
    trade(&mut env, &b, &w, so::order(expiry, strike(95.0), 1, 2_000, put)).unwrap();
    let acc = env.margin_account(&w.account);
    let raws = env.health_raw(&w.account);
    let keys = env.health_keys(&w.account, None);
    let now = env.now();
    let moves = vec![PriceMove { asset_index: SOL, move_bps: -2_000 }];
    let stress = so::WhatIf { moves: moves.clone(), vol_move_bps: 3_000, ..Default::default() };
    let h = so::what_if(&env.group, USDC, &acc, &raws, now, &stress).unwrap();
    let r = so::what_if_report(&env.group, USDC, &acc, &raws, now, &stress).unwrap();
    let calm = so::what_if_report(&env.group, USDC, &acc, &raws, now, &so::WhatIf::default()).unwrap();
    assert_eq!((r.health, r.len, calm.len), (h, 1, 1));
    // Without a stress the what-if is the account's health.
    let [init, maint, _] = healths(&mut env, &w);
    assert_eq!((calm.health.init, calm.health.maint), (init, maint));
    let (g, g0) = (r.greeks[0], calm.greeks[0]);
    assert_eq!((g.0, g0.0), (SOL, SOL));
    assert!(
        g.1.gamma < Fx::ZERO && g.1.vega < Fx::ZERO && g.1.theta > Fx::ZERO,
        "a writer is short optionality: {g:?}"
    );
    // SOL -20% puts the short 95 put in the money: its (positive) delta grows.
    assert!(g.1.delta > g0.1.delta, "{g:?} vs {g0:?}");
    assert_eq!(ballast::risk::options::grid::WhatIfReport::decode(&r.encode()), Some(*r));
    assert!(h.init < init && h.maint < maint, "the stress costs: {h:?} vs {init} / {maint}");
    let g = env.group;
    let ok = so::check_what_if(&g, &w.account, &stress, (h.init.to_bits(), h.maint.to_bits()), &keys);
    env.send(&[ok], &[]).unwrap();
    for mins in [(h.init.to_bits() + 1, h.maint.to_bits()), (h.init.to_bits(), h.maint.to_bits() + 1)] {
        let above = so::check_what_if(&g, &w.account, &stress, mins, &keys);
        assert_code(env.send(&[above], &[]), BallastError::HealthBelowMinimum);
    }
}

fn ok_metas_read_only(ix: &Instruction) -> bool {
    ix.accounts.iter().all(|m| !m.is_writable && !m.is_signer)
}

/// A what-if with a hypothetical trade: a buyer without options asks what buying 300 puts would do.
/// The program accepts exactly the SDK's figure (refuses one unit above) without writing anything;
/// after the real trade, the account's health is the what-if's (the premium and fee as the bank
/// recorded them, within one native unit of rounding) and its Greeks are the what-if's, bit for bit.
#[test]
fn what_if_with_a_hypothetical_trade_is_the_trade() {
    use ballast::transitions::option::WhatIfTrade;
    use ballast_sdk::transport::Transport;
    let (mut env, w, b, expiry) = setup();
    env.fund_and_deposit(&w, SOL, 5_000_000_000);
    let put = premium(false, 100.0, 95.0, 0.6, 30.0);
    let order = so::order(expiry, strike(95.0), 1, 300, put);
    let hypo = |premium: u64| so::WhatIf {
        trades: vec![WhatIfTrade {
            asset_index: SOL,
            expiry,
            strike_bits: strike(95.0).to_bits(),
            kind: 1,
            buy: true,
            contracts: 300,
            premium,
        }],
        ..Default::default()
    };
    let acc = env.margin_account(&b.account);
    let extra = hypo(0).extra(USDC);
    assert_eq!(extra, vec![SOL, USDC]);
    let keys = env.health_keys_with(&b.account, &extra);
    let raws: Vec<_> = keys.iter().map(|k| env.bank.get_account(k).unwrap().expect("health account")).collect();
    let now = env.now();
    let before = env.margin_account(&b.account);
    let r = so::what_if_report(&env.group, USDC, &acc, &raws, now, &hypo(300 * put)).unwrap();
    let g = env.group;
    let ok =
        so::check_what_if(&g, &b.account, &hypo(300 * put), (r.health.init.to_bits(), r.health.maint.to_bits()), &keys);
    env.send(&[ok], &[]).unwrap();
    let above = so::check_what_if(&g, &b.account, &hypo(300 * put), (r.health.init.to_bits() + 1, i128::MIN), &keys);
    assert_code(env.send(&[above], &[]), BallastError::HealthBelowMinimum);
    // Nothing can be written: every account of the instruction is read-only (and the account
    // is unchanged).
    assert!(ok_metas_read_only(&so::check_what_if(&g, &b.account, &hypo(0), (0, 0), &keys)));
    assert_eq!(bytemuck::bytes_of(&*env.margin_account(&b.account)), bytemuck::bytes_of(&*before));
    // Refusals, each with its error: zero contracts, a kind other than call or put, an expiry in
    // the past or not listed, a trade on the quote asset (no option market), more than 8 trades.
    let mut bad = hypo(0);
    bad.trades[0].contracts = 0;
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &bad, (i128::MIN, i128::MIN), &keys)], &[]),
        BallastError::ZeroAmount,
    );
    bad.trades[0].contracts = 300;
    bad.trades[0].kind = 2;
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &bad, (i128::MIN, i128::MIN), &keys)], &[]),
        BallastError::OptionSeriesInvalid,
    );
    bad.trades[0].kind = 1;
    let mut on_quote = hypo(0);
    on_quote.trades[0].asset_index = USDC;
    let quote_keys = env.health_keys_with(&b.account, &on_quote.extra(USDC));
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &on_quote, (i128::MIN, i128::MIN), &quote_keys)], &[]),
        BallastError::OptionMarketDisabled,
    );
    let mut nine = hypo(0);
    nine.trades = vec![hypo(0).trades[0]; 9];
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &nine, (i128::MIN, i128::MIN), &keys)], &[]),
        BallastError::InvalidConfig,
    );
    bad.trades[0].expiry = now - 1;
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &bad, (i128::MIN, i128::MIN), &keys)], &[]),
        BallastError::OptionSeriesInvalid,
    );
    bad.trades[0].expiry = expiry + DAY;
    assert_code(
        env.send(&[so::check_what_if(&g, &b.account, &bad, (i128::MIN, i128::MIN), &keys)], &[]),
        BallastError::OptionSeriesInvalid,
    );
    let unlisted = so::what_if_report(&env.group, USDC, &acc, &raws, now, &bad);
    assert!(unlisted.is_err(), "the SDK refuses it too");
    // The real trade.
    let cash_before = balance(&mut env, &b, USDC);
    trade(&mut env, &b, &w, order).unwrap();
    let paid = cash_before - balance(&mut env, &b, USDC);
    assert!(paid > Fx::from(300 * put), "the premium and a fee: {paid}");
    let (after, after_raws, group) = (env.margin_account(&b.account), env.health_raw(&b.account), env.group);
    let real = so::what_if_report(&group, USDC, &after, &after_raws, now, &so::WhatIf::default()).unwrap();
    let as_paid = so::what_if_report(&env.group, USDC, &acc, &raws, now, &hypo(paid.ceil().to_num())).unwrap();
    let one = Fx::ONE;
    assert!((as_paid.health.init - real.health.init).abs() <= one, "{:?} vs {:?}", as_paid.health, real.health);
    assert!((as_paid.health.maint - real.health.maint).abs() <= one);
    assert_eq!((as_paid.len, as_paid.greeks[0]), (real.len, real.greeks[0]));
    assert_eq!((real.len, real.greeks[0].0), (1, SOL));
}

/// Catalogue PX-07 in a governed group: the admin updates a smile at most once an hour (with the
/// per-update limit, a bound on how far it can move option values before anyone reacts), and the
/// guardian can stop smile updates with the gate. Listings are not limited.
#[test]
fn px_07_governed_smile_updates_are_hourly_and_the_guardian_can_stop_them() {
    let (mut env, _w, _b, expiry) = setup();
    let guardian = Keypair::new();
    let admin = env.admin.insecure_clone();
    env.hand_over(&guardian.pubkey(), &admin.pubkey(), DAY as u64);
    let g = env.group;
    let upd = |atm: u32| so::set_option_expiry(&g, &admin.pubkey(), SOL, 0, so::flat_smile(expiry, atm));
    env.send(&[upd(6_300)], &[&admin]).unwrap();
    env.assert_fails_nsc(&[upd(6_600)], &[&admin], BallastError::SmileUpdateTooSoon);
    let now = env.now();
    let listing = so::set_option_expiry(&g, &admin.pubkey(), SOL, 2, so::flat_smile(now + 90 * DAY, 6_000));
    env.send(&[listing], &[&admin]).unwrap();
    env.set_time(now + ballast::instructions::MIN_SMILE_UPDATE_SECS - 1);
    env.assert_fails_nsc(&[upd(6_600)], &[&admin], BallastError::SmileUpdateTooSoon);
    env.set_time(now + ballast::instructions::MIN_SMILE_UPDATE_SECS);
    env.send(&[upd(6_600)], &[&admin]).unwrap();
    let gate = 1u64 << (ballast::gate::Ix::SetOptionExpiry as u8);
    env.send(&[ballast_sdk::ix::set_ix_gate(&g, &guardian.pubkey(), gate)], &[&guardian]).unwrap();
    env.set_time(now + 2 * ballast::instructions::MIN_SMILE_UPDATE_SECS);
    env.assert_fails_nsc(&[upd(6_900)], &[&admin], BallastError::IxDisabled);
}

/// The option grid's parameters, and the shocks of an asset with options, change only through the
/// timelock: larger grid shocks move the points the grid values a group at and can miss a loss
/// the old points found, and the short-option minimum is part of the liquidation fee's base. The
/// guardian may still set the market reduce-only and lower its caps.
#[test]
fn grid_parameters_and_an_optioned_assets_shocks_change_only_through_the_timelock() {
    let (mut env, _w, _b, _expiry) = setup();
    let guardian = Keypair::new();
    let admin = env.admin.insecure_clone();
    env.hand_over(&guardian.pubkey(), &admin.pubkey(), DAY as u64);
    let g = env.group;
    let gk = guardian.pubkey();
    let cur = so::default_params(CONTRACT);
    let mut vol = cur;
    vol.risk.init_vol_up_bps += 100;
    let mut short_min = cur;
    short_min.risk.short_minimum_bps += 10;
    for p in [vol, short_min] {
        env.assert_fails_nsc(
            &[so::set_option_market(&g, &gk, SOL, p)],
            &[&guardian],
            BallastError::GuardianCannotIncreaseRisk,
        );
        env.assert_fails_nsc(
            &[so::set_option_market(&g, &admin.pubkey(), SOL, p)],
            &[&admin],
            BallastError::TimelockRequired,
        );
    }
    let sol = env.asset_state(SOL);
    let shocks = ballast::instructions::EditAssetParams {
        risk: Some(ballast::state::RiskConfig { init_down_bps: sol.risk.init_down_bps + 100, ..sol.risk }),
        ..Default::default()
    };
    let ix = ballast_sdk::ix::edit_asset(&g, &gk, SOL, shocks);
    env.assert_fails_nsc(&[ix], &[&guardian], BallastError::GuardianCannotIncreaseRisk);
    let reduce = OptionMarketParams {
        flags: cur.flags | ballast::state::OPTION_FLAG_REDUCE_ONLY,
        max_open_interest: cur.max_open_interest / 2,
        ..cur
    };
    env.send(&[so::set_option_market(&g, &gk, SOL, reduce)], &[&guardian]).unwrap();
    assert!(env.asset_state(SOL).option.reduce_only());
}
