//! Stateful fuzzer: random sequences of deposits, withdrawals, borrows, repays, perp trades,
//! settlements, price moves, time warps, liquidations (the keeper), bankruptcy resolution and
//! insurance stakes across four accounts and two assets, on the real program, with the catalogue
//! invariants checked after every step: I-1, I-2, I-3, I-4 (and I-5), I-6, I-7, I-8, I-9, I-10,
//! I-13, I-14, I-15 and I-16. Failing cases shrink to a short, readable list of `Op`s.
//!
//! The regular suite runs `FUZZ_CASES` (default 20) sequences of `FUZZ_STEPS` (default 500) steps:
//! 10,000 steps. A longer run: `FUZZ_CASES=200 RUST_LOG=error cargo test --locked -p ballast-tests
//! --test main fuzz -- --nocapture`.

use std::collections::BTreeMap;

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use ballast::risk::Fx;
use ballast::state::{OracleKind, PerpMarketParams, PERP_FLAG_ENABLED};
use ballast_sdk::decode::RawAccount;
use ballast_sdk::keeper::Keeper;
use ballast_sdk::perp::{self as sp, TradeParty};
use ballast_sdk::transport::Transport;
use ballast_sdk::{insurance as ins, ix, pda};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use solana_sdk::signature::Signer;

const USERS: usize = 4;
const USDC: u16 = 0;
const SOL: u16 = 1;
const LOT: u64 = 10_000_000;

/// One step of a sequence. Indexes are taken modulo the number of users.
#[derive(Clone, Debug)]
enum Op {
    Deposit { user: u8, asset: u8, amount: u64 },
    Withdraw { user: u8, asset: u8, amount: u64 },
    Borrow { user: u8, asset: u8, amount: u64 },
    Repay { user: u8, asset: u8, amount: u64 },
    DepositWithdraw { user: u8, amount: u64 },
    Trade { buyer: u8, seller: u8, lots: u64, off_bps: i16 },
    Settle { a: u8, b: u8 },
    Price { pct: i8 },
    Warp { secs: u16 },
    Liquidate { liqor: u8 },
    Stake { user: u8, amount: u64 },
    Unstake { user: u8 },
    Sweep,
}

