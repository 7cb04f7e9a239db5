//! Bankruptcy transitions: a token debt written off (paid by the fund, then socialized over the
//! asset's depositors), a non-quote debt covered by a delivery, and a perp loss resolved (settled
//! from the account's quote deposit, paid to a winner by the fund, then socialized over the
//! market's open interest through its loss index).
//!
//! Whether an account is bankrupt is decided before these run, by value at oracle prices with the
//! one health loader (`shared::bankruptcy::check_bankrupt`,
//! `shared::bankruptcy::check_perp_bankrupt`).

use anchor_lang::prelude::*;

use super::perp::{settle_funding, transfer_pnl};
use super::token::credit_quote;
use super::{update_token, Slot};
use crate::constants::{FREE_SLOT, QUOTE_ASSET_INDEX};
use crate::error::{BallastError, RiskResultExt};
use crate::risk::num::to_u64_floor;
use crate::risk::perp::{socialized_loss_per_base, PerpIndex};
use crate::risk::{Fx, Price, Round};
use crate::state::*;

/// What a token write-off did, native units of the asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrittenOff {
    /// Debt removed at the depositors' expense.
    pub socialized: u64,
    /// Debt left.
    pub debt_left: u64,
}

/// Writes off a bankrupt account's debt in `asset`: `paid` native units (already moved into the
/// vault by the fund) repay it and count against the account's bankruptcy cap, then up to `rest`
/// is socialized over the asset's depositors. The account's perp dust slots are released, its
/// liquidation episode ends once it has no debt, and its bankrupt flag clears when debt-free.
pub fn write_off_token(account: &mut MarginAccount, asset: &mut Asset, paid: u64, rest: u64) -> Result<WrittenOff> {
    let mut bank = asset.bank.state();
    let (socialized, debt_left) =
        update_token(account, asset.asset_index, Slot::Existing(BallastError::NothingToLiquidate), |pos| {
            if paid > 0 {
                bank.deposit(pos, paid).map_risk()?;
            }
            let socialized =
                if rest > 0 && *pos < Fx::ZERO { bank.socialize_loss(pos, rest).map_risk()?.debt_removed } else { 0 };
            Ok((socialized, bank.debt(*pos).map_risk()?))
        })?;
    account.bankruptcy_insurance_paid = account.bankruptcy_insurance_paid.saturating_add(paid);
    asset.socialized_loss = asset.socialized_loss.saturating_add(socialized);
    for p in account.perps.iter_mut().filter(|p| p.asset_index != FREE_SLOT) {
        p.quote = Fx128::default();
        p.asset_index = FREE_SLOT;
    }
    if account.is_empty() || account.tokens.iter().all(|t| t.indexed.fx() >= Fx::ZERO) {
        account.end_liquidation_episode();
    }
    account.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    Ok(WrittenOff { socialized, debt_left })
}

/// Repays `received` native units (a delivery that arrived in the vault) of a bankrupt account's
/// debt in `asset`, counts `paid` (the quote the fund pays the deliverer) against its bankruptcy
/// cap, and ends its liquidation state once it owes nothing. Returns the debt left.
pub fn cover_debt(account: &mut MarginAccount, asset: &mut Asset, received: u64, paid: u64, now: i64) -> Result<u64> {
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    let (repaid, left) =
        update_token(account, asset.asset_index, Slot::Existing(BallastError::NothingToLiquidate), |pos| {
            let out = bank.deposit(pos, received).map_risk()?;
            Ok((out.repaid, bank.debt(*pos).map_risk()?))
        })?;
    if repaid > 0 {
        asset.record_net_borrow(now, repaid, true)?;
    }
    account.bankruptcy_insurance_paid = account.bankruptcy_insurance_paid.saturating_add(paid);
    if account.tokens.iter().all(|t| t.asset_index == FREE_SLOT || t.indexed.fx() >= Fx::ZERO) {
        account.end_liquidation_episode();
    }
    account.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    Ok(left)
}

/// A perp market at the moment of a resolution: its asset index, lot size, indexes accrued to now
/// and oracle price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketAt {
    /// Perp asset index.
    pub ai: u16,
    /// Native base units per lot.
    pub lot: u64,
    /// Funding and loss indexes, accrued to now.
    pub index: PerpIndex,
    /// Oracle price, quote native per base native.
    pub price: Price,
}

