//! `withdraw_protocol_insurance`: the admin withdraws the value of protocol-owned shares of the
//! insurance fund, never stakers' shares (catalogue IB-09).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::instructions::insurance_vault::*;

/// Accounts of `withdraw_protocol_insurance`.
#[derive(Accounts)]
pub struct WithdrawProtocolInsurance<'info> {
    /// The fund; the group's admin signs.
    #[account(constraint = fund.group.load()?.admin == admin.key() @ BallastError::Unauthorized)]
    pub fund: InsuranceAccounts<'info>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// Destination of the quote tokens.
    #[account(mut, token::mint = fund.mint, token::token_program = fund.token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Burns `shares` of the protocol's shares and pays their value.
pub fn handler(ctx: Context<WithdrawProtocolInsurance>, shares: u64) -> Result<()> {
    ctx.accounts.fund.check()?;
    let pay = {
        let mut g = ctx.accounts.fund.group.load_mut()?;
        require!(shares > 0 && shares <= g.insurance.protocol_shares, BallastError::InsufficientBalance);
        let pay = g.insurance.value_of(shares);
        g.insurance.protocol_shares =
            g.insurance.protocol_shares.checked_sub(shares).ok_or(BallastError::MathOverflow)?;
        g.insurance.burn(shares, pay);
        pay
    };
    ctx.accounts.fund.pay_out(ctx.accounts.destination.to_account_info(), ctx.accounts.admin.key(), shares, pay)
}
