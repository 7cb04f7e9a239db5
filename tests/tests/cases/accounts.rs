//! Group, asset and margin-account lifecycle: success paths and parameter validation.

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use ballast::error::BallastError;
use ballast::instructions::EditAssetParams;
use ballast::state::{OracleKind, RiskConfig};
use ballast_sdk::{ix, pda};
use solana_sdk::signature::{Keypair, Signer};

#[test]
fn create_group_and_list_assets() {
    let mut env = Env::new();
    let raw = ballast_sdk::transport::Transport::get_account(&mut env.bank, &env.group).unwrap().unwrap();
    let g = ballast_sdk::decode::group(&raw).unwrap();
    assert_eq!(g.admin, env.admin.pubkey());
    assert_eq!(g.num_assets, 0);
    let usdc = env.list(6, 1.0, OracleKind::PythPull);
    let sol = env.list(9, 150.0, OracleKind::PythLegacy);
    let raw = ballast_sdk::transport::Transport::get_account(&mut env.bank, &env.group).unwrap().unwrap();
    assert_eq!(ballast_sdk::decode::group(&raw).unwrap().num_assets, 2);
    let a = env.asset_state(sol.index);
    assert_eq!(a.decimals, 9);
    assert_eq!(a.asset_index, 1);
    assert_eq!(a.vault, pda::vault(&pda::asset(&env.group, 1).0).0);
    // Stable price initialised from the oracle: 150 USD per SOL = 0.15 quote native per lamport.
    assert!((a.stable_price.price().to_num::<f64>() - 0.15).abs() < 1e-12);
    assert_eq!(env.asset_state(usdc.index).name(), "ASSET0");
}

#[test]
fn listing_must_be_sequential_and_by_admin() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    // Index skipping ahead is rejected.
    let mint = env.create_mint(6, spl(), false);
    let oracle = Pubkey::new_unique();
    let params = Env::default_params(5, Env::oracle_config(OracleKind::PythPull, oracle, [9; 32]));
    env.set_pull(
        &oracle,
        [9; 32],
        ballast_sdk::oracle_accounts::OracleQuote::from_decimal(1.0, 10, T0),
        pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
    );
    let admin = env.admin.insecure_clone();
    let bad = ix::list_asset(&env.group, &admin.pubkey(), &env.payer.pubkey(), &mint, &spl(), 5, params.clone());
    assert_code(env.send(&[bad], &[&admin]), BallastError::InvalidAssetIndex);
    // A random signer is not the admin.
    let rando = Keypair::new();
    let bad = ix::list_asset(&env.group, &rando.pubkey(), &env.payer.pubkey(), &mint, &spl(), 1, params);
    assert_code(env.send(&[bad], &[&rando]), BallastError::Unauthorized);
}

#[test]
fn edit_asset_validates_the_whole_config() {
    let mut env = Env::new();
    let a = env.list(6, 1.0, OracleKind::PythPull);
    let admin = env.admin.insecure_clone();
    let (group, admin_key, index) = (env.group, admin.pubkey(), a.index);
    let edit = move |p: EditAssetParams| ix::edit_asset(&group, &admin_key, index, p);
    let ok = edit(EditAssetParams { deposit_cap: Some(123), ..Default::default() });
    env.send(&[ok], &[&admin]).unwrap();
    assert_eq!(env.asset_state(a.index).bank.deposit_cap, 123);
    // maint shock above init shock: invalid, nothing stored.
    let risk = RiskConfig { maint_down_bps: 3_000, ..env.asset_state(a.index).risk };
    let bad = edit(EditAssetParams { risk: Some(risk), ..Default::default() });
    env.assert_fails_nsc(&[bad], &[&admin], BallastError::InvalidConfig);
    // Oracle max age 0: invalid.
    let mut oracle = env.asset_state(a.index).oracle;
    oracle.max_age_secs = 0;
    let bad = edit(EditAssetParams { oracle: Some(oracle), ..Default::default() });
    env.assert_fails_nsc(&[bad], &[&admin], BallastError::InvalidConfig);
    // Confidence filter of 100%: invalid.
    let mut oracle = env.asset_state(a.index).oracle;
    oracle.max_conf_bps = 10_000;
    let bad = edit(EditAssetParams { oracle: Some(oracle), ..Default::default() });
    env.assert_fails_nsc(&[bad], &[&admin], BallastError::InvalidConfig);
    // Liquidation fee >= 1 - maint down: invalid.
    let risk = RiskConfig { liquidation_fee_bps: 9_500, ..env.asset_state(a.index).risk };
    let bad = edit(EditAssetParams { risk: Some(risk), ..Default::default() });
    env.assert_fails_nsc(&[bad], &[&admin], BallastError::InvalidConfig);
    // A non-admin cannot edit.
    let rando = Keypair::new();
    let bad = ix::edit_asset(
        &env.group,
        &rando.pubkey(),
        a.index,
        EditAssetParams { deposit_cap: Some(1), ..Default::default() },
    );
    env.assert_fails_nsc(&[bad], &[&rando], BallastError::Unauthorized);
}

