//! `withdraw_fees`: the admin takes protocol fees accrued in an asset, never more (catalogue AG-08).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::events::{EventHeader, FeesWithdrawn};
use crate::shared::asset_vault::*;
use crate::state::*;
use crate::transitions;
use crate::transitions::insurance::FeesTaken;

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
    /// Destination token account, owned by the group's fee recipient (changed only through the
    /// timelock).
    #[account(
        mut,
        token::mint = bank.mint,
        token::token_program = bank.token_program,
        constraint = crate::governance::pays_fee_recipient(&destination.owner, &*group.load()?) @ crate::error::BallastError::Unauthorized
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Withdraws `amount` native units of accrued fees (`u64::MAX`: all whole units accrued).
pub fn handler(ctx: Context<WithdrawFees>, amount: u64) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::WithdrawFees, &[])?;
    ctx.accounts.bank.check_group(&ctx.accounts.group.key())?;
    let now = Clock::get()?.unix_timestamp;
    let (FeesTaken { amount, left }, asset_index) = {
        let mut a = ctx.accounts.bank.asset.load_mut()?;
        (transitions::insurance::take_protocol_fees(&mut a, amount, now)?, a.asset_index)
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
