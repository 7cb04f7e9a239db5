//! Liquidation amounts on plain numbers: the fee schedule, what a liquidator receives, and the
//! largest step that does not take the account beyond LiquidationEnd health 0.
//!
//! Token liquidation: the liquidator repays `x` native units of the account's liability L and
//! receives `y = floor(x × rate)` native units of its asset A, where
//! `rate = price_L × (1 + fee) / price_A` (oracle prices). Perp liquidation: the liquidator takes
//! over `n` lots of the account's perp position at the oracle price moved by the fee against the
//! account. In both, the amount is the smallest that brings LiquidationEnd health to >= 0; when no
//! amount does (a hedge whose health falls again past a point), the amount that raises health most.
//! It is then reduced to what the liquidator can carry (its Init health stays >= 0).
//!
//! Every search is bounded: [`MAX_SEARCH_STEPS`] health evaluations for a regula-falsi search,
//! [`MAX_BISECTION_STEPS`] cheap evaluations for an exact bisection over a u64 range.

use super::health::{
    health_with_group_losses, GroupLosses, HealthInput, HealthType, StepHealthCache, MAX_HEALTH_ASSETS,
};
use super::num::{bps_frac, mul, value, wide_mul_u128, Fx, Price, Round, BPS};
use super::{OrOverflow, RiskError, RiskResult};

/// Most health evaluations one regula-falsi search makes (bisection every third step).
pub const MAX_SEARCH_STEPS: usize = 24;

/// Margin the planner keeps on the liquidator's Init health, quote native units: the program books
/// the step with share rounding the planner's native-unit moves do not see (borrow shares round
/// up, deposit shares down, a perp insurance share that uses up a quote deposit takes its fraction
/// of a unit with it), so a step planned exactly at Init 0 could end a hair below it.
pub const CARRY_MARGIN: Fx = Fx::from_bits(2 << 48);

/// A balance after paying `x` native units from it as the bank books it: a deposit is used up to
/// its whole native units, its fraction of a unit going with it, and the rest is borrowed.
fn after_paying(spot: Fx, x: u64) -> RiskResult<Fx> {
    if spot > Fx::ZERO {
        let whole = super::num::to_u64_floor(spot).or_overflow()?;
        if x >= whole {
            return Fx::from_num(x.saturating_sub(whole)).checked_neg().or_overflow();
        }
    }
    spot.checked_sub(Fx::from_num(x)).or_overflow()
}

/// Most candidates the kink search of one step evaluates (two groups, three kinks each, three
/// integers around each).
pub const MAX_KINK_CANDIDATES: usize = 18;

/// Most steps of a bisection over a u64 range (each halves it).
pub const MAX_BISECTION_STEPS: usize = 64;

/// Liquidation fee schedule of a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeSchedule {
    /// Extra fee per hour the account has been liquidatable, bps.
    pub ramp_bps_per_hour: u32,
    /// Cap of the extra fee, bps.
    pub ramp_cap_bps: u32,
    /// Share of every liquidation fee paid to the insurance fund, bps.
    pub insurance_share_bps: u16,
}

impl FeeSchedule {
    /// Fee in bps for a base fee of `base_bps` after `elapsed_secs` of being liquidatable.
    pub fn fee_bps(&self, base_bps: u32, elapsed_secs: i64) -> u32 {
        let ramp = (elapsed_secs.max(0) as u64).saturating_mul(self.ramp_bps_per_hour as u64) / 3_600;
        base_bps.saturating_add(u32::try_from(ramp.min(self.ramp_cap_bps as u64)).unwrap_or(u32::MAX))
    }
}

/// Asset units per liability unit for a token liquidation at `fee_bps`, rounded down (the seized
/// amount is rounded down).
pub fn token_rate(price_liab: Price, price_asset: Price, fee_bps: u32) -> RiskResult<Price> {
    if price_asset <= Price::ZERO {
        return Err(RiskError::InvalidParam("asset price must be positive"));
    }
    let one_plus = Price::ONE.checked_add(Price::from_num(bps_frac(fee_bps, Round::Down))).or_overflow()?;
    let with_fee = price_liab.checked_mul(one_plus).or_overflow()?;
    super::ops::div(1);
    with_fee.checked_div(price_asset).or_overflow()
}

/// Native units of asset seized for `x` native units of liability repaid.
pub fn seized(x: u64, rate: Price) -> RiskResult<u64> {
    let y = value(Fx::from_num(x), rate, Round::Down).or_overflow()?;
    super::num::to_u64_floor(y).or_overflow()
}

/// The insurance fund's part of a seizure: its share of the fee part (`seized - seized at no fee`),
/// rounded down.
pub fn insurance_part(y: u64, y_no_fee: u64, share_bps: u16) -> u64 {
    super::perp::mul_div_floor(y.saturating_sub(y_no_fee), share_bps as u64, BPS as u64)
}

/// Price per lot of a perp liquidation: the oracle value of a lot moved by `fee_bps` against the
/// liquidated account (it sells a long below the oracle, buys back a short above it).
pub fn perp_price_per_lot(oracle: Price, lot_size: u64, fee_bps: u32, liqee_long: bool) -> RiskResult<u64> {
    let mid = value(Fx::from_num(lot_size), oracle, Round::Down).or_overflow()?;
    let fee = mul(mid, bps_frac(fee_bps, Round::Up), Round::Up).or_overflow()?;
    let p = if liqee_long { mid.checked_sub(fee) } else { mid.checked_add(fee) }.or_overflow()?;
    let p = if liqee_long { super::num::to_u64_floor(p) } else { super::num::to_u64_ceil(p) };
    p.filter(|p| *p > 0).or_overflow()
}

/// Largest liability amount whose seizure at `rate` stays within `deposit` asset units: the largest
/// `x` with `floor(x × rate) <= deposit`, exact for any rate (S2-03). `seized` is non-decreasing in
/// `x`, so a bisection over the whole u64 range finds it in at most [`MAX_BISECTION_STEPS`] steps,
/// one 128 × 128-bit product each; an amount whose seizure overflows counts as too large.
// Bisection on lo < hi: hi - lo and the midpoint never overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn max_repay_for_deposit(deposit: u64, rate: Price) -> RiskResult<u64> {
    if rate <= Price::ZERO {
        return Err(RiskError::InvalidParam("rate must be positive"));
    }
    let fits = |x: u64| seizure_fits(x, rate, deposit);
    if !fits(1)? {
        return Ok(0);
    }
    if fits(u64::MAX)? {
        return Ok(u64::MAX);
    }
    // Invariant: fits(lo) (seized(0) = 0), !fits(hi).
    let (mut lo, mut hi) = (0u64, u64::MAX);
    for _ in 0..MAX_BISECTION_STEPS {
        if hi - lo <= 1 {
            break;
        }
        let m = lo + (hi - lo) / 2;
        if fits(m)? {
            lo = m;
        } else {
            hi = m;
        }
    }
    Ok(lo)
}

