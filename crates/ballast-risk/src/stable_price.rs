//! A growth-limited stable price: it follows the oracle, but moves by at most
//! `max_growth_bps_per_hour` per hour of elapsed time. Init health values long exposure at
//! min(oracle, stable) and short exposure at max(oracle, stable), so a sudden oracle spike cannot
//! back new borrows beyond the growth bound (catalogue OR-09).

use super::num::{Fx, Price, Round, BPS, FX_FRAC};
use super::{OrOverflow, RiskResult};

/// Longest interval one update accounts for, seconds. Longer gaps move the price by at most this.
pub const MAX_STABLE_DT_SECS: i64 = 86_400;

/// Bounds of `max_growth_bps_per_hour`: at least 1 bps, at most 100x per hour.
pub const STABLE_GROWTH_BOUNDS: (u32, u32) = (1, 1_000_000);

/// The stable price after observing `oracle` at `now`, given the previous `stable` set at `last_ts`.
/// A zero `stable` (never set) takes the oracle price.
pub fn next_stable_price(
    stable: Price,
    last_ts: i64,
    oracle: Price,
    now: i64,
    max_growth_bps_per_hour: u32,
) -> RiskResult<Price> {
    if stable == Price::ZERO {
        return Ok(oracle);
    }
    let dt = now.saturating_sub(last_ts).clamp(0, MAX_STABLE_DT_SECS);
    // fraction = growth_bps * dt / (10_000 * 3_600), computed once per update.
    let num = (max_growth_bps_per_hour as i128)
        .checked_mul(dt as i128)
        .and_then(|x| x.checked_mul(1i128 << FX_FRAC))
        .or_overflow()?;
    const BPS_HOURS: i128 = BPS as i128 * 3_600;
    let frac = Fx::from_bits(num.checked_div(BPS_HOURS).or_overflow()?);
    let down_frac = Fx::ONE.checked_sub(frac.min(Fx::ONE)).or_overflow()?;
    let up_frac = Fx::ONE.checked_add(frac).or_overflow()?;
    let lo = scale(stable, down_frac, Round::Up)?;
    let hi = scale(stable, up_frac, Round::Down)?;
    Ok(oracle.clamp(lo, hi.max(lo)))
}

fn scale(p: Price, f: Fx, r: Round) -> RiskResult<Price> {
    super::num::scale_price(p, f, r).or_overflow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_observation_sets_the_price() {
        let p = Price::from_num(10);
        assert_eq!(next_stable_price(Price::ZERO, 0, p, 100, 100).unwrap(), p);
    }

    #[test]
    fn growth_is_bounded() {
        let s = Price::from_num(100);
        // 10x spike after one hour with 500 bps/hour: stable moves at most 5%.
        let n = next_stable_price(s, 0, Price::from_num(1000), 3_600, 500).unwrap();
        assert!((n.to_num::<f64>() - 105.0).abs() < 1e-9);
        // Crash: bounded below as well.
        let n = next_stable_price(s, 0, Price::from_num(1), 3_600, 500).unwrap();
        assert!((n.to_num::<f64>() - 95.0).abs() < 1e-9);
        // Within the band: follows the oracle.
        let n = next_stable_price(s, 0, Price::from_num(101), 3_600, 500).unwrap();
        assert_eq!(n, Price::from_num(101));
        // Clock going backwards does not move it.
        let n = next_stable_price(s, 10, Price::from_num(1000), 0, 500).unwrap();
        assert_eq!(n, s);
    }
}
