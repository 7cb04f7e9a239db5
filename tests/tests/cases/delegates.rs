//! Scoped, expiring delegates (docs/governance.md, "Delegates"): every instruction class a
//! delegate may sign (a perp block trade, an option trade, a signed order it signs as maker, a
//! withdrawal to the owner, a borrow to the owner, a liquidation with the account as liquidator,
//! an order cancel) against every scope, and each limit of a delegate: its expiry, its markets, its
//! daily notional cap (what counts, its reset), value to itself, eight per account; the book's own
//! attacks (another account's book, a read-only book, a forged book, a revoked delegate); and the
//! v0.1.0 delegate, which keeps working without a book.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::constants::*;
use ballast::error::BallastError;
use ballast::instructions::DelegateGrant;
use ballast::order::{SignedOrder, SIDE_BUY};
use ballast::risk::Price;
use ballast::state::{OracleKind, ACCOUNT_FLAG_DELEGATE_BOOK, MAX_BOOK_DELEGATES};
use ballast_sdk::perp::{self as sp, TradeParty};
use ballast_sdk::transport::Transport;
use ballast_sdk::{ix, options as so, pda};
use solana_sdk::signature::{Keypair, Signer};

const USDC: u16 = 0;
const SOL: u16 = 1;
const ETH: u16 = 2;
/// Base native units per SOL perp lot and per SOL option contract (0.01 SOL: $1 at $100).
const LOT: u64 = 10_000_000;
const DAY: i64 = 86_400;

/// The instruction classes a delegate may sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// One SOL perp lot bought at $1 in a block trade.
    Trade,
    /// One SOL call struck at $50 (deep in the money) bought in an option trade.
    OptionTrade,
    /// One SOL perp lot bought at $1 through a signed order the delegate signs as maker.
    Fill,
    /// 1 USDC of the account's deposit to the owner's token account.
    Withdraw,
    /// 0.01 ETH borrowed to the owner's token account.
    Borrow,
    /// A token liquidation (1 USDC of debt) with the account as liquidator.
    Liquidate,
    /// An order nonce cancelled.
    Cancel,
}

const CLASSES: [Class; 7] =
    [Class::Trade, Class::OptionTrade, Class::Fill, Class::Withdraw, Class::Borrow, Class::Liquidate, Class::Cancel];

impl Class {
    /// The scope bits it needs.
    fn scope(self) -> u8 {
        match self {
            Class::Trade | Class::OptionTrade | Class::Fill | Class::Cancel => DELEGATE_TRADE,
            Class::Withdraw => DELEGATE_WITHDRAW,
            Class::Borrow => DELEGATE_WITHDRAW | DELEGATE_BORROW,
            Class::Liquidate => DELEGATE_LIQUIDATE,
        }
    }
    /// The market it acts in (None: none).
    fn market(self) -> Option<u16> {
        match self {
            Class::Trade | Class::OptionTrade | Class::Fill => Some(SOL),
            Class::Withdraw => Some(USDC),
            Class::Borrow | Class::Liquidate => Some(ETH),
            Class::Cancel => None,
        }
    }
}

/// The account under test (`a`, owner A), its counterparty (`b`), a liquidatable account (`v`),
/// and the delegate (`d`), which owns an account of its own (`own`).
struct World {
    env: Env,
    a: User,
    b: User,
    v: User,
    d: User,
    own: User,
    expiry: i64,
}

fn admin_send(env: &mut Env, ix: Instruction) {
    let admin = env.admin.insecure_clone();
    env.send(&[ix], &[&admin]).unwrap();
}

fn world() -> World {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let (g, admin) = (env.group, env.admin.pubkey());
    admin_send(&mut env, sp::set_perp_market(&g, &admin, SOL, ballast_sdk::scenario::perp_params(LOT)));
    admin_send(&mut env, so::set_option_market(&g, &admin, SOL, so::default_params(LOT)));
    let expiry = env.now() + 30 * DAY;
    admin_send(&mut env, so::set_option_expiry(&g, &admin, SOL, 0, so::flat_smile(expiry, 6_000)));
    let lender = env.user(9);
    env.fund_and_deposit(&lender, ETH, 100_000_000_000);
    env.fund_and_deposit(&lender, USDC, 10_000_000_000);
    let (a, b, v) = (env.user(0), env.user(1), env.user(2));
    env.fund_and_deposit(&a, USDC, 10_000_000_000);
    env.fund_and_deposit(&b, USDC, 10_000_000_000);
    env.fund_and_deposit(&v, ETH, 10_000_000_000); // 10 ETH, $1,000
    env.borrow(&v, USDC, 600_000_000).unwrap(); // liquidatable once ETH is $70
    let d = env.user(3);
    let own = env.user_with(d.kp.insecure_clone(), 4);
    env.fund_and_deposit(&own, USDC, 10_000_000_000);
    let mut w = World { env, a, b, v, d, own, expiry };
    w.at(T0 + 3_600);
    w
}