/// Whether repaying `x` seizes at most `deposit` at `rate` (an overflowing seizure does not fit).
/// `seizure_fits(1, ..)` is the dust predicate: a deposit no liquidation step can take.
pub fn seizure_fits(x: u64, rate: Price, deposit: u64) -> RiskResult<bool> {
    match seized(x, rate) {
        Ok(y) => Ok(y <= deposit),
        Err(RiskError::MathOverflow) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gross value of all positions at oracle prices, quote native units: |spot| and |perp base|
/// values, plus |perp quote|. Accounts below the group's close-out value are liquidated in full.
pub fn gross_value(input: &HealthInput) -> RiskResult<Fx> {
    let mut total = Fx::ZERO;
    for i in 0..input.len {
        let (a, e) = (&input.assets[i], &input.exposures[i]);
        for v in [
            value(e.spot, a.oracle_price, Round::Down).or_overflow()?,
            value(e.perp_base, a.oracle_price, Round::Down).or_overflow()?,
            e.perp_quote,
        ] {
            total = total.checked_add(v.checked_abs().or_overflow()?).or_overflow()?;
        }
    }
    Ok(total)
}

/// True when `oracle` lies more than `max_bps` away from `stable` (an unset stable price never does).
/// Compared as exact 256-bit products, so it holds for any price (S2-13).
pub fn deviates(oracle: Price, stable: Price, max_bps: u16) -> bool {
    if stable <= Price::ZERO {
        return false;
    }
    let diff = oracle.to_bits().abs_diff(stable.to_bits());
    wide_mul_u128(diff, BPS as u128) > wide_mul_u128(stable.to_bits().unsigned_abs(), max_bps as u128)
}

/// The insurance fund's part of a perp liquidation's fee: its share of
/// `lots × |oracle value of a lot − price_per_lot|`, rounded down, quote native units.
pub fn perp_insurance_part(
    oracle: Price,
    lot_size: u64,
    price_per_lot: u64,
    lots: u64,
    share_bps: u16,
) -> RiskResult<u64> {
    let mid = super::perp::oracle_per_lot(oracle, lot_size)?;
    let per_lot = Fx::from_num(price_per_lot).checked_sub(mid).and_then(|d| d.checked_abs()).or_overflow()?;
    let fee = per_lot.checked_mul_int(lots as i128).or_overflow()?;
    let part = fee.checked_mul_int(share_bps as i128).and_then(|f| f.checked_div(Fx::from_num(BPS))).or_overflow()?;
    super::num::to_u64_floor(part).or_overflow()
}

/// Narrows `[lo, hi]` around the point where `h` changes side of zero (`h(lo)` and `h(hi)` on
/// opposite sides, `h` monotone in between) by regula falsi with a bisection every third step, in
/// at most [`MAX_SEARCH_STEPS`] evaluations. Returns the final bracket, whose ends keep their sides.
// Bracket arithmetic on lo < hi: hi - lo, the midpoint and lo + 1 <= hi - 1 (hi - lo > 1) never
// overflow; the interpolation itself is checked.
#[allow(clippy::arithmetic_side_effects)]
fn narrow(
    (mut lo, mut h_lo): (u64, Fx),
    (mut hi, mut h_hi): (u64, Fx),
    mut h: impl FnMut(u64) -> RiskResult<Fx>,
) -> RiskResult<(u64, u64)> {
    let lo_side = h_lo >= Fx::ZERO;
    for step in 0..MAX_SEARCH_STEPS {
        if hi - lo <= 1 {
            break;
        }
        let x = if step % 3 == 2 {
            lo + (hi - lo) / 2
        } else {
            // Linear interpolation to the zero crossing, rounded up.
            let span = Fx::from_num(hi - lo);
            super::ops::div(1);
            let frac = (-h_lo).checked_div(h_hi.checked_sub(h_lo).or_overflow()?).or_overflow()?;
            let dx = mul(span, frac.abs(), Round::Up).or_overflow()?;
            let dx = super::num::to_u64_ceil(dx).or_overflow()?;
            lo.saturating_add(dx).clamp(lo + 1, hi - 1)
        };
        let hx = h(x)?;
        if (hx >= Fx::ZERO) == lo_side {
            (lo, h_lo) = (x, hx);
        } else {
            (hi, h_hi) = (x, hx);
        }
    }
    Ok((lo, hi))
}

/// The smallest amount in `[0, max]` with `h >= 0`, for `h` non-decreasing on it with
/// `h(0) = h0 < 0 <= h(max) = h_max`. If the search runs out of steps it returns the largest amount
/// known to stay below zero: never beyond the target.
#[allow(clippy::arithmetic_side_effects)] // hi >= lo
fn first_reaching_zero(max: u64, h0: Fx, h_max: Fx, h: impl FnMut(u64) -> RiskResult<Fx>) -> RiskResult<u64> {
    let (lo, hi) = narrow((0, h0), (max, h_max), h)?;
    Ok(if hi - lo <= 1 { hi } else { lo })
}

/// The amount of a liquidation step in `[0, cap]`: the smallest that brings health to >= 0; when no
/// amount does, the one that raises health most (0 when none raises it above `h(0)`). `h(x, nets)`
/// returns the liquidated account's LiquidationEnd health after a step of `x` and, when asked, writes
/// its risk groups' scenario losses after it into `nets` ([`GroupLosses`]).
///
/// Health is concave in the amount: values move linearly, and every charge (a group's scenario
/// charge, basis, liquidity, concentration) is a convex function of linear quantities. It is not
/// monotone: closing one leg of a hedge lowers health once the group's net exposure crosses zero
/// (S2-20). The group charges' kinks, where a group's down or up loss crosses zero or the two cross,
/// are found from the losses at both ends (they move linearly); the maximum of a concave
/// piecewise-linear function lies at an end or a kink, and before it health rises, so a regula-falsi
/// search finds the first amount reaching zero. At most `2 + 18 + MAX_SEARCH_STEPS` evaluations
/// (a step moves two entries: at most two groups and six kinks, three candidates each).
pub fn amount_to_target(
    cap: u64,
    mut h: impl FnMut(u64, Option<&mut GroupLosses>) -> RiskResult<Fx>,
) -> RiskResult<u64> {
    if cap == 0 {
        return Ok(0);
    }
    let mut nets0 = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
    let h0 = h(0, Some(&mut nets0))?;
    if h0 >= Fx::ZERO {
        return Ok(0);
    }
    let mut nets_cap = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
    let (mut peak, mut h_peak) = (cap, h(cap, Some(&mut nets_cap))?);
    if h_peak < Fx::ZERO {
        (peak, h_peak) = best_kink(cap, &nets0, &nets_cap, (peak, h_peak), &mut h)?;
        if h_peak < Fx::ZERO {
            return Ok(if h_peak > h0 { peak } else { 0 });
        }
    }
    first_reaching_zero(peak, h0, h_peak, |x| h(x, None))
}

/// The best of `best` and the amounts around every kink of the group charges between 0 and `cap`
/// (where a group's down or up loss crosses zero, or the two cross). A step moves at most two
/// entries, hence two groups and six kinks; the integers around each (one either side of the
/// computed crossing, whose rounding may be off by one): at most eighteen evaluations.
#[inline(never)]
#[allow(clippy::arithmetic_side_effects)] // group indexes g < 16 (entries < 32), candidates < 18
fn best_kink(
    cap: u64,
    nets0: &GroupLosses,
    nets_cap: &GroupLosses,
    mut best: (u64, Fx),
    h: &mut impl FnMut(u64, Option<&mut GroupLosses>) -> RiskResult<Fx>,
) -> RiskResult<(u64, Fx)> {
    let mut tried = [0u64; MAX_KINK_CANDIDATES];
    let mut n_tried = 0;
    for g in 0..MAX_HEALTH_ASSETS {
        let (d0, u0, dc, uc) = (nets0[2 * g], nets0[2 * g + 1], nets_cap[2 * g], nets_cap[2 * g + 1]);
        let diff0 = d0.checked_sub(u0).or_overflow()?;
        let diffc = dc.checked_sub(uc).or_overflow()?;
        for (a, b) in [(d0, dc), (u0, uc), (diff0, diffc)] {
            let Some(x) = crossing(cap, a, b)? else { continue };
            for c in [x.saturating_sub(1), x, x.saturating_add(1)] {
                if c == 0 || c >= cap || tried[..n_tried].contains(&c) || n_tried == tried.len() {
                    continue;
                }
                tried[n_tried] = c;
                n_tried += 1;
                let hc = h(c, None)?;
                if hc > best.1 {
                    best = (c, hc);
                }
            }
        }
    }
    Ok(best)
}

/// Where a quantity moving linearly from `a` (amount 0) to `b` (amount `cap`) crosses zero, rounded
/// down; `None` unless it changes sign strictly.
fn crossing(cap: u64, a: Fx, b: Fx) -> RiskResult<Option<u64>> {
    if !((a > Fx::ZERO && b < Fx::ZERO) || (a < Fx::ZERO && b > Fx::ZERO)) {
        return Ok(None);
    }
    super::ops::div(1);
    let frac = a.abs().checked_div(a.abs().checked_add(b.abs()).or_overflow()?).or_overflow()?;
    let x = super::num::to_u64_floor(mul(Fx::from_num(cap), frac, Round::Down).or_overflow()?).or_overflow()?;
    Ok(Some(x))
}

/// The largest amount in `[0, cap]` after which the liquidator's health `h` stays >= 0 (S2-21).
/// Its health is concave in the amount, so with `h(0) >= 0` the amounts it can carry are an
/// interval `[0, b]`. Returns 0 when `h(0) < 0`.
pub fn liquidator_capacity(cap: u64, mut h: impl FnMut(u64) -> RiskResult<Fx>) -> RiskResult<u64> {
    if cap == 0 {
        return Ok(0);
    }
    let h_cap = h(cap)?;
    if h_cap >= Fx::ZERO {
        return Ok(cap);
    }
    let h0 = h(0)?;
    if h0 < Fx::ZERO {
        return Ok(0);
    }
    Ok(narrow((0, h0), (cap, h_cap), h)?.0)
}

/// A change of one entry of a health input: spot, perp base and perp quote move by these amounts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Move {
    /// Entry in the input.
    pub entry: usize,
    /// Change of the token balance, native units.
    pub spot: Fx,
    /// Change of the perp base, native base units.
    pub perp_base: Fx,
    /// Change of the perp quote, quote native units.
    pub perp_quote: Fx,
}

/// Health of `input` after `moves` (on the two entries `cache` was built for), writing the touched
/// groups' losses into `losses` when given; the input is restored before returning, whatever the
/// outcome.
#[inline(never)]
pub fn health_after(
    input: &mut HealthInput,
    cache: &StepHealthCache,
    moves: &[Move; 2],
    losses: Option<&mut GroupLosses>,
) -> RiskResult<Fx> {
    let saved = [input.exposures[moves[0].entry], input.exposures[moves[1].entry]];
    let mut apply = || -> RiskResult<()> {
        for m in moves {
            let e = &mut input.exposures[m.entry];
            e.spot = e.spot.checked_add(m.spot).or_overflow()?;
            e.perp_base = e.perp_base.checked_add(m.perp_base).or_overflow()?;
            e.perp_quote = e.perp_quote.checked_add(m.perp_quote).or_overflow()?;
        }
        Ok(())
    };
    let r = apply().and_then(|_| cache.health(input, losses));
    input.exposures[moves[1].entry] = saved[1];
    input.exposures[moves[0].entry] = saved[0];
    r
}

/// The entries of two asset indexes in `input` (`NothingToLiquidate` when either is missing).
fn entries(input: &HealthInput, x: u16, y: u16) -> RiskResult<(usize, usize)> {
    let find = |i| input.find(i).ok_or(RiskError::NothingToLiquidate);
    Ok((find(x)?, find(y)?))
}

/// The moves of an action (or a candidate liquidation step) of `x` units on the two touched entries.
pub type StepMoves<'a> = &'a dyn Fn(u64) -> RiskResult<[Move; 2]>;

/// The liquidated account's side of a step plan: everything for a close-out (unless the account
/// is solvent and that would not raise its health), else [`amount_to_target`]; `WorseHealth` when
/// no amount raises health. `touched`: the two entries the step moves.
#[inline(never)]
fn step_target(
    input: &mut HealthInput,
    touched: [usize; 2],
    cap: u64,
    (close_out, must_raise): (bool, bool),
    moves: StepMoves,
) -> RiskResult<u64> {
    let cache = StepHealthCache::new(input, HealthType::LiquidationEnd, touched)?;
    let mut h = |x: u64, nets: Option<&mut GroupLosses>| health_after(input, &cache, &moves(x)?, nets);
    if close_out && (!must_raise || h(cap, None)? > h(0, None)?) {
        return Ok(cap);
    }
    match amount_to_target(cap, h)? {
        0 => Err(RiskError::WorseHealth),
        x => Ok(x),
    }
}

/// The liquidator's side: `x` reduced to what keeps its Init health at least [`CARRY_MARGIN`];
/// `LiquidatorHealth` when it cannot carry a single unit.
#[inline(never)]
fn step_capacity(input: &mut HealthInput, touched: [usize; 2], x: u64, moves: StepMoves) -> RiskResult<u64> {
    match max_size(input, HealthType::Init, CARRY_MARGIN, touched, x, moves)? {
        0 => Err(RiskError::LiquidatorHealth),
        x => Ok(x),
    }
}

/// The largest amount in `[0, cap]` after which health of type `t` stays at least `target`, for
/// `moves(x)` linear in `x` on the two entries `touched` (the same entry twice for a one-entry
/// action): the liquidator's capacity, and the SDK's largest withdrawal, borrow and trade for a
/// target health. Health is concave in such an amount ([`amount_to_target`]), so the amounts that
/// keep it at the target form an interval `[0, b]`; the search returns `b`, or a smaller amount
/// known to keep the target when it runs out of steps. 0 when health is already below the target.
pub fn max_size(
    input: &mut HealthInput,
    t: HealthType,
    target: Fx,
    touched: [usize; 2],
    cap: u64,
    moves: StepMoves,
) -> RiskResult<u64> {
    let cache = StepHealthCache::new(input, t, touched)?;
    let above = |x: u64| health_after(input, &cache, &moves(x)?, None)?.checked_sub(target).or_overflow();
    liquidator_capacity(cap, above)
}

/// The per-step bound in force: a group that never set one (zero, as before the field existed)
/// gets the default.
fn step_bound(max_step_value: u64) -> u64 {
    if max_step_value == 0 {
        DEFAULT_MAX_STEP_VALUE
    } else {
        max_step_value
    }
}

/// Default largest value of one liquidation step, quote native units ($1,000,000).
pub const DEFAULT_MAX_STEP_VALUE: u64 = 1_000_000_000_000;

/// What decides a token liquidation step besides the two accounts' health inputs.
#[derive(Clone, Copy, Debug)]
pub struct TokenStepParams {
    /// Asset index of A, the asset seized.
    pub asset: u16,
    /// Asset index of L, the liability repaid.
    pub liab: u16,
    /// Liquidation fee with its ramp, bps.
    pub fee_bps: u32,
    /// Share of the fee paid to the insurance fund, bps.
    pub insurance_share_bps: u16,
    /// The liquidated account's withdrawable deposit of A, native units.
    pub deposit: u64,
    /// Its debt in L, native units.
    pub debt: u64,
    /// The most the liquidator asks to repay, native L units.
    pub max_liab: u64,
    /// Largest value of one step, quote native units (catalogue I-14).
    pub max_step_value: u64,
    /// The account is closed out (below the close-out value, or insolvent): the step takes all it
    /// can instead of stopping at the target.
    pub close_out: bool,
    /// The step must raise the account's LiquidationEnd health (it is solvent): a close-out that
    /// would not (a small hedged account) falls back to the search.
    pub must_raise: bool,
}

/// The amounts of a token liquidation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenStep {
    /// Liability repaid, native L units.
    pub x: u64,
    /// Asset seized from the liquidated account, native A units.
    pub y: u64,
    /// Of which to the insurance fund, native A units.
    pub ins: u64,
}

