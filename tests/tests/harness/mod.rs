//! The one test harness: an embedded bank with the program as a builtin, real SPL Token and
//! Token-2022 programs, oracle fixtures, and snapshot helpers for "nothing changed" assertions.

#![allow(dead_code)]

mod liq;
mod openbook;
pub use liq::*;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast::instructions::ListAssetParams;
use ballast::state::{OracleConfig, OracleKind};
use ballast_sdk::decode::RawAccount;
use ballast_sdk::oracle_accounts::{pyth_legacy, pyth_pull, OracleQuote, PYTH_STATUS_TRADING};
use ballast_sdk::transport::{EmbeddedBank, Transport};
use ballast_sdk::{ix, pda};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::signature::{Keypair, Signer};

/// Start of time in every test.
pub const T0: i64 = 1_700_000_000;

pub type TxResult = ballast_sdk::Result<()>;

/// A listed asset as the tests know it.
#[derive(Clone, Debug)]
pub struct TestAsset {
    pub index: u16,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub oracle: Pubkey,
    pub feed_id: [u8; 32],
    pub kind: OracleKind,
}

/// A user with a margin account and token accounts.
pub struct User {
    pub kp: Keypair,
    pub account: Pubkey,
    pub tokens: Vec<(u16, Pubkey)>,
}

impl User {
    pub fn token(&self, asset: u16) -> Pubkey {
        self.tokens.iter().find(|(i, _)| *i == asset).map(|(_, k)| *k).expect("token account")
    }
}

pub struct Env {
    pub bank: EmbeddedBank,
    pub payer: Keypair,
    pub admin: Keypair,
    pub group: Pubkey,
    pub assets: Vec<TestAsset>,
}

pub fn spl() -> Pubkey {
    anchor_spl::token::ID
}
pub fn t2022() -> Pubkey {
    anchor_spl::token_2022::ID
}

/// Asserts a transaction failed with the given custom error code (Anchor's or Ballast's).
#[track_caller]
pub fn assert_code(r: TxResult, code: impl Into<u32>) {
    let code = code.into();
    match r {
        Err(e) if e.code() == Some(code) => {}
        other => {
            panic!("expected {} ({code}), got {:?}", ballast_sdk::error_name(code), other.map_err(|e| e.to_string()))
        }
    }
}

impl Env {
    /// A bank with a group (admin = a fresh key) and the clock at T0.
    pub fn new() -> Env {
        Self::with_bank(EmbeddedBank::new())
    }