/// A grant to `delegate`: `scope`, `expiry`, `markets` (None: all), `daily_cap`.
fn grant(delegate: &Pubkey, scope: u8, expiry: i64, markets: Option<&[u16]>, daily_cap: u64) -> DelegateGrant {
    let mut g = DelegateGrant { delegate: *delegate, scope, expiry, daily_cap, ..Default::default() };
    match markets {
        None => g.all_markets = true,
        Some(ms) => {
            g.markets[..ms.len()].copy_from_slice(ms);
            g.market_count = ms.len() as u8;
        }
    }
    g
}

impl World {
    /// Moves the clock to `t` with fresh prices (SOL $100, ETH $70).
    fn at(&mut self, t: i64) {
        self.env.set_time(t);
        for (i, p) in [(USDC, 1.0), (SOL, 100.0), (ETH, 70.0)] {
            self.env.set_price(i, p);
            let oracle = self.env.assets[i as usize].oracle;
            self.env.send(&[ix::refresh_asset(&self.env.group, i, &oracle)], &[]).unwrap();
        }
    }

    fn owner_send(&mut self, ix: Instruction) -> TxResult {
        let k = self.a.kp.insecure_clone();
        self.env.send(&[ix], &[&k])
    }

    /// Grants the delegate `d` on account `a`.
    fn grant(&mut self, scope: u8, expiry: i64, markets: Option<&[u16]>, cap: u64) {
        let g = grant(&self.d.kp.pubkey(), scope, expiry, markets, cap);
        self.owner_send(ix::grant_delegate(&self.a.account, &self.a.kp.pubkey(), g)).unwrap();
    }

    /// `a`'s delegate book.
    fn book(&mut self) -> Option<ballast::state::DelegateBook> {
        let raw = self.env.bank.get_account(&pda::delegate_book(&self.a.account).0).unwrap()?;
        Some(ballast_sdk::decode::delegate_book(&raw).unwrap())
    }

    /// Notional the delegate has used today.
    fn used(&mut self) -> u64 {
        let d = self.d.kp.pubkey();
        let b = self.book().unwrap();
        b.entries.iter().find(|e| e.key == d).unwrap().used
    }

