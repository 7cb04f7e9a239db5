//! Token transitions: deposit, withdraw (and borrow), repay, quote credits and debits, dust sweeps.

use anchor_lang::prelude::*;

use super::{update_token, Slot};
use crate::error::{BallastError, RiskResultExt};
use crate::oracle::OraclePrice;
use crate::risk::bank::BankState;
use crate::risk::Fx;
use crate::state::*;

/// What a deposit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposited {
    /// The account's position after, indexed (shares; negative: a borrow).
    pub position: Fx,
    /// Native units that repaid a borrow.
    pub repaid: u64,
    /// Native units added to the deposit.
    pub deposited: u64,
}

/// Credits `received` native units (what the vault actually received) to the account's position
/// in `asset`: interest accrued first, a borrow repaid first, the deposit cap checked for what
/// becomes a deposit (a pure repayment is never blocked by the cap); in a reduce-only asset
/// nothing may become a deposit (ReduceOnly). Clears the account's bankrupt flag when no debt is
/// left.
pub fn deposit(account: &mut MarginAccount, asset: &mut Asset, received: u64, now: i64) -> Result<Deposited> {
    require!(received > 0, BallastError::ZeroAmount);
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    asset.record_outflow(&bank, now, received, true)?;
    let (position, out) = update_token(account, asset.asset_index, Slot::OpenIfMissing, |pos| {
        let out = bank.deposit(pos, received).map_risk()?;
        Ok((*pos, out))
    })?;
    if out.repaid > 0 {
        asset.record_net_borrow(now, out.repaid, true)?;
    }
    require!(out.deposited == 0 || asset.flags & ASSET_FLAG_REDUCE_ONLY == 0, BallastError::ReduceOnly);
    if out.deposited > 0 {
        let total = bank.total_deposits().map_risk()?;
        require!(total <= Fx::from_num(asset.bank.deposit_cap), BallastError::DepositCapExceeded);
    }
    account.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    Ok(Deposited { position, repaid: out.repaid, deposited: out.deposited })
}

/// What a withdrawal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawn {
    /// Native units the handler sends out of the vault.
    pub amount: u64,
    /// Native units of it that are a new borrow.
    pub borrowed: u64,
    /// The asset's bank after (for the health check).
    pub bank: BankState,
}

/// Takes `amount` native units (`u64::MAX`: the whole withdrawable deposit) out of the account's
/// position in `asset`: from the deposit, then as a borrow when `allow_borrow` is set and the asset
/// is borrowable, within its borrow cap, utilization cap, net-borrow window and minimum size, and
/// within the asset's withdrawal rate limit (the whole amount counts as outflow).
/// Interest is accrued and the stable price observes `oracle` first. The caller runs the health
/// rule on the result and sends the tokens.
pub fn withdraw(
    account: &mut MarginAccount,
    asset: &mut Asset,
    oracle: &OraclePrice,
    amount: u64,
    allow_borrow: bool,
    now: i64,
) -> Result<Withdrawn> {
    require!(amount > 0, BallastError::ZeroAmount);
    let slot = if allow_borrow { Slot::OpenIfMissing } else { Slot::Existing(BallastError::InsufficientBalance) };
    asset.accrue(now)?;
    asset.observe_price(oracle.price, oracle.publish_time, now)?;
    let mut bank = asset.bank.state();
    let borrowable = asset.flags & ASSET_FLAG_BORROWABLE != 0 && asset.flags & ASSET_FLAG_REDUCE_ONLY == 0;
    let limits = asset.bank.limits;
    let (amount, borrowed) = update_token(account, asset.asset_index, slot, |pos| {
        let amount = if amount == u64::MAX { bank.withdrawable(*pos).map_risk()? } else { amount };
        require!(amount > 0, BallastError::ZeroAmount);
        let borrowing = allow_borrow && amount > bank.withdrawable(*pos).map_risk()?;
        require!(!borrowing || borrowable, BallastError::BorrowingDisabled);
        let out = bank.withdraw(pos, amount, borrowing).map_risk()?;
        if out.borrowed > 0 {
            bank.check_borrow(&limits, *pos).map_risk()?;
        }
        Ok((amount, out.borrowed))
    })?;
    if borrowed > 0 {
        asset.record_net_borrow(now, borrowed, false)?;
    }
    let before = asset.bank.state();
    asset.record_outflow(&before, now, amount, false)?;
    asset.bank.set_state(&bank);
    Ok(Withdrawn { amount, borrowed, bank })
}