    /// A bank that also runs the real OpenBook v2 program (`../shared/fixtures/openbook_v2.so`, SBF).
    pub fn with_openbook() -> Env {
        let path = ballast_sdk::openbook::fixture_path();
        let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("OpenBook fixture {}: {e}", path.display()));
        Self::with_bank(EmbeddedBank::with_accounts(vec![ballast_sdk::openbook::program_account(elf)]))
    }

    fn with_bank(mut bank: EmbeddedBank) -> Env {
        let payer = bank.payer();
        let admin = Keypair::new();
        bank.set_unix_timestamp(T0).unwrap();
        let group = pda::group(&admin.pubkey(), 0).0;
        bank.send(&[ix::create_group(&admin.pubkey(), &payer.pubkey(), 0, &admin.pubkey(), 0)], &payer, &[&admin])
            .expect("create group");
        Env { bank, payer, admin, group, assets: Vec::new() }
    }

    pub fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let payer = self.payer.insecure_clone();
        self.bank.send(ixs, &payer, signers)
    }

    pub fn now(&mut self) -> i64 {
        self.bank.now().unwrap()
    }

    pub fn set_time(&mut self, t: i64) {
        self.bank.set_unix_timestamp(t).unwrap();
    }

    // ---- tokens ----

    /// A mint (no freeze authority unless `freeze`), classic SPL Token or Token-2022 (no extensions).
    pub fn create_mint(&mut self, decimals: u8, token_program: Pubkey, freeze: bool) -> Pubkey {
        self.create_mint_with(decimals, token_program, freeze, &[], |_| vec![])
    }

    /// A Token-2022 mint with extensions initialized by `init_ext` before the mint itself.
    pub fn create_mint_with(
        &mut self,
        decimals: u8,
        token_program: Pubkey,
        freeze: bool,
        exts: &[t22::extension::ExtensionType],
        init_ext: impl FnOnce(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        let mint = Keypair::new();
        let space = if exts.is_empty() {
            82
        } else {
            t22::extension::ExtensionType::try_calculate_account_len::<t22::state::Mint>(exts).unwrap()
        };
        let lamports = 1_000_000_000;
        let mut ixs = vec![solana_system_interface::instruction::create_account(
            &self.payer.pubkey(),
            &mint.pubkey(),
            lamports,
            space as u64,
            &token_program,
        )];
        ixs.extend(init_ext(&mint.pubkey()));
        let admin = self.admin.pubkey();
        ixs.push(
            t22::instruction::initialize_mint2(
                &token_program,
                &mint.pubkey(),
                &admin,
                if freeze { Some(&admin) } else { None },
                decimals,
            )
            .unwrap(),
        );
        self.send(&ixs, &[&mint]).expect("create mint");
        mint.pubkey()
    }

    /// A token account for `owner`, space enough for any extension the mint needs.
    pub fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey, token_program: &Pubkey) -> Pubkey {
        let kp = Keypair::new();
        let space = if *token_program == spl() { 165 } else { 300 };
        let ixs = vec![
            solana_system_interface::instruction::create_account(
                &self.payer.pubkey(),
                &kp.pubkey(),
                10_000_000,
                space,
                token_program,
            ),
            t22::instruction::initialize_account3(token_program, &kp.pubkey(), mint, owner).unwrap(),
        ];
        self.send(&ixs, &[&kp]).expect("token account");
        kp.pubkey()
    }

    pub fn mint_to(&mut self, mint: &Pubkey, token_program: &Pubkey, dest: &Pubkey, amount: u64) {
        let admin = self.admin.insecure_clone();
        let ix = t22::instruction::mint_to(token_program, mint, dest, &admin.pubkey(), &[], amount).unwrap();
        self.send(&[ix], &[&admin]).expect("mint_to");
    }

    pub fn token_balance(&mut self, key: &Pubkey) -> u64 {
        let a = self.bank.get_account(key).unwrap().expect("token account exists");
        u64::from_le_bytes(a.data.bytes()[64..72].try_into().unwrap())
    }

    // ---- oracles ----

    pub fn set_pull(&mut self, oracle: &Pubkey, feed: [u8; 32], q: OracleQuote, level: VerificationLevel) {
        let (owner, data) = pyth_pull(feed, q, level);
        self.bank.set_account(oracle, &owner, 10_000_000, &data);
    }

    pub fn set_legacy(&mut self, oracle: &Pubkey, q: OracleQuote, status: u8, prev_publish_time: i64) {
        let (owner, data) = pyth_legacy(q, status, prev_publish_time);
        self.bank.set_account(oracle, &owner, 10_000_000, &data);
    }

    /// Sets an asset's oracle to `price` (decimal USD per whole token), fresh, 0.1% confidence.
    pub fn set_price(&mut self, index: u16, price: f64) {
        let a = self.assets[index as usize].clone();
        let now = self.now();
        let q = OracleQuote::from_decimal(price, 10, now);
        match a.kind {
            OracleKind::PythLegacy => self.set_legacy(&a.oracle, q, PYTH_STATUS_TRADING, now),
            _ => self.set_pull(&a.oracle, a.feed_id, q, VerificationLevel::Full),
        }
    }

    // ---- listing ----

    pub fn default_params(index: u16, oracle: OracleConfig) -> ListAssetParams {
        ballast_sdk::scenario::list_params(index, oracle)
    }

    pub fn oracle_config(kind: OracleKind, address: Pubkey, feed_id: [u8; 32]) -> OracleConfig {
        OracleConfig { address, feed_id, max_age_secs: 60, max_conf_bps: 500, kind: kind as u8, reserved: 0 }
    }

    /// Lists the next asset: a fresh mint with `decimals`, an oracle of `kind` at `price`.
    pub fn list(&mut self, decimals: u8, price: f64, kind: OracleKind) -> TestAsset {
        self.list_with(decimals, price, kind, spl(), |_| {}).expect("list asset")
    }

    pub fn list_with(
        &mut self,
        decimals: u8,
        price: f64,
        kind: OracleKind,
        token_program: Pubkey,
        tweak: impl FnOnce(&mut ListAssetParams),
    ) -> ballast_sdk::Result<TestAsset> {
        let mint = self.create_mint(decimals, token_program, false);
        self.list_mint(mint, decimals, price, kind, token_program, tweak)
    }

    pub fn list_mint(
        &mut self,
        mint: Pubkey,
        decimals: u8,
        price: f64,
        kind: OracleKind,
        token_program: Pubkey,
        tweak: impl FnOnce(&mut ListAssetParams),
    ) -> ballast_sdk::Result<TestAsset> {
        let index = self.assets.len() as u16;
        let oracle = Pubkey::new_unique();
        let feed_id = [index as u8 + 1; 32];
        let a = TestAsset { index, mint, token_program, decimals, oracle, feed_id, kind };
        self.assets.push(a.clone());
        self.set_price(index, price);
        let mut params = Self::default_params(
            index,
            Self::oracle_config(kind, oracle, if kind == OracleKind::PythPull { feed_id } else { [0; 32] }),
        );
        tweak(&mut params);
        let admin = self.admin.insecure_clone();
        let ixs = ix::list_asset_ixs(
            &self.group,
            &admin.pubkey(),
            &self.payer.pubkey(),
            &mint,
            &token_program,
            index,
            params,
        );
        match self.send(&ixs, &[&admin]) {
            Ok(()) => Ok(a),
            Err(e) => {
                self.assets.pop();
                Err(e)
            }
        }
    }

    // ---- users ----

    pub fn user(&mut self, account_num: u32) -> User {
        let kp = Keypair::new();
        self.user_with(kp, account_num)
    }

    pub fn user_with(&mut self, kp: Keypair, account_num: u32) -> User {
        let payer = self.payer.pubkey();
        self.send(&[solana_system_interface::instruction::transfer(&payer, &kp.pubkey(), 1_000_000_000)], &[]).unwrap();
        self.send(&[ix::create_account(&self.group, &kp.pubkey(), &payer, account_num)], &[&kp])
            .expect("create account");
        let account = pda::margin_account(&self.group, &kp.pubkey(), account_num).0;
        let mut tokens = Vec::new();
        for a in self.assets.clone() {
            let t = self.token_account(&a.mint, &kp.pubkey(), &a.token_program);
            tokens.push((a.index, t));
        }
        User { kp, account, tokens }
    }

    /// Funds a user's token account and deposits.
    pub fn fund_and_deposit(&mut self, u: &User, asset: u16, amount: u64) {
        let a = self.assets[asset as usize].clone();
        self.mint_to(&a.mint, &a.token_program, &u.token(asset), amount);
        self.deposit(u, asset, amount).expect("deposit");
    }

    pub fn token_ix(&self, u: &User, asset: u16) -> ix::TokenIxAccounts {
        let a = &self.assets[asset as usize];
        ix::TokenIxAccounts {
            group: self.group,
            account: u.account,
            asset_index: asset,
            mint: a.mint,
            token_program: a.token_program,
            user_token: u.token(asset),
        }
    }

    pub fn deposit(&mut self, u: &User, asset: u16, amount: u64) -> TxResult {
        let ix = ix::deposit(&self.token_ix(u, asset), &u.kp.pubkey(), amount);
        let kp = u.kp.insecure_clone();
        self.send(&[ix], &[&kp])
    }

    pub fn margin_account(&mut self, key: &Pubkey) -> Box<ballast::state::MarginAccount> {
        let raw = self.bank.get_account(key).unwrap().expect("margin account");
        ballast_sdk::decode::margin_account(&raw).unwrap()
    }

    pub fn asset_state(&mut self, index: u16) -> ballast::state::Asset {
        let raw = self.bank.get_account(&pda::asset(&self.group, index).0).unwrap().expect("asset");
        ballast_sdk::decode::asset(&raw).unwrap()
    }

    /// Canonical health keys of an account (plus the instruction's own asset).
    pub fn health_keys(&mut self, account: &Pubkey, extra: Option<u16>) -> Vec<Pubkey> {
        self.health_keys_with(account, extra.as_slice())
    }

    /// Canonical health keys of an account plus the assets in `extra`.
    pub fn health_keys_with(&mut self, account: &Pubkey, extra: &[u16]) -> Vec<Pubkey> {
        let acc = self.margin_account(account);
        let assets = self.assets.clone();
        ballast_sdk::health::health_account_keys(&self.group, &acc, extra, |i| assets[i as usize].oracle)
    }

    pub fn withdraw_ix(&mut self, u: &User, asset: u16, amount: u64) -> Instruction {
        let keys = self.health_keys(&u.account, Some(asset));
        ix::withdraw(&self.token_ix(u, asset), &u.kp.pubkey(), amount, false, &keys)
    }

    /// A withdrawal that may borrow beyond the deposit.
    pub fn borrow_ix(&mut self, u: &User, asset: u16, amount: u64) -> Instruction {
        let keys = self.health_keys(&u.account, Some(asset));
        ix::withdraw(&self.token_ix(u, asset), &u.kp.pubkey(), amount, true, &keys)
    }

    pub fn borrow(&mut self, u: &User, asset: u16, amount: u64) -> TxResult {
        let ix = self.borrow_ix(u, asset, amount);
        let kp = u.kp.insecure_clone();
        self.send(&[ix], &[&kp])
    }

    pub fn repay(&mut self, u: &User, asset: u16, amount: u64) -> TxResult {
        let ix = ix::repay(&self.token_ix(u, asset), &u.kp.pubkey(), amount);
        let kp = u.kp.insecure_clone();
        self.send(&[ix], &[&kp])
    }

    pub fn withdraw(&mut self, u: &User, asset: u16, amount: u64) -> TxResult {
        let ix = self.withdraw_ix(u, asset, amount);
        let kp = u.kp.insecure_clone();
        self.send(&[ix], &[&kp])
    }

    /// Raw accounts in canonical health order, for off-chain health.
    pub fn health_raw(&mut self, account: &Pubkey) -> Vec<RawAccount> {
        let keys = self.health_keys(account, None);
        keys.iter().map(|k| self.bank.get_account(k).unwrap().expect("health account")).collect()
    }

    /// Asserts that the SDK's Init, Maint and LiquidationEnd health of `account` are the program's
    /// to the bit: `check_health` accepts each as the minimum and rejects one unit of the last place more.
    #[track_caller]
    pub fn assert_sdk_health_is_program_health(&mut self, account: &Pubkey) {
        use ballast::risk::HealthType;
        let acc = self.margin_account(account);
        let raw = self.health_raw(account);
        let keys = self.health_keys(account, None);
        let now = self.now();
        for (t, code) in [(HealthType::Init, 0u8), (HealthType::Maint, 1), (HealthType::LiquidationEnd, 2)] {
            let h = ballast_sdk::health::compute(&self.group, &acc, &raw, now, t).unwrap().health;
            let ok = ix::check_health(&self.group, account, code, h.to_bits(), &keys);
            assert!(self.send(&[ok], &[]).is_ok(), "{t:?}: the program's health is below the SDK's");
            let above = ix::check_health(&self.group, account, code, h.to_bits() + 1, &keys);
            assert_code(self.send(&[above], &[]), ballast::error::BallastError::HealthBelowMinimum);
        }
    }

    // ---- snapshots ----

    /// Every listed key's (owner, lamports, data), for "nothing changed" assertions.
    pub fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<RawAccount>> {
        keys.iter().map(|k| self.bank.get_account(k).unwrap()).collect()
    }

    /// The accounts an instruction touches plus every vault: snapshot them before an attack.
    pub fn keys_of(&self, ixs: &[Instruction]) -> Vec<Pubkey> {
        let mut keys: Vec<Pubkey> = ixs.iter().flat_map(|i| i.accounts.iter().map(|m| m.pubkey)).collect();
        for a in &self.assets {
            keys.push(pda::vault(&pda::asset(&self.group, a.index).0).0);
            keys.push(pda::asset(&self.group, a.index).0);
        }
        keys.retain(|k| *k != self.payer.pubkey());
        keys.sort();
        keys.dedup();
        keys
    }

    /// Sends `ixs`, asserts the error code, and asserts that no touched account, vault or asset
    /// changed (data, owner and lamports; the fee payer aside).
    #[track_caller]
    pub fn assert_fails_nsc(&mut self, ixs: &[Instruction], signers: &[&Keypair], code: impl Into<u32>) {
        let keys = self.keys_of(ixs);
        let before = self.snapshot(&keys);
        let r = self.send(ixs, signers);
        assert_code(r, code);
        let after = self.snapshot(&keys);
        for ((k, b), a) in keys.iter().zip(before).zip(after) {
            assert_eq!(b, a, "account {k} changed");
        }
    }
}