    /// The class's instruction signed by the delegate for `a` (with `a`'s book), and by the
    /// counterparty's owner for a trade, with its signers.
    fn attempt(&mut self, c: Class) -> (Vec<Instruction>, Vec<Keypair>) {
        let dk = self.d.kp.insecure_clone();
        let bk = self.b.kp.insecure_clone();
        let a = self.a.account;
        let books = |ix: Instruction| ix::with_delegate_books(ix, &[a]).unwrap();
        let env = &mut self.env;
        let party = |env: &mut Env, account: Pubkey, authority: Pubkey| TradeParty {
            account,
            authority,
            health: env.health_keys_with(&account, &[SOL, USDC]),
        };
        match c {
            Class::Trade => {
                let (buyer, seller) = (party(env, a, dk.pubkey()), party(env, self.b.account, bk.pubkey()));
                let ix = sp::block_trade(&env.group, SOL, USDC, &buyer, &seller, 1, 1_000_000);
                (vec![books(ix)], vec![dk, bk])
            }
            Class::OptionTrade => {
                let (buyer, seller) = (party(env, a, dk.pubkey()), party(env, self.b.account, bk.pubkey()));
                let order = call_order(env.now(), self.expiry);
                let ix = so::trade_option(&env.group, SOL, &buyer, &seller, order);
                (vec![books(ix)], vec![dk, bk])
            }
            Class::Fill => {
                let o = SignedOrder {
                    account: a,
                    asset_index: SOL,
                    side: SIDE_BUY,
                    size_lots: 100,
                    limit_price_per_lot: 1_000_000,
                    expiry: T0 + 30 * DAY,
                    nonce: 5,
                    max_fee_bps: 5,
                };
                let domain = env.group_state().order_domain;
                let sig = sp::sign_order(&dk, &env.group, &domain, &o);
                let maker_health = env.health_keys_with(&a, &[SOL, USDC]);
                let taker = party(env, self.b.account, bk.pubkey());
                let [verify, fill] =
                    sp::fill_order_ixs(&env.group, &domain, USDC, &o, &dk.pubkey(), &sig, &maker_health, &taker, 1);
                (vec![verify, books(fill)], vec![bk])
            }
            Class::Withdraw => {
                let keys = env.health_keys(&a, Some(USDC));
                let ix = ix::withdraw(&env.token_ix(&self.a, USDC), &dk.pubkey(), 1_000_000, false, &keys);
                (vec![books(ix)], vec![dk])
            }
            Class::Borrow => {
                let keys = env.health_keys(&a, Some(ETH));
                let ix = ix::withdraw(&env.token_ix(&self.a, ETH), &dk.pubkey(), 10_000_000, true, &keys);
                (vec![books(ix)], vec![dk])
            }
            Class::Liquidate => {
                let ix = liq_ix(env, &self.a, &self.v, ETH, USDC, 1_000_000);
                let ix = swap_account(ix, &self.a.kp.pubkey(), &dk.pubkey());
                (vec![books(ix)], vec![dk])
            }
            Class::Cancel => (vec![books(sp::cancel_order(&a, &dk.pubkey(), 77))], vec![dk]),
        }
    }

    fn run(&mut self, c: Class) -> TxResult {
        let (ixs, kps) = self.attempt(c);
        let refs: Vec<&Keypair> = kps.iter().collect();
        self.env.send(&ixs, &refs)
    }

    #[track_caller]
    fn refused(&mut self, c: Class, code: impl Into<u32>) {
        let (ixs, kps) = self.attempt(c);
        let refs: Vec<&Keypair> = kps.iter().collect();
        self.env.assert_fails_nsc(&ixs, &refs, code);
    }
}

/// One SOL call struck at $50, 30 days out, at its model premium.
fn call_order(now: i64, expiry: i64) -> ballast::instructions::OptionOrder {
    let days = (expiry - now) as f64 / DAY as f64;
    let premium = (so::reference_price(true, 100.0, 50.0, 0.6, days / 365.0) * 0.01 * 1e6).round() as u64;
    so::order(expiry, Price::from_num(0.05), 0, 1, premium)
}

#[test]
fn every_instruction_class_against_every_scope() {
    for scope in [DELEGATE_TRADE, DELEGATE_WITHDRAW, DELEGATE_WITHDRAW | DELEGATE_BORROW, DELEGATE_LIQUIDATE, 0] {
        let mut w = world();
        if scope != 0 {
            w.grant(scope, 0, None, DELEGATE_NO_CAP);
        }
        for c in CLASSES {
            if c.scope() & scope == c.scope() {
                w.run(c).unwrap_or_else(|e| panic!("{c:?} with scope {scope}: {e}"));
            } else {
                w.refused(c, BallastError::Unauthorized);
            }
        }
    }
}

#[test]
fn an_expired_delegate_is_refused_in_every_class() {
    for c in CLASSES {
        let mut w = world();
        let now = w.env.now();
        w.grant(c.scope(), now + 60, None, DELEGATE_NO_CAP);
        w.run(c).unwrap_or_else(|e| panic!("{c:?} before its expiry: {e}"));
        w.at(now + 61);
        w.refused(c, BallastError::DelegateExpired);
    }
}

#[test]
fn a_delegate_acts_only_in_its_markets() {
    for c in CLASSES {
        let mut w = world();
        // Every market but the class's own (the quote asset aside for a liquidation, which
        // settles in it).
        let others: Vec<u16> = [USDC, SOL, ETH].into_iter().filter(|m| Some(*m) != c.market()).collect();
        w.grant(c.scope(), 0, Some(&others), DELEGATE_NO_CAP);
        match c.market() {
            Some(_) => w.refused(c, BallastError::DelegateMarketNotAllowed),
            None => w.run(c).unwrap(),
        }
        // Its own market alone: allowed.
        let mut w = world();
        let own: Vec<u16> = c.market().into_iter().collect();
        w.grant(c.scope(), 0, Some(if own.is_empty() { &[SOL] } else { &own }), DELEGATE_NO_CAP);
        w.run(c).unwrap_or_else(|e| panic!("{c:?} in its own market: {e}"));
    }
}

