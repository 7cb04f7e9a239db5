//! The volatility surface of an asset: per listed expiry, a smile in log-moneyness.
//!
//! `σ(K) = clamp(atm + skew × m + curvature × m², min_vol, MAX_VOL)` with `m = ln(K / F)` at the
//! current forward (sticky moneyness for the current price; the grid then shocks `σ` as a whole).
//! The risk role updates it within bounds and a per-update change limit ([`VolSmile::check_update`]);
//! an update that lowers any volatility input lowers margin and is the governance issue's to timelock
//! ([`VolSmile::lowers_margin`]).

use super::{fixed, Black76, MAX_VOL};
use crate::num::{bps_frac, mul, Fx, Price, Round, BPS};
use crate::{OrOverflow, RiskError, RiskResult};

/// One expiry's smile, basis points (10,000 = 100% volatility, or 1.00 per unit of `m`). 24 bytes,
/// `Pod`: stored per listed expiry in the Asset.
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct VolSmile {
    /// Expiry, unix seconds (0: the slot is free).
    pub expiry: i64,
    /// At-the-money volatility, bps (in [`min_vol_bps`](Self::min_vol_bps), 100,000]).
    pub atm_vol_bps: u32,
    /// Volatility floor, bps (at least 100: 1%).
    pub min_vol_bps: u32,
    /// Slope in `m`, bps of volatility per 1.00 of log-moneyness (|skew| <= 50,000).
    pub skew_bps: i32,
    /// Curvature in `m²`, bps per 1.00² (0 to 100,000).
    pub curvature_bps: i32,
}

const _: () = assert!(core::mem::size_of::<VolSmile>() == 24);

/// `ln(K / F)` taken for a strike below 2^-48 of the forward (ln 2^-48 is -33.3).
const FAR_LEFT: i64 = -34 * fixed::ONE;

/// Largest |skew|, bps.
pub const MAX_SKEW_BPS: i32 = 50_000;
/// Largest curvature, bps.
pub const MAX_CURVATURE_BPS: i32 = 100_000;
/// Smallest volatility floor, bps (1%).
pub const MIN_VOL_FLOOR_BPS: u32 = 100;

fn signed_frac(bps: i32, round: Round) -> Fx {
    let f = bps_frac(bps.unsigned_abs(), round);
    if bps < 0 {
        f.saturating_neg() // below 2^32 bps: exact
    } else {
        f
    }
}

impl VolSmile {
    /// Checks the bounds of every field.
    pub fn validate(&self) -> RiskResult<()> {
        let max_vol_bps = u32::try_from(MAX_VOL).ok().and_then(|v| v.checked_mul(BPS)).or_overflow()?;
        if self.min_vol_bps < MIN_VOL_FLOOR_BPS || self.atm_vol_bps < self.min_vol_bps || self.atm_vol_bps > max_vol_bps
        {
            return Err(RiskError::InvalidParam("vol smile: need 100 <= min_vol <= atm_vol <= 100000 bps"));
        }
        if self.skew_bps.unsigned_abs() > MAX_SKEW_BPS.unsigned_abs()
            || !(0..=MAX_CURVATURE_BPS).contains(&self.curvature_bps)
        {
            return Err(RiskError::InvalidParam("vol smile: need |skew| <= 50000, 0 <= curvature <= 100000 bps"));
        }
        Ok(())
    }

    /// The volatility of strike `strike` at forward `forward`, a fraction.
    pub fn vol(&self, forward: Price, strike: Price) -> RiskResult<Fx> {
        let m = Black76 { forward, strike, vol: Fx::ZERO, seconds: 0 }.log_moneyness_unbounded()?;
        // A strike below 2^-48 of the forward: the smile at the far left of any listed band.
        let m = Fx::from_bits(i128::from(m.unwrap_or(FAR_LEFT)));
        let atm = bps_frac(self.atm_vol_bps, Round::Down);
        let skew = mul(signed_frac(self.skew_bps, Round::Down), m, Round::Down).or_overflow()?;
        let m2 = mul(m, m, Round::Down).or_overflow()?;
        let curve = mul(signed_frac(self.curvature_bps, Round::Down), m2, Round::Down).or_overflow()?;
        let v = atm.checked_add(skew).and_then(|v| v.checked_add(curve)).or_overflow()?;
        Ok(v.clamp(bps_frac(self.min_vol_bps, Round::Down), Fx::from(MAX_VOL)))
    }