/// Clears the signer flag of `key` in an instruction (for missing-signature attacks).
pub fn unsign(mut ix: Instruction, key: &Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut() {
        if m.pubkey == *key {
            m.is_signer = false;
        }
    }
    ix
}

/// Replaces every occurrence of `from` by `to` in an instruction's accounts.
pub fn swap_account(mut ix: Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut() {
        if m.pubkey == *from {
            m.pubkey = *to;
        }
    }
    ix
}

/// Appends a read-only account.
pub fn push_account(mut ix: Instruction, key: &Pubkey) -> Instruction {
    ix.accounts.push(AccountMeta::new_readonly(*key, false));
    ix
}

impl Env {
    /// Creates the insurance fund (cooldown one hour).
    pub fn create_fund(&mut self) {
        let admin = self.admin.insecure_clone();
        let q = self.assets[0].clone();
        let ix = ballast_sdk::insurance::create_insurance_fund(
            &self.group,
            &admin.pubkey(),
            &self.payer.pubkey(),
            &q.mint,
            &q.token_program,
            3_600,
        );
        self.send(&[ix], &[&admin]).expect("create insurance fund");
    }

    /// The fund's accounts.
    pub fn fund(&self) -> ballast::accounts::InsuranceAccounts {
        let q = &self.assets[0];
        ballast_sdk::insurance::fund(&self.group, &q.mint, &q.token_program)
    }

