//! Liquidation amounts on plain numbers: the fee schedule, what a liquidator receives, and the
//! largest step that does not take the account beyond LiquidationEnd health 0.
//!
//! Token liquidation: the liquidator repays `x` native units of the account's liability L and
//! receives `y = floor(x × rate)` native units of its asset A, where
//! `rate = price_L × (1 + fee) / price_A` (oracle prices). Perp liquidation: the liquidator takes
//! over `n` lots of the account's perp position at the oracle price moved by the fee against the
//! account. In both, the amount is the smallest that brings LiquidationEnd health to >= 0 (or the
//! most the positions allow), never more.

use super::health::{health, HealthInput, HealthType};
use super::num::{bps_frac, mul, value, Fx, Price, Round, BPS};
use super::{OrOverflow, RiskError, RiskResult};

/// Most health evaluations one amount search makes (regula falsi, bisection every third step).
pub const MAX_SEARCH_STEPS: usize = 24;

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
        base_bps.saturating_add(ramp.min(self.ramp_cap_bps as u64) as u32)
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
    let fee = y.saturating_sub(y_no_fee) as u128;
    (fee * share_bps as u128 / BPS as u128) as u64
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

/// Largest liability amount whose seizure at `rate` stays within `deposit` asset units.
pub fn max_repay_for_deposit(deposit: u64, rate: Price) -> RiskResult<u64> {
    if rate <= Price::ZERO {
        return Err(RiskError::InvalidParam("rate must be positive"));
    }
    let q = Fx::from_num(deposit).checked_div(Fx::from_num(rate)).or_overflow()?;
    let mut x = super::num::to_u64_floor(q).or_overflow()?;
    while x > 0 && seized(x, rate)? > deposit {
        x -= 1;
    }
    Ok(x)
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
pub fn deviates(oracle: Price, stable: Price, max_bps: u16) -> bool {
    if stable <= Price::ZERO {
        return false;
    }
    let diff = (oracle - stable).abs();
    let limit = stable.checked_mul_int(max_bps as i128);
    match (diff.checked_mul_int(BPS as i128), limit) {
        (Some(d), Some(l)) => d > l,
        _ => true,
    }
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
    let fee = (Fx::from_num(price_per_lot) - mid).abs().checked_mul_int(lots as i128).or_overflow()?;
    let part = fee.checked_mul_int(share_bps as i128).or_overflow()? / Fx::from_num(BPS);
    super::num::to_u64_floor(part).or_overflow()
}

/// The smallest amount in `[0, max]` whose health `h(amount)` is >= 0, for a non-decreasing `h`
/// with `h(0) = h0 < 0`. Returns `max` when even `max` does not reach zero. If the search runs out of
/// steps it returns the largest amount known to stay below zero: never beyond the target.
pub fn amount_to_target(max: u64, h0: Fx, mut h: impl FnMut(u64) -> RiskResult<Fx>) -> RiskResult<u64> {
    if max == 0 || h0 >= Fx::ZERO {
        return Ok(0);
    }
    let h_max = h(max)?;
    if h_max <= Fx::ZERO {
        return Ok(max);
    }
    let (mut lo, mut h_lo, mut hi, mut h_hi) = (0u64, h0, max, h_max);
    for step in 0..MAX_SEARCH_STEPS {
        if hi - lo <= 1 {
            return Ok(hi);
        }
        let x = if step % 3 == 2 {
            lo + (hi - lo) / 2
        } else {
            // Linear interpolation to the zero crossing, rounded up.
            let span = Fx::from_num(hi - lo);
            let frac = (-h_lo).checked_div(h_hi.checked_sub(h_lo).or_overflow()?).or_overflow()?;
            let dx = mul(span, frac, Round::Up).or_overflow()?.checked_ceil().or_overflow()?;
            (lo + dx.to_num::<u64>()).clamp(lo + 1, hi - 1)
        };
        let hx = h(x)?;
        if hx >= Fx::ZERO {
            hi = x;
            h_hi = hx;
        } else {
            lo = x;
            h_lo = hx;
        }
    }
    Ok(if hi - lo <= 1 { hi } else { lo })
}

/// LiquidationEnd health of `input` with asset `a`'s spot moved by `-y` and liability `l`'s spot
/// moved by `+x` (restored before returning).
pub fn health_after_token_step(input: &mut HealthInput, a: usize, l: usize, x: u64, y: u64) -> RiskResult<Fx> {
    let (sa, sl) = (input.exposures[a].spot, input.exposures[l].spot);
    input.exposures[a].spot = sa.checked_sub(Fx::from_num(y)).or_overflow()?;
    input.exposures[l].spot = sl.checked_add(Fx::from_num(x)).or_overflow()?;
    let h = health(input, HealthType::LiquidationEnd);
    input.exposures[a].spot = sa;
    input.exposures[l].spot = sl;
    h
}

/// LiquidationEnd health of `input` with perp `i` reduced by `n` lots of `lot_size` at
/// `price_per_lot` (restored before returning). `liqee_long`: the position is long. `q` is the
/// quote asset's entry: perp cash counts as a balance of it.
pub fn health_after_perp_step(
    input: &mut HealthInput,
    i: usize,
    q: usize,
    n: u64,
    lot_size: u64,
    price_per_lot: u64,
    liqee_long: bool,
) -> RiskResult<Fx> {
    let (e, spot_q) = (input.exposures[i], input.exposures[q].spot);
    let base = Fx::from_num(n).checked_mul(Fx::from_num(lot_size)).or_overflow()?;
    let cash = Fx::from_num(n).checked_mul(Fx::from_num(price_per_lot)).or_overflow()?;
    let (base, cash) = if liqee_long { (-base, cash) } else { (base, -cash) };
    let ex = &mut input.exposures[i];
    ex.perp_base = e.perp_base.checked_add(base).or_overflow()?;
    ex.perp_quote = e.perp_quote.checked_add(cash).or_overflow()?;
    input.exposures[q].spot = spot_q.checked_add(cash).or_overflow()?;
    let h = health(input, HealthType::LiquidationEnd);
    input.exposures[i] = e;
    input.exposures[q].spot = spot_q;
    h
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
                Ok(Fx::from_num(v.floor()))
            };
            let got = amount_to_target(max, Fx::from_num(h0.floor()), f).unwrap();
            let at = f(got).unwrap();
            if f(max).unwrap() <= Fx::ZERO {
                prop_assert_eq!(got, max);
            } else if at >= Fx::ZERO {
                prop_assert!(got == 0 || f(got - 1).unwrap() < Fx::ZERO, "not the smallest: {}", got);
            } else {
                prop_assert!(got < max, "search ended below zero: must not overshoot");
            }
        }
    }
}
