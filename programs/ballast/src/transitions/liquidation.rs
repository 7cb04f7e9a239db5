//! Liquidation steps: the balances a token liquidation or a perp liquidation moves once the
//! planner (`shared::liquidation::plan_token`, `plan_perp`, on the risk
//! engine's `plan_token_step` and `plan_perp_step`) has sized the step.

use anchor_lang::prelude::*;

use super::perp::{apply_perp, LotsMoved};
use super::token::debit_quote;
use super::{update_token, Slot};
use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::risk::bank::BankState;
use crate::risk::perp::{self, PerpIndex};
use crate::risk::{Fx, Price};
use crate::state::*;

/// A token liquidation step, as planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLiquidation {
    /// Asset index of A, seized.
    pub ai: u16,
    /// Asset index of L, repaid.
    pub li: u16,
    /// Liability repaid, native L units.
    pub x: u64,
    /// Asset seized from the liquidated account, native A units.
    pub y: u64,
    /// Of which to the insurance fund.
    pub ins: u64,
    /// Fee with its ramp, bps.
    pub fee_bps: u32,
}

/// The banks of A and L after a token liquidation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLiquidated {
    /// Bank of the seized asset A.
    pub bank_a: BankState,
    /// Bank of the repaid liability L.
    pub bank_l: BankState,
}

/// Moves the balances of a token liquidation step: the liquidated account's borrow in L falls by
/// x and its deposit in A by y (never a new borrow); the liquidator pays x of L (a borrow beyond
/// its deposit, within L's limits) and receives y - ins of A; the insurance fund's claim on A grows
/// by ins (a claim the fund sweeps when A is the quote asset; otherwise protocol fees of A, which
/// the admin withdraws and adds to the fund, S2-09).
pub fn token_step(
    asset: &mut Asset,
    liab: &mut Asset,
    liqee: &mut MarginAccount,
    liqor: &mut MarginAccount,
    st: &TokenLiquidation,
    now: i64,
) -> Result<TokenLiquidated> {
    asset.accrue(now)?;
    liab.accrue(now)?;
    let (mut bank_a, mut bank_l) = (asset.bank.state(), liab.bank.state());
    // The liquidated account.
    update_token(liqee, st.li, Slot::Existing(BallastError::NothingToLiquidate), |pos| {
        bank_l.deposit(pos, st.x).map_risk().map(|_| ())
    })?;
    update_token(liqee, st.ai, Slot::Existing(BallastError::NothingToLiquidate), |pos| {
        bank_a.withdraw(pos, st.y, false).map_risk().map(|_| ())
    })?;
    // The liquidator.
    let limits = liab.bank.limits;
    let borrowable = liab.flags & ASSET_FLAG_BORROWABLE != 0;
    let borrowed = update_token(liqor, st.li, Slot::OpenIfMissing, |pos| {
        let borrowed = bank_l.withdraw(pos, st.x, true).map_risk()?.borrowed;
        if borrowed > 0 {
            require!(borrowable, BallastError::BorrowingDisabled);
            bank_l.check_borrow(&limits, *pos).map_risk()?;
        }
        Ok(borrowed)
    })?;
    let gain = st.y.checked_sub(st.ins).ok_or(BallastError::MathOverflow)?;
    if gain > 0 {
        update_token(liqor, st.ai, Slot::OpenIfMissing, |pos| bank_a.deposit(pos, gain).map_risk().map(|_| ()))?;
    }
    if borrowed > 0 {
        liab.record_net_borrow(now, borrowed, false)?;
    }
    asset.bank.set_state(&bank_a);
    liab.bank.set_state(&bank_l);
    if st.ai == QUOTE_ASSET_INDEX {
        let ins = asset.insurance_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
        asset.insurance_fees = Fx128::from_fx(ins);
    } else {
        let fees = asset.bank.protocol_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
        asset.bank.protocol_fees = Fx128::from_fx(fees);
    }
    Ok(TokenLiquidated { bank_a, bank_l })
}

/// A perp liquidation step, as planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpLiquidation {
    /// Asset index of the market's underlying.
    pub ai: u16,
    /// Asset index of the quote asset.
    pub qi: u16,
    /// Lots taken over.
    pub lots: u64,
    /// Price per lot, quote native units.
    pub price: u64,
    /// True when the liquidated position is long (the liquidator buys it).
    pub long: bool,
    /// Insurance share of the fee, quote native units.
    pub ins: u64,
    /// Fee with its ramp, bps.
    pub fee_bps: u32,
    /// Native base units per lot.
    pub lot_size: u64,
    /// Oracle price used, quote native per base native.
    pub oracle: Price,
}

/// The market after a perp liquidation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpLiquidated {
    /// Funding index after accrual.
    pub index: PerpIndex,
    /// The quote asset's bank after.
    pub bank: BankState,
    /// The liquidated position's lots before and after.
    pub liqee: LotsMoved,
    /// The liquidator's position's lots before and after.
    pub liqor: LotsMoved,
}

/// Moves a perp liquidation step: funding accrued at the oracle, `lots` move from the liquidated
/// account to the liquidator at the step's price, open interest follows (no cap: a liquidation
/// never adds risk to the market), and the liquidator pays the insurance share from its quote
/// balance into the quote asset's insurance claim.
pub fn perp_step(
    asset: &mut Asset,
    quote: &mut Asset,
    liqee: &mut MarginAccount,
    liqor: &mut MarginAccount,
    st: &PerpLiquidation,
    now: i64,
) -> Result<PerpLiquidated> {
    let index = asset.perp.accrue_funding(now, st.oracle)?.indexes();
    let cost = perp::notional(st.lots, st.price).map_risk()?;
    let e = apply_perp(liqee, st.ai, st.lot_size, index, !st.long, st.lots, cost)?;
    let r = apply_perp(liqor, st.ai, st.lot_size, index, st.long, st.lots, cost)?;
    let delta = e.long_delta().checked_add(r.long_delta()).ok_or(BallastError::MathOverflow)?;
    asset.perp.record_fill(delta, 0, u64::MAX)?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let owed = debit_quote(liqor, &mut bank, st.qi, st.ins)?;
    quote.record_owed_borrow(now, owed)?;
    quote.bank.set_state(&bank);
    let ins = quote.insurance_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
    quote.insurance_fees = Fx128::from_fx(ins);
    Ok(PerpLiquidated { index, bank, liqee: e, liqor: r })
}

/// The liquidated account's episode after a step: it ends once LiquidationEnd health is back at
/// zero or above; otherwise it starts (at `now`, unless one is running) or continues, so that the
/// account stays liquidatable until the LiquidationEnd target is reached (S2-01).
pub fn track_episode(liqee: &mut MarginAccount, end_after: Fx, running: bool, now: i64) {
    if end_after >= Fx::ZERO {
        liqee.end_liquidation_episode();
    } else {
        if !running {
            liqee.flags |= ACCOUNT_FLAG_BEING_LIQUIDATED;
            liqee.liquidation_start_ts = now;
        }
        liqee.liquidation_last_ts = now;
    }
}

/// After a health-checked action: Init health at zero or above implies LiquidationEnd health at
/// zero or above, so any liquidation episode is over (S2-01).
pub fn end_episode_if_healthy(account: &mut MarginAccount, init: Fx) {
    if init >= Fx::ZERO {
        account.end_liquidation_episode();
    }
}