/// What each class counts, quote native units: a perp lot at the larger of price and oracle ($1);
/// an option at the larger of strike and oracle ($1 of SOL) plus its premium; the value withdrawn
/// or borrowed at the oracle; a liquidation step's larger leg (at least the 1 USDC repaid); a
/// cancel nothing.
#[test]
fn a_delegate_stays_within_its_daily_notional_cap() {
    for c in CLASSES {
        let mut w = world();
        w.grant(c.scope(), 0, None, DELEGATE_NO_CAP);
        w.run(c).unwrap();
        let used = w.used();
        let premium = call_order(w.env.now(), w.expiry).premium_per_contract;
        match c {
            Class::Trade | Class::Fill | Class::Withdraw => assert_eq!(used, 1_000_000, "{c:?}"),
            Class::OptionTrade => assert_eq!(used, 1_000_000 + premium, "{c:?}"),
            Class::Borrow => assert_eq!(used, 700_000, "{c:?}"),
            Class::Liquidate => assert!((1_000_000..1_200_000).contains(&used), "{c:?}: {used}"),
            Class::Cancel => assert_eq!(used, 0),
        }
        if c == Class::Cancel {
            continue;
        }
        // Re-granting keeps the day's usage: a cap of 1.5 times one act refuses the second.
        w.grant(c.scope(), 0, None, used + used / 2);
        w.refused(c, BallastError::DelegateCapExceeded);
        // The next UTC day the count restarts.
        let now = w.env.now();
        w.at(now + DAY);
        w.run(c).unwrap_or_else(|e| panic!("{c:?} the next day: {e}"));
        assert_eq!(w.used(), used);
        // A cap below one act refuses it outright.
        let mut w = world();
        w.grant(c.scope(), 0, None, used - 1);
        w.refused(c, BallastError::DelegateCapExceeded);
    }
}

#[test]
fn a_delegate_never_moves_value_to_itself() {
    let mut w = world();
    w.grant(DELEGATE_ALL_SCOPES, 0, None, DELEGATE_NO_CAP);
    let dk = w.d.kp.insecure_clone();
    let a = w.a.account;
    // Withdrawals and borrows to the delegate's own token account: refused.
    for (asset, amount, borrow) in [(USDC, 1_000_000, false), (ETH, 10_000_000, true)] {
        let keys = w.env.health_keys(&a, Some(asset));
        let t = ix::TokenIxAccounts { user_token: w.d.token(asset), ..w.env.token_ix(&w.a, asset) };
        let ix = ix::with_delegate_books(ix::withdraw(&t, &dk.pubkey(), amount, borrow, &keys), &[a]).unwrap();
        w.env.assert_fails_nsc(&[ix], &[&dk], BallastError::Unauthorized);
    }
    // A trade against an account the delegate owns: refused (the price could favour it).
    let buyer = TradeParty { account: a, authority: dk.pubkey(), health: w.env.health_keys_with(&a, &[SOL, USDC]) };
    let own = w.own.account;
    let seller =
        TradeParty { account: own, authority: dk.pubkey(), health: w.env.health_keys_with(&own, &[SOL, USDC]) };
    let ix = sp::block_trade(&w.env.group, SOL, USDC, &buyer, &seller, 1, 1_040_000);
    let ix = ix::with_delegate_books(ix, &[a]).unwrap();
    w.env.assert_fails_nsc(&[ix], &[&dk], BallastError::DelegateSelfDealing);
    // A liquidation of an account the delegate owns, with `a` as liquidator: refused.
    w.env.borrow(&w.own, ETH, 10_000_000).unwrap();
    let ix = liq_ix(&mut w.env, &w.a, &w.own, USDC, ETH, 1_000);
    let ix = ix::with_delegate_books(swap_account(ix, &w.a.kp.pubkey(), &dk.pubkey()), &[a]).unwrap();
    w.env.assert_fails_nsc(&[ix], &[&dk], BallastError::DelegateSelfDealing);
    // The owner itself may trade against anything.
    let ak = w.a.kp.insecure_clone();
    let buyer = TradeParty { authority: ak.pubkey(), ..buyer };
    let ok = TradeParty { authority: dk.pubkey(), health: w.env.health_keys_with(&own, &[SOL, USDC]), ..seller };
    w.env.send(&[sp::block_trade(&w.env.group, SOL, USDC, &buyer, &ok, 1, 1_000_000)], &[&ak, &dk]).unwrap();
}

