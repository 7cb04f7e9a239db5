//! Fixed-point numbers and the few multiplications the risk engine needs.
//!
//! * [`Fx`] (`I80F48`): token amounts in native units and values in quote native units.
//! * [`Price`] (`I48F80`): quote native units per native base unit. 80 fractional bits keep a
//!   12-decimal token priced at 1e-8 USD within 1e-10 relative error.
//!
//! Every multiplication says how it rounds: [`Round::Down`] towards minus infinity, [`Round::Up`]
//! towards plus infinity. Callers pick the direction that is against the account (assets down,
//! liabilities and charges up). All operations are checked: overflow returns `None`, never wraps.
//! There is no division in this module; fractions of basis points are precomputed once per asset.

pub use fixed::types::{I48F80, I80F48};

/// Amounts (native token units) and values (quote native units).
pub type Fx = I80F48;
/// Prices: quote native units per base native unit.
pub type Price = I48F80;

/// Fractional bits of [`Fx`].
pub const FX_FRAC: u32 = 48;
/// Fractional bits of [`Price`].
pub const PRICE_FRAC: u32 = 80;
/// One in basis points.
pub const BPS: u32 = 10_000;

/// Rounding direction of a multiplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// Towards minus infinity.
    Down,
    /// Towards plus infinity.
    Up,
}

/// 128 x 128 -> 256-bit unsigned product as (high, low). Tuples compare as 256-bit numbers.
#[inline]
// Schoolbook product of 64-bit halves: each partial product is below 2^128, the carries are
// tracked explicitly, and the high word of a 256-bit product cannot overflow; the `as u64` casts
// take the low halves on purpose.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn wide_mul_u128(a: u128, b: u128) -> (u128, u128) {
    let (a_lo, a_hi) = (a as u64 as u128, a >> 64);
    let (b_lo, b_hi) = (b as u64 as u128, b >> 64);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    // ll + (lh + hl) << 64, tracking carries into the high word.
    let (mid, mid_carry) = lh.overflowing_add(hl);
    let (lo, lo_carry) = ll.overflowing_add(mid << 64);
    let hi = hh + (mid >> 64) + ((mid_carry as u128) << 64) + lo_carry as u128;
    (hi, lo)
}

/// `(a * b) >> shift` for signed 128-bit operands with explicit rounding; `None` on overflow.
/// `shift` must be in 1..=127.
#[inline]
// `shift` is in 1..=127 (debug-asserted, callers pass the constants 48 and 80), so the shifts are
// in range; `hi >> shift == 0` is checked first, so the recombined magnitude fits u128; the bump
// is a checked add.
#[allow(clippy::arithmetic_side_effects)]
pub fn mul_shift(a: i128, b: i128, shift: u32, round: Round) -> Option<i128> {
    super::ops::wide_mul(1);
    debug_assert!(shift > 0 && shift < 128);
    let negative = (a < 0) != (b < 0);
    let (hi, lo) = wide_mul_u128(a.unsigned_abs(), b.unsigned_abs());
    if hi >> shift != 0 {
        return None;
    }
    let mut mag = (hi << (128 - shift)) | (lo >> shift);
    let inexact = lo & ((1u128 << shift) - 1) != 0;
    // Rounding the magnitude up moves a positive result up and a negative one down.
    let bump = inexact
        && match round {
            Round::Up => !negative,
            Round::Down => negative,
        };
    if bump {
        mag = mag.checked_add(1)?;
    }
    if negative {
        if mag > i128::MAX as u128 + 1 {
            return None;
        }
        Some((mag as i128).wrapping_neg())
    } else {
        if mag > i128::MAX as u128 {
            return None;
        }
        Some(mag as i128)
    }
}

/// `a * b` for two [`Fx`].
#[inline]
pub fn mul(a: Fx, b: Fx, round: Round) -> Option<Fx> {
    mul_shift(a.to_bits(), b.to_bits(), FX_FRAC, round).map(Fx::from_bits)
}

/// Value in quote native units of `amount` native units at `price`.
#[inline]
pub fn value(amount: Fx, price: Price, round: Round) -> Option<Fx> {
    mul_shift(amount.to_bits(), price.to_bits(), PRICE_FRAC, round).map(Fx::from_bits)
}

