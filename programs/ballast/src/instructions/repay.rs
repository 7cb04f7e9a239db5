//! `repay`: pays down a borrow of any margin account with the signer's tokens. It only ever
//! reduces a liability, so it cannot lower the account's health and needs neither an oracle nor a
//! health check; it never creates a deposit.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Repaid};
use crate::instructions::asset_vault::*;
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::state::*;

/// Accounts of `repay`.
#[derive(Accounts)]
pub struct Repay<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account whose borrow is repaid (any account of the group).
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// The asset with its vault, mint and token program; the asset must belong to the group.
    pub bank: AssetVault<'info>,
    /// Source token account of the payer.
    #[account(mut, token::mint = bank.mint, token::authority = payer, token::token_program = bank.token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Owner of the source token account.
    pub payer: Signer<'info>,
}

/// Repays `min(amount, debt)` native units; `u64::MAX` repays the whole debt, leaving no dust.
pub fn handler(ctx: Context<Repay>, amount: u64) -> Result<()> {
    ctx.accounts.bank.check_group(&ctx.accounts.group.key())?;
    debug_assert_eq!(oracle_policy(Action::RepayInFull), OracleNeed::None);
    require!(amount > 0, BallastError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let (asset_index, debt) = accrue_and_debt(&ctx.accounts.account, &ctx.accounts.bank.asset, now)?;
    require!(debt > 0, BallastError::InsufficientBalance);
    let pay = amount.min(debt);
    let accounts = &mut *ctx.accounts;
    let received = accounts.bank.pull(accounts.source.to_account_info(), accounts.payer.to_account_info(), pay)?;
    require!(received > 0 && received <= debt, BallastError::InsufficientBalance);
    let (group, remaining) = apply(&accounts.account, &accounts.bank.asset, asset_index, received, now)?;
    emit!(Repaid {
        header: EventHeader::now(group)?,
        account: accounts.account.key(),
        asset_index,
        payer: accounts.payer.key(),
        amount: received,
        debt_after: remaining,
    });
    Ok(())
}

/// Accrues the asset's interest and returns its index and the account's debt in it, native units.
#[inline(never)]
fn accrue_and_debt(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    now: i64,
) -> Result<(u16, u64)> {
    let mut a = asset.load_mut()?;
    a.accrue(now)?;
    let acc = account.load()?;
    Ok((a.asset_index, a.bank.state().debt(acc.token_indexed(a.asset_index)).map_risk()?))
}

/// Applies the repayment to the position, the bank and the net-borrow window. Returns the group
/// and the debt left, native units.
#[inline(never)]
fn apply(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    asset_index: u16,
    received: u64,
    now: i64,
) -> Result<(Pubkey, u64)> {
    let mut asset = asset.load_mut()?;
    let mut bank = asset.bank.state();
    let mut account = account.load_mut()?;
    let slot = account.token_slot(asset_index).ok_or(BallastError::InsufficientBalance)?;
    let mut position = account.tokens[slot].indexed.fx();
    let out = bank.deposit(&mut position, received).map_risk()?;
    require!(out.deposited == 0, BallastError::InsufficientBalance);
    asset.record_net_borrow(now, out.repaid, true)?;
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    account.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    let remaining = bank.debt(position).map_risk()?;
    Ok((asset.group, remaining))
}
