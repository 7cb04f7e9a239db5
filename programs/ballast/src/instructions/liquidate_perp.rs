//! `liquidate_perp`: permissionless (signed by the liquidator account's owner). The liquidator takes
//! over part of the liquidated account's perp position at the oracle price moved by the fee against
//! the liquidated account; the insurance fund gets a share of the fee from the liquidator, in the
//! quote asset. Open interest is unchanged by the transfer of a position.

use anchor_lang::prelude::*;

use crate::delegation::perp_notional;
use crate::events::{EventHeader, PerpLiquidated};
use crate::risk::bank::BankState;
use crate::risk::perp::PerpIndex;
use crate::risk::Fx;
use crate::shared::liquidation::*;
use crate::shared::perp_clearing::*;
use crate::state::*;
use crate::transitions;

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

pub use crate::transitions::liquidation::PerpLiquidation;

/// Takes over up to `max_lots` lots, reduced by the planner to the position, to what brings
/// LiquidationEnd health to 0 (or raises it most) and to what the liquidator can carry.
pub fn handler<'info>(
    ctx: Context<'info, LiquidatePerp<'info>>,
    max_lots: u64,
    liqee_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(&ctx.accounts.market.group, crate::gate::Ix::LiquidatePerp, &[&ctx.accounts.liqor])?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (ai, qi) = a.market.indexes()?;
    let (mut s, signer) = start(
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
    let (end_after, _) = finish(&mut s, &a.liqee, &a.liqor, ([ai, qi], false), now)?;
    signer.charge(|| perp_notional(step.lots, step.price, step.lot_size, step.oracle), now)?;
    emit_step(a, &step, end_after)
}

/// Loads the market and both accounts and runs the step ([`transitions::liquidation::perp_step`]).
/// Returns the funding index and the quote bank after.
#[inline(never)]
fn apply(a: &LiquidatePerp, st: &PerpLiquidation, now: i64) -> Result<(PerpIndex, BankState)> {
    let mut asset = a.market.asset.load_mut()?;
    let mut quote = a.market.quote.load_mut()?;
    let out = transitions::liquidation::perp_step(
        &mut asset,
        &mut quote,
        &mut *a.liqee.load_mut()?,
        &mut *a.liqor.load_mut()?,
        st,
        now,
    )?;
    Ok((out.index, out.bank))
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
    emit!(PerpLiquidated {
        header: EventHeader::now(a.market.group.key())?,
        liqee: a.liqee.key(),
        liqor: a.liqor.key(),
        asset_index: st.ai,
        lots: st.lots,
        long: st.long,
        price_per_lot: st.price,
        to_insurance: st.ins,
        fee_bps: st.fee_bps,
        oracle_price_bits: st.oracle.to_bits(),
        liqee_end_health_after_bits: end_after.to_bits(),
    });
    Ok(())
}