/// Plans a token liquidation step: the rate at oracle prices with the fee; the cap by the request,
/// the debt and what the deposit pays for (exact, S2-03); the amount that brings the liquidated
/// account's LiquidationEnd health to 0 or raises it most (S2-20), or everything for a close-out;
/// reduced to what keeps the liquidator's Init health >= 0 (S2-21). The program and the keeper both
/// call it. `liqor` must hold entries for A and L.
///
/// Errors: `NothingToLiquidate` when there is nothing to take, `WorseHealth` when no amount raises
/// the account's health, `LiquidatorHealth` when the liquidator cannot carry a single unit.
pub fn plan_token_step(liqee: &mut HealthInput, liqor: &mut HealthInput, p: &TokenStepParams) -> RiskResult<TokenStep> {
    let (a, l) = entries(liqee, p.asset, p.liab)?;
    let (ra, rl) = entries(liqor, p.asset, p.liab)?;
    let (pa, pl) = (liqee.assets[a].oracle_price, liqee.assets[l].oracle_price);
    // A rate beyond Price's range: one unit of L seizes more than the deposit could ever hold.
    let rate = match token_rate(pl, pa, p.fee_bps) {
        Err(RiskError::MathOverflow) => return Err(RiskError::NothingToLiquidate),
        r => r?,
    };
    let rate0 = token_rate(pl, pa, 0)?;
    let all_collateral = max_repay_for_deposit(p.deposit, rate)?;
    // The per-step bound: the most liability units whose value stays within it (exact).
    // At least one unit per step, so a bound below one unit's value never deadlocks an account.
    let bounded = max_repay_for_deposit(step_bound(p.max_step_value), pl)?.max(1);
    let cap = p.max_liab.min(p.debt).min(all_collateral).min(bounded);
    if cap == 0 {
        return Err(RiskError::NothingToLiquidate);
    }
    // What a repay of x seizes: everything once x takes all the collateral it can pay for (the
    // sub-unit remainder goes with it, so no dust is left), else floor(x × rate).
    let take = |x: u64| -> RiskResult<(u64, u64)> {
        let y = if x == all_collateral { p.deposit } else { seized(x, rate)? };
        Ok((y, insurance_part(y, seized(x, rate0)?, p.insurance_share_bps)))
    };
    let liqee_moves = |x: u64| -> RiskResult<[Move; 2]> {
        let (y, _) = take(x)?;
        Ok([
            Move { entry: a, spot: Fx::from_num(y).checked_neg().or_overflow()?, ..Move::default() },
            Move { entry: l, spot: Fx::from_num(x), ..Move::default() },
        ])
    };
    let x = step_target(liqee, [a, l], cap, (p.close_out, p.must_raise), &liqee_moves)?;
    let liqor_l = liqor.exposures[rl].spot;
    let liqor_moves = |x: u64| -> RiskResult<[Move; 2]> {
        let (y, ins) = take(x)?;
        let paid = after_paying(liqor_l, x)?.checked_sub(liqor_l).or_overflow()?;
        Ok([
            Move { entry: ra, spot: Fx::from_num(y.checked_sub(ins).or_overflow()?), ..Move::default() },
            Move { entry: rl, spot: paid, ..Move::default() },
        ])
    };
    let x = step_capacity(liqor, [ra, rl], x, &liqor_moves)?;
    let (y, ins) = take(x)?;
    Ok(TokenStep { x, y, ins })
}

