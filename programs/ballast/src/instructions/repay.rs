//! `repay`: pays down a borrow of any margin account with the signer's tokens. It only ever
//! reduces a liability, so it cannot lower the account's health and needs neither an oracle nor a
//! health check; it never creates a deposit.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::events::{EventHeader, Repaid};
use crate::shared::asset_vault::*;
use crate::state::*;
use crate::transitions;

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
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::Repay, &[])?;
    // Reads no price: `oracle_policy(Action::RepayInFull)` is `None`, so this handler cannot build the
    // `Priced` proof the health loader requires.
    ctx.accounts.validate(amount)?;
    let now = Clock::get()?.unix_timestamp;
    let (asset_index, debt) = accrue_and_debt(&ctx.accounts.account, &ctx.accounts.bank.asset, now)?;
    require!(debt > 0, BallastError::InsufficientBalance);
    let pay = amount.min(debt);
    let accounts = &mut *ctx.accounts;
    let received = accounts.bank.pull(accounts.source.to_account_info(), accounts.payer.to_account_info(), pay)?;
    require!(received > 0 && received <= debt, BallastError::InsufficientBalance);
    let (group, remaining) = apply(&accounts.account, &accounts.bank.asset, received, now)?;
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

impl Repay<'_> {
    /// What the account constraints cannot check: the asset belongs to the group and the amount is
    /// positive.
    pub fn validate(&self, amount: u64) -> Result<()> {
        self.bank.check_group(&self.group.key())?;
        require!(amount > 0, BallastError::ZeroAmount);
        Ok(())
    }
}

/// Accrues the asset's interest and returns its index and the account's debt in it, native units.
#[inline(never)]
fn accrue_and_debt(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    now: i64,
) -> Result<(u16, u64)> {
    let mut a = asset.load_mut()?;
    let debt = transitions::token::debt(&*account.load()?, &mut a, now)?;
    Ok((a.asset_index, debt))
}

/// Runs the repay transition. Returns the group and the debt left, native units.
#[inline(never)]
fn apply(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    received: u64,
    now: i64,
) -> Result<(Pubkey, u64)> {
    let mut asset = asset.load_mut()?;
    let remaining = transitions::token::repay(&mut *account.load_mut()?, &mut asset, received, now)?;
    Ok((asset.group, remaining))
}
