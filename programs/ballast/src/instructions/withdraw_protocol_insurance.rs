//! `withdraw_protocol_insurance`: the admin withdraws the value of protocol-owned shares of the
//! insurance fund, never stakers' shares (catalogue IB-09).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::shared::insurance_vault::*;
use crate::transitions;
use crate::transitions::insurance::Unstaked;

/// Accounts of `withdraw_protocol_insurance`.
#[derive(Accounts)]
pub struct WithdrawProtocolInsurance<'info> {
    /// The fund; the group's admin signs.
    #[account(constraint = fund.group.load()?.admin == admin.key() @ BallastError::Unauthorized)]
    pub fund: InsuranceAccounts<'info>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// Destination of the quote tokens, owned by the group's fee recipient (changed only through
    /// the timelock).
    #[account(
        mut,
        token::mint = fund.mint,
        token::token_program = fund.token_program,
        constraint = crate::governance::pays_fee_recipient(&destination.owner, &*fund.group.load()?) @ BallastError::Unauthorized
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Burns `shares` of the protocol's shares and pays their value.
pub fn handler(ctx: Context<WithdrawProtocolInsurance>, shares: u64) -> Result<()> {
    crate::gate::enter(&ctx.accounts.fund.group, crate::gate::Ix::WithdrawProtocolInsurance, &[])?;
    ctx.accounts.fund.check()?;
    let Unstaked { pay, .. } =
        transitions::insurance::withdraw_protocol_shares(&mut ctx.accounts.fund.group.load_mut()?.insurance, shares)?;
    ctx.accounts.fund.pay_out(ctx.accounts.destination.to_account_info(), ctx.accounts.admin.key(), shares, pay)
}
