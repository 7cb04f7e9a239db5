//! `withdraw_fees`: the admin takes protocol fees accrued in an asset, never more (catalogue AG-08).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::events::{EventHeader, FeesWithdrawn};
use crate::instructions::asset_vault::*;
use crate::risk::num::to_u64_floor;
use crate::risk::Fx;
use crate::state::*;

/// Accounts of `withdraw_fees`.
#[derive(Accounts)]
pub struct WithdrawFees<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The asset with its vault, mint and token program; the asset must belong to the group.
    pub bank: AssetVault<'info>,
    /// Destination token account.
    #[account(mut, token::mint = bank.mint, token::token_program = bank.token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Withdraws `amount` native units of accrued fees (`u64::MAX`: all whole units accrued).
pub fn handler(ctx: Context<WithdrawFees>, amount: u64) -> Result<()> {
    ctx.accounts.bank.check_group(&ctx.accounts.group.key())?;
    let now = Clock::get()?.unix_timestamp;
    let (amount, asset_index, left) = {
        let mut a = ctx.accounts.bank.asset.load_mut()?;
        a.accrue(now)?;
        let fees = a.bank.protocol_fees.fx();
        let available = to_u64_floor(fees).ok_or(BallastError::MathOverflow)?;
        let amount = if amount == u64::MAX { available } else { amount };
        require!(amount > 0, BallastError::ZeroAmount);
        require!(amount <= available, BallastError::InsufficientFees);
        let left = fees.checked_sub(Fx::from_num(amount)).ok_or(BallastError::MathOverflow)?;
        a.bank.protocol_fees = Fx128::from_fx(left);
        (amount, a.asset_index, left)
    };
    ctx.accounts.bank.pay(ctx.accounts.destination.to_account_info(), amount)?;
    emit!(FeesWithdrawn {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index,
        amount,
        fees_left_bits: left.to_bits(),
    });
    Ok(())
}
