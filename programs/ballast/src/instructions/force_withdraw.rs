//! `force_withdraw`: anyone sends an account's deposit of a force-closed asset (delisting) back to
//! the account's owner (catalogue LQ-14, AG-09: force-close preserves equity, no seizure).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::events::{EventHeader, ForceWithdrawn};
use crate::shared::asset_vault::*;
use crate::state::*;
use crate::transitions;

/// Accounts of `force_withdraw`.
#[derive(Accounts)]
pub struct ForceWithdraw<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The account whose deposit is returned.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// The force-closed asset with its vault, mint and token program; of the group.
    pub bank: AssetVault<'info>,
    /// A token account of the account's owner.
    #[account(
        mut,
        token::mint = bank.mint,
        token::token_program = bank.token_program,
        constraint = destination.owner == account.load()?.owner @ crate::error::BallastError::Unauthorized
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Sends the whole deposit to the owner's token account (`transitions::token::force_withdraw`:
/// only for an account with no liabilities). Permissionless; not for a frozen account
/// (`gate::POLICY`).
pub fn handler(ctx: Context<ForceWithdraw>) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::ForceWithdraw, &[&ctx.accounts.account])?;
    ctx.accounts.bank.check_group(&ctx.accounts.group.key())?;
    let now = Clock::get()?.unix_timestamp;
    let (amount, asset_index) = {
        let mut asset = ctx.accounts.bank.asset.load_mut()?;
        let amount = transitions::token::force_withdraw(&mut *ctx.accounts.account.load_mut()?, &mut asset, now)?;
        (amount, asset.asset_index)
    };
    if amount > 0 {
        ctx.accounts.bank.pay(ctx.accounts.destination.to_account_info(), amount)?;
    }
    emit!(ForceWithdrawn {
        header: EventHeader::now(ctx.accounts.group.key())?,
        account: ctx.accounts.account.key(),
        asset_index,
        amount,
    });
    Ok(())
}