/// `price * factor` (a price scaled by a fraction such as `1 - shock`).
#[inline]
pub fn scale_price(price: Price, factor: Fx, round: Round) -> Option<Price> {
    mul_shift(price.to_bits(), factor.to_bits(), FX_FRAC, round).map(Price::from_bits)
}

/// A basis-point quantity as a fraction, rounded in the given direction. Computed once per asset
/// when risk inputs are built, so the per-position loops only multiply.
// bps << 48 is below 2^80 and BPS is a non-zero constant: nothing can overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn bps_frac(bps: u32, round: Round) -> Fx {
    // bps * 2^48 / 10_000 fits easily: bps <= u32::MAX.
    let num = (bps as i128) << FX_FRAC;
    let q = num / BPS as i128;
    let r = num % BPS as i128;
    Fx::from_bits(if r != 0 && round == Round::Up { q + 1 } else { q })
}

/// Converts a non-negative [`Fx`] amount to whole native units, rounding down (what a user receives).
pub fn to_u64_floor(x: Fx) -> Option<u64> {
    if x.is_negative() {
        return None;
    }
    u64::try_from(x.to_bits() >> FX_FRAC).ok()
}

/// Converts a non-negative [`Fx`] amount to whole native units, rounding up (what a user owes).
pub fn to_u64_ceil(x: Fx) -> Option<u64> {
    if x.is_negative() {
        return None;
    }
    let bits = x.to_bits();
    let whole = bits >> FX_FRAC;
    let frac = bits & ((1i128 << FX_FRAC) - 1);
    u64::try_from(whole.checked_add((frac != 0) as i128)?).ok()
}

/// Price in quote native units per base native unit from an oracle mantissa and exponent:
/// `mantissa * 10^(expo + quote_decimals - base_decimals)`, rounded down.
/// Returns `None` if the result overflows [`Price`] or rounds to zero.
pub fn price_from_mantissa(mantissa: u64, expo: i32, quote_decimals: u8, base_decimals: u8) -> Option<Price> {
    let e = expo.checked_add(quote_decimals as i32)?.checked_sub(base_decimals as i32)?;
    let m = mantissa as i128;
    let bits: i128 = if e >= 0 {
        let p = 10i128.checked_pow(e as u32)?;
        m.checked_mul(p)?.checked_mul(1i128 << PRICE_FRAC)?
    } else {
        // m * 2^80 / 10^-e, computed as a 256-bit quotient so no precision is lost before dividing.
        let d = 10u128.checked_pow(e.unsigned_abs())?;
        let (hi, lo) = (m as u128 >> 48, (m as u128) << 80);
        div_wide(hi, lo, d)?
    };
    if bits <= 0 {
        return None;
    }
    Some(Price::from_bits(bits))
}

/// (hi:lo) / d for a 256-bit numerator, returning `None` if the quotient exceeds i128.
fn div_wide(hi: u128, lo: u128, d: u128) -> Option<i128> {
    super::ops::bit_div(1);
    if d == 0 || hi >= d {
        return None;
    }
    // Long division bit by bit: only used when converting an oracle price, never per position.
    let mut rem = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    i128::try_from(q).ok()
}

