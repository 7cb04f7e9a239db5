//! Catalogue B1 (accounts / validation). Each test asserts the named error and that nothing changed.

use crate::harness::*;
use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use ballast::constants::*;
use ballast::error::BallastError;
use ballast::state::{MarginAccount, OracleKind};
use ballast_sdk::{ix, pda};
use solana_sdk::signature::{Keypair, Signer};

fn setup() -> (Env, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 150.0, OracleKind::PythPull);
    let u = env.user(0);
    env.fund_and_deposit(&u, 0, 100_000_000);
    (env, u)
}

#[test]
fn av_01_withdraw_without_owner_signature() {
    let (mut env, u) = setup();
    let ix = unsign(env.withdraw_ix(&u, 0, 1_000), &u.kp.pubkey());
    env.assert_fails_nsc(&[ix], &[], ErrorCode::AccountNotSigner);
}

#[test]
fn av_02_trading_delegate_cannot_withdraw() {
    let (mut env, u) = setup();
    let d = Keypair::new();
    let kp = u.kp.insecure_clone();
    env.send(&[ix::set_delegate(&u.account, &kp.pubkey(), &d.pubkey(), DELEGATE_TRADE, 0)], &[&kp]).unwrap();
    let d_token = env.token_account(&env.assets[0].mint.clone(), &d.pubkey(), &spl());
    let keys = env.health_keys(&u.account, Some(0));
    let mut t = env.token_ix(&u, 0);
    t.user_token = d_token;
    let ix = ix::withdraw(&t, &d.pubkey(), 1_000, false, &keys);
    env.assert_fails_nsc(&[ix], &[&d], BallastError::Unauthorized);
    // Even with the withdraw scope, a delegate cannot send to its own token account.
    env.send(&[ix::set_delegate(&u.account, &kp.pubkey(), &d.pubkey(), DELEGATE_WITHDRAW, 0)], &[&kp]).unwrap();
    let ix = ix::withdraw(&t, &d.pubkey(), 1_000, false, &keys);
    env.assert_fails_nsc(&[ix], &[&d], BallastError::Unauthorized);
}

#[test]
fn av_03_margin_account_owned_by_another_program() {
    let (mut env, u) = setup();
    // Copy the real account's bytes (with its discriminator), inflate the balance, and give it to
    // an attacker program.
    let raw = ballast_sdk::transport::Transport::get_account(&mut env.bank, &u.account).unwrap().unwrap();
    let mut data = raw.data.bytes().to_vec();
    let fake = Pubkey::new_unique();
    let mut acc: MarginAccount = bytemuck::pod_read_unaligned(&data[8..8 + core::mem::size_of::<MarginAccount>()]);
    acc.tokens[0].indexed = ballast::state::Fx128::from_fx(ballast::risk::Fx::from_num(1_000_000_000_000u64));
    data[8..8 + core::mem::size_of::<MarginAccount>()].copy_from_slice(bytemuck::bytes_of(&acc));
    assert_eq!(&data[..8], MarginAccount::DISCRIMINATOR);
    env.bank.set_account(&fake, &Pubkey::new_unique(), raw.lamports, &data);
    let ix = swap_account(env.withdraw_ix(&u, 0, 1_000), &u.account, &fake);
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], ErrorCode::AccountOwnedByWrongProgram);
}

#[test]
fn av_04_type_confusion_is_rejected_on_every_path() {
    let (mut env, u) = setup();
    let kp = u.kp.insecure_clone();
    let asset0 = pda::asset(&env.group, 0).0;
    // Named account: an Asset passed as the MarginAccount.
    let ix = swap_account(env.withdraw_ix(&u, 0, 1_000), &u.account, &asset0);
    env.assert_fails_nsc(&[ix], &[&kp], ErrorCode::AccountDiscriminatorMismatch);
    // Named account: the Group passed as the Asset.
    let group = env.group;
    let mut ix = env.withdraw_ix(&u, 0, 1_000);
    ix.accounts[3].pubkey = group;
    env.assert_fails_nsc(&[ix], &[&kp], ErrorCode::AccountDiscriminatorMismatch);
    // remaining_accounts: the margin account passed where an Asset is expected.
    let mut ix = env.withdraw_ix(&u, 0, 1_000);
    let n = ix.accounts.len();
    ix.accounts[n - 2].pubkey = u.account;
    env.assert_fails_nsc(&[ix], &[&kp], ErrorCode::AccountDiscriminatorMismatch);
}

