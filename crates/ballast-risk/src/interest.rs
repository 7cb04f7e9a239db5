//! Interest: a kinked utilization curve and index accrual.
//!
//! Utilization u = total borrows / total deposits (accounted amounts, never the vault balance;
//! capped at 1). The annual borrow rate is piecewise linear: 0 -> rate0 on [0, util0],
//! rate0 -> rate1 on [util0, util1], rate1 -> max_rate on [util1, 1]. Each accrual covers at
//! most MAX_ACCRUAL_SECS of elapsed time (a longer gap accrues only that much: bounded, no
//! overflow). Borrowers' interest rounds up, depositors' share rounds down, and the protocol
//! keeps `fee_bps` of it, so the vault always covers deposits - borrows + fees (catalogue I-1).

use super::bank::{div_floor, BankState};
use super::num::{bps_frac, mul, Fx, Round};
use super::{OrOverflow, RiskError, RiskResult};

/// Longest interval one accrual accounts for, seconds (one hour, as Mango caps it).
pub const MAX_ACCRUAL_SECS: i64 = 3_600;
/// Seconds per year used by the rates.
pub const SECS_PER_YEAR: i64 = 31_536_000;

/// The interest curve of an asset, in basis points (rates per year): the one definition of the
/// set, stored in the Asset account and sent by `list_asset` and `edit_asset` as is (see
/// [`crate::params::RiskConfig`] for the `anchor` feature).
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InterestConfig {
    /// First kink, utilization bps.
    pub util0_bps: u16,
    /// Second kink, utilization bps.
    pub util1_bps: u16,
    /// Rate at the first kink, bps per year.
    pub rate0_bps: u32,
    /// Rate at the second kink, bps per year.
    pub rate1_bps: u32,
    /// Rate at 100% utilization, bps per year.
    pub max_rate_bps: u32,
    /// Protocol share of interest, bps.
    pub fee_bps: u16,
    /// Reserved for upgrades (zero).
    pub reserved: [u8; 14],
}

const _: () = assert!(core::mem::size_of::<InterestConfig>() == 32);

/// The engine's name for [`InterestConfig`].
pub type InterestParams = InterestConfig;

impl InterestParams {
    /// Bounds: 0 < util0 < util1 <= 100%, rates non-decreasing, max <= `max_rate_bound`, fee <= 50%.
    pub fn validate(&self, max_rate_bound: u32) -> RiskResult<()> {
        let ok = self.util0_bps > 0
            && self.util0_bps < self.util1_bps
            && self.util1_bps <= 10_000
            && self.rate0_bps <= self.rate1_bps
            && self.rate1_bps <= self.max_rate_bps
            && self.max_rate_bps <= max_rate_bound
            && self.fee_bps <= 5_000;
        if ok {
            Ok(())
        } else {
            Err(RiskError::InvalidParam("interest curve: 0 < util0 < util1 <= 10000, rates increasing, fee <= 5000"))
        }
    }

    /// Annual borrow rate (fraction) at utilization `u` (fraction, clamped to [0, 1]).
    pub fn borrow_rate(&self, u: Fx) -> RiskResult<Fx> {
        let u = u.clamp(Fx::ZERO, Fx::ONE);
        let f = |b: u32| bps_frac(b, Round::Up);
        let (u0, u1) = (f(self.util0_bps as u32), f(self.util1_bps as u32));
        let (r0, r1, rm) = (f(self.rate0_bps), f(self.rate1_bps), f(self.max_rate_bps));
        // Linear interpolation between (xa, ya) and (xb, yb); one division per asset and accrual.
        let lerp = |xa: Fx, ya: Fx, xb: Fx, yb: Fx| -> RiskResult<Fx> {
            if xb <= xa {
                return Ok(yb);
            }
            let t = div_floor(u.checked_sub(xa).or_overflow()?, xb.checked_sub(xa).or_overflow()?)?;
            let dy = yb.checked_sub(ya).or_overflow()?;
            ya.checked_add(mul(dy, t, Round::Up).or_overflow()?).or_overflow()
        };
        if u <= u0 {
            lerp(Fx::ZERO, Fx::ZERO, u0, r0)
        } else if u <= u1 {
            lerp(u0, r0, u1, r1)
        } else {
            lerp(u1, r1, Fx::ONE, rm)
        }
    }
}

/// What an accrual did, in native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accrual {
    /// Interest charged to borrowers.
    pub interest: Fx,
    /// Protocol share of it.
    pub fee: Fx,
    /// Seconds accounted for (after the cap).
    pub secs: i64,
}

impl BankState {
    /// Utilization: total borrows / total deposits, in [0, 1]; zero without deposits.
    pub fn utilization(&self) -> RiskResult<Fx> {
        let d = self.total_deposits()?;
        if d <= Fx::ZERO {
            return Ok(Fx::ZERO);
        }
        Ok(div_floor(self.total_borrows()?, d)?.min(Fx::ONE))
    }

