//! `withdraw_unstake`: after the cooldown and within the withdrawal window that follows it, burns the
//! pending shares and pays the lesser of their value now and their value at the request (losses
//! during the cooldown reduce the payout; gains stay in the fund). A request not withdrawn within
//! the window expires (S2-11): the staker cancels it and requests again, waiting a new cooldown, so
//! nobody can hold a ripe request and leave the instant a loss shows up on chain.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::shared::insurance_vault::*;
use crate::state::*;
use crate::transitions;
use crate::transitions::insurance::Unstaked;

/// Accounts of `withdraw_unstake`.
#[derive(Accounts)]
pub struct WithdrawUnstake<'info> {
    /// The fund.
    pub fund: InsuranceAccounts<'info>,
    /// Stake owner.
    pub owner: Signer<'info>,
    /// The stake.
    #[account(mut, constraint = stake.load()?.group == fund.group.key() @ BallastError::Unauthorized, has_one = owner)]
    pub stake: AccountLoader<'info, InsuranceStake>,
    /// Destination of the quote tokens.
    #[account(mut, token::mint = fund.mint, token::token_program = fund.token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Pays the pending request. Fails with UnstakeCooldown before the cooldown ends and with
/// UnstakeRequestExpired once `UNSTAKE_WINDOW_SECS` have passed after it.
pub fn handler(ctx: Context<WithdrawUnstake>) -> Result<()> {
    crate::gate::enter(&ctx.accounts.fund.group, crate::gate::Ix::WithdrawUnstake, &[])?;
    ctx.accounts.fund.check()?;
    let now = Clock::get()?.unix_timestamp;
    let Unstaked { shares, pay } = transitions::insurance::withdraw_unstake(
        &mut ctx.accounts.fund.group.load_mut()?.insurance,
        &mut *ctx.accounts.stake.load_mut()?,
        now,
    )?;
    ctx.accounts.fund.pay_out(ctx.accounts.destination.to_account_info(), ctx.accounts.owner.key(), shares, pay)
}