impl Op {
    /// The step's kind, for the coverage report.
    fn kind(&self) -> &'static str {
        match self {
            Op::Deposit { .. } => "Deposit",
            Op::Withdraw { .. } => "Withdraw",
            Op::Borrow { .. } => "Borrow",
            Op::Repay { .. } => "Repay",
            Op::DepositWithdraw { .. } => "DepositWithdraw",
            Op::Trade { .. } => "Trade",
            Op::Settle { .. } => "Settle",
            Op::Price { .. } => "Price",
            Op::Warp { .. } => "Warp",
            Op::Liquidate { .. } => "Liquidate",
            Op::Stake { .. } => "Stake",
            Op::Unstake { .. } => "Unstake",
            Op::Sweep => "Sweep",
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0u8..USERS as u8;
    let a = 0u8..2;
    prop_oneof![
        3 => (u.clone(), a.clone(), 1u64..5_000_000_000).prop_map(|(user, asset, amount)| Op::Deposit { user, asset, amount }),
        2 => (u.clone(), a.clone(), 1u64..5_000_000_000).prop_map(|(user, asset, amount)| Op::Withdraw { user, asset, amount }),
        3 => (u.clone(), a.clone(), 1u64..5_000_000_000).prop_map(|(user, asset, amount)| Op::Borrow { user, asset, amount }),
        2 => (u.clone(), a.clone(), 1u64..5_000_000_000).prop_map(|(user, asset, amount)| Op::Repay { user, asset, amount }),
        1 => (u.clone(), 1u64..1_000_000_000).prop_map(|(user, amount)| Op::DepositWithdraw { user, amount }),
        4 => (u.clone(), u.clone(), 1u64..3_000, -200i16..200).prop_map(|(buyer, seller, lots, off_bps)| Op::Trade { buyer, seller, lots, off_bps }),
        2 => (u.clone(), u.clone()).prop_map(|(a, b)| Op::Settle { a, b }),
        3 => (-25i8..20).prop_map(|pct| Op::Price { pct }),
        2 => (1u16..7_200).prop_map(|secs| Op::Warp { secs }),
        2 => u.clone().prop_map(|liqor| Op::Liquidate { liqor }),
        1 => (u.clone(), 1u64..2_000_000_000).prop_map(|(user, amount)| Op::Stake { user, amount }),
        1 => u.clone().prop_map(|user| Op::Unstake { user }),
        1 => Just(Op::Sweep),
    ]
}

struct World {
    env: Env,
    /// Steps that changed a margin account, per kind (coverage report).
    changed: BTreeMap<&'static str, usize>,
    users: Vec<User>,
    sol_price: f64,
    borrow_index: [Fx; 2],
    deposit_index: [Fx; 2],
    social: [u64; 2],
}

fn setup() -> World {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list_with(9, 100.0, OracleKind::PythPull, spl(), |p| p.deposit_cap = 2_000_000_000_000).unwrap();
    let admin = env.admin.insecure_clone();
    let params = PerpMarketParams {
        base_lot_size: LOT,
        price_band_bps: 500,
        taker_fee_bps: 10,
        maker_fee_bps: 5,
        insurance_fee_share_bps: 5_000,
        max_open_interest: 20_000,
        max_funding_bps_per_day: 100,
        funding_window_secs: 3_600,
        settle_limit: 5_000_000_000,
        settle_window_secs: 3_600,
        init_pnl_cap: 1_000_000_000,
        flags: PERP_FLAG_ENABLED,
    };
    env.send(&[sp::set_perp_market(&env.group, &admin.pubkey(), SOL, params)], &[&admin]).unwrap();
    env.create_fund();
    let mut users = Vec::new();
    for i in 0..USERS {
        let u = env.user(i as u32);
        env.fund_and_deposit(&u, USDC, 5_000_000_000);
        env.fund_and_deposit(&u, SOL, 20_000_000_000);
        users.push(u);
    }
    let mut w = World {
        env,
        changed: BTreeMap::new(),
        users,
        sol_price: 100.0,
        borrow_index: [Fx::ONE; 2],
        deposit_index: [Fx::ONE; 2],
        social: [0; 2],
    };
    w.record_indexes();
    w
}

impl World {
    fn republish(&mut self) {
        self.env.set_price(USDC, 1.0);
        self.env.set_price(SOL, self.sol_price);
        for i in [USDC, SOL] {
            let o = self.env.assets[i as usize].oracle;
            let _ = self.env.send(&[ix::refresh_asset(&self.env.group, i, &o)], &[]);
        }
    }

    fn health(&mut self, u: usize) -> [Fx; 3] {
        let key = self.users[u].account;
        let acc = self.env.margin_account(&key);
        let raw = self.env.health_raw(&key);
        let now = self.env.now();
        let h = ballast_sdk::health::compute_all(&self.env.group, &acc, &raw, now).unwrap();
        [h[0].health, h[1].health, h[2].health]
    }

    fn accounts(&mut self) -> Vec<Option<RawAccount>> {
        let keys: Vec<Pubkey> = self.users.iter().map(|u| u.account).collect();
        self.env.snapshot(&keys)
    }

    fn send_user(
        &mut self,
        u: usize,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        other: Option<usize>,
    ) -> bool {
        let mut signers = vec![self.users[u].kp.insecure_clone()];
        if let Some(o) = other {
            signers.push(self.users[o].kp.insecure_clone());
        }
        let refs: Vec<&solana_sdk::signature::Keypair> = signers.iter().collect();
        self.env.send(ixs, &refs).is_ok()
    }