/// Takes the account's whole deposit in a force-closed `asset` (delisting), after accruing
/// interest: the whole native units the handler sends to the owner (the fraction of a unit goes
/// to protocol fees, as dust does, so the slot is always freed). Only for an account with no
/// liabilities (`MarginAccount::has_no_liabilities`): its equity stays whole and no creditor is
/// touched; an account that owes anything keeps the deposit for its liquidation. Not counted by
/// the withdrawal limit; no price. Fails with NotForceClosed, WithdrawalsDisabled,
/// ForceWithdrawWithLiabilities, or ZeroAmount (no deposit).
pub fn force_withdraw(account: &mut MarginAccount, asset: &mut Asset, now: i64) -> Result<u64> {
    require!(asset.flags & ASSET_FLAG_FORCE_CLOSE != 0, BallastError::NotForceClosed);
    require!(asset.flags & ASSET_FLAG_WITHDRAWALS_DISABLED == 0, BallastError::WithdrawalsDisabled);
    require!(account.has_no_liabilities(), BallastError::ForceWithdrawWithLiabilities);
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    let native = update_token(account, asset.asset_index, Slot::Existing(BallastError::ZeroAmount), |pos| {
        require!(*pos > Fx::ZERO, BallastError::ZeroAmount);
        bank.remove_deposit(pos).map_risk()
    })?;
    let amount = crate::risk::num::to_u64_floor(native).ok_or(BallastError::MathOverflow)?;
    let fraction = native.checked_sub(Fx::from_num(amount)).ok_or(BallastError::MathOverflow)?;
    let fees = asset.bank.protocol_fees.fx().checked_add(fraction).ok_or(BallastError::MathOverflow)?;
    asset.bank.protocol_fees = Fx128::from_fx(fees);
    asset.bank.set_state(&bank);
    Ok(amount)
}

/// The account's debt in `asset` after accruing interest, native units (rounded up).
pub fn debt(account: &MarginAccount, asset: &mut Asset, now: i64) -> Result<u64> {
    asset.accrue(now)?;
    asset.bank.state().debt(account.token_indexed(asset.asset_index)).map_risk()
}

/// Repays `received` native units of the account's debt in `asset` (never more than the debt: a
/// repayment that would become a deposit fails with InsufficientBalance). Returns the debt left,
/// native units. Clears the bankrupt flag when no debt is left.
pub fn repay(account: &mut MarginAccount, asset: &mut Asset, received: u64, now: i64) -> Result<u64> {
    require!(received > 0, BallastError::InsufficientBalance);
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    asset.record_outflow(&bank, now, received, true)?;
    let (out, remaining) =
        update_token(account, asset.asset_index, Slot::Existing(BallastError::InsufficientBalance), |pos| {
            let out = bank.deposit(pos, received).map_risk()?;
            require!(out.deposited == 0, BallastError::InsufficientBalance);
            Ok((out, bank.debt(*pos).map_risk()?))
        })?;
    asset.record_net_borrow(now, out.repaid, true)?;
    account.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    Ok(remaining)
}

/// Credits `amount` quote native units to the account's quote-asset balance (repaying a borrow
/// first), on a bank state the caller stores.
pub fn credit_quote(account: &mut MarginAccount, bank: &mut BankState, qi: u16, amount: u64) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    update_token(account, qi, Slot::OpenIfMissing, |pos| bank.deposit(pos, amount).map_risk().map(|_| ()))
}

/// Debits `amount` quote native units from the account's quote-asset balance; beyond the deposit
/// it becomes a borrow (perp fees and settled losses are owed whatever the asset's borrow limits).
/// Returns the native units borrowed, which the caller records in the net-borrow window
/// (`Asset::record_owed_borrow`, S2-17).
pub fn debit_quote(account: &mut MarginAccount, bank: &mut BankState, qi: u16, amount: u64) -> Result<u64> {
    if amount == 0 {
        return Ok(0);
    }
    update_token(account, qi, Slot::OpenIfMissing, |pos| Ok(bank.withdraw(pos, amount, true).map_risk()?.borrowed))
}

/// Moves the account's whole deposit in `asset` (a dust deposit of a bankrupt account) into the
/// asset's protocol fees. Returns the native units moved (fractional).
pub fn sweep_dust(account: &mut MarginAccount, asset: &mut Asset, now: i64) -> Result<Fx> {
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    let native =
        update_token(account, asset.asset_index, Slot::Existing(BallastError::InvalidHealthAccounts), |pos| {
            bank.remove_deposit(pos).map_risk()
        })?;
    asset.bank.set_state(&bank);
    let fees = asset.bank.protocol_fees.fx().checked_add(native).ok_or(BallastError::MathOverflow)?;
    asset.bank.protocol_fees = Fx128::from_fx(fees);
    Ok(native)
}