#[test]
fn eight_delegates_per_account_each_with_its_own_scope() {
    let mut w = world();
    let k = w.a.kp.pubkey();
    let a = w.a.account;
    let mut ds: Vec<Keypair> = (0..MAX_BOOK_DELEGATES - 1).map(|_| Keypair::new()).collect();
    ds.insert(0, w.d.kp.insecure_clone());
    let scopes = [DELEGATE_TRADE, DELEGATE_WITHDRAW, DELEGATE_WITHDRAW | DELEGATE_BORROW, DELEGATE_LIQUIDATE];
    for (i, d) in ds.iter().enumerate() {
        w.owner_send(ix::grant_delegate(&a, &k, grant(&d.pubkey(), scopes[i % 4], 0, None, DELEGATE_NO_CAP))).unwrap();
    }
    let ninth = ix::grant_delegate(&a, &k, grant(&Keypair::new().pubkey(), DELEGATE_TRADE, 0, None, 1));
    let ak = w.a.kp.insecure_clone();
    w.env.assert_fails_nsc(std::slice::from_ref(&ninth), &[&ak], BallastError::TooManyDelegates);
    let book = w.book().unwrap();
    assert_eq!(book.entries.map(|e| e.scope), [1, 2, 6, 8, 1, 2, 6, 8]);
    // The first (the delegate `d`, trade scope) trades; it may not withdraw.
    w.run(Class::Trade).unwrap();
    w.refused(Class::Withdraw, BallastError::Unauthorized);
    // Revoking one frees its entry; only the owner grants or revokes.
    w.owner_send(ix::revoke_delegate(&a, &k, &ds[1].pubkey())).unwrap();
    w.owner_send(ninth).unwrap();
    let dk = w.d.kp.insecure_clone();
    let by_delegate = ix::grant_delegate(&a, &dk.pubkey(), grant(&dk.pubkey(), DELEGATE_ALL_SCOPES, 0, None, 1));
    w.env.assert_fails_nsc(&[by_delegate], &[&dk], anchor_lang::error::ErrorCode::ConstraintHasOne);
    let by_delegate = ix::revoke_delegate(&a, &dk.pubkey(), &dk.pubkey());
    w.env.assert_fails_nsc(&[by_delegate], &[&dk], anchor_lang::error::ErrorCode::ConstraintHasOne);
    // A malformed grant, the owner's own key, an unknown delegate: refused.
    for bad in [grant(&dk.pubkey(), DELEGATE_BORROW, 0, None, 1), grant(&k, DELEGATE_TRADE, 0, None, 1)] {
        w.env.assert_fails_nsc(&[ix::grant_delegate(&a, &k, bad)], &[&ak], BallastError::InvalidConfig);
    }
    let unknown = ix::revoke_delegate(&a, &k, &Keypair::new().pubkey());
    w.env.assert_fails_nsc(&[unknown], &[&ak], BallastError::DelegateNotFound);
    // Revoked, the delegate is refused at once.
    w.owner_send(ix::revoke_delegate(&a, &k, &dk.pubkey())).unwrap();
    w.refused(Class::Trade, BallastError::Unauthorized);
}

#[test]
fn the_book_closes_with_its_last_delegate_and_returns_its_rent() {
    let mut w = world();
    let (k, a) = (w.a.kp.pubkey(), w.a.account);
    let lamports = |w: &mut World| w.env.bank.get_account(&k).unwrap().map_or(0, |x| x.lamports);
    let before = lamports(&mut w);
    w.grant(DELEGATE_TRADE, 0, None, DELEGATE_NO_CAP);
    assert!(lamports(&mut w) < before);
    w.owner_send(ix::revoke_delegate(&a, &k, &w.d.kp.pubkey())).unwrap();
    assert!(w.book().is_none());
    // Rent back (the two fees aside).
    assert!(before - lamports(&mut w) <= 20_000, "{}", before - lamports(&mut w));
    // A new grant creates it again.
    w.grant(DELEGATE_TRADE, 0, None, DELEGATE_NO_CAP);
    w.run(Class::Trade).unwrap();
}

