//! `liquidate_option`: permissionless (signed by the liquidator account's owner). The liquidator
//! takes over option contracts of a liquidatable account at the engine's model value moved by the
//! fee against the liquidated account: for a long, the liquidator pays the value less the fee; for
//! a short, the liquidated account pays the liquidator the value plus the fee. Short options go
//! first; a step may not take more than the LiquidationEnd target needs (one contract fewer must
//! leave it below zero) unless the account is closed out, nor more than the group's step value.
//! Token and perp steps of an account holding options are sized on its linear health and must raise
//! its full health (with the grid), which `finish` checks.

use anchor_lang::prelude::*;

use crate::constants::FREE_SLOT;
use crate::delegation::{option_notional, Authority};
use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, OptionLiquidated};
use crate::health_accounts::OptionSurface;
use crate::risk::bank::BankState;
use crate::risk::options::grid::{MemoUse, Replay};
use crate::risk::{Fx, Round};
use crate::shared::liquidation::*;
use crate::shared::perp_clearing::*;
use crate::state::*;
use crate::transitions::option::{self as opt, Series};

/// Accounts of `liquidate_option`. `remaining_accounts`: the liquidated account's health accounts
/// in canonical order, then the liquidator's (with the underlying and the quote asset added).
#[derive(Accounts)]
pub struct LiquidateOption<'info> {
    /// Group, underlying and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// The liquidator's account (takes over the contracts).
    #[account(mut)]
    pub liqor: AccountLoader<'info, MarginAccount>,
    /// Owner of the liquidator's account.
    pub liqor_authority: Signer<'info>,
    /// The liquidated account.
    #[account(mut)]
    pub liqee: AccountLoader<'info, MarginAccount>,
}

/// One planned step.
#[derive(Clone, Copy, Debug)]
struct Step {
    series: Series,
    contracts: u64,
    long: bool,
    cash: u64,
    fee: u64,
}

/// Takes over `contracts` (at most the position) of the liquidated account's option in slot `slot`.
pub fn handler<'info>(
    ctx: Context<'info, LiquidateOption<'info>>,
    slot: u8,
    contracts: u64,
    liqee_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(&ctx.accounts.market.group, crate::gate::Ix::LiquidateOption, &[&ctx.accounts.liqor])?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (ai, qi) = crate::instructions::trade_option::indexes(&a.market)?;
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
    let step = plan(a, &mut s, usize::from(slot), contracts, (ai, qi), now)?;
    let bank = apply(a, &step, qi, now)?;
    for l in [&mut s.liqee, &mut s.liqor] {
        l.get_mut(qi).ok_or(BallastError::InvalidHealthAccounts)?.bank = bank;
    }
    let (end_after, _) = finish(&mut s, &a.liqee, &a.liqor, ([ai, qi], true), now)?;
    charge(&signer, a, &s, &step, now)?;
    emit_step(a, &step, end_after)
}

#[inline(never)]
fn emit_step(a: &LiquidateOption, step: &Step, end_after: Fx) -> Result<()> {
    emit!(OptionLiquidated {
        header: EventHeader::now(a.market.group.key())?,
        liqee: a.liqee.key(),
        liqor: a.liqor.key(),
        asset_index: step.series.asset_index,
        expiry: step.series.expiry,
        strike_bits: step.series.strike.to_bits(),
        kind: step.series.kind,
        contracts: step.contracts,
        liqee_long: step.long,
        cash: step.cash,
        fee: step.fee,
        end_health_bits: end_after.to_bits(),
    });
    Ok(())
}

/// Counts the step against a delegate liquidator's cap: the contracts' underlying at the larger
/// of strike and oracle, plus the cash paid ([`option_notional`]).
#[inline(never)]
fn charge(signer: &Authority, a: &LiquidateOption, s: &LiqStart, step: &Step, now: i64) -> Result<()> {
    let notional = || {
        let oracle = s.liqee.get(step.series.asset_index).ok_or(BallastError::InvalidHealthAccounts)?.oracle.price;
        let size = a.market.asset.load()?.option.contract_size;
        option_notional(step.contracts, size, step.series.strike, oracle, step.cash)
    };
    signer.charge(notional, now)
}