#[test]
fn stub_oracle_kind_is_accepted_only_in_test_builds() {
    // This test binary builds the program with `test-oracle`: the stub works here. The default
    // build rejects the kind (unit test `ag_10_stub_oracle_disabled_in_default_build` in the program).
    let mut env = Env::new();
    let admin = env.admin.insecure_clone();
    let payer = env.payer.pubkey();
    env.send(&[ix::create_stub_oracle(&env.group, &admin.pubkey(), &payer, 7)], &[&admin]).unwrap();
    let stub = pda::stub_oracle(&env.group, 7).0;
    env.send(&[ix::set_stub_oracle(&env.group, &admin.pubkey(), &stub, 2_000_000, 1_000, -6, T0)], &[&admin]).unwrap();
    let mint = env.create_mint(6, spl(), false);
    let params = Env::default_params(0, Env::oracle_config(OracleKind::Stub, stub, [0; 32]));
    env.send(&ix::list_asset_ixs(&env.group, &admin.pubkey(), &payer, &mint, &spl(), 0, params), &[&admin]).unwrap();
    assert!((env.asset_state(0).stable_price.price().to_num::<f64>() - 2.0).abs() < 1e-12);
}

#[test]
fn create_and_close_account() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    let u = env.user(0);
    let acc = env.margin_account(&u.account);
    assert_eq!(acc.owner, u.kp.pubkey());
    assert!(acc.is_empty());
    assert_eq!(acc.bump, pda::margin_account(&env.group, &u.kp.pubkey(), 0).1);
    // A second account number works too.
    let kp = u.kp.insecure_clone();
    env.send(&[ix::create_account(&env.group, &kp.pubkey(), &env.payer.pubkey(), 1)], &[&kp]).unwrap();
    let receiver = Pubkey::new_unique();
    env.send(&[ix::close_account(&u.account, &kp.pubkey(), &receiver)], &[&kp]).unwrap();
    assert!(ballast_sdk::transport::Transport::get_account(&mut env.bank, &u.account).unwrap().is_none());
    let got = ballast_sdk::transport::Transport::get_account(&mut env.bank, &receiver).unwrap().unwrap();
    assert!(got.lamports > 0);
}

#[test]
fn delegate_with_withdraw_scope_withdraws_to_owner_only() {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    let u = env.user(0);
    env.fund_and_deposit(&u, 0, 1_000);
    let d = Keypair::new();
    let kp = u.kp.insecure_clone();
    env.send(
        &[ix::set_delegate(&u.account, &kp.pubkey(), &d.pubkey(), ballast::constants::DELEGATE_WITHDRAW, 0)],
        &[&kp],
    )
    .unwrap();
    let keys = env.health_keys(&u.account, Some(0));
    let ix = ix::withdraw(&env.token_ix(&u, 0), &d.pubkey(), 400, false, &keys);
    env.send(&[ix], &[&d]).unwrap();
    assert_eq!(env.token_balance(&u.token(0)), 400);
    // Expired delegate.
    env.send(
        &[ix::set_delegate(&u.account, &kp.pubkey(), &d.pubkey(), ballast::constants::DELEGATE_WITHDRAW, T0 + 10)],
        &[&kp],
    )
    .unwrap();
    env.set_time(T0 + 11);
    env.set_price(0, 1.0);
    let ix = ix::withdraw(&env.token_ix(&u, 0), &d.pubkey(), 1, false, &keys);
    env.assert_fails_nsc(&[ix], &[&d], BallastError::DelegateExpired);
}

#[test]
fn ds_04_prefunded_account_address_still_initialises() {
    let mut env = Env::new();
    let owner = Keypair::new();
    let payer = env.payer.pubkey();
    let future = pda::margin_account(&env.group, &owner.pubkey(), 0).0;
    env.send(&[solana_system_interface::instruction::transfer(&payer, &future, 5_000_000)], &[]).unwrap();
    env.send(&[solana_system_interface::instruction::transfer(&payer, &owner.pubkey(), 1_000_000_000)], &[]).unwrap();
    env.send(&[ix::create_account(&env.group, &owner.pubkey(), &payer, 0)], &[&owner]).unwrap();
    assert_eq!(env.margin_account(&future).owner, owner.pubkey());
}

#[test]
fn ds_04_prefunded_asset_and_vault_addresses_do_not_block_listing() {
    let mut env = Env::new();
    let payer = env.payer.pubkey();
    let asset = pda::asset(&env.group, 0).0;
    let vault = pda::vault(&asset).0;
    for k in [asset, vault] {
        env.send(&[solana_system_interface::instruction::transfer(&payer, &k, 1_000_000)], &[]).unwrap();
    }
    let a = env.list(6, 1.0, OracleKind::PythPull);
    let u = env.user(0);
    env.fund_and_deposit(&u, a.index, 500);
    assert_eq!(env.token_balance(&vault), 500);
    // An address that already holds data is never taken over.
    let u2 = env.user(1);
    let kp = u2.kp.insecure_clone();
    let again = ix::create_account(&env.group, &kp.pubkey(), &payer, 2);
    env.send(std::slice::from_ref(&again), &[&kp]).unwrap();
    env.assert_fails_nsc(&[again], &[&kp], BallastError::AccountAlreadyExists);
}
