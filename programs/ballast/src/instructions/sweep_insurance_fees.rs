//! `sweep_insurance_fees`: permissionless. Moves the insurance fund's claim on the quote asset's
//! vault (its share of perp and liquidation fees paid in the quote asset) into the fund's vault.
//! Revenue raises the share price; while nobody holds shares, it becomes protocol shares.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::events::{EventHeader, InsuranceFeesSwept};
use crate::shared::insurance_vault::*;
use crate::transitions;

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
    crate::gate::enter(&ctx.accounts.fund.group, crate::gate::Ix::SweepInsuranceFees, &[])?;
    ctx.accounts.fund.check()?;
    let f = &ctx.accounts.fund;
    let amount = {
        let mut q = f.quote.load_mut()?;
        require_keys_eq!(ctx.accounts.quote_vault.key(), q.vault, anchor_lang::error::ErrorCode::ConstraintAddress);
        transitions::insurance::sweep_fees(&mut f.group.load_mut()?.insurance, &mut q)?
    };
    pay_from(
        &f.quote,
        &f.token_program,
        ctx.accounts.quote_vault.to_account_info(),
        &f.mint,
        f.vault.to_account_info(),
        amount,
    )?;
    emit!(InsuranceFeesSwept { header: EventHeader::now(f.group.key())?, amount });
    Ok(())
}
