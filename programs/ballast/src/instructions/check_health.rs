//! `check_health`: fails unless the account's health of the given type is at least a minimum.
//! Lets integrators assert health at the end of a transaction, and lets tests prove that the SDK's
//! off-chain health equals the program's to the last bit.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::load_health_accounts;
use crate::oracle::{Action, Priced};
use crate::risk::{health, Fx, HealthType};
use crate::state::*;

/// Accounts of `check_health`. `remaining_accounts`: the health accounts in canonical order.
#[derive(Accounts)]
pub struct CheckHealth<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account checked.
    #[account(has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
}

/// `health_type`: 0 Init, 1 Maint, 2 LiquidationEnd. `min_health_bits`: I80F48 bits of the
/// minimum, quote native units.
pub fn handler<'info>(ctx: Context<'info, CheckHealth<'info>>, health_type: u8, min_health_bits: i128) -> Result<()> {
    let t = match health_type {
        0 => HealthType::Init,
        1 => HealthType::Maint,
        2 => HealthType::LiquidationEnd,
        _ => return err!(BallastError::InvalidConfig),
    };
    let input = checked_input(&ctx.accounts.group, &ctx.accounts.account, ctx.remaining_accounts)?;
    let h = health(&input, t).map_risk()?;
    require!(h >= Fx::from_bits(min_health_bits), BallastError::HealthBelowMinimum);
    Ok(())
}

/// The engine input of `account` from its health accounts `remaining` (every price valid now):
/// what `check_health` evaluates (`check_what_if` loads a copy with its hypothetical trades).
pub fn checked_input<'info>(
    group: &AccountLoader<'info, Group>,
    account: &AccountLoader<'info, MarginAccount>,
    remaining: &[AccountInfo<'info>],
) -> Result<Box<crate::risk::HealthInput>> {
    let now = Clock::get()?.unix_timestamp;
    let account = account.load()?;
    let loaded =
        load_health_accounts(const { Priced::of(Action::CheckHealth) }, &group.key(), &account, &[], remaining, now)?;
    loaded.health_input(&account)
}