/// The step: the slot's series (shorts before longs), its size, and the cash of `n` contracts;
/// then the minimality check on the loaded input.
#[inline(never)]
fn plan(
    a: &LiquidateOption,
    s: &mut LiqStart,
    slot: usize,
    contracts: u64,
    (ai, qi): (u16, u16),
    now: i64,
) -> Result<Step> {
    let (series, held) = slot_series(a, s, slot, ai)?;
    let long = held > 0;
    record_option(s, &series, now)?;
    let entry = priced(&s.liqee, ai, s.config.max_stable_deviation_bps)?.risk;
    let (surface, fee_base) = {
        let asset = a.market.asset.load()?;
        (OptionSurface::of(&asset), u32::from(asset.option.liquidation_fee_bps))
    };
    // At most the position, and at most `max_step_value` of notional per step (at least one
    // contract), like token and perp steps (I-14).
    let notional = opt::notional_bps(entry.oracle_price, 1, surface.contract_size, 10_000, Round::Up)?;
    let one = opt::model_value(&surface, &series, 1, long, &entry, now)?.abs();
    let per_contract = notional.max(one);
    let cap = Fx::from_num(s.max_step_value).checked_div(per_contract.max(Fx::DELTA));
    let cap = cap.and_then(|c| c.checked_to_num::<u64>()).unwrap_or(u64::MAX).max(1);
    let n = contracts.min(held.unsigned_abs()).min(cap);
    require!(n > 0, BallastError::ZeroAmount);
    let fee_bps = s.config.schedule().fee_bps(fee_base, s.elapsed);
    let price = opt::TakeOverPrice { surface: &surface, series: &series, long, entry: &entry, fee_bps, now };
    if n > 1 && !s.close_out && !s.insolvent {
        check_minimal(s, &price, n, (ai, qi))?;
    }
    let (c, fee) = price.cash(n)?;
    Ok(Step { series, contracts: n, long, cash: c, fee })
}

/// Records the taken option alone in the memo (its group's other options are then replayed, not
/// revalued, by the minimality check and by `finish`).
#[inline(never)]
fn record_option(s: &mut LiqStart, series: &Series, now: i64) -> Result<()> {
    let kind = crate::risk::options::OptionKind::from_u8(series.kind).ok_or(BallastError::OptionSeriesInvalid)?;
    let seconds = series.expiry.checked_sub(now).ok_or(BallastError::MathOverflow)?;
    if let Some(m) = s.memo.as_deref_mut() {
        m.record_option(&s.input, (series.asset_index, kind, series.strike, seconds)).map_risk()?;
    }
    Ok(())
}

/// One contract fewer than `n` must leave LiquidationEnd health negative (evaluated on the loaded
/// input, which `finish` rebuilds from the account; the untouched groups' grids from the memo).
#[inline(never)]
fn check_minimal(s: &mut LiqStart, price: &opt::TakeOverPrice, n: u64, (ai, qi): (u16, u16)) -> Result<()> {
    let fewer = n.checked_sub(1).ok_or(BallastError::MathOverflow)?;
    let (c, _) = price.cash(fewer)?;
    let groups = touched_groups(&s.input, [ai, qi]);
    let reuse = |g: u16| !groups.contains(&Some(g));
    // The take-over moves one option: the others' scenario losses are replayed.
    let replay = |_: u16| Replay::AllButTheRecordedOption;
    let memo = s.memo.as_deref_mut().map(|m| MemoUse::read(m, &reuse, &replay));
    let end = opt::end_after_take_over(&mut s.input, price, fewer, c, qi, memo)?;
    require!(end < Fx::ZERO, BallastError::LiquidationBeyondTarget);
    Ok(())
}

/// Moves the contracts and the cash ([`opt::take_over_option`]); returns the quote bank after.
#[inline(never)]
fn apply(a: &LiquidateOption, st: &Step, qi: u16, now: i64) -> Result<BankState> {
    let mut asset = a.market.asset.load_mut()?;
    let mut quote = a.market.quote.load_mut()?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let (_, owed) = opt::take_over_option(
        &mut asset,
        &mut bank,
        qi,
        &mut *a.liqee.load_mut()?,
        &mut *a.liqor.load_mut()?,
        (&st.series, st.contracts, st.long),
        st.cash,
    )?;
    quote.record_owed_borrow(now, owed)?;
    quote.bank.set_state(&bank);
    Ok(bank)
}

/// The series and contracts of the liquidated account's option slot `slot` on `ai`; a long waits
/// while an unsettled short is left (ShortOptionsFirst).
#[inline(never)]
fn slot_series(a: &LiquidateOption, s: &LiqStart, slot: usize, ai: u16) -> Result<(Series, i64)> {
    let e = a.liqee.load()?;
    let o = e.options.get(slot).ok_or(BallastError::NothingToLiquidate)?;
    require!(o.asset_index == ai && o.size != 0, BallastError::NothingToLiquidate);
    if o.size > 0 {
        // An unsettled short left anywhere goes first (a settled one is quote cash already).
        let surfaces = s.liqee.options.as_deref();
        let unsettled = |x: &OptionPosition| {
            surfaces
                .and_then(|t| t.get(x.asset_index))
                .and_then(|t| t.slot(x.expiry).ok().map(|i| (t, i)))
                .is_none_or(|(t, i)| t.settlement[i] == crate::risk::Price::ZERO)
        };
        let shorts = e.options.iter().any(|x| x.asset_index != FREE_SLOT && x.size < 0 && unsettled(x));
        require!(!shorts, BallastError::ShortOptionsFirst);
    }
    Ok((Series { asset_index: ai, expiry: o.expiry, strike: o.strike.price(), kind: o.kind }, o.size))
}