#[test]
fn a_delegate_cannot_use_another_book_a_read_only_book_or_a_forged_one() {
    let mut w = world();
    let dk = w.d.kp.insecure_clone();
    let (a, b) = (w.a.account, w.b.account);
    // `d` has every scope on `b`, only trade on `a`: `b`'s book for a withdrawal from `a` fails.
    let bk = w.b.kp.insecure_clone();
    let g = grant(&dk.pubkey(), DELEGATE_ALL_SCOPES, 0, None, DELEGATE_NO_CAP);
    w.env.send(&[ix::grant_delegate(&b, &bk.pubkey(), g)], &[&bk]).unwrap();
    w.grant(DELEGATE_TRADE, 0, None, DELEGATE_NO_CAP);
    let keys = w.env.health_keys(&a, Some(USDC));
    let plain = ix::withdraw(&w.env.token_ix(&w.a, USDC), &dk.pubkey(), 1_000_000, false, &keys);
    let other = ix::with_delegate_books(plain.clone(), &[b]).unwrap();
    w.env.assert_fails_nsc(&[other], &[&dk], BallastError::Unauthorized);
    // No book at all: the health accounts are not a book.
    w.env.assert_fails_nsc(&[plain], &[&dk], BallastError::Unauthorized);
    // A forged book: an account of another program at the front.
    let (ixs, kps) = w.attempt(Class::Trade);
    let refs: Vec<&Keypair> = kps.iter().collect();
    let book = pda::delegate_book(&a).0;
    let forged = swap_account(ixs[0].clone(), &book, &w.env.token_ix(&w.a, USDC).user_token);
    w.env.assert_fails_nsc(&[forged], &refs, BallastError::Unauthorized);
    // Read-only: the cap could not be counted.
    let mut ro = ixs[0].clone();
    ro.accounts.iter_mut().filter(|m| m.pubkey == book).for_each(|m| m.is_writable = false);
    w.env.assert_fails_nsc(&[ro], &refs, BallastError::DelegateBookReadOnly);
    w.env.send(&ixs, &refs).unwrap();
}

#[test]
fn both_sides_of_a_trade_signed_by_book_delegates() {
    let mut w = world();
    let (a, b) = (w.a.account, w.b.account);
    let (dk, ek) = (w.d.kp.insecure_clone(), Keypair::new());
    w.grant(DELEGATE_TRADE, 0, Some(&[SOL]), 10_000_000);
    let bk = w.b.kp.insecure_clone();
    let g = grant(&ek.pubkey(), DELEGATE_TRADE, 0, Some(&[SOL]), 10_000_000);
    w.env.send(&[ix::grant_delegate(&b, &bk.pubkey(), g)], &[&bk]).unwrap();
    let buyer = TradeParty { account: a, authority: dk.pubkey(), health: w.env.health_keys_with(&a, &[SOL, USDC]) };
    let seller = TradeParty { account: b, authority: ek.pubkey(), health: w.env.health_keys_with(&b, &[SOL, USDC]) };
    let ix = sp::block_trade(&w.env.group, SOL, USDC, &buyer, &seller, 3, 1_000_000);
    // The books in the wrong order: refused.
    let swapped = ix::with_delegate_books(ix.clone(), &[b, a]).unwrap();
    w.env.assert_fails_nsc(&[swapped], &[&dk, &ek], BallastError::Unauthorized);
    w.env.send(&[ix::with_delegate_books(ix, &[a, b]).unwrap()], &[&dk, &ek]).unwrap();
    assert_eq!(w.used(), 3_000_000);
    let raw = w.env.bank.get_account(&pda::delegate_book(&b).0).unwrap().unwrap();
    let bb = ballast_sdk::decode::delegate_book(&raw).unwrap();
    assert_eq!(bb.entries[0].used, 3_000_000);
}

