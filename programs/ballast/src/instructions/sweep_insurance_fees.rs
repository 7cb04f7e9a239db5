//! `sweep_insurance_fees`: permissionless. Moves the insurance fund's claim on the quote asset's
//! vault (its share of perp and liquidation fees paid in the quote asset) into the fund's vault.
//! Revenue raises the share price; while nobody holds shares, it becomes protocol shares.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::events::{EventHeader, InsuranceFeesSwept};
use crate::instructions::insurance_vault::*;
use crate::risk::num::to_u64_floor;
use crate::risk::Fx;
use crate::state::*;

/// Accounts of `sweep_insurance_fees`.
#[derive(Accounts)]
pub struct SweepInsuranceFees<'info> {
    /// The fund (the quote asset's claim falls).
    pub fund: InsuranceAccounts<'info>,
    /// The quote asset's own vault.
    #[account(mut)]
    pub quote_vault: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Sweeps the whole native units of the claim.
pub fn handler(ctx: Context<SweepInsuranceFees>) -> Result<()> {
    ctx.accounts.fund.check()?;
    let amount = {
        let q = ctx.accounts.fund.quote.load()?;
        require_keys_eq!(ctx.accounts.quote_vault.key(), q.vault, anchor_lang::error::ErrorCode::ConstraintAddress);
        to_u64_floor(q.insurance_fees.fx()).ok_or(BallastError::MathOverflow)?
    };
    require!(amount > 0, BallastError::ZeroAmount);
    let f = &ctx.accounts.fund;
    pay_from(
        &f.quote,
        &f.token_program,
        ctx.accounts.quote_vault.to_account_info(),
        &f.mint,
        f.vault.to_account_info(),
        amount,
    )?;
    {
        let mut q = f.quote.load_mut()?;
        let left = q.insurance_fees.fx().checked_sub(Fx::from_num(amount)).ok_or(BallastError::MathOverflow)?;
        q.insurance_fees = Fx128::from_fx(left);
    }
    let mut g = f.group.load_mut()?;
    g.insurance.value = g.insurance.value.checked_add(amount).ok_or(BallastError::MathOverflow)?;
    g.insurance.adopt_orphan_value();
    emit!(InsuranceFeesSwept { header: EventHeader::now(f.group.key())?, amount });
    Ok(())
}