/// What decides a perp liquidation step besides the two accounts' health inputs.
#[derive(Clone, Copy, Debug)]
pub struct PerpStepParams {
    /// Asset index of the perp market's underlying.
    pub market: u16,
    /// Asset index of the quote asset (perp cash is a balance of it).
    pub quote: u16,
    /// Native base units per lot.
    pub lot_size: u64,
    /// The liquidated account's position, lots (long positive, non-zero).
    pub base_lots: i64,
    /// Liquidation fee with its ramp, bps.
    pub fee_bps: u32,
    /// Share of the fee paid to the insurance fund, bps.
    pub insurance_share_bps: u16,
    /// The most lots the liquidator asks to take over.
    pub max_lots: u64,
    /// Largest value of one step, quote native units (catalogue I-14).
    pub max_step_value: u64,
    /// The account is closed out: the step takes all it can.
    pub close_out: bool,
    /// The step must raise the account's LiquidationEnd health (see [`TokenStepParams`]).
    pub must_raise: bool,
}

/// The amounts of a perp liquidation step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpStep {
    /// Lots taken over.
    pub lots: u64,
    /// Price per lot, quote native units.
    pub price: u64,
    /// The liquidated position is long (the liquidator buys it).
    pub long: bool,
    /// Insurance share of the fee, paid by the liquidator, quote native units.
    pub ins: u64,
}

