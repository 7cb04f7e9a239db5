//! Catalogue B2 (math / rounding) cases that need a bank. MR-07 and MR-08 are unit tests of the
//! pure engine (programs/ballast/src/risk/num.rs).

use crate::harness::*;
use ballast::error::BallastError;
use ballast::state::OracleKind;
use ballast_sdk::oracle_accounts::OracleQuote;
use ballast_sdk::pda;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

#[test]
fn mr_03_vault_donation_is_not_attributed_to_shares() {
    let mut env = Env::new();
    let a = env.list(6, 1.0, OracleKind::PythPull);
    let attacker = env.user(0);
    let victim = env.user(1);
    env.fund_and_deposit(&attacker, 0, 1);
    let vault = pda::vault(&pda::asset(&env.group, 0).0).0;
    env.mint_to(&a.mint, &spl(), &vault, 1_000_000_000); // donation straight to the vault
    env.fund_and_deposit(&victim, 0, 1_000_000);
    assert_eq!(env.margin_account(&victim.account).token_indexed(0), ballast::risk::Fx::from_num(1_000_000));
    // The attacker can take out its own 1 native unit, not a share of the donation.
    let ix = env.withdraw_ix(&attacker, 0, 2);
    let kp = attacker.kp.insecure_clone();
    env.assert_fails_nsc(&[ix], &[&kp], BallastError::InsufficientBalance);
    env.withdraw(&attacker, 0, u64::MAX).unwrap();
    assert_eq!(env.token_balance(&attacker.token(0)), 1);
    env.withdraw(&victim, 0, u64::MAX).unwrap();
    assert_eq!(env.token_balance(&victim.token(0)), 1_000_000);
}

#[test]
fn mr_06_huge_value_overflows_cleanly() {
    let mut env = Env::new();
    let a = env.list(9, 1.0, OracleKind::PythPull);
    let u = env.user(0);
    env.fund_and_deposit(&u, 0, u64::MAX - 10);
    // Price 1e12 with exponent +2: the position is worth ~1.8e30 quote native, beyond I80F48.
    env.set_pull(
        &a.oracle,
        a.feed_id,
        OracleQuote { price: 1_000_000_000_000, conf: 0, expo: 2, publish_time: T0 },
        VerificationLevel::Full,
    );
    // Maint health values the position at the oracle: the checked product overflows and the
    // transaction fails with MathOverflow instead of wrapping. (Init values longs at the
    // growth-limited stable price, which has not followed the spike.)
    let keys = env.health_keys(&u.account, None);
    let check = ballast_sdk::ix::check_health(&env.group, &u.account, 1, 0, &keys);
    env.assert_fails_nsc(&[check], &[], BallastError::MathOverflow);
}
