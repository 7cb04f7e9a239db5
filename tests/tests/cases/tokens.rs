//! Deposits and withdrawals with real SPL Token and Token-2022 CPIs, 0, 6 and 9 decimals.

use crate::harness::*;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast::error::BallastError;
use ballast::state::OracleKind;
use ballast_sdk::{ix, pda};
use solana_sdk::signature::Signer;

#[test]
fn deposit_and_withdraw_with_0_6_9_decimals() {
    let mut env = Env::new();
    let a0 = env.list(0, 2_000.0, OracleKind::PythPull);
    let a6 = env.list(6, 1.0, OracleKind::PythPull);
    let a9 = env.list(9, 150.0, OracleKind::PythLegacy);
    let u = env.user(0);
    for (a, amount) in [(&a0, 7u64), (&a6, 5_000_000), (&a9, 3_000_000_000)] {
        env.fund_and_deposit(&u, a.index, amount);
        let vault = pda::vault(&pda::asset(&env.group, a.index).0).0;
        assert_eq!(env.token_balance(&vault), amount);
        assert_eq!(env.token_balance(&u.token(a.index)), 0);
        let acc = env.margin_account(&u.account);
        assert_eq!(acc.token_indexed(a.index), ballast::risk::Fx::from_num(amount));
    }
    // Partial and full withdrawals.
    env.withdraw(&u, a6.index, 1_000_000).unwrap();
    assert_eq!(env.token_balance(&u.token(a6.index)), 1_000_000);
    env.withdraw(&u, a0.index, u64::MAX).unwrap();
    assert_eq!(env.token_balance(&u.token(a0.index)), 7);
    let acc = env.margin_account(&u.account);
    assert!(acc.token_slot(a0.index).is_none(), "slot released");
    // Beyond the deposit: rejected, nothing changed.
    let ix = env.withdraw_ix(&u, a9.index, 3_000_000_001);
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
    env.withdraw(&u, a9.index, 3_000_000_000).unwrap();
    assert_eq!(env.token_balance(&u.token(a9.index)), 3_000_000_000);
}

#[test]
fn token_2022_mint_without_extensions_works() {
    let mut env = Env::new();
    let a = env.list_with(6, 1.0, OracleKind::PythPull, t2022(), |_| {}).unwrap();
    let u = env.user(0);
    env.fund_and_deposit(&u, a.index, 1_000);
    env.withdraw(&u, a.index, 600).unwrap();
    assert_eq!(env.token_balance(&u.token(a.index)), 600);
}

#[test]
fn deposit_cap_and_zero_amount() {
    let mut env = Env::new();
    let a = env.list_with(6, 1.0, OracleKind::PythPull, spl(), |p| p.deposit_cap = 1_000).unwrap();
    let u = env.user(0);
    env.mint_to(&a.mint, &spl(), &u.token(0), 5_000);
    env.deposit(&u, 0, 1_000).unwrap();
    let ix = ix::deposit(&env.token_ix(&u, 0), &u.kp.pubkey(), 1);
    let kp = u.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::DepositCapExceeded);
    let ix = ix::deposit(&env.token_ix(&u, 0), &u.kp.pubkey(), 0);
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::ZeroAmount);
}

#[test]
fn av_20_transfer_fee_mint_is_rejected_at_listing() {
    let mut env = Env::new();
    let admin = env.admin.pubkey();
    let mint = env.create_mint_with(6, t2022(), false, &[t22::extension::ExtensionType::TransferFeeConfig], |m| {
        vec![t22::extension::transfer_fee::instruction::initialize_transfer_fee_config(
            &t2022(),
            m,
            Some(&admin),
            Some(&admin),
            100, // 1%
            u64::MAX,
        )
        .unwrap()]
    });
    let r = env.list_mint(mint, 6, 1.0, OracleKind::PythPull, t2022(), |_| {});
    assert_code(r.map(|_| ()), BallastError::DisallowedMintExtension);
    let raw = ballast_sdk::transport::Transport::get_account(&mut env.bank, &pda::asset(&env.group, 0).0).unwrap();
    assert!(raw.is_none(), "no asset account was created");
}

#[test]
fn av_21_permanent_delegate_and_freeze_authority_policy() {
    let mut env = Env::new();
    let admin = env.admin.pubkey();
    let mint = env.create_mint_with(6, t2022(), false, &[t22::extension::ExtensionType::PermanentDelegate], |m| {
        vec![t22::instruction::initialize_permanent_delegate(&t2022(), m, &admin).unwrap()]
    });
    let r = env.list_mint(mint, 6, 1.0, OracleKind::PythPull, t2022(), |_| {});
    assert_code(r.map(|_| ()), BallastError::DisallowedMintExtension);
    // Freeze authority: rejected unless the listing accepts it explicitly (documented policy).
    let frozen = env.create_mint(6, spl(), true);
    let r = env.list_mint(frozen, 6, 1.0, OracleKind::PythPull, spl(), |_| {});
    assert_code(r.map(|_| ()), BallastError::MintHasFreezeAuthority);
    env.list_mint(frozen, 6, 1.0, OracleKind::PythPull, spl(), |p| p.allow_freeze_authority = true).unwrap();
}

#[test]
fn metadata_pointer_extension_is_allowed() {
    let mut env = Env::new();
    let admin = env.admin.pubkey();
    let mint = env.create_mint_with(6, t2022(), false, &[t22::extension::ExtensionType::MetadataPointer], |m| {
        vec![t22::extension::metadata_pointer::instruction::initialize(&t2022(), m, Some(admin), None).unwrap()]
    });
    let a = env.list_mint(mint, 6, 1.0, OracleKind::PythPull, t2022(), |_| {}).unwrap();
    let u = env.user(0);
    env.fund_and_deposit(&u, a.index, 10);
}