    /// Mints `amount` quote tokens to `u` and stakes them.
    pub fn stake(&mut self, u: &User, amount: u64) -> TxResult {
        let q = self.assets[0].clone();
        self.mint_to(&q.mint, &q.token_program, &u.token(0), amount);
        let ix = ballast_sdk::insurance::stake(self.fund(), &u.kp.pubkey(), &u.token(0), amount);
        let k = u.kp.insecure_clone();
        self.send(&[ix], &[&k])
    }

    /// Queues `change` (admin) on the asset `target` (None: the group) and returns its number.
    pub fn propose(&mut self, target: Option<u16>, change: ballast::governance::GovChange) -> u64 {
        let num = self.group_state().num_proposals;
        let admin = self.admin.insecure_clone();
        let ix = ix::propose_change(&self.group, &admin.pubkey(), &self.payer.pubkey(), num, target, change);
        self.send(&[ix], &[&admin]).expect("propose");
        num
    }

    /// Hands the setup group over to governance: roles and timelock through a queued change,
    /// which a group without timelock executes at once (the bootstrap of migrations/). The
    /// guardian gets lamports for fees.
    pub fn hand_over(&mut self, guardian: &Pubkey, fee_recipient: &Pubkey, timelock_secs: u64) {
        use ballast::governance::{GovChange, RolesParams};
        let roles = RolesParams {
            admin: self.admin.pubkey(),
            guardian: *guardian,
            listing_admin: Pubkey::default(),
            fee_recipient: *fee_recipient,
            timelock_secs,
        };
        let change = GovChange::SetRoles(roles);
        let num = self.propose(None, change.clone());
        self.send(&[ix::execute_change(&self.group, num, None, &change)], &[]).expect("execute roles");
        let g = self.group_state();
        assert_eq!((g.guardian, g.fee_recipient, g.timelock_secs), (*guardian, *fee_recipient, timelock_secs));
        let payer = self.payer.pubkey();
        self.send(&[solana_system_interface::instruction::transfer(&payer, guardian, 1_000_000_000)], &[]).unwrap();
    }

    /// An attacker with lamports and its own group (it is the admin there; no timelock).
    pub fn foreign_group(&mut self) -> (Keypair, Pubkey) {
        let attacker = Keypair::new();
        let payer = self.payer.pubkey();
        self.send(&[solana_system_interface::instruction::transfer(&payer, &attacker.pubkey(), 1_000_000_000)], &[])
            .unwrap();
        self.send(&[ix::create_group(&attacker.pubkey(), &payer, 0, &attacker.pubkey(), 0)], &[&attacker]).unwrap();
        let group = pda::group(&attacker.pubkey(), 0).0;
        (attacker, group)
    }

    pub fn group_state(&mut self) -> ballast::state::Group {
        let raw = self.bank.get_account(&self.group).unwrap().expect("group");
        ballast_sdk::decode::group(&raw).unwrap()
    }
}