    /// Accrues interest for `dt` seconds (capped at MAX_ACCRUAL_SECS). Returns what accrued.
    pub fn accrue(&mut self, p: &InterestParams, dt: i64) -> RiskResult<Accrual> {
        let secs = dt.clamp(0, MAX_ACCRUAL_SECS);
        if secs == 0 || self.indexed_borrows <= Fx::ZERO {
            return Ok(Accrual { secs, ..Default::default() });
        }
        let rate = p.borrow_rate(self.utilization()?)?;
        // growth = rate * secs / year, rounded up (borrowers pay at least the curve).
        let growth = {
            let num = mul(rate, Fx::from_num(secs), Round::Up).or_overflow()?;
            let g = div_floor(num, Fx::from_num(SECS_PER_YEAR))?;
            g.checked_add(Fx::DELTA).or_overflow()?
        };
        let borrows = self.total_borrows()?;
        let interest = mul(borrows, growth, Round::Up).or_overflow()?;
        let bump = mul(self.borrow_index, growth, Round::Up).or_overflow()?;
        self.borrow_index = self.borrow_index.checked_add(bump).or_overflow()?;
        let fee = mul(interest, bps_frac(p.fee_bps as u32, Round::Down), Round::Down).or_overflow()?;
        let to_depositors = interest.checked_sub(fee).or_overflow()?;
        // Denominator rounded up: depositors' share per unit rounds down.
        let deposits = self.total_deposits()?;
        if deposits > Fx::ZERO {
            // deposit_index grows by index * to_depositors / deposits, rounded down.
            let per_unit = div_floor(to_depositors, deposits)?;
            let d_bump = mul(self.deposit_index, per_unit, Round::Down).or_overflow()?;
            self.deposit_index = self.deposit_index.checked_add(d_bump).or_overflow()?;
        }
        Ok(Accrual { interest, fee, secs })
    }
}

/// The curve the tests use: 4% at 50%, 10% at 80%, 150% at 100%, 10% protocol share.
#[cfg(test)]
pub(crate) fn test_curve() -> InterestParams {
    InterestParams {
        util0_bps: 5_000,
        rate0_bps: 400,
        util1_bps: 8_000,
        rate1_bps: 1_000,
        max_rate_bps: 15_000,
        fee_bps: 1_000,
        reserved: [0; 14],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve() -> InterestParams {
        test_curve()
    }

    #[test]
    fn rate_follows_the_kinks() {
        let c = curve();
        let r = |u: f64| c.borrow_rate(Fx::from_num(u)).unwrap().to_num::<f64>();
        assert!(r(0.0).abs() < 1e-12);
        assert!((r(0.25) - 0.02).abs() < 1e-9);
        assert!((r(0.5) - 0.04).abs() < 1e-9);
        assert!((r(0.65) - 0.07).abs() < 1e-9);
        assert!((r(0.8) - 0.10).abs() < 1e-9);
        assert!((r(0.9) - 0.80).abs() < 1e-9);
        assert!((r(1.0) - 1.50).abs() < 1e-9);
        assert!((r(2.0) - 1.50).abs() < 1e-9, "clamped");
    }

    #[test]
    fn mr_09_a_year_without_updates_is_bounded() {
        let mut b = BankState {
            indexed_deposits: Fx::from_num(1_000_000),
            indexed_borrows: Fx::from_num(1_000_000),
            ..Default::default()
        };
        let before = b;
        let a = b.accrue(&curve(), 365 * 86_400).unwrap();
        assert_eq!(a.secs, MAX_ACCRUAL_SECS);
        // At 100% utilization, 150%/year for one hour at most.
        let growth = (b.borrow_index - before.borrow_index).to_num::<f64>();
        assert!(growth > 0.0 && growth <= 1.5 * 3_600.0 / SECS_PER_YEAR as f64 + 1e-12, "{growth}");
        assert!(b.borrow_index >= before.borrow_index && b.deposit_index >= before.deposit_index);
        // Repeated huge gaps never overflow.
        for _ in 0..1_000 {
            b.accrue(&curve(), i64::MAX).unwrap();
        }
    }

    #[test]
    fn accrual_conserves_value() {
        let mut b = BankState {
            indexed_deposits: Fx::from_num(2_000_000),
            indexed_borrows: Fx::from_num(1_000_000),
            ..Default::default()
        };
        let dep0 = b.total_deposits().unwrap();
        let bor0 = b.total_borrows().unwrap();
        let a = b.accrue(&curve(), 3_600).unwrap();
        let d_dep = b.total_deposits().unwrap() - dep0;
        let d_bor = b.total_borrows().unwrap() - bor0;
        // Borrowers pay at least the interest; depositors get at most interest - fee.
        assert!(d_bor >= a.interest - Fx::from_bits(1 << 8));
        assert!(d_dep + a.fee <= d_bor + Fx::from_bits(1 << 8));
        assert!(a.fee > Fx::ZERO);
    }
}