    fn record_indexes(&mut self) {
        for i in [USDC, SOL] {
            let a = self.env.asset_state(i);
            self.borrow_index[i as usize] = a.bank.borrow_index.fx();
            self.deposit_index[i as usize] = a.bank.deposit_index.fx();
            self.social[i as usize] = a.socialized_loss;
        }
    }

    /// Applies one step; returns the accounts it may change without their owner's signature
    /// (I-16) and the users whose health rule applies (I-4).
    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let n = USERS as u8;
        let before = self.accounts();
        let pre: Vec<[Fx; 3]> = (0..USERS).map(|i| self.health(i)).collect();
        // Accounts allowed to change (I-16) and whose post-action rule applies (I-4).
        let (mut allowed, mut ruled): (Vec<usize>, Vec<usize>) = (vec![], vec![]);
        let mut keeper_step = false;
        match *op {
            Op::Deposit { user, asset, amount } => {
                let u = (user % n) as usize;
                let a = self.env.assets[asset as usize].clone();
                self.env.mint_to(&a.mint, &a.token_program, &self.users[u].token(asset as u16), amount);
                let ix =
                    ix::deposit(&self.env.token_ix(&self.users[u], asset as u16), &self.users[u].kp.pubkey(), amount);
                self.send_user(u, &[ix], None);
                allowed.push(u);
            }
            Op::Withdraw { user, asset, amount } | Op::Borrow { user, asset, amount } => {
                let u = (user % n) as usize;
                let borrow = matches!(op, Op::Borrow { .. });
                let keys = self.env.health_keys(&self.users[u].account, Some(asset as u16));
                let ix = ix::withdraw(
                    &self.env.token_ix(&self.users[u], asset as u16),
                    &self.users[u].kp.pubkey(),
                    amount,
                    borrow,
                    &keys,
                );
                self.send_user(u, &[ix], None);
                allowed.push(u);
                ruled.push(u);
            }
            Op::Repay { user, asset, amount } => {
                let u = (user % n) as usize;
                let a = self.env.assets[asset as usize].clone();
                self.env.mint_to(&a.mint, &a.token_program, &self.users[u].token(asset as u16), amount);
                let ix =
                    ix::repay(&self.env.token_ix(&self.users[u], asset as u16), &self.users[u].kp.pubkey(), amount);
                self.send_user(u, &[ix], None);
                allowed.push(u);
            }
            Op::DepositWithdraw { user, amount } => {
                // I-15: a deposit and a full withdrawal with no time passing never pay out more.
                let u = (user % n) as usize;
                let a = self.env.assets[USDC as usize].clone();
                let tok = self.users[u].token(USDC);
                self.env.mint_to(&a.mint, &a.token_program, &tok, amount);
                let acc = self.env.margin_account(&self.users[u].account);
                let held = self.env.asset_state(USDC).bank.state().withdrawable(acc.token_indexed(USDC)).unwrap();
                let wallet = self.env.token_balance(&tok);
                let dep = ix::deposit(&self.env.token_ix(&self.users[u], USDC), &self.users[u].kp.pubkey(), amount);
                let keys = self.env.health_keys(&self.users[u].account, Some(USDC));
                let wd = ix::withdraw(
                    &self.env.token_ix(&self.users[u], USDC),
                    &self.users[u].kp.pubkey(),
                    held + amount,
                    false,
                    &keys,
                );
                if self.send_user(u, &[dep, wd], None) {
                    prop_assert!(
                        self.env.token_balance(&tok) <= wallet + held,
                        "I-15: deposit then withdraw paid out more"
                    );
                }
                allowed.push(u);
                ruled.push(u);
            }
            Op::Trade { buyer, seller, lots, off_bps } => {
                let (b, s) = ((buyer % n) as usize, (seller % n) as usize);
                let price = (self.sol_price * 1e6 / 100.0 * (1.0 + off_bps as f64 / 10_000.0)) as u64;
                let party = |w: &mut World, i: usize| TradeParty {
                    account: w.users[i].account,
                    authority: w.users[i].kp.pubkey(),
                    health: w.env.health_keys_with(&w.users[i].account, &[SOL, USDC]),
                };
                let (pb, ps) = (party(self, b), party(self, s));
                let ix = sp::block_trade(&self.env.group, SOL, USDC, &pb, &ps, lots, price);
                self.send_user(b, &[ix], Some(s));
                allowed.extend([b, s]);
                ruled.extend([b, s]);
            }
            Op::Settle { a, b } => {
                let (x, y) = ((a % n) as usize, (b % n) as usize);
                let oracle = self.env.assets[SOL as usize].oracle;
                let keys = self.env.health_keys(&self.users[y].account, None);
                let ix = sp::settle_pnl(
                    &ballast_sdk::perp::SettleAccounts {
                        group: self.env.group,
                        asset_index: SOL,
                        oracle,
                        profitable: self.users[x].account,
                        unprofitable: self.users[y].account,
                        loser_health: &keys,
                    },
                    u64::MAX,
                );
                let _ = self.env.send(&[ix], &[]);
                allowed.extend([x, y]);
            }
            Op::Price { pct } => {
                self.sol_price = (self.sol_price * (1.0 + pct as f64 / 100.0)).clamp(5.0, 1_000.0);
                self.republish();
            }
            Op::Warp { secs } => {
                let now = self.env.now();
                self.env.set_time(now + secs as i64);
                self.republish();
            }
            Op::Liquidate { liqor } => {
                let l = (liqor % n) as usize;
                let k = Keeper {
                    group: self.env.group,
                    liqor: self.users[l].account,
                    owner: self.users[l].kp.insecure_clone(),
                    payer: self.env.payer.insecure_clone(),
                };
                let paid0 = self.env.group_state().insurance.paid_out;
                let r = k.run(&mut self.env.bank, 1).unwrap();
                // I-8: what the fund paid plus what depositors bore is exactly the debt removed.
                let paid = self.env.group_state().insurance.paid_out - paid0;
                // The fund's payments for perp losses (to winners) and deliveries are not quote
                // debt it repaid (S2-22, S2-23).
                let other: u64 =
                    r.perp_bad_debt.values().map(|v| v.0).sum::<u64>() + r.covered.values().map(|v| v.1).sum::<u64>();
                prop_assert!(other <= paid, "the fund paid {} < {}", paid, other);
                for i in [USDC, SOL] {
                    let social = self.env.asset_state(i).socialized_loss - self.social[i as usize];
                    let removed = r.bad_debt.get(&i).copied().unwrap_or(0);
                    let fund = if i == USDC { paid - other } else { 0 };
                    prop_assert_eq!(removed, fund + social, "I-8 on asset {}", i);
                }
                if r.liquidations > 0 {
                    prop_assert!(self.health(l)[0] >= Fx::ZERO, "I-6: liquidator Init health below zero");
                }
                allowed.push(l);
                keeper_step = true;
            }
            Op::Stake { user, amount } => {
                let u = (user % n) as usize;
                let q = self.env.assets[0].clone();
                self.env.mint_to(&q.mint, &q.token_program, &self.users[u].token(0), amount);
                let ix = ins::stake(self.env.fund(), &self.users[u].kp.pubkey(), &self.users[u].token(0), amount);
                self.send_user(u, &[ix], None);
            }
            Op::Unstake { user } => {
                let u = (user % n) as usize;
                let key = self.users[u].kp.pubkey();
                if let Some(raw) = self.env.bank.get_account(&pda::stake(&self.env.group, &key).0).unwrap() {
                    let s = ballast_sdk::decode::insurance_stake(&raw).unwrap();
                    if s.shares > 0 && s.pending_shares == 0 {
                        let g = self.env.group;
                        self.send_user(u, &[ins::request_unstake(&g, &key, s.shares)], None);
                    } else if s.pending_shares > 0 {
                        let f = self.env.fund();
                        self.send_user(u, &[ins::withdraw_unstake(f, &key, &self.users[u].token(0))], None);
                    }
                }
            }
            Op::Sweep => {
                let _ = self.env.send(&[ins::sweep_insurance_fees(self.env.fund())], &[]);
            }
        }
        let after = self.accounts();
        if before != after {
            *self.changed.entry(op.kind()).or_default() += 1;
        }
        // I-16: an account changes only when it signed (or is a party of a permissionless settle),
        // or in a keeper step when liquidation or bankruptcy preconditions held for it.
        for i in 0..USERS {
            if before[i] != after[i] && !allowed.contains(&i) {
                let p = pre[i];
                let has_perp =
                    self.env.margin_account(&self.users[i].account).perps.iter().any(|x| x.asset_index != u16::MAX)
                        || before[i]
                            .as_ref()
                            .map(|r| {
                                ballast_sdk::decode::margin_account(r)
                                    .unwrap()
                                    .perps
                                    .iter()
                                    .any(|x| x.asset_index != u16::MAX)
                            })
                            .unwrap_or(false);
                prop_assert!(
                    keeper_step && (p[1] < Fx::ZERO || p[2] < Fx::ZERO || has_perp),
                    "I-16: account {i} changed without authority in {op:?}"
                );
            }
        }
        // I-4 / I-5: a user action that changed the account leaves Init >= 0, or did not lower it.
        for &i in &ruled {
            if before[i] != after[i] {
                let post = self.health(i)[0];
                let tol = Fx::from_num(0.01);
                prop_assert!(
                    post >= Fx::ZERO || post + tol >= pre[i][0],
                    "I-4: {op:?} left user {i} at Init {post} from {}",
                    pre[i][0]
                );
            }
        }
        self.check_ledger(op)
    }

