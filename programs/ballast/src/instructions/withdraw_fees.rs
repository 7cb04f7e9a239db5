//! `withdraw_fees`: the admin takes protocol fees accrued in an asset, never more (catalogue AG-08).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::error::BallastError;
use crate::events::{EventHeader, FeesWithdrawn};
use crate::risk::num::to_u64_floor;
use crate::risk::Fx;
use crate::state::*;
use crate::token::transfer_out;

/// Accounts of `withdraw_fees`.
#[derive(Accounts)]
pub struct WithdrawFees<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// Asset whose fees are withdrawn.
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
    /// Destination token account.
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Token program of the asset.
    pub token_program: Interface<'info, TokenInterface>,
}

/// Withdraws `amount` native units of accrued fees (`u64::MAX`: all whole units accrued).
pub fn handler(ctx: Context<WithdrawFees>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let (amount, asset_index, bump, decimals, left) = {
        let mut a = ctx.accounts.asset.load_mut()?;
        a.accrue(now)?;
        let fees = a.bank.protocol_fees.fx();
        let available = to_u64_floor(fees).ok_or(BallastError::MathOverflow)?;
        let amount = if amount == u64::MAX { available } else { amount };
        require!(amount > 0, BallastError::ZeroAmount);
        require!(amount <= available, BallastError::InsufficientFees);
        let left = fees - Fx::from_num(amount);
        a.bank.protocol_fees = Fx128::from_fx(left);
        (amount, a.asset_index, a.bump, a.decimals, left)
    };
    transfer_out(
        &ctx.accounts.token_program.key(),
        ctx.accounts.vault.to_account_info(),
        ctx.accounts.mint.to_account_info(),
        ctx.accounts.destination.to_account_info(),
        ctx.accounts.asset.to_account_info(),
        &ctx.accounts.group.key(),
        asset_index,
        bump,
        amount,
        decimals,
    )?;
    emit!(FeesWithdrawn {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index,
        amount,
        fees_left_bits: left.to_bits(),
    });
    Ok(())
}