/// The moves of a perp takeover of `n` lots at `price` per lot for the entries `(perp, quote)`: the
/// liquidated account's base shrinks and its cash moves by the price; with `liqor_fee = Some(ins)`
/// the liquidator's side, the opposite, paying `ins` in quote.
fn perp_moves(
    (i, q): (usize, usize),
    n: u64,
    lot_size: u64,
    price: u64,
    long: bool,
    liqor_fee: Option<u64>,
) -> RiskResult<[Move; 2]> {
    let base = Fx::from_num(n).checked_mul(Fx::from_num(lot_size)).or_overflow()?;
    let cash = Fx::from_num(n).checked_mul(Fx::from_num(price)).or_overflow()?;
    // The liquidated account sells a long (base down, cash up) or buys back a short.
    let neg = |v: Fx| v.checked_neg().or_overflow();
    let (mut base, mut cash) = if long { (neg(base)?, cash) } else { (base, neg(cash)?) };
    let mut fee = Fx::ZERO;
    if let Some(ins) = liqor_fee {
        (base, cash) = (neg(base)?, neg(cash)?);
        fee = Fx::from_num(ins);
    }
    Ok([
        Move { entry: i, perp_base: base, perp_quote: cash, ..Move::default() },
        Move { entry: q, spot: cash.checked_sub(fee).or_overflow()?, ..Move::default() },
    ])
}

/// Bankruptcy resolution needs an account without unsettled options ([`RiskError::OptionsFirst`]):
/// an insolvent account's options are liquidated (or settled) first. (Token and perp steps of an
/// account holding options are sized on its linear health, [`health_with_group_losses`], and the
/// program checks its full health, with the option grid, after the step.)
fn options_first(liqee: &HealthInput) -> RiskResult<()> {
    if liqee.has_options() {
        return Err(RiskError::OptionsFirst);
    }
    Ok(())
}

/// Plans a perp liquidation step the same way as [`plan_token_step`]: the price per lot at the
/// oracle moved by the fee against the account; the cap by the request and the position; the lots
/// reaching LiquidationEnd health 0 or raising it most; reduced to what the liquidator can carry.
/// `liqor` must hold entries for the market and the quote asset.
pub fn plan_perp_step(liqee: &mut HealthInput, liqor: &mut HealthInput, p: &PerpStepParams) -> RiskResult<PerpStep> {
    if p.base_lots == 0 {
        return Err(RiskError::NothingToLiquidate);
    }
    let (i, q) = entries(liqee, p.market, p.quote)?;
    let (ri, rq) = entries(liqor, p.market, p.quote)?;
    let oracle = liqee.assets[i].oracle_price;
    let long = p.base_lots > 0;
    let price = perp_price_per_lot(oracle, p.lot_size, p.fee_bps, long)?;
    let ins = |n: u64| perp_insurance_part(oracle, p.lot_size, price, n, p.insurance_share_bps);
    let bounded = step_bound(p.max_step_value).checked_div(price).unwrap_or(u64::MAX).max(1);
    let cap = p.max_lots.min(p.base_lots.unsigned_abs()).min(bounded);
    if cap == 0 {
        return Err(RiskError::NothingToLiquidate);
    }
    let liqee_moves = |n: u64| perp_moves((i, q), n, p.lot_size, price, long, None);
    let lots = step_target(liqee, [i, q], cap, (p.close_out, p.must_raise), &liqee_moves)?;
    let liqor_moves = |n: u64| perp_moves((ri, rq), n, p.lot_size, price, long, Some(ins(n)?));
    let lots = step_capacity(liqor, [ri, rq], lots, &liqor_moves)?;
    Ok(PerpStep { lots, price, long, ins: ins(lots)? })
}

/// Bankruptcy decided by value with the liquidation's own predicates (S2-19, S2-06). An account is
/// bankrupt when its equity at oracle prices is negative, it holds no perp base, and every deposit
/// is dust that no token liquidation can take: for each of its debts, [`max_repay_for_deposit`] at
/// that pair's liquidation rate (`fee_bps(deposit entry, debt entry)`, what `liquidate_token` would
/// charge now) is zero, i.e. the deposit is worth less than one native unit of the debt with the
/// fee. Returns a bit mask of the entries holding such dust (swept when resolving). A deposit can
/// make a solvent account neither bankrupt (equity stays >= 0) nor unresolvable (dust never blocks).
///
/// `perp_loss_is_debt` (perp bankruptcy): the account's unsettled perp cash counts in its quote
/// balance, so a perp loss is a debt that deposits are tested against (settlement turns it into a
/// quote borrow that a token liquidation can then repay), and a quote deposit nets against it.
pub fn bankrupt_dust(
    input: &HealthInput,
    quote: u16,
    perp_loss_is_debt: bool,
    fee_bps: impl Fn(usize, usize) -> u32,
) -> RiskResult<u16> {
    options_first(input)?;
    let n = input.len.min(MAX_HEALTH_ASSETS);
    // Token balances alone: the quote entry also holds perp cash (at most dust here), which is not
    // a token a liquidation can repay or seize.
    let mut perp_cash = Fx::ZERO;
    if !perp_loss_is_debt {
        for e in &input.exposures[..n] {
            perp_cash = perp_cash.checked_add(e.perp_quote).or_overflow()?;
        }
    }
    let token = |j: usize| -> RiskResult<Fx> {
        let e = &input.exposures[j];
        if input.assets[j].asset_index == quote {
            e.spot.checked_sub(perp_cash).or_overflow()
        } else {
            Ok(e.spot)
        }
    };
    let mut dust = 0u16;
    for j in 0..n {
        if input.exposures[j].perp_base != Fx::ZERO {
            return Err(RiskError::HasLiquidatablePositions);
        }
        let spot = token(j)?;
        if spot <= Fx::ZERO {
            continue;
        }
        // Less than one whole native unit: a liquidation moves whole units and cannot take it.
        let deposit = super::num::to_u64_floor(spot).or_overflow()?;
        for k in 0..n {
            if deposit == 0 || token(k)? >= Fx::ZERO {
                continue;
            }
            // A rate beyond Price's range means one unit of the debt seizes more than any deposit.
            let rate = match token_rate(input.assets[k].oracle_price, input.assets[j].oracle_price, fee_bps(j, k)) {
                Err(RiskError::MathOverflow) => continue,
                r => r?,
            };
            // Equivalent to max_repay_for_deposit(deposit, rate) > 0, in one evaluation.
            if seizure_fits(1, rate, deposit)? {
                return Err(RiskError::HasLiquidatablePositions);
            }
        }
        dust |= 1 << j;
    }
    let c = health_with_group_losses(input, HealthType::Maint, None)?;
    if c.equity >= Fx::ZERO {
        return Err(RiskError::NotInsolvent);
    }
    Ok(dust)
}