/// Settles up to `covered` quote native units of a bankrupt account's loss in market `m` against
/// the winner, from the account's quote deposit (at most that deposit and the winner's PnL after
/// funding): the same move as `settle_pnl`. Returns the amount; 0 when the winner holds no position.
pub fn settle_from_deposit(
    quote: &mut Asset,
    win: &mut MarginAccount,
    lose: &mut MarginAccount,
    m: &MarketAt,
    covered: u64,
    now: i64,
) -> Result<u64> {
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let Some(ws) = win.perp_slot(m.ai) else { return Ok(0) };
    let ls = lose.perp_slot(m.ai).ok_or(BallastError::NoPerpLoss)?;
    let win_pnl = settle_funding(win, ws, m.lot, m.index, m.price, Round::Down)?;
    let deposit = bank.native(lose.token_indexed(QUOTE_ASSET_INDEX)).map_risk()?.max(Fx::ZERO);
    let amount = to_u64_floor(win_pnl.max(Fx::ZERO))
        .unwrap_or(u64::MAX)
        .min(to_u64_floor(deposit).unwrap_or(u64::MAX))
        .min(covered);
    if amount == 0 {
        return Ok(0);
    }
    let owed = transfer_pnl((win, ws), (lose, ls), &mut bank, QUOTE_ASSET_INDEX, amount)?;
    quote.record_owed_borrow(now, owed)?;
    win.release_perp_slot_if_empty(ws);
    quote.bank.set_state(&bank);
    Ok(amount)
}

/// The winner's positive PnL in market `m` after funding, quote native units rounded down, at
/// most `want`: what the fund may pay it. 0 when it holds no position.
pub fn winner_claim(win: &mut MarginAccount, m: &MarketAt, want: u64) -> Result<u64> {
    let Some(ws) = win.perp_slot(m.ai) else { return Ok(0) };
    let win_pnl = settle_funding(win, ws, m.lot, m.index, m.price, Round::Down)?;
    Ok(to_u64_floor(win_pnl.max(Fx::ZERO)).unwrap_or(u64::MAX).min(want))
}

/// Settles `paid` quote native units the fund moved into the quote vault into the winner's quote
/// balance, out of its perp PnL in market `ai`.
pub fn credit_winner(quote: &mut Asset, win: &mut MarginAccount, ai: u16, paid: u64, now: i64) -> Result<()> {
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let ws = win.perp_slot(ai).ok_or(BallastError::NoPerpLoss)?;
    let q = win.perps[ws].quote.fx().checked_sub(Fx::from_num(paid)).ok_or(BallastError::MathOverflow)?;
    win.perps[ws].quote = Fx128::from_fx(q);
    credit_quote(win, &mut bank, QUOTE_ASSET_INDEX, paid)?;
    win.release_perp_slot_if_empty(ws);
    quote.bank.set_state(&bank);
    Ok(())
}

/// Socializes `rest` quote native units of loss over the market's open interest `oi` (native base
/// units a side) by raising its loss index. Returns the loss index after and whether anything was
/// socialized (nothing when there is no open interest).
pub fn socialize_perp_loss(asset: &mut Asset, index: PerpIndex, rest: u64, oi: Fx) -> Result<(Fx, bool)> {
    let Some(per) = socialized_loss_per_base(rest, oi).map_risk()? else {
        return Ok((index.loss, false));
    };
    let loss_index = index.loss.checked_add(per).ok_or(BallastError::MathOverflow)?;
    asset.perp.loss_index = Fx128::from_fx(loss_index);
    Ok((loss_index, true))
}

/// Takes `paid + socialized` off the bankrupt account's loss in market `ai` and counts the fund's
/// share in its bankruptcy; a sub-unit residue no settlement can move is written off with it (the
/// slot is freed). Returns the loss left, quote native units.
pub fn close_perp_loss(account: &mut MarginAccount, ai: u16, paid: u64, socialized: u64) -> Result<u64> {
    let slot = account.perp_slot(ai).ok_or(BallastError::NoPerpLoss)?;
    let resolved = Fx::from_num(paid).checked_add(Fx::from_num(socialized)).ok_or(BallastError::MathOverflow)?;
    let mut q = account.perps[slot].quote.fx().checked_add(resolved).ok_or(BallastError::MathOverflow)?;
    require!(q <= Fx::ZERO, BallastError::MathOverflow);
    if q > -Fx::ONE && (paid > 0 || socialized > 0) {
        q = Fx::ZERO;
    }
    account.perps[slot].quote = Fx128::from_fx(q);
    account.bankruptcy_insurance_paid = account.bankruptcy_insurance_paid.saturating_add(paid);
    account.release_perp_slot_if_empty(slot);
    Ok(q.checked_neg().and_then(to_u64_floor).unwrap_or(0))
}