#[test]
fn the_v0_1_delegate_trades_and_withdraws_without_a_book_but_never_borrows() {
    let mut w = world();
    let (k, a) = (w.a.kp.pubkey(), w.a.account);
    let dk = w.d.kp.insecure_clone();
    w.owner_send(ix::set_delegate(&a, &k, &dk.pubkey(), DELEGATE_TRADE | DELEGATE_WITHDRAW, 0)).unwrap();
    let keys = w.env.health_keys(&a, Some(USDC));
    let wd = ix::withdraw(&w.env.token_ix(&w.a, USDC), &dk.pubkey(), 1_000_000, false, &keys);
    w.env.send(&[wd], &[&dk]).unwrap();
    let keys = w.env.health_keys(&a, Some(ETH));
    let borrow = ix::withdraw(&w.env.token_ix(&w.a, ETH), &dk.pubkey(), 10_000_000, true, &keys);
    w.env.assert_fails_nsc(&[borrow], &[&dk], BallastError::Unauthorized);
    let bk = w.b.kp.insecure_clone();
    let buyer = TradeParty { account: a, authority: dk.pubkey(), health: w.env.health_keys_with(&a, &[SOL, USDC]) };
    let b = w.b.account;
    let seller = TradeParty { account: b, authority: bk.pubkey(), health: w.env.health_keys_with(&b, &[SOL, USDC]) };
    w.env.send(&[sp::block_trade(&w.env.group, SOL, USDC, &buyer, &seller, 1, 1_000_000)], &[&dk, &bk]).unwrap();
    assert!(w.book().is_none());
}

/// A book never outlives its account: closing is refused while the account has one (a re-created
/// account at the same address would otherwise inherit its delegates); revoking the last
/// delegate closes the book and frees the account to close.
#[test]
fn the_book_never_outlives_its_account() {
    let mut w = world();
    let u = w.env.user(5);
    let (k, dk) = (u.kp.insecure_clone(), w.d.kp.pubkey());
    let g = grant(&dk, DELEGATE_TRADE, 0, None, DELEGATE_NO_CAP);
    w.env.send(&[ix::grant_delegate(&u.account, &k.pubkey(), g)], &[&k]).unwrap();
    assert_ne!(w.env.margin_account(&u.account).flags & ACCOUNT_FLAG_DELEGATE_BOOK, 0);
    let close = ix::close_account(&u.account, &k.pubkey(), &k.pubkey());
    w.env.assert_fails_nsc(std::slice::from_ref(&close), &[&k], BallastError::DelegateBookOpen);
    w.env.send(&[ix::revoke_delegate(&u.account, &k.pubkey(), &dk)], &[&k]).unwrap();
    assert_eq!(w.env.margin_account(&u.account).flags & ACCOUNT_FLAG_DELEGATE_BOOK, 0);
    w.env.send(&[close], &[&k]).unwrap();
    assert!(w.env.bank.get_account(&u.account).unwrap().is_none());
}

/// One key is never both a v0.1.0 delegate and a book delegate (the v0.1.0 rule, uncapped in every
/// market, would bypass the book's limits and survive its revoke).
#[test]
fn one_key_is_never_both_kinds_of_delegate() {
    let mut w = world();
    let (k, a) = (w.a.kp.pubkey(), w.a.account);
    let ak = w.a.kp.insecure_clone();
    let (d, e) = (w.d.kp.pubkey(), Keypair::new().pubkey());
    w.owner_send(ix::set_delegate(&a, &k, &d, DELEGATE_TRADE, 0)).unwrap();
    let g = ix::grant_delegate(&a, &k, grant(&d, DELEGATE_TRADE, 0, Some(&[SOL]), 1_000));
    w.env.assert_fails_nsc(&[g], &[&ak], BallastError::DelegateKindConflict);
    // Cleared, it may be granted; with a book, no new v0.1.0 delegate may be set (clearing may).
    w.owner_send(ix::set_delegate(&a, &k, &Pubkey::default(), 0, 0)).unwrap();
    w.grant(DELEGATE_TRADE, 0, Some(&[SOL]), 10_000_000);
    let legacy = ix::set_delegate(&a, &k, &e, DELEGATE_TRADE, 0);
    w.env.assert_fails_nsc(&[legacy], &[&ak], BallastError::DelegateKindConflict);
    w.owner_send(ix::set_delegate(&a, &k, &Pubkey::default(), 0, 0)).unwrap();
    w.run(Class::Trade).unwrap();
    assert_eq!(w.used(), 1_000_000);
}