/// Seconds after its last step at which a liquidation episode lapses (6 hours). A lapsed episode no
/// longer holds the account to the LiquidationEnd target: it must fall below Maint again, and a new
/// episode restarts the fee ramp (S2-01). A step reaching the target, and a withdrawal or trade that
/// leaves Init health >= 0, end the episode at once. Deposits and repays, which read no price, do
/// not (else one lamport would reset the fee ramp at will).
pub const LIQUIDATION_EPISODE_SECS: i64 = 6 * 3_600;

/// A liquidation episode is running: the account is flagged and its last step is recent.
pub fn episode_active(flagged: bool, last_step_ts: i64, now: i64) -> bool {
    flagged && now.saturating_sub(last_step_ts) <= LIQUIDATION_EPISODE_SECS
}

/// The one liquidatability predicate (program, keeper, SDK): Maint health below zero, or a running
/// episode whose LiquidationEnd target is not reached yet.
pub fn liquidatable(maint: Fx, end: Fx, episode_active: bool) -> bool {
    liquidatable_with(maint, episode_active, || Ok(end)).unwrap_or(true)
}

/// [`liquidatable`] with LiquidationEnd health computed by `end` only when the answer depends on it
/// (a running episode with Maint health not below zero): what a sweep calls, so most accounts cost
/// one health evaluation.
pub fn liquidatable_with(maint: Fx, episode_active: bool, end: impl FnOnce() -> RiskResult<Fx>) -> RiskResult<bool> {
    Ok(maint < Fx::ZERO || (episode_active && end()? < Fx::ZERO))
}

