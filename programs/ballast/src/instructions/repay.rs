//! `repay`: pays down a borrow of any margin account with the signer's tokens. It only ever
//! reduces a liability, so it cannot lower the account's health and needs neither an oracle nor a
//! health check; it never creates a deposit.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Repaid};
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::state::*;
use crate::token::transfer_in;

/// Accounts of `repay`.
#[derive(Accounts)]
pub struct Repay<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account whose borrow is repaid (any account of the group).
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Asset repaid; must belong to the group.
    #[account(
        mut,
        has_one = group,
        has_one = vault @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = mint @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = token_program @ anchor_lang::error::ErrorCode::ConstraintAddress
    )]
    pub asset: AccountLoader<'info, Asset>,
    /// The asset's vault.
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The asset's mint.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Source token account of the payer.
    #[account(mut, token::mint = mint, token::authority = payer, token::token_program = token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Owner of the source token account.
    pub payer: Signer<'info>,
    /// Token program of the asset.
    pub token_program: Interface<'info, TokenInterface>,
}

/// Repays `min(amount, debt)` native units; `u64::MAX` repays the whole debt, leaving no dust.
pub fn handler(ctx: Context<Repay>, amount: u64) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::RepayInFull), OracleNeed::None);
    require!(amount > 0, BallastError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let (asset_index, decimals) = {
        let mut a = ctx.accounts.asset.load_mut()?;
        a.accrue(now)?;
        (a.asset_index, a.decimals)
    };
    let debt = {
        let a = ctx.accounts.asset.load()?;
        let acc = ctx.accounts.account.load()?;
        a.bank.state().debt(acc.token_indexed(asset_index)).map_risk()?
    };
    require!(debt > 0, BallastError::InsufficientBalance);
    let pay = amount.min(debt);
    let accounts = &mut *ctx.accounts;
    let received = transfer_in(
        &accounts.token_program.key(),
        accounts.source.to_account_info(),
        accounts.mint.to_account_info(),
        &mut accounts.vault,
        accounts.payer.to_account_info(),
        pay,
        decimals,
    )?;
    require!(received > 0 && received <= debt, BallastError::InsufficientBalance);
    let (group, remaining) = apply(&accounts.account, &accounts.asset, asset_index, received, now)?;
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
    asset.bank.set_state(&bank);
    let remaining = bank.debt(position).map_risk()?;
    Ok((asset.group, remaining))
}