#[test]
fn av_05_asset_of_another_group_is_rejected() {
    let (mut env, u) = setup();
    // The attacker creates its own group with a worthless mint at a generous weight.
    let (attacker, g2) = env.foreign_group();
    let payer = env.payer.pubkey();
    let mint = env.create_mint(6, spl(), false);
    let oracle = env.assets[0].oracle;
    let mut params = Env::default_params(0, Env::oracle_config(OracleKind::PythPull, oracle, env.assets[0].feed_id));
    params.risk.init_down_bps = 1_000;
    params.risk.maint_down_bps = 500;
    env.send(&ix::list_asset_ixs(&g2, &attacker.pubkey(), &payer, &mint, &spl(), 0, params), &[&attacker]).unwrap();
    // Deposit naming G1 and G1's account but G2's asset chain.
    let atk_token = env.token_account(&mint, &u.kp.pubkey(), &spl());
    let t = ix::TokenIxAccounts {
        group: env.group,
        account: u.account,
        asset_index: 0,
        mint,
        token_program: spl(),
        user_token: atk_token,
    };
    let mut dep = ix::deposit(&t, &u.kp.pubkey(), 1);
    let g2_asset = pda::asset(&g2, 0).0;
    dep.accounts[2].pubkey = g2_asset;
    dep.accounts[3].pubkey = pda::vault(&g2_asset).0;
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[dep], &[&kp], ErrorCode::ConstraintHasOne);
    // Health accounts: G2's asset in place of G1's.
    let mut w = env.withdraw_ix(&u, 0, 1_000);
    let n = w.accounts.len();
    w.accounts[n - 2].pubkey = g2_asset;
    env.assert_fails_nsc(&[w], &[&kp], BallastError::InvalidHealthAccounts);
}

#[test]
fn av_06_deposit_into_a_fake_vault() {
    let (mut env, u) = setup();
    let mint = env.assets[0].mint;
    let fake_vault = env.token_account(&mint, &Pubkey::new_unique(), &spl());
    env.mint_to(&mint, &spl(), &u.token(0), 50);
    let mut dep = ix::deposit(&env.token_ix(&u, 0), &u.kp.pubkey(), 50);
    dep.accounts[3].pubkey = fake_vault;
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[dep], &[&kp], ErrorCode::ConstraintAddress);
}

#[test]
fn av_07_oracle_of_another_asset_or_feed() {
    let (mut env, u) = setup();
    let kp = u.kp.insecure_clone();
    // The SOL oracle (a genuine account) in USDC's oracle slot.
    let sol_oracle = env.assets[1].oracle;
    let mut ix = env.withdraw_ix(&u, 0, 1_000);
    let n = ix.accounts.len();
    ix.accounts[n - 1].pubkey = sol_oracle;
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::UnexpectedOracle);
    // The configured address holding an update for another feed id.
    let usdc = env.assets[0].clone();
    env.set_pull(
        &usdc.oracle,
        env.assets[1].feed_id,
        ballast_sdk::oracle_accounts::OracleQuote::from_decimal(1.0, 10, T0),
        pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
    );
    let ix = env.withdraw_ix(&u, 0, 1_000);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::OracleFeedMismatch);
}

#[test]
fn av_10_non_canonical_bump_is_rejected() {
    let (mut env, _u) = setup();
    let owner = Keypair::new();
    let payer = env.payer.pubkey();
    env.send(&[solana_system_interface::instruction::transfer(&payer, &owner.pubkey(), 1_000_000_000)], &[]).unwrap();
    let owner_key = owner.pubkey();
    let seeds: [&[u8]; 4] = [ACCOUNT_SEED, env.group.as_ref(), owner_key.as_ref(), &0u32.to_le_bytes()];
    let (canonical, bump) = Pubkey::find_program_address(&seeds, &ballast::ID);
    // Find another valid bump below the canonical one.
    let other = (0..bump)
        .rev()
        .find_map(|b| {
            Pubkey::create_program_address(&[seeds[0], seeds[1], seeds[2], seeds[3], &[b]], &ballast::ID).ok()
        })
        .expect("a non-canonical bump exists");
    let ix = swap_account(ix::create_account(&env.group, &owner.pubkey(), &payer, 0), &canonical, &other);
    env.assert_fails_nsc(&[ix], &[&owner], ErrorCode::ConstraintSeeds);
    // The canonical one works and stores the canonical bump.
    env.send(&[ix::create_account(&env.group, &owner.pubkey(), &payer, 0)], &[&owner]).unwrap();
    assert_eq!(env.margin_account(&canonical).bump, bump);
}