/// Scales a signed integer mantissa (confidence) the same way as a price, rounding up.
pub fn conf_from_mantissa(conf: u64, expo: i32, quote_decimals: u8, base_decimals: u8) -> Option<Price> {
    if conf == 0 {
        return Some(Price::ZERO);
    }
    let p = price_from_mantissa(conf, expo, quote_decimals, base_decimals)?;
    Some(Price::from_bits(p.to_bits().checked_add(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_shift_rounds_in_both_directions() {
        let third = Fx::ONE / 3; // 1/3 truncated: third * third is inexact
        let a = mul(third, third, Round::Down).unwrap();
        let b = mul(third, third, Round::Up).unwrap();
        assert_eq!(b - a, Fx::DELTA);
        let na = mul(-third, third, Round::Down).unwrap();
        let nb = mul(-third, third, Round::Up).unwrap();
        assert_eq!(nb - na, Fx::DELTA);
        assert_eq!(na, -b);
        assert_eq!(nb, -a);
        // Exact products do not move.
        assert_eq!(mul(third, Fx::from_num(3), Round::Up), mul(third, Fx::from_num(3), Round::Down));
    }

    #[test]
    fn mul_shift_detects_overflow() {
        assert!(mul(Fx::MAX, Fx::from_num(2), Round::Down).is_none());
        assert!(mul(Fx::MIN, Fx::from_num(-1), Round::Down).is_none());
        assert_eq!(mul(Fx::MIN, Fx::ONE, Round::Down), Some(Fx::MIN));
    }

    #[test]
    fn wide_mul_matches_small_products() {
        for (a, b) in [(3u128, 5u128), (u64::MAX as u128, u64::MAX as u128), (1 << 100, 1 << 20)] {
            let (hi, lo) = wide_mul_u128(a, b);
            let exact = a.checked_mul(b);
            if let Some(e) = exact {
                assert_eq!((hi, lo), (0, e));
            } else {
                assert!(hi > 0);
            }
        }
        let (hi, lo) = wide_mul_u128(u128::MAX, u128::MAX);
        assert_eq!(hi, u128::MAX - 1);
        assert_eq!(lo, 1);
    }

    #[test]
    fn bps_fractions() {
        assert_eq!(bps_frac(10_000, Round::Down), Fx::ONE);
        assert_eq!(bps_frac(5_000, Round::Up), Fx::from_num(0.5));
        assert!(bps_frac(1, Round::Up) > bps_frac(1, Round::Down));
    }

    #[test]
    fn price_conversion_examples() {
        // SOL at 150.00 USD (expo -2), 9 decimals, quote 6 decimals: 0.15 quote native per lamport.
        let p = price_from_mantissa(15_000, -2, 6, 9).unwrap();
        assert!((p.to_num::<f64>() - 0.15).abs() < 1e-15);
        // A zero-decimal token at 1e4 USD with positive exponent.
        let p = price_from_mantissa(1, 4, 6, 0).unwrap();
        assert_eq!(p, Price::from_num(10_000_000_000u64));
        // Too small to represent: None, never a zero price.
        assert!(price_from_mantissa(1, -40, 0, 12).is_none());
    }

    /// MR-07: a value above u64::MAX is an error when converted for a transfer, never truncated.
    #[test]
    fn mr_07_conversion_above_u64_is_an_error() {
        let big = Fx::from_num(u64::MAX) + Fx::ONE;
        assert_eq!(to_u64_floor(big), None);
        assert_eq!(to_u64_ceil(big), None);
        assert_eq!(to_u64_floor(Fx::from_num(u64::MAX)), Some(u64::MAX));
        assert_eq!(to_u64_ceil(Fx::from_num(u64::MAX) - Fx::DELTA), Some(u64::MAX));
        assert_eq!(to_u64_floor(-Fx::ONE), None);
    }

    /// MR-08: one whole token valued through the oracle conversion matches an exact reference
    /// within 1e-9 relative, for exponents -8, -5, 0, +2 and decimals 0, 6, 9, 12; no zero price.
    #[test]
    fn mr_08_value_of_one_token_across_exponents_and_decimals() {
        let cases: [(i32, &[u64]); 4] = [
            (-8, &[1, 123_456_789, 15_000_000_000]),
            (-5, &[1, 12_345, 6_000_000_000]),
            (0, &[1, 7, 65_000]),
            (2, &[1, 3, 600]),
        ];
        for (expo, mantissas) in cases {
            for &m in mantissas {
                for d in [0u8, 6, 9, 12] {
                    let p = price_from_mantissa(m, expo, 6, d).expect("representable, never zero");
                    assert!(p > Price::ZERO);
                    let one_token = Fx::from_num(10u64.pow(d as u32));
                    let v = value(one_token, p, Round::Down).unwrap().to_num::<f64>();
                    // Reference: mantissa * 10^expo USD = that many quote native * 10^6.
                    let reference = m as f64 * 10f64.powi(expo + 6);
                    let rel = (v - reference).abs() / reference;
                    assert!(rel < 1e-9, "expo {expo} mantissa {m} decimals {d}: {v} vs {reference} ({rel:e})");
                }
            }
        }
    }
}
