//! Liquidation and bankruptcy helpers shared by the liquidation, audit and keeper tests.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::risk::Fx;
use ballast::state::ACCOUNT_FLAG_BEING_LIQUIDATED;
use ballast_sdk::ix;
use solana_sdk::signature::Signer;

use super::{spl, Env, TxResult, User};
use ballast::instructions::ListAssetParams;
use ballast::state::OracleKind;

/// `liquidate_token` of `liqee` by `liqor`, seizing `asset` and repaying up to `max` of `liab`.
pub fn liq_ix(env: &mut Env, liqor: &User, liqee: &User, asset: u16, liab: u16, max: u64) -> Instruction {
    let ee = env.health_keys(&liqee.account, None);
    let or = env.health_keys_with(&liqor.account, &[asset, liab]);
    ix::liquidate_token(&parties(env, liqor, liqee, &ee, &or), asset, liab, max)
}

/// `liquidate_perp` of up to all of `liqee`'s perp position in market `asset` by `liqor` (the
/// program takes the planned part); the quote is the group's (asset 0).
pub fn liq_perp_ix(env: &mut Env, liqor: &User, liqee: &User, asset: u16) -> Instruction {
    let ee = env.health_keys(&liqee.account, None);
    let or = env.health_keys_with(&liqor.account, &[asset, ballast::constants::QUOTE_ASSET_INDEX]);
    ballast_sdk::perp::liquidate_perp(&parties(env, liqor, liqee, &ee, &or), asset, u64::MAX)
}

/// `settle_pnl` of up to `max` quote native units of market `asset` from `lose` to `win`.
pub fn settle_ix(env: &mut Env, asset: u16, win: &User, lose: &User, max: u64) -> Instruction {
    let oracle = env.assets[asset as usize].oracle;
    let keys = env.health_keys(&lose.account, None);
    let a = ballast_sdk::perp::SettleAccounts {
        group: env.group,
        asset_index: asset,
        oracle,
        profitable: win.account,
        unprofitable: lose.account,
        loser_health: &keys,
    };
    ballast_sdk::perp::settle_pnl(&a, max)
}

/// The parties of a liquidation of `liqee` by `liqor` with their health lists.
pub fn parties<'a>(
    env: &Env,
    liqor: &User,
    liqee: &User,
    ee: &'a [Pubkey],
    or: &'a [Pubkey],
) -> ballast_sdk::ix::LiquidationParties<'a> {
    ballast_sdk::ix::LiquidationParties {
        group: env.group,
        liqor: liqor.account,
        liqor_owner: liqor.kp.pubkey(),
        liqee: liqee.account,
        liqee_health: ee,
        liqor_health: or,
    }
}

/// Sends [`liq_ix`] signed by the liquidator.
pub fn liquidate(env: &mut Env, liqor: &User, liqee: &User, asset: u16, liab: u16, max: u64) -> TxResult {
    let ix = liq_ix(env, liqor, liqee, asset, liab, max);
    let k = liqor.kp.insecure_clone();
    env.send(&[ix], &[&k])
}

/// [Init, Maint, LiquidationEnd] health, computed by the program's own code.
pub fn healths(env: &mut Env, u: &User) -> [Fx; 3] {
    let acc = env.margin_account(&u.account);
    let raw = env.health_raw(&u.account);
    let now = env.now();
    let h = ballast_sdk::health::compute_all(&env.group, &acc, &raw, now).unwrap();
    [h[0].health, h[1].health, h[2].health]
}

/// Signed native balance of `u` in `asset` (deposits positive, borrows negative).
pub fn balance(env: &mut Env, u: &User, asset: u16) -> Fx {
    let acc = env.margin_account(&u.account);
    let a = env.asset_state(asset);
    a.bank.state().native(acc.token_indexed(asset)).unwrap()
}

/// The being-liquidated flag of `u`.
pub fn flagged(env: &mut Env, u: &User) -> bool {
    env.margin_account(&u.account).flags & ACCOUNT_FLAG_BEING_LIQUIDATED != 0
}

/// `resolve_bankruptcy` of up to `max` of `u`'s debt in `asset`, with its health accounts.
pub fn resolve_ix(env: &mut Env, u: &User, asset: u16, max: u64) -> Instruction {
    let a = env.assets[asset as usize].clone();
    let keys = env.health_keys(&u.account, None);
    ballast_sdk::insurance::resolve_bankruptcy(
        &env.group,
        &u.account,
        asset,
        &a.mint,
        &a.token_program,
        max,
        &keys,
        &[],
    )
}

/// A keeper whose liquidator account is `liqor`'s.
pub fn keeper(env: &Env, liqor: &User) -> ballast_sdk::keeper::Keeper {
    ballast_sdk::keeper::Keeper {
        group: env.group,
        liqor: liqor.account,
        owner: liqor.kp.insecure_clone(),
        payer: env.payer.insecure_clone(),
    }
}

/// A deposit of `amount` of `asset` (minted to `from`) from `from`'s token account into `to`'s
/// margin account.
pub fn deposit_into(env: &mut Env, from: &User, to: &User, asset: u16, amount: u64) -> Instruction {
    let a = env.assets[asset as usize].clone();
    env.mint_to(&a.mint, &a.token_program, &from.token(asset), amount);
    let mut t = env.token_ix(from, asset);
    t.account = to.account;
    ix::deposit(&t, &from.kp.pubkey(), amount)
}

/// Moves the clock of a [`liquidation_setup`] by `secs` with fresh prices (USDC $1, SOL at
/// `sol`) and both assets refreshed.
pub fn advance(env: &mut Env, secs: i64, sol: f64) {
    let now = env.now();
    env.set_time(now + secs);
    env.set_price(0, 1.0);
    env.set_price(1, sol);
    for i in [0u16, 1] {
        let oracle = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &oracle)], &[]).unwrap();
    }
}

/// A change to listing parameters.
pub type ListingTweak = fn(&mut ListAssetParams);

/// USDC (asset 0: $1, 6 decimals) and SOL (asset 1: $100, 9 decimals) plus `extra` listings
/// (decimals, price, parameter tweak); a lender with 100,000 USDC, a liquidator with 50,000 USDC,
/// and a borrower with `sol` lamports of SOL that borrows `usdc` native USDC. Returns (env,
/// liquidator, borrower).
pub fn liquidation_setup(sol: u64, usdc: u64, extra: &[(u8, f64, ListingTweak)]) -> (Env, User, User) {
    let mut env = Env::new();
    env.list(6, 1.0, OracleKind::PythPull);
    env.list(9, 100.0, OracleKind::PythPull);
    for (dec, price, tweak) in extra {
        env.list_with(*dec, *price, OracleKind::PythPull, spl(), tweak).unwrap();
    }
    let lender = env.user(0);
    env.fund_and_deposit(&lender, 0, 100_000_000_000);
    let liqor = env.user(1);
    env.fund_and_deposit(&liqor, 0, 50_000_000_000);
    let liqee = env.user(2);
    env.fund_and_deposit(&liqee, 1, sol);
    env.borrow(&liqee, 0, usdc).expect("borrow");
    (env, liqor, liqee)
}