#[test]
fn av_12_reinitialising_an_account_fails() {
    let (mut env, u) = setup();
    let before = env.snapshot(&[u.account]);
    let kp = u.kp.insecure_clone();
    let r = env.send(&[ix::create_account(&env.group, &kp.pubkey(), &env.payer.pubkey(), 0)], &[&kp]);
    assert!(r.is_err(), "re-init must fail");
    assert_eq!(env.snapshot(&[u.account]), before);
    assert_eq!(env.margin_account(&u.account).owner, kp.pubkey());
}

#[test]
fn av_13_closing_a_non_empty_account() {
    let (mut env, u) = setup();
    let kp = u.kp.insecure_clone();
    let ix = ix::close_account(&u.account, &kp.pubkey(), &kp.pubkey());
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::AccountNotEmpty);
}

#[test]
fn av_14_close_refund_deposit_in_one_transaction() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    let u = env.user(0);
    let kp = u.kp.insecure_clone();
    env.mint_to(&env.assets[0].mint.clone(), &spl(), &u.token(0), 100);
    let close = ix::close_account(&u.account, &kp.pubkey(), &kp.pubkey());
    let refund = solana_system_interface::instruction::transfer(&kp.pubkey(), &u.account, 10_000_000);
    let dep = ix::deposit(&env.token_ix(&u, 0), &kp.pubkey(), 100);
    env.assert_fails_nsc(&[close, refund, dep], &[&kp], ErrorCode::AccountOwnedByWrongProgram);
}

#[test]
fn av_15_fake_token_program() {
    let (mut env, u) = setup();
    env.mint_to(&env.assets[0].mint.clone(), &spl(), &u.token(0), 10);
    let memo: Pubkey = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr".parse().unwrap();
    let dep = swap_account(ix::deposit(&env.token_ix(&u, 0), &u.kp.pubkey(), 10), &spl(), &memo);
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[dep], &[&kp], ErrorCode::InvalidProgramId);
}

#[test]
fn health_accounts_missing_duplicated_or_extra() {
    // AV-17 / AV-18 belong to the lending issue; the foundation already enforces the canonical list.
    let (mut env, u) = setup();
    env.fund_and_deposit(&u, 1, 1_000_000_000);
    let kp = u.kp.insecure_clone();
    let full = env.withdraw_ix(&u, 0, 1_000);
    let n = full.accounts.len();
    // Missing the SOL pair.
    let mut ix = full.clone();
    ix.accounts.truncate(n - 2);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
    // USDC pair duplicated in place of SOL.
    let mut ix = full.clone();
    ix.accounts[n - 2] = ix.accounts[n - 4].clone();
    ix.accounts[n - 1] = ix.accounts[n - 3].clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
    // An extra account that is no fallback.
    let ix = push_account(full.clone(), &env.assets[1].oracle.clone());
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
    // Order swapped.
    let mut ix = full;
    ix.accounts.swap(n - 4, n - 2);
    ix.accounts.swap(n - 3, n - 1);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InvalidHealthAccounts);
}

#[test]
fn ds_08_oversized_health_list_is_rejected_early() {
    let (mut env, u) = setup();
    let kp = u.kp.insecure_clone();
    let mut ix = env.withdraw_ix(&u, 0, 1_000);
    // One key repeated: the transaction stays small, the list is long.
    let junk = Pubkey::new_unique();
    for _ in 0..60 {
        ix = push_account(ix, &junk);
    }
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::TooManyHealthAccounts);
}
