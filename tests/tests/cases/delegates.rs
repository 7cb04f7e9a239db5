//! Scoped, expiring delegates: every instruction class a delegate may sign (trade, withdraw to the
//! owner, borrow to the owner, liquidate as liquidator, cancel an order) against every scope, and
//! each limit of a delegate: its expiry, its markets, its daily notional cap, value to itself.

use crate::harness::*;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::constants::*;
use ballast::error::BallastError;
use ballast::state::OracleKind;
use ballast_sdk::ix;
use ballast_sdk::perp::{self as sp, TradeParty};
use solana_sdk::signature::{Keypair, Signer};

const USDC: u16 = 0;
const SOL: u16 = 1;
const ETH: u16 = 2;
/// Base native units per SOL perp lot (0.01 SOL: $1 at $100).
const LOT: u64 = 10_000_000;

/// The instruction classes a delegate may sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// One SOL perp lot bought in a block trade.
    Trade,
    /// 1 USDC of the account's deposit to the owner's token account.
    Withdraw,
    /// 0.01 ETH borrowed to the owner's token account.
    Borrow,
    /// A token liquidation with the account as liquidator.
    Liquidate,
    /// An order nonce cancelled.
    Cancel,
}

const CLASSES: [Class; 5] = [Class::Trade, Class::Withdraw, Class::Borrow, Class::Liquidate, Class::Cancel];