    /// Checks an update from `self` to `new`: `new` valid, same expiry, and each of ATM
    /// volatility, floor, skew and curvature moved by at most `max_change_bps` of the old ATM
    /// volatility (a manipulated or fat-fingered update cannot move the surface far in one step).
    pub fn check_update(&self, new: &VolSmile, max_change_bps: u32) -> RiskResult<()> {
        new.validate()?;
        if new.expiry != self.expiry {
            return Err(RiskError::InvalidParam("vol smile: the expiry of a listed smile cannot change"));
        }
        let limit = u64::from(self.atm_vol_bps)
            .checked_mul(u64::from(max_change_bps))
            .and_then(|x| x.checked_div(u64::from(BPS)))
            .or_overflow()?;
        let moved = |a: i64, b: i64| a.abs_diff(b) > limit;
        if moved(self.atm_vol_bps.into(), new.atm_vol_bps.into())
            || moved(self.min_vol_bps.into(), new.min_vol_bps.into())
            || moved(self.skew_bps.into(), new.skew_bps.into())
            || moved(self.curvature_bps.into(), new.curvature_bps.into())
        {
            return Err(RiskError::InvalidParam("vol smile: change above the per-update limit"));
        }
        Ok(())
    }

    /// Whether `new` can lower the volatility of some strike (a lower ATM, floor or curvature, or
    /// any change of skew, which lowers one side of the smile), which lowers the margin of short
    /// options there: such an update is the one to timelock.
    pub fn lowers_margin(&self, new: &VolSmile) -> bool {
        new.atm_vol_bps < self.atm_vol_bps
            || new.min_vol_bps < self.min_vol_bps
            || new.curvature_bps < self.curvature_bps
            || new.skew_bps != self.skew_bps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smile() -> VolSmile {
        VolSmile { expiry: 1, atm_vol_bps: 6_000, min_vol_bps: 1_000, skew_bps: -2_000, curvature_bps: 4_000 }
    }

    #[test]
    fn the_smile_follows_its_formula_and_floors() {
        let s = smile();
        s.validate().unwrap();
        let f = Price::from_num(150);
        for k in [60.0, 120.0, 150.0, 180.0, 400.0] {
            let m = (k / 150.0f64).ln();
            let want = (0.6 - 0.2 * m + 0.4 * m * m).max(0.1);
            let got = s.vol(f, Price::from_num(k)).unwrap().to_num::<f64>();
            assert!((got - want).abs() < 1e-12, "{k}: {got} vs {want}");
        }
        let steep = VolSmile { skew_bps: 50_000, curvature_bps: 0, ..s };
        assert_eq!(steep.vol(f, Price::from_num(75)).unwrap(), bps_frac(1_000, Round::Down), "floored");
    }

    #[test]
    fn bounds_and_update_limits_are_specific_errors() {
        let s = smile();
        let bad = [
            VolSmile { min_vol_bps: 50, ..s },
            VolSmile { atm_vol_bps: 900, ..s },
            VolSmile { atm_vol_bps: 100_001, ..s },
            VolSmile { skew_bps: -50_001, ..s },
            VolSmile { curvature_bps: -1, ..s },
        ];
        for b in bad {
            assert!(matches!(b.validate(), Err(RiskError::InvalidParam(_))), "{b:?}");
        }
        // 10% of the old ATM (600 bps) per update.
        assert!(s.check_update(&VolSmile { atm_vol_bps: 6_600, ..s }, 1_000).is_ok());
        assert!(s.check_update(&VolSmile { atm_vol_bps: 6_601, ..s }, 1_000).is_err());
        assert!(s.check_update(&VolSmile { skew_bps: -2_700, ..s }, 1_000).is_err());
        assert!(s.check_update(&VolSmile { expiry: 2, ..s }, 1_000).is_err());
        assert!(s.lowers_margin(&VolSmile { atm_vol_bps: 5_900, ..s }));
        assert!(!s.lowers_margin(&VolSmile { atm_vol_bps: 6_100, ..s }));
        // A flatter skew lowers the volatility of low strikes.
        assert!(s.lowers_margin(&VolSmile { skew_bps: -1_400, ..s }));
        // Beyond 64 times the forward the smile still answers (floored here).
        assert!(s.vol(Price::from_num(1), Price::from_num(100)).is_ok());
    }
}
