//! `liquidate_perp`: permissionless (signed by the liquidator account's owner). The liquidator takes
//! over part of the liquidated account's perp position at the oracle price moved by the fee against
//! the liquidated account; the insurance fund gets a share of the fee from the liquidator, in the
//! quote asset. Open interest is unchanged by the transfer of a position.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Liquidated};
use crate::instructions::liquidation::*;
use crate::instructions::perp_clearing::*;
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::bank::BankState;
use crate::risk::liquidation::*;
use crate::risk::perp::{self, PerpIndex};
use crate::risk::Fx;
use crate::state::*;

/// Accounts of `liquidate_perp`. `remaining_accounts`: the liquidated account's health accounts in
/// canonical order, then the liquidator's (with the perp asset and the quote asset added).
#[derive(Accounts)]
pub struct LiquidatePerp<'info> {
    /// Group, perp asset and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// The liquidator's account (takes over the position).
    #[account(mut)]
    pub liqor: AccountLoader<'info, MarginAccount>,
    /// Owner of the liquidator's account.
    pub liqor_authority: Signer<'info>,
    /// The liquidated account.
    #[account(mut)]
    pub liqee: AccountLoader<'info, MarginAccount>,
}

/// The amounts of one perp liquidation.
#[derive(Clone, Copy, Debug)]
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
    pub oracle: crate::risk::Price,
}

/// Takes over up to `max_lots` lots, reduced by the planner to the position, to what brings
/// LiquidationEnd health to 0 (or raises it most) and to what the liquidator can carry.
pub fn handler<'info>(
    ctx: Context<'info, LiquidatePerp<'info>>,
    max_lots: u64,
    liqee_health_accounts: u8,
) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::Liquidate), OracleNeed::Valid);
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (ai, qi) = a.market.indexes()?;
    let mut s = start(
        &a.market.group,
        &a.liqor,
        &a.liqor_authority,
        &a.liqee,
        ctx.remaining_accounts,
        liqee_health_accounts,
        &[ai, qi],
        now,
    )?;
    let (fee_base, lot_size) = {
        let asset = a.market.asset.load()?;
        (asset.risk.liquidation_fee_bps as u32, asset.perp.base_lot_size)
    };
    let step = {
        let liqee = a.liqee.load()?;
        plan_perp(&mut s, &liqee, ai, qi, fee_base, lot_size, max_lots)?
    };
    let (index, bank) = apply(a, &step, now)?;
    refresh_views(&mut s, &step, index, &bank)?;
    let (end_after, _) = finish(&mut s, &a.liqee, &a.liqor, now)?;
    emit_step(a, &step, end_after)
}

/// Fee with its ramp and the position; the lots, price and insurance share come from the planner
/// ([`plan_perp_step`]). The keeper calls this same function on the same bytes. `fee_base`: the
/// market asset's liquidation fee, bps; `lot_size`: its native base units per lot.
#[inline(never)]
pub fn plan_perp(
    s: &mut LiqStart,
    liqee: &MarginAccount,
    ai: u16,
    qi: u16,
    fee_base: u32,
    lot_size: u64,
    max_lots: u64,
) -> Result<PerpLiquidation> {
    let oracle = priced(&s.liqee, ai, s.config.max_stable_deviation_bps)?.risk.oracle_price;
    let base_lots = liqee.perp_slot(ai).map(|i| liqee.perps[i].base_lots).unwrap_or(0);
    require!(base_lots != 0, BallastError::NothingToLiquidate);
    let fee_bps = s.config.schedule().fee_bps(fee_base, s.elapsed);
    let p = PerpStepParams {
        market: ai,
        quote: qi,
        lot_size,
        base_lots,
        fee_bps,
        insurance_share_bps: s.config.insurance_share_bps,
        max_lots,
        close_out: s.close_out,
        max_step_value: s.max_step_value,
        must_raise: !s.insolvent,
    };
    let st = plan_perp_step(&mut s.input, &mut s.liqor_input, &p).map_risk()?;
    Ok(PerpLiquidation {
        ai,
        qi,
        lots: st.lots,
        price: st.price,
        long: st.long,
        ins: st.ins,
        fee_bps,
        lot_size,
        oracle,
    })
}

/// Funding accrued, the position moves from the liquidated account to the liquidator, the
/// liquidator pays the insurance share. Returns the funding index and the quote bank after.
#[inline(never)]
fn apply(a: &LiquidatePerp, st: &PerpLiquidation, now: i64) -> Result<(PerpIndex, BankState)> {
    let index = a.market.asset.load_mut()?.perp.accrue_funding(now, st.oracle)?.indexes();
    let cost = perp::notional(st.lots, st.price).map_risk()?;
    let (e_old, e_new) = apply_perp(&mut *a.liqee.load_mut()?, st.ai, st.lot_size, index, !st.long, st.lots, cost)?;
    let (r_old, r_new) = apply_perp(&mut *a.liqor.load_mut()?, st.ai, st.lot_size, index, st.long, st.lots, cost)?;
    let delta =
        perp::long_delta(e_old, e_new).checked_add(perp::long_delta(r_old, r_new)).ok_or(BallastError::MathOverflow)?;
    a.market.asset.load_mut()?.perp.record_fill(delta, 0, u64::MAX)?;
    let mut quote = a.market.quote.load_mut()?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let owed = debit_quote(&mut *a.liqor.load_mut()?, &mut bank, st.qi, st.ins)?;
    quote.record_owed_borrow(now, owed)?;
    quote.bank.set_state(&bank);
    let ins = quote.insurance_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
    quote.insurance_fees = Fx128::from_fx(ins);
    Ok((index, bank))
}

/// Both loaded views get the funding index and the quote bank after the step.
#[inline(never)]
fn refresh_views(s: &mut LiqStart, st: &PerpLiquidation, index: PerpIndex, bank: &BankState) -> Result<()> {
    for l in [&mut s.liqee, &mut s.liqor] {
        if let Some(e) = l.get_mut(st.ai) {
            e.perp_index = index;
        }
        if let Some(e) = l.get_mut(st.qi) {
            e.bank = *bank;
        }
    }
    Ok(())
}

#[inline(never)]
fn emit_step(a: &LiquidatePerp, st: &PerpLiquidation, end_after: Fx) -> Result<()> {
    emit!(Liquidated {
        header: EventHeader::now(a.market.group.key())?,
        liqee: a.liqee.key(),
        liqor: a.liqor.key(),
        asset_index: st.ai,
        liab_index: st.qi,
        perp: true,
        liab_amount: st.lots,
        asset_amount: st.price,
        to_insurance: st.ins,
        fee_bps: st.fee_bps,
        liqee_end_health_after_bits: end_after.to_bits(),
    });
    Ok(())
}
