//! `withdraw_unstake`: after the cooldown and within the withdrawal window that follows it, burns the
//! pending shares and pays the lesser of their value now and their value at the request (losses
//! during the cooldown reduce the payout; gains stay in the fund). A request not withdrawn within
//! the window expires (S2-11): the staker cancels it and requests again, waiting a new cooldown, so
//! nobody can hold a ripe request and leave the instant a loss shows up on chain.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::UNSTAKE_WINDOW_SECS;
use crate::error::BallastError;
use crate::instructions::insurance_vault::*;
use crate::state::*;

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
    ctx.accounts.fund.check()?;
    let now = Clock::get()?.unix_timestamp;
    let (shares, pay) = {
        let mut g = ctx.accounts.fund.group.load_mut()?;
        let mut s = ctx.accounts.stake.load_mut()?;
        require!(s.pending_shares > 0, BallastError::UnstakeCooldown);
        let ripe = s.request_ts.saturating_add(g.insurance.cooldown_secs as i64);
        require!(now >= ripe, BallastError::UnstakeCooldown);
        require!(now <= ripe.saturating_add(UNSTAKE_WINDOW_SECS), BallastError::UnstakeRequestExpired);
        let shares = s.pending_shares;
        let pay = g.insurance.value_of(shares).min(s.pending_value);
        g.insurance.burn(shares, pay);
        s.shares = s.shares.checked_sub(shares).ok_or(BallastError::MathOverflow)?;
        s.pending_shares = 0;
        s.pending_value = 0;
        s.request_ts = 0;
        (shares, pay)
    };
    ctx.accounts.fund.pay_out(ctx.accounts.destination.to_account_info(), ctx.accounts.owner.key(), shares, pay)
}