    /// I-1, I-2, I-3, I-7, I-9, I-10, I-13, I-14 over the whole state.
    fn check_ledger(&mut self, op: &Op) -> Result<(), TestCaseError> {
        // I-2: tokens only move between wallets and vaults: every token of each mint sits in a
        // user wallet, an asset vault or the insurance vault (the mint's supply changes only by the
        // fuzzer's own mints to wallets).
        for i in [USDC, SOL] {
            let a = self.env.assets[i as usize].clone();
            let supply = {
                let raw = self.env.bank.get_account(&a.mint).unwrap().expect("mint");
                u64::from_le_bytes(raw.data.bytes()[36..44].try_into().unwrap())
            };
            let mut held = self.env.token_balance(&pda::vault(&pda::asset(&self.env.group, i).0).0);
            for u in &self.users {
                held += self.env.token_balance(&u.token(i));
            }
            if i == USDC {
                held += self.env.token_balance(&pda::insurance_vault(&self.env.group).0);
            }
            prop_assert_eq!(held, supply, "I-2: tokens of asset {} created or lost by {:?}", i, op);
        }
        let accs: Vec<_> = self
            .users
            .iter()
            .map(|u| u.account)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|k| self.env.margin_account(&k))
            .collect();
        for i in [USDC, SOL] {
            let a = self.env.asset_state(i);
            let s = a.bank.state();
            // I-1: vault + borrows >= deposits + protocol fees + insurance claims.
            let vault = self.env.token_balance(&pda::vault(&pda::asset(&self.env.group, i).0).0);
            let claims = s.total_deposits().unwrap() + a.bank.protocol_fees.fx() + a.insurance_fees.fx();
            prop_assert!(
                Fx::from_num(vault) + s.total_borrows().unwrap() + Fx::from_num(2) >= claims,
                "I-1 on {i} after {op:?}"
            );
            // I-3: the positions add up to the bank's indexed totals.
            let (mut dep, mut bor) = (Fx::ZERO, Fx::ZERO);
            for acc in &accs {
                let p = acc.token_indexed(i);
                if p > Fx::ZERO {
                    dep += p
                } else {
                    bor -= p
                }
            }
            prop_assert!(
                (dep - s.indexed_deposits).abs() <= Fx::from_num(0.01),
                "I-3 deposits on {i}: {dep} vs {}",
                s.indexed_deposits
            );
            prop_assert!(
                (bor - s.indexed_borrows).abs() <= Fx::from_num(0.01),
                "I-3 borrows on {i}: {bor} vs {}",
                s.indexed_borrows
            );
            // I-9: the borrow index never falls; the deposit index falls only with a socialized loss.
            let (bi, di) = (s.borrow_index, s.deposit_index);
            prop_assert!(bi >= self.borrow_index[i as usize], "I-9: borrow index fell on {i}");
            if di < self.deposit_index[i as usize] {
                prop_assert!(
                    a.socialized_loss > self.social[i as usize],
                    "I-9: deposit index fell without a socialized loss"
                );
            }
            // I-14: deposits within the cap.
            prop_assert!(
                s.total_deposits().unwrap() <= Fx::from_num(a.bank.deposit_cap) + Fx::ONE,
                "I-14: deposit cap"
            );
        }
        // I-10: slots: each active slot names a listed asset, once; free slots are the sentinel.
        for acc in &accs {
            let mut seen = BTreeMap::new();
            for t in acc.tokens.iter().filter(|t| t.asset_index != u16::MAX) {
                prop_assert!(t.asset_index < 2 && seen.insert(t.asset_index, ()).is_none(), "I-10: token slots");
            }
            prop_assert!(acc.active_assets(&[]).len <= ballast::constants::MAX_ACCOUNT_ASSETS, "I-10: too many assets");
        }
        // I-7: perp base positions sum to zero; open interest is the sum of longs, within its cap.
        let base: i64 =
            accs.iter().flat_map(|a| a.perps.iter().filter(|p| p.asset_index == SOL).map(|p| p.base_lots)).sum();
        let longs: i64 =
            accs.iter().flat_map(|a| a.perps.iter().filter(|p| p.asset_index == SOL).map(|p| p.base_lots.max(0))).sum();
        let m = self.env.asset_state(SOL).perp;
        prop_assert_eq!(base, 0, "I-7: base positions");
        prop_assert_eq!(longs as u64, m.open_interest, "I-7: open interest");
        // I-13: shares add up; the fund's accounting never exceeds its vault.
        let g = self.env.group_state().insurance;
        let mut shares = g.protocol_shares;
        for u in &self.users {
            if let Some(raw) = self.env.bank.get_account(&pda::stake(&self.env.group, &u.kp.pubkey()).0).unwrap() {
                shares += ballast_sdk::decode::insurance_stake(&raw).unwrap().shares;
            }
        }
        prop_assert_eq!(shares, g.total_shares, "I-13: shares");
        prop_assert!(
            self.env.token_balance(&pda::insurance_vault(&self.env.group).0) >= g.value,
            "I-13: fund value above its vault"
        );
        self.record_indexes();
        Ok(())
    }
}

#[test]
fn fuzz_invariants_hold_over_random_sequences() {
    let cases: u32 = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let steps: usize = std::env::var("FUZZ_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let total = std::cell::Cell::new(0usize);
    let changed = std::cell::RefCell::new(BTreeMap::<&'static str, usize>::new());
    runner
        .run(&prop::collection::vec(op(), steps..=steps), |ops| {
            let mut w = setup();
            for op in &ops {
                w.apply(op)?;
                total.set(total.get() + 1);
            }
            for (k, v) in &w.changed {
                *changed.borrow_mut().entry(k).or_default() += v;
            }
            Ok(())
        })
        .unwrap();
    println!("fuzz: {} steps; steps that changed an account, by kind: {:?}", total.get(), changed.borrow());
    assert!(total.get() >= cases as usize * steps, "ran {} steps", total.get());
    // The sequences must exercise the protocol, not only fail: every kind of account change occurs.
    for kind in ["Deposit", "Withdraw", "Borrow", "Repay", "Trade", "Liquidate"] {
        assert!(changed.borrow().get(kind).copied().unwrap_or(0) > 0, "no successful {kind}");
    }
}