/// Seconds the fee ramps over: how long the running episode has lasted, while the account is below
/// Maint (`maint_negative`); 0 otherwise. An account above Maint kept in its episode by small steps
/// is liquidated at the base fee only (S2-01).
pub fn liquidation_elapsed(episode_active: bool, maint_negative: bool, start_ts: i64, now: i64) -> i64 {
    if episode_active && maint_negative && start_ts > 0 {
        now.saturating_sub(start_ts).max(0)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fee_ramps_with_time_up_to_the_cap() {
        let s = FeeSchedule { ramp_bps_per_hour: 100, ramp_cap_bps: 250, insurance_share_bps: 2_000 };
        assert_eq!(s.fee_bps(500, 0), 500);
        assert_eq!(s.fee_bps(500, 1_800), 550);
        assert_eq!(s.fee_bps(500, 86_400), 750);
        assert_eq!(s.fee_bps(500, -5), 500);
    }

    #[test]
    fn seizure_rounds_down_and_pays_the_fund_its_share() {
        // Liability at 1, asset at 4, fee 25%: 1.25 / 4 = 0.3125 asset units per liability unit.
        let rate = token_rate(Price::from_num(1), Price::from_num(4), 2_500).unwrap();
        assert_eq!(seized(1_001, rate).unwrap(), 312, "312.8 rounds down");
        let no_fee = token_rate(Price::from_num(1), Price::from_num(4), 0).unwrap();
        assert_eq!(seized(10_000, rate).unwrap(), 3_125);
        // The fee part is 625 units; the fund's 20% share is 125.
        assert_eq!(insurance_part(3_125, seized(10_000, no_fee).unwrap(), 2_000), 125);
        assert_eq!(perp_price_per_lot(Price::from_num(100), 10, 2_500, true).unwrap(), 750);
        assert_eq!(perp_price_per_lot(Price::from_num(100), 10, 2_500, false).unwrap(), 1_250);
        // 20% of a 250-per-lot fee on 3 lots.
        assert_eq!(perp_insurance_part(Price::from_num(100), 10, 750, 3, 2_000).unwrap(), 150);
        // An inexact fee fraction rounds against the liquidated account.
        assert_eq!(perp_price_per_lot(Price::from_num(100), 10, 100, true).unwrap(), 989);
    }

    /// A step evaluation with a one-group net that crosses zero at `k` (a hedge being unwound).
    fn at(h: f64, net: f64, nets: Option<&mut GroupLosses>) -> Fx {
        if let Some(nets) = nets {
            *nets = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
            // One group whose net value crosses zero at `k` with equal down and up shocks of 10%.
            nets[6] = Fx::from_num(net / 10.0);
            nets[7] = Fx::from_num(-net / 10.0);
        }
        Fx::from_num(h.floor())
    }

    proptest! {
        /// The search returns the smallest amount reaching zero for any increasing piecewise-linear
        /// health, or the maximum when zero is out of reach.
        #[test]
        fn search_finds_the_smallest_amount_reaching_zero(max in 1u64..1_000_000_000_000,
                h0 in -1e9f64..-1.0, s1 in 0.001f64..100.0, s2 in 0.001f64..100.0, kink in 0.0f64..1.0) {
            let k = (max as f64 * kink) as u64;
            let f = |x: u64| {
                let x = x as f64;
                let v = if x <= k as f64 { h0 + s1 * x } else { h0 + s1 * k as f64 + s2 * (x - k as f64) };
                Fx::from_num(v.floor())
            };
            let got = amount_to_target(max, |x, nets| {
                if let Some(n) = nets {
                    *n = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
                }
                Ok(f(x))
            }).unwrap();
            let at = f(got);
            if f(max) < Fx::ZERO {
                prop_assert_eq!(got, max);
            } else if at >= Fx::ZERO {
                prop_assert!(got == 0 || f(got - 1) < Fx::ZERO, "not the smallest: {}", got);
            } else {
                prop_assert!(got < max, "search ended below zero: must not overshoot");
            }
        }

        /// S2-20: health that rises until a group's net crosses zero at `k` and falls after it (a
        /// hedge unwound past flat). The search returns the first amount reaching zero when the peak
        /// reaches it, else the peak; never an amount whose health is below the start.
        #[test]
        fn s2_20_search_handles_health_that_falls_past_a_hedge(max in 2u64..1_000_000_000_000,
                h0 in -1e9f64..-1.0, up in 0.001f64..100.0, down in 0.001f64..100.0, kink in 0.01f64..0.99) {
            let k = ((max as f64 * kink) as u64).max(1);
            let f = |x: u64, nets: Option<&mut GroupLosses>| {
                let x = x as f64;
                let kf = k as f64;
                let h = if x <= kf { h0 + up * x } else { h0 + up * kf - down * (x - kf) };
                at(h, kf - x, nets)
            };
            let mut evals = 0;
            let got = amount_to_target(max, |x, n| { evals += 1; Ok(f(x, n)) }).unwrap();
            prop_assert!(evals <= 2 + 3 + MAX_SEARCH_STEPS, "{} evaluations", evals);
            let g = |x: u64| f(x, None);
            let peak = g(k);
            prop_assert!(got <= k + 1, "past the peak: {} > {}", got, k);
            if peak >= Fx::ZERO {
                let hg = g(got);
                // Never beyond the first amount reaching zero.
                prop_assert!(hg < Fx::ZERO || got == 0 || g(got - 1) < Fx::ZERO);
                prop_assert!(got > 0);
            } else {
                // The peak: the most health any amount gives (health is floored: neighbours may tie).
                prop_assert!(g(got) >= peak, "{} at {} below the peak {} at {}", g(got), got, peak, k);
            }
            prop_assert!(g(got) > g(0));
        }

        /// S2-21: the liquidator's capacity is the largest amount keeping its health >= 0.
        #[test]
        fn s2_21_capacity_is_the_largest_amount_the_liquidator_carries(cap in 1u64..1_000_000_000_000,
                h0 in 0.0f64..1e9, s in 0.001f64..100.0) {
            let f = |x: u64| Fx::from_num((h0 - s * x as f64).floor());
            let got = liquidator_capacity(cap, |x| Ok(f(x))).unwrap();
            prop_assert!(f(got) >= Fx::ZERO || got == 0);
            if got < cap {
                // Within a few units of the boundary (the search stops on the safe side).
                let boundary = (h0 / s) as u64;
                prop_assert!(boundary.saturating_sub(got) <= (cap / 1_000_000).max(2), "{} vs {}", got, boundary);
            }
        }

        /// S2-03: the largest repay whose seizure fits the deposit, exact at any price ratio
        /// (0-decimal tokens worth 100k USD, tokens worth 1e-8 USD, 9-decimal tokens), in at most 64
        /// bisection steps.
        #[test]
        fn s2_03_max_repay_is_exact_for_extreme_price_ratios(
                liab in (1u64..u64::MAX / 2, -12i32..=2, 0u8..=9),
                asset in (1u64..u64::MAX / 2, -12i32..=2, 0u8..=9),
                fee in 0u32..5_000, deposit in 0u64..u64::MAX) {
            let px = |(m, e, d): (u64, i32, u8)| super::super::num::price_from_mantissa(m % 100_000_000_000_000, e - 8, 6, d);
            let (Some(pl), Some(pa)) = (px(liab), px(asset)) else { return Ok(()) };
            let Ok(rate) = token_rate(pl, pa, fee) else { return Ok(()) };
            prop_assume!(rate > Price::ZERO);
            let x = max_repay_for_deposit(deposit, rate).unwrap();
            prop_assert!(seized(x, rate).unwrap() <= deposit);
            if x < u64::MAX {
                match seized(x + 1, rate) {
                    Ok(y) => prop_assert!(y > deposit, "x + 1 also fits: {} {}", x, y),
                    Err(e) => prop_assert!(false, "unexpected {:?}", e),
                }
            }
        }
    }

    /// S2-19 / S2-06: bankruptcy by value. A solvent account whose only deposit is dust is not
    /// bankrupt; an insolvent one is, with the dust reported; a deposit a liquidation can take blocks.
    #[test]
    fn s2_19_bankruptcy_is_decided_by_value() {
        use super::super::health::{AssetRisk, Exposure};
        use super::super::params::{RiskFractions, RiskParams};
        let p = RiskParams {
            init_down_bps: 2_000,
            init_up_bps: 2_500,
            maint_down_bps: 1_000,
            maint_up_bps: 1_250,
            risk_group: 0,
            basis_bps: 0,
            liquidity_bps: 0,
            concentration_bps: 0,
            concentration_threshold: u64::MAX,
            liquidation_fee_bps: 500,
            reserved: [0; 6],
        };
        let input = |debt: f64, dep: f64| {
            let mut h = HealthInput::default();
            let a = |i: u16, price: f64| AssetRisk {
                asset_index: i,
                risk_group: i,
                oracle_price: Price::from_num(price),
                stable_price: Price::from_num(price),
                fr: RiskFractions::from_params(&p),
                init_pnl_cap: Fx::ZERO,
            };
            h.push(a(0, 1.0), Exposure { spot: Fx::from_num(-debt), ..Exposure::default() }).unwrap();
            // 1 native unit of the deposit asset is worth 0.001 of the debt's unit.
            h.push(a(1, 0.001), Exposure { spot: Fx::from_num(dep), ..Exposure::default() }).unwrap();
            h
        };
        let fee = |_: usize, _: usize| 1_000u32;
        // 1,050 units of dust (1.05 debt units; a liquidation needs 1,100 for one unit at 10%).
        assert_eq!(bankrupt_dust(&input(1.0, 1_050.0), 0, false, fee), Err(RiskError::NotInsolvent));
        assert_eq!(bankrupt_dust(&input(2.0, 1_050.0), 0, false, fee), Ok(0b10));
        assert_eq!(bankrupt_dust(&input(2.0, 1_100.0), 0, false, fee), Err(RiskError::HasLiquidatablePositions));
        assert_eq!(bankrupt_dust(&input(5.0, 0.0), 0, false, fee), Ok(0));
        // A debt unit so expensive against the deposit's unit that the liquidation rate leaves
        // Price's range (a 0-decimal $100k token against a 9-decimal $0.10 one): the deposit is
        // dust, never a revert that would block the resolution.
        let mut h = input(1.0, 2.0);
        h.assets[0].oracle_price = Price::from_num(100_000_000_000u64);
        h.assets[1].oracle_price = Price::from_num(0.0001);
        assert_eq!(bankrupt_dust(&h, 0, false, fee), Ok(0b10));
    }

    proptest! {
        /// S2-19 (acceptance property): over random portfolios (decimals 0 to 9, deposit and borrow
        /// indexes 1 to 3, prices 1e-8 to 1e5 USD, balances from dust to millions), bankruptcy is
        /// granted only to accounts with negative equity at oracle prices and nothing a token
        /// liquidation can take (checked against the liquidation's own cap, max_repay_for_deposit,
        /// a different code path), and writing off every debt costs the shortfall plus the swept
        /// dust, which is worth less than one native unit of a debt (with the fee) per deposit.
        #[test]
        fn s2_19_bankruptcy_is_granted_only_by_value(
                legs in prop::collection::vec(
                    (0u8..=9, -8.0f64..5.0, prop_oneof![0.0f64..3.0, 0.0f64..1e13], any::<bool>(), 1.0f64..3.0),
                    1..8),
                fee in 0u32..2_000) {
            use super::super::bank::BankState;
            use super::super::health::{health_components, AssetRisk, Exposure};
            use super::super::params::{RiskFractions, RiskParams};
            let p = RiskParams {
                init_down_bps: 2_000, init_up_bps: 2_500, maint_down_bps: 1_000, maint_up_bps: 1_250,
                risk_group: 0, basis_bps: 0, liquidity_bps: 0, concentration_bps: 0,
                concentration_threshold: u64::MAX, liquidation_fee_bps: 0,
                reserved: [0; 6],
            };
            let mut input = HealthInput::default();
            for (i, (dec, log_usd, shares, debt, index)) in legs.iter().enumerate() {
                // Quote native per base native: USD price x 10^6 / 10^decimals.
                let price = 10f64.powf(*log_usd) * 1e6 / 10f64.powi(*dec as i32);
                let Some(price) = Price::checked_from_num(price).filter(|p| *p > Price::ZERO) else { return Ok(()) };
                let mut bank = BankState::default();
                let idx = Fx::from_num(*index);
                if *debt { bank.borrow_index = idx } else { bank.deposit_index = idx }
                let sh = Fx::from_num(*shares);
                let spot = bank.native(if *debt { -sh } else { sh }).unwrap();
                let a = AssetRisk {
                    asset_index: i as u16,
                    risk_group: i as u16,
                    oracle_price: price,
                    stable_price: price,
                    fr: RiskFractions::from_params(&p),
                    init_pnl_cap: Fx::ZERO,
                };
                input.push(a, Exposure { spot, ..Exposure::default() }).unwrap();
            }
            let n = input.len;
            let Ok(c) = health_components(&input, HealthType::Maint) else { return Ok(()) };
            let r = bankrupt_dust(&input, u16::MAX, false, |_, _| fee);
            // The liquidation's view: some deposit can pay for a step against some debt.
            let mut seizable = false;
            for j in 0..n {
                let dep = super::super::num::to_u64_floor(input.exposures[j].spot.max(Fx::ZERO)).unwrap_or(0);
                for k in 0..n {
                    if input.exposures[k].spot >= Fx::ZERO || dep == 0 {
                        continue;
                    }
                    let Ok(rate) = token_rate(input.assets[k].oracle_price, input.assets[j].oracle_price, fee) else { continue };
                    if rate > Price::ZERO && max_repay_for_deposit(dep, rate).unwrap() > 0 {
                        seizable = true;
                    }
                }
            }
            match r {
                Ok(mask) => {
                    prop_assert!(c.equity < Fx::ZERO, "a solvent account is never bankrupt: {}", c.equity);
                    prop_assert!(!seizable, "bankrupt while a liquidation could still take something");
                    // Writing every debt off costs the shortfall plus the swept dust.
                    let mut debts = Fx::ZERO;
                    let mut dust = Fx::ZERO;
                    let mut bound = Fx::ZERO;
                    for j in 0..n {
                        let e = input.exposures[j].spot;
                        let v = super::super::num::value(e, input.assets[j].oracle_price, Round::Down).unwrap();
                        if e < Fx::ZERO { debts -= v } else if mask & (1 << j) != 0 { dust += v }
                    }
                    for j in 0..n {
                        if mask & (1 << j) == 0 { continue }
                        // Less than one unit of some debt with the fee, and less than a unit of its own.
                        let mut unit = Fx::MAX;
                        for k in 0..n {
                            if input.exposures[k].spot < Fx::ZERO {
                                let one = super::super::num::value(Fx::ONE, input.assets[k].oracle_price, Round::Up).unwrap();
                                unit = unit.min(mul(one, Fx::ONE + bps_frac(fee, Round::Up), Round::Up).unwrap());
                            }
                        }
                        let own = super::super::num::value(Fx::ONE, input.assets[j].oracle_price, Round::Up).unwrap();
                        bound += unit.max(own);
                    }
                    let shortfall = -c.equity;
                    prop_assert!((debts - (shortfall + dust)).abs() <= Fx::from_num(1e-6) * (debts + Fx::ONE));
                    prop_assert!(dust <= bound + Fx::from_num(1e-9), "dust {} above {}", dust, bound);
                }
                Err(RiskError::NotInsolvent) => prop_assert!(c.equity >= Fx::ZERO && !seizable),
                Err(RiskError::HasLiquidatablePositions) => prop_assert!(seizable),
                Err(e) => prop_assert!(false, "unexpected {:?}", e),
            }
        }
    }

    /// S2-03: the pairs of the audit (BONK debt against 1 BTC took 1,887,191 loop steps).
    #[test]
    fn s2_03_max_repay_for_deposit_takes_at_most_64_steps() {
        use super::super::num::price_from_mantissa;
        let px = |m: u64, e: i32, d: u8| price_from_mantissa(m, e, 6, d).unwrap();
        let bonk = px(2_000, -8, 5);
        let btc = px(10_000_000_000_000, -8, 8);
        let usdc = px(100_000_000, -8, 6);
        for (pl, pa, deposit) in
            [(bonk, btc, 100_000_000u64), (bonk, usdc, 1_000_000_000_000), (usdc, btc, 10_000_000_000)]
        {
            let rate = token_rate(pl, pa, 1_000).unwrap();
            let x = max_repay_for_deposit(deposit, rate).unwrap();
            assert!(seized(x, rate).unwrap() <= deposit && seized(x + 1, rate).unwrap() > deposit);
        }
    }

    /// S2-13: an oracle equal to its stable price never deviates, at any price (a 0-decimal token
    /// at $100,000 overflowed the old I48F80 comparison); a real deviation is still caught.
    #[test]
    fn s2_13_deviates_is_exact_for_expensive_native_units() {
        use super::super::num::price_from_mantissa;
        let p = price_from_mantissa(10_000_000_000_000, -8, 6, 0).unwrap(); // $100,000, 0 decimals
        assert!(!deviates(p, p, 2_000));
        let q = price_from_mantissa(12_100_000_000_000, -8, 6, 0).unwrap(); // +21%
        let r = price_from_mantissa(11_900_000_000_000, -8, 6, 0).unwrap(); // +19%
        assert!(deviates(q, p, 2_000) && !deviates(r, p, 2_000));
        let big = Price::from_bits(i128::MAX);
        assert!(!deviates(big, big, 10_000));
        assert!(deviates(big, Price::from_bits(1), 10_000));
    }
}