impl Class {
    /// The scope bit it needs.
    fn scope(self) -> u8 {
        match self {
            Class::Trade | Class::Cancel => DELEGATE_TRADE,
            Class::Withdraw => DELEGATE_WITHDRAW,
            Class::Borrow => DELEGATE_BORROW,
            Class::Liquidate => DELEGATE_LIQUIDATE,
        }
    }
    /// The market it acts in (None: no market).
    fn market(self) -> Option<u16> {
        match self {
            Class::Trade => Some(SOL),
            Class::Withdraw => Some(USDC),
            Class::Borrow | Class::Liquidate => Some(ETH),
            Class::Cancel => None,
        }
    }
    /// The notional the daily cap counts, quote native units (None: not counted): one lot at $1,
    /// 1 USDC, 0.01 ETH at $70.
    fn notional(self) -> Option<u64> {
        match self {
            Class::Trade | Class::Withdraw => Some(1_000_000),
            Class::Borrow => Some(700_000),
            Class::Liquidate | Class::Cancel => None,
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
}

fn world() -> World {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    env.send(
        &[sp::set_perp_market(&env.group, &admin.pubkey(), SOL, ballast_sdk::scenario::perp_params(LOT))],
        &[&admin],
    )
    .unwrap();
    let lender = env.user(9);
    env.fund_and_deposit(&lender, ETH, 100_000_000_000);
    let (a, b, v) = (env.user(0), env.user(1), env.user(2));
    env.fund_and_deposit(&a, USDC, 10_000_000_000);
    env.fund_and_deposit(&b, USDC, 10_000_000_000);
    env.fund_and_deposit(&v, ETH, 10_000_000_000); // 10 ETH, $1,000
    env.fund_and_deposit(&lender, USDC, 10_000_000_000);
    env.borrow(&v, USDC, 600_000_000).unwrap(); // liquidatable once ETH is $70
    let d = env.user(3);
    let own = env.user_with(d.kp.insecure_clone(), 4);
    env.fund_and_deposit(&own, USDC, 10_000_000_000);
    env.set_time(T0 + 3_600);
    for (i, p) in [(USDC, 1.0), (SOL, 100.0), (ETH, 70.0)] {
        env.set_price(i, p);
        let oracle = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
    }
    World { env, a, b, v, d, own }
}

impl World {
    fn set(&mut self, scope: u8, expiry: i64, markets: u64, cap: u64) {
        let k = self.a.kp.insecure_clone();
        let ix =
            ix::set_delegate_scoped(&self.a.account, &k.pubkey(), &self.d.kp.pubkey(), scope, expiry, markets, cap);
        self.env.send(&[ix], &[&k]).unwrap();
    }

    /// The class's instruction signed by the delegate (and by the counterparty's owner for a
    /// trade), with its signers.
    fn attempt(&mut self, c: Class) -> (Vec<Instruction>, Vec<Keypair>) {
        let dk = self.d.kp.insecure_clone();
        let env = &mut self.env;
        match c {
            Class::Trade => {
                let buyer = TradeParty {
                    account: self.a.account,
                    authority: dk.pubkey(),
                    health: env.health_keys_with(&self.a.account, &[SOL, USDC]),
                };
                let seller = TradeParty {
                    account: self.b.account,
                    authority: self.b.kp.pubkey(),
                    health: env.health_keys_with(&self.b.account, &[SOL, USDC]),
                };
                let ix = sp::block_trade(&env.group, SOL, USDC, &buyer, &seller, 1, 1_000_000);
                (vec![ix], vec![dk, self.b.kp.insecure_clone()])
            }
            Class::Withdraw => {
                let keys = env.health_keys(&self.a.account, Some(USDC));
                let ix = ix::withdraw(&env.token_ix(&self.a, USDC), &dk.pubkey(), 1_000_000, false, &keys);
                (vec![ix], vec![dk])
            }
            Class::Borrow => {
                let keys = env.health_keys(&self.a.account, Some(ETH));
                let ix = ix::withdraw(&env.token_ix(&self.a, ETH), &dk.pubkey(), 10_000_000, true, &keys);
                (vec![ix], vec![dk])
            }
            Class::Liquidate => {
                let mut ix = liq_ix(env, &self.a, &self.v, ETH, USDC, 1_000_000);
                ix = swap_account(ix, &self.a.kp.pubkey(), &dk.pubkey());
                (vec![ix], vec![dk])
            }
            Class::Cancel => (vec![sp::cancel_order(&self.a.account, &dk.pubkey(), 77)], vec![dk]),
        }
    }

    fn run(&mut self, c: Class) -> TxResult {
        let (ixs, kps) = self.attempt(c);
        let refs: Vec<&Keypair> = kps.iter().collect();
        self.env.send(&ixs, &refs)
    }

    #[track_caller]
    fn refused(&mut self, c: Class, code: BallastError) {
        let (ixs, kps) = self.attempt(c);
        let refs: Vec<&Keypair> = kps.iter().collect();
        self.env.assert_fails_nsc(&ixs, &refs, code);
    }
}

#[test]
fn every_instruction_class_against_every_scope() {
    for scope in [DELEGATE_TRADE, DELEGATE_WITHDRAW, DELEGATE_BORROW, DELEGATE_LIQUIDATE, 0] {
        for c in CLASSES {
            let mut w = world();
            if scope != 0 {
                w.set(scope, 0, DELEGATE_ALL_MARKETS, DELEGATE_NO_CAP);
            }
            if c.scope() == scope {
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
        w.set(c.scope(), now + 60, DELEGATE_ALL_MARKETS, DELEGATE_NO_CAP);
        w.env.set_time(now + 61);
        for (i, p) in [(USDC, 1.0), (SOL, 100.0), (ETH, 70.0)] {
            w.env.set_price(i, p);
        }
        w.refused(c, BallastError::DelegateExpired);
    }
}

#[test]
fn a_delegate_acts_only_in_its_markets() {
    for c in CLASSES {
        let mut w = world();
        // Every market but the class's own (the quote asset always allowed for liquidations).
        let all_but = match c.market() {
            Some(m) => !(1u64 << m),
            None => 0,
        };
        w.set(c.scope(), 0, all_but, DELEGATE_NO_CAP);
        match c.market() {
            Some(_) => w.refused(c, BallastError::DelegateMarketNotAllowed),
            None => w.run(c).unwrap(),
        }
    }
}

#[test]
fn a_delegate_stays_within_its_daily_notional_cap() {
    for c in CLASSES {
        let Some(n) = c.notional() else { continue };
        let mut w = world();
        w.set(c.scope(), 0, DELEGATE_ALL_MARKETS, n - 1);
        w.refused(c, BallastError::DelegateCapExceeded);
        // Exactly the cap passes; the same again that day does not; the next day it does.
        let mut w = world();
        w.set(c.scope(), 0, DELEGATE_ALL_MARKETS, n + n / 2);
        w.run(c).unwrap();
        w.refused(c, BallastError::DelegateCapExceeded);
        let now = w.env.now();
        w.env.set_time(now + 86_400);
        for (i, p) in [(USDC, 1.0), (SOL, 100.0), (ETH, 70.0)] {
            w.env.set_price(i, p);
            let oracle = w.env.assets[i as usize].oracle;
            w.env.send(&[ix::refresh_asset(&w.env.group, i, &oracle)], &[]).unwrap();
        }
        w.run(c).unwrap();
    }
}

#[test]
fn a_delegate_never_moves_value_to_itself() {
    let mut w = world();
    w.set(DELEGATE_TRADE | DELEGATE_WITHDRAW | DELEGATE_BORROW, 0, DELEGATE_ALL_MARKETS, DELEGATE_NO_CAP);
    let dk = w.d.kp.insecure_clone();
    // Withdrawals and borrows to the delegate's own token account: refused.
    for (asset, amount, borrow) in [(USDC, 1_000_000, false), (ETH, 10_000_000, true)] {
        let keys = w.env.health_keys(&w.a.account, Some(asset));
        let to_d = w.d.token(asset);
        let t = ix::TokenIxAccounts { user_token: to_d, ..w.env.token_ix(&w.a, asset) };
        let ix = ix::withdraw(&t, &dk.pubkey(), amount, borrow, &keys);
        w.env.assert_fails_nsc(&[ix], &[&dk], BallastError::Unauthorized);
    }
    // A trade against an account the delegate owns: refused (the price could favour it).
    let buyer = TradeParty {
        account: w.a.account,
        authority: dk.pubkey(),
        health: w.env.health_keys_with(&w.a.account, &[SOL, USDC]),
    };
    let seller = TradeParty {
        account: w.own.account,
        authority: dk.pubkey(),
        health: w.env.health_keys_with(&w.own.account, &[SOL, USDC]),
    };
    let ix = sp::block_trade(&w.env.group, SOL, USDC, &buyer, &seller, 1, 1_040_000);
    w.env.assert_fails_nsc(&[ix], &[&dk], BallastError::DelegateSelfDealing);
    // The owner itself may trade against anything.
    let (ak, bk) = (w.a.kp.insecure_clone(), w.b.kp.insecure_clone());
    let buyer = TradeParty { authority: ak.pubkey(), ..buyer };
    let seller = TradeParty {
        account: w.b.account,
        authority: bk.pubkey(),
        health: w.env.health_keys_with(&w.b.account, &[SOL, USDC]),
    };
    w.env.send(&[sp::block_trade(&w.env.group, SOL, USDC, &buyer, &seller, 1, 1_000_000)], &[&ak, &bk]).unwrap();
}

#[test]
fn four_delegates_per_account_each_with_its_own_scope() {
    let mut w = world();
    let k = w.a.kp.insecure_clone();
    let ds: Vec<Keypair> = (0..4).map(|_| Keypair::new()).collect();
    for (d, scope) in ds.iter().zip([DELEGATE_TRADE, DELEGATE_WITHDRAW, DELEGATE_BORROW, DELEGATE_LIQUIDATE]) {
        let ix = ix::set_delegate_scoped(
            &w.a.account,
            &k.pubkey(),
            &d.pubkey(),
            scope,
            0,
            DELEGATE_ALL_MARKETS,
            DELEGATE_NO_CAP,
        );
        w.env.send(&[ix], &[&k]).unwrap();
    }
    let fifth = ix::set_delegate(&w.a.account, &k.pubkey(), &Keypair::new().pubkey(), DELEGATE_TRADE, 0);
    w.env.assert_fails_nsc(&[fifth], &[&k], BallastError::TooManyDelegates);
    let acc = w.env.margin_account(&w.a.account);
    assert_eq!(
        acc.delegates.map(|d| d.scope),
        [DELEGATE_TRADE, DELEGATE_WITHDRAW, DELEGATE_BORROW, DELEGATE_LIQUIDATE]
    );
    // Scope 0 removes one; a fifth then fits. Only the owner sets delegates.
    let rm = ix::set_delegate(&w.a.account, &k.pubkey(), &ds[0].pubkey(), 0, 0);
    w.env.send(&[rm], &[&k]).unwrap();
    let dk = w.d.kp.insecure_clone();
    let by_delegate = ix::set_delegate(&w.a.account, &dk.pubkey(), &dk.pubkey(), DELEGATE_TRADE, 0);
    w.env.assert_fails_nsc(&[by_delegate], &[&dk], anchor_lang::error::ErrorCode::ConstraintHasOne);
    w.env.send(&[ix::set_delegate(&w.a.account, &k.pubkey(), &dk.pubkey(), DELEGATE_TRADE, 0)], &[&k]).unwrap();
    // The delegate with the trade scope trades.
    w.run(Class::Trade).unwrap();
}
