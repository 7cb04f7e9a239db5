//! The insurance fund: stakes, unstake requests with a cooldown, fee sweeps, the protocol's shares.
//! Catalogue IB-06, IB-08, IB-09 (IB-07 and the payouts are in liquidation.rs, with bankruptcy).

use crate::harness::*;
use ballast::error::BallastError;
use ballast::state::OracleKind;
use ballast_sdk::insurance as ins;
use ballast_sdk::pda;
use ballast_sdk::transport::Transport;
use solana_sdk::signature::Signer;

fn setup() -> (Env, User, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.create_fund();
    let (a, b) = (env.user(0), env.user(1));
    (env, a, b)
}

fn shares(env: &mut Env, u: &User) -> (u64, u64) {
    let raw = env.bank.get_account(&pda::stake(&env.group, &u.kp.pubkey()).0).unwrap().expect("stake");
    let s = ballast_sdk::decode::insurance_stake(&raw).unwrap();
    (s.shares, s.pending_shares)
}

#[test]
fn stake_unstake_after_the_cooldown() {
    let (mut env, a, _) = setup();
    env.stake(&a, 1_000_000).unwrap();
    assert_eq!(shares(&mut env, &a), (1_000_000, 0));
    let g = env.group;
    let k = a.kp.insecure_clone();
    env.send(&[ins::request_unstake(&g, &a.kp.pubkey(), 400_000)], &[&k]).unwrap();
    env.send(&[ins::cancel_unstake(&g, &a.kp.pubkey())], &[&k]).unwrap();
    assert_eq!(shares(&mut env, &a), (1_000_000, 0));
    env.send(&[ins::request_unstake(&g, &a.kp.pubkey(), 400_000)], &[&k]).unwrap();
    let now = env.now();
    env.set_time(now + 3_600);
    let before = env.token_balance(&a.token(0));
    env.send(&[ins::withdraw_unstake(env.fund(), &a.kp.pubkey(), &a.token(0))], &[&k]).unwrap();
    assert_eq!(env.token_balance(&a.token(0)) - before, 400_000);
    assert_eq!(shares(&mut env, &a), (600_000, 0));
    let f = env.group_state().insurance;
    assert_eq!((f.value, f.total_shares), (600_000, 600_000));
    assert_eq!(env.token_balance(&pda::insurance_vault(&env.group).0), 600_000);
}

#[test]
fn ib_06_unstake_waits_for_the_cooldown_and_bears_losses_meanwhile() {
    let (mut env, a, _) = setup();
    env.stake(&a, 1_000_000).unwrap();
    let k = a.kp.insecure_clone();
    let g = env.group;
    env.send(&[ins::request_unstake(&g, &a.kp.pubkey(), 1_000_000)], &[&k]).unwrap();
    let ix = ins::withdraw_unstake(env.fund(), &a.kp.pubkey(), &a.token(0));
    env.assert_fails_nsc(std::slice::from_ref(&ix), &[&k], BallastError::UnstakeCooldown);
    // A second request while one is pending is refused.
    let ix2 = ins::request_unstake(&g, &a.kp.pubkey(), 1);
    env.assert_fails_nsc(&[ix2], &[&k], BallastError::InvalidUnstakeRequest);
    let now = env.now();
    env.set_time(now + 3_599);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::UnstakeCooldown);
    // (Losses during the cooldown are covered by `liquidation.rs::ib_02_…`: the payout is
    // min(value now, value at request).)
}

#[test]
fn ib_08_donation_to_the_vault_cannot_inflate_the_share_price() {
    let (mut env, a, b) = setup();
    env.stake(&a, 1).unwrap();
    // The first staker sends 1e9 straight to the vault.
    let q = env.assets[0].clone();
    env.mint_to(&q.mint, &q.token_program, &pda::insurance_vault(&env.group).0, 1_000_000_000);
    env.stake(&b, 1_000_000).unwrap();
    assert_eq!(shares(&mut env, &b).0, 1_000_000, "proportional to the fund's own accounting");
    let f = env.group_state().insurance;
    assert_eq!(f.value, 1_000_001, "the donation is not counted");
}

#[test]
fn ib_09_only_the_admin_withdraws_and_only_protocol_shares() {
    let (mut env, a, _) = setup();
    env.stake(&a, 1_000_000).unwrap();
    let admin = env.admin.insecure_clone();
    let dest = env.token_account(&env.assets[0].mint.clone(), &admin.pubkey(), &spl());
    // A staker cannot take the protocol's path.
    let k = a.kp.insecure_clone();
    let ix = ins::withdraw_protocol_insurance(env.fund(), &a.kp.pubkey(), &a.token(0), 1);
    env.assert_fails_nsc(&[ix], &[&k], BallastError::Unauthorized);
    // The admin cannot withdraw stakers' shares: the protocol owns none yet.
    let ix = ins::withdraw_protocol_insurance(env.fund(), &admin.pubkey(), &dest, 1);
    env.assert_fails_nsc(&[ix], &[&admin], BallastError::InsufficientBalance);
}
