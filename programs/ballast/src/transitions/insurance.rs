//! Insurance fund transitions: stake, unstake request and cancellation, unstake withdrawal, the
//! protocol's withdrawal, fee sweeps into the fund, payouts to cover bankruptcies, and protocol
//! fee withdrawals from an asset.

use anchor_lang::prelude::*;

use crate::constants::UNSTAKE_WINDOW_SECS;
use crate::error::BallastError;
use crate::risk::num::to_u64_floor;
use crate::risk::Fx;
use crate::state::*;

/// Adds `received` quote native units (what the fund's vault actually received) to the fund and
/// `stake`'s shares at the current share price, rounded down. Returns the shares minted; fails with
/// ZeroAmount when they round to none.
pub fn stake(fund: &mut InsuranceFund, stake: &mut InsuranceStake, received: u64) -> Result<u64> {
    let shares = fund.shares_for(received)?;
    require!(shares > 0, BallastError::ZeroAmount);
    fund.value = fund.value.checked_add(received).ok_or(BallastError::MathOverflow)?;
    fund.total_shares = fund.total_shares.checked_add(shares).ok_or(BallastError::MathOverflow)?;
    stake.shares = stake.shares.checked_add(shares).ok_or(BallastError::MathOverflow)?;
    Ok(shares)
}

/// Requests the withdrawal of `shares`, valued now (the payout is at most this value: a loss
/// during the cooldown is borne, a gain is not captured). Returns the value; fails with
/// InvalidUnstakeRequest for zero, more than held, or while another request is pending.
pub fn request_unstake(fund: &InsuranceFund, stake: &mut InsuranceStake, shares: u64, now: i64) -> Result<u64> {
    require!(shares > 0 && shares <= stake.shares && stake.pending_shares == 0, BallastError::InvalidUnstakeRequest);
    let value = fund.value_of(shares);
    stake.pending_shares = shares;
    stake.pending_value = value;
    stake.request_ts = now;
    Ok(value)
}

/// Cancels the pending request; fails with InvalidUnstakeRequest when there is none.
pub fn cancel_unstake(stake: &mut InsuranceStake) -> Result<()> {
    require!(stake.pending_shares > 0, BallastError::InvalidUnstakeRequest);
    stake.pending_shares = 0;
    stake.pending_value = 0;
    stake.request_ts = 0;
    Ok(())
}

/// A burn of shares and the quote native units the handler pays for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unstaked {
    /// Shares burnt.
    pub shares: u64,
    /// Quote native units to pay out of the fund's vault.
    pub pay: u64,
}

/// Burns the pending request's shares once the cooldown has passed and before the request expires
/// (`UNSTAKE_WINDOW_SECS` later), paying the least of their value now and their value at the
/// request. Fails with UnstakeCooldown or UnstakeRequestExpired.
pub fn withdraw_unstake(fund: &mut InsuranceFund, stake: &mut InsuranceStake, now: i64) -> Result<Unstaked> {
    require!(stake.pending_shares > 0, BallastError::UnstakeCooldown);
    let ripe = stake.request_ts.saturating_add(fund.cooldown_secs as i64);
    require!(now >= ripe, BallastError::UnstakeCooldown);
    require!(now <= ripe.saturating_add(UNSTAKE_WINDOW_SECS), BallastError::UnstakeRequestExpired);
    let shares = stake.pending_shares;
    let pay = fund.value_of(shares).min(stake.pending_value);
    fund.burn(shares, pay);
    stake.shares = stake.shares.checked_sub(shares).ok_or(BallastError::MathOverflow)?;
    stake.pending_shares = 0;
    stake.pending_value = 0;
    stake.request_ts = 0;
    Ok(Unstaked { shares, pay })
}

/// Burns `shares` of the protocol's own shares (fee revenue that arrived while nobody staked) at
/// their value. Fails with InsufficientBalance beyond what the protocol holds.
pub fn withdraw_protocol_shares(fund: &mut InsuranceFund, shares: u64) -> Result<Unstaked> {
    require!(shares > 0 && shares <= fund.protocol_shares, BallastError::InsufficientBalance);
    let pay = fund.value_of(shares);
    fund.protocol_shares = fund.protocol_shares.checked_sub(shares).ok_or(BallastError::MathOverflow)?;
    fund.burn(shares, pay);
    Ok(Unstaked { shares, pay })
}

/// The whole native units of the quote asset's insurance claim (fee shares and liquidation
/// insurance shares), taken off the claim for the handler to move from the quote vault into the
/// fund's vault, and added to the fund's value. Fails with ZeroAmount when less than one unit.
pub fn sweep_fees(fund: &mut InsuranceFund, quote: &mut Asset) -> Result<u64> {
    let amount = to_u64_floor(quote.insurance_fees.fx()).ok_or(BallastError::MathOverflow)?;
    require!(amount > 0, BallastError::ZeroAmount);
    let left = quote.insurance_fees.fx().checked_sub(Fx::from_num(amount)).ok_or(BallastError::MathOverflow)?;
    quote.insurance_fees = Fx128::from_fx(left);
    fund.value = fund.value.checked_add(amount).ok_or(BallastError::MathOverflow)?;
    fund.adopt_orphan_value();
    Ok(amount)
}

/// The fund pays up to `want` quote native units (at most its value, which never exceeds its
/// vault's balance) toward a bankruptcy. Returns the amount, which the handler transfers out of
/// the fund's vault; nothing when the group has no fund.
pub fn fund_payout(fund: &mut InsuranceFund, want: u64) -> Result<u64> {
    if fund.vault == Pubkey::default() {
        return Ok(0);
    }
    let pay = want.min(fund.value);
    fund.value = fund.value.checked_sub(pay).ok_or(BallastError::MathOverflow)?;
    fund.paid_out = fund.paid_out.saturating_add(pay);
    Ok(pay)
}

/// A withdrawal of protocol fees from an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeesTaken {
    /// Native units the handler sends out of the asset's vault.
    pub amount: u64,
    /// Fees left, native units (fractional).
    pub left: Fx,
}

/// Takes `amount` native units (`u64::MAX`: every whole unit) of the asset's protocol fees, after
/// accruing interest. Fails with ZeroAmount or InsufficientFees.
pub fn take_protocol_fees(asset: &mut Asset, amount: u64, now: i64) -> Result<FeesTaken> {
    asset.accrue(now)?;
    let fees = asset.bank.protocol_fees.fx();
    let available = to_u64_floor(fees).ok_or(BallastError::MathOverflow)?;
    let amount = if amount == u64::MAX { available } else { amount };
    require!(amount > 0, BallastError::ZeroAmount);
    require!(amount <= available, BallastError::InsufficientFees);
    let left = fees.checked_sub(Fx::from_num(amount)).ok_or(BallastError::MathOverflow)?;
    asset.bank.protocol_fees = Fx128::from_fx(left);
    Ok(FeesTaken { amount, left })
}
