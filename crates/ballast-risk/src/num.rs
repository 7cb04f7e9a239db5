//! Fixed-point numbers and the few multiplications the risk engine needs.
//!
//! * [`Fx`] (`I80F48`): token amounts in native units and values in quote native units.
//! * [`Price`] (`I48F80`): quote native units per native base unit. 80 fractional bits keep a
//!   12-decimal token priced at 1e-8 USD within 1e-10 relative error.
//!
//! Every multiplication says how it rounds: [`Round::Down`] towards minus infinity, [`Round::Up`]
//! towards plus infinity. Callers pick the direction that is against the account (assets down,
//! liabilities and charges up). All operations are checked: overflow returns `None`, never wraps.
//! Fractions of basis points are precomputed once per asset; the only divisions are the oracle
//! conversion and bank share conversions ([`div_wide`]), never per position in health.

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

/// [`wide_mul_u128`] with as few 64 x 64-bit products as the operands need (the same result):
/// one when both are below 2^64 (two Q.48 fractions, a shock and a step), two when one is (a
/// price times a Q.48 fraction such as `N(d1)`), four otherwise. Counted by kind for the compute
/// estimate ([`super::ops`]).
#[inline]
// Each partial product is of two values below 2^64 (the `as u64` casts take low halves on
// purpose), so it fits u128; the carry of the two-product sum is tracked.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn product_u128(a: u128, b: u128) -> (u128, u128) {
    let (a_small, b_small) = (a >> 64 == 0, b >> 64 == 0);
    if a_small && b_small {
        super::ops::narrow_mul(1);
        (0, a * b)
    } else if a_small || b_small {
        super::ops::half_mul(1);
        let (small, big) = if a_small { (a, b) } else { (b, a) };
        let low = small * (big as u64 as u128);
        let high = small * (big >> 64);
        let (lo, carry) = low.overflowing_add(high << 64);
        ((high >> 64) + carry as u128, lo)
    } else {
        super::ops::wide_mul(1);
        wide_mul_u128(a, b)
    }
}

/// `(a * b) >> shift` for signed 128-bit operands with explicit rounding; `None` on overflow.
/// `shift` must be in 1..=127.
#[inline]
// `shift` is in 1..=127 (debug-asserted, callers pass the constants 48 and 80), so the shifts are
// in range; `hi >> shift == 0` is checked first, so the recombined magnitude fits u128; the bump
// is a checked add.
#[allow(clippy::arithmetic_side_effects)]
pub fn mul_shift(a: i128, b: i128, shift: u32, round: Round) -> Option<i128> {
    debug_assert!(shift > 0 && shift < 128);
    let negative = (a < 0) != (b < 0);
    let (hi, lo) = product_u128(a.unsigned_abs(), b.unsigned_abs());
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
    if let Ok(small) = u16::try_from(bps) {
        // Every stored bps field is a u16: bps * 2^48 < 2^64, a 64-bit division by a constant
        // (a multiplication once compiled), the same quotient and remainder as below.
        let num = (small as u64) << FX_FRAC;
        let (q, r) = (num / BPS as u64, num % BPS as u64);
        return Fx::from_bits(q as i128 + (r != 0 && round == Round::Up) as i128);
    }
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

/// Powers of ten that fit `u128` (and `i128`): `10^0 ..= 10^38`.
pub const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Low 64 bits of a `u128`.
const LO64: u128 = u64::MAX as u128;

/// `(hi:lo) / d` for a 256-bit numerator and a 128-bit divisor: `(quotient, remainder)`, or `None`
/// when `d` is zero or the quotient does not fit 128 bits (`hi >= d`).
///
/// Knuth's algorithm D on two 64-bit quotient digits (Hacker's Delight, `divlu`): each digit is
/// estimated from the divisor's top 64 bits with one 128-bit division and corrected at most twice.
/// A fixed number of steps, no bit-by-bit loop: at most three 128-bit divisions. Exact (the unit
/// tests compare it with bit-by-bit long division on millions of inputs).
// Every shift is below 128 (`s < 64` after the `d < 2^64` branch). The digit estimates are below
// 2^65 and the corrections keep `r < 2^65`. The two remainders are computed modulo 2^128 on
// purpose: the true values are below `d`, so the wrapped differences are exact.
#[allow(clippy::arithmetic_side_effects)]
#[inline]
pub fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 || hi >= d {
        return None;
    }
    if hi == 0 {
        super::ops::div(1);
        let q = lo / d;
        return Some((q, lo - q * d));
    }
    if d <= LO64 {
        // hi < d < 2^64: two digits, each a 128-bit numerator below d * 2^64.
        super::ops::div(2);
        let n1 = (hi << 64) | (lo >> 64);
        let q1 = n1 / d;
        let n0 = ((n1 - q1 * d) << 64) | (lo & LO64);
        let q0 = n0 / d;
        return Some(((q1 << 64) | q0, n0 - q0 * d));
    }
    super::ops::div(2);
    // Normalise: the divisor's top bit set (s < 64 since d >= 2^64).
    let s = d.leading_zeros();
    let v = d << s;
    let (vn1, vn0) = (v >> 64, v & LO64);
    let un32 = if s == 0 { hi } else { (hi << s) | (lo >> (128 - s)) };
    let un10 = lo << s;
    let q1 = quotient_digit(un32, un10 >> 64, vn1, vn0);
    let un21 = ((un32 << 64) | (un10 >> 64)).wrapping_sub(q1.wrapping_mul(v));
    let q0 = quotient_digit(un21, un10 & LO64, vn1, vn0);
    let r = ((un21 << 64) | (un10 & LO64)).wrapping_sub(q0.wrapping_mul(v)) >> s;
    Some(((q1 << 64) | q0, r))
}

/// One 64-bit digit of `(un_hi * 2^64 + un_lo) / (vn1 * 2^64 + vn0)` for a normalised divisor
/// (`vn1 >= 2^63`) and `un_hi < divisor`: the estimate `un_hi / vn1` is at most two too large
/// (Knuth, TAOCP vol. 2, 4.3.1, Theorem B), so two conditional corrections make it exact.
#[allow(clippy::arithmetic_side_effects)]
#[inline]
fn quotient_digit(un_hi: u128, un_lo: u128, vn1: u128, vn0: u128) -> u128 {
    const B: u128 = 1 << 64;
    let mut q = un_hi / vn1;
    let mut r = un_hi - q * vn1;
    // Short-circuit: `q * vn0` is only formed when q < 2^64, and `r << 64` only when r < 2^64.
    if q >= B || q * vn0 > ((r << 64) | un_lo) {
        q -= 1;
        r += vn1;
        if r < B && (q >= B || q * vn0 > ((r << 64) | un_lo)) {
            q -= 1;
        }
    }
    q
}

/// Price in quote native units per base native unit from an oracle mantissa and exponent:
/// `mantissa * 10^(expo + quote_decimals - base_decimals)`, rounded down.
/// Returns `None` if the result overflows [`Price`] or rounds to zero.
///
/// Powers of ten come from a table. For a negative exponent `-k`, `m * 2^80 / 10^k` equals
/// `m * 2^(80 - k) / 5^k`: when that numerator fits 128 bits (every realistic quote) it is one
/// 128-bit division by a divisor below 2^64 for `k <= 27`; otherwise [`div_wide`]. Exact either way.
#[inline]
pub fn price_from_mantissa(mantissa: u64, expo: i32, quote_decimals: u8, base_decimals: u8) -> Option<Price> {
    let e = expo.checked_add(quote_decimals as i32)?.checked_sub(base_decimals as i32)?;
    let m = mantissa as u128;
    let bits: u128 = if e >= 0 {
        let p = *POW10.get(e as usize)?;
        m.checked_mul(p)?.checked_mul(1u128 << PRICE_FRAC)?
    } else {
        let k = e.unsigned_abs();
        let d = *POW10.get(k as usize)?;
        // k <= 38 < 80: the shift is positive and 10^k = 2^k * 5^k.
        let shift = PRICE_FRAC.wrapping_sub(k);
        if mantissa != 0 && mantissa.leading_zeros().saturating_add(64) >= shift {
            super::ops::div(1);
            // d >> k is 5^k (exact); shift <= 64 + leading zeros keeps the numerator in 128 bits.
            #[allow(clippy::arithmetic_side_effects)]
            let q = (m << shift) / (d >> k);
            q
        } else {
            div_wide(m >> 48, m << PRICE_FRAC, d)?.0
        }
    };
    let bits = i128::try_from(bits).ok()?;
    if bits <= 0 {
        return None;
    }
    Some(Price::from_bits(bits))
}

/// Scales a signed integer mantissa (confidence) the same way as a price, rounding up.
pub fn conf_from_mantissa(conf: u64, expo: i32, quote_decimals: u8, base_decimals: u8) -> Option<Price> {
    if conf == 0 {
        return Some(Price::ZERO);
    }
    let p = price_from_mantissa(conf, expo, quote_decimals, base_decimals)?;
    Some(Price::from_bits(p.to_bits().checked_add(1)?))
}

/// An oracle quote's price, with its confidence range-checked: `Some(price)` exactly when both
/// [`price_from_mantissa`] of `price` and [`conf_from_mantissa`] of `conf` are `Some`, with one
/// conversion instead of two. A confidence no larger than the price cannot overflow where the price
/// did not; it can only round to zero, which is one comparison with `ceil(10^k / 2^80)`. A
/// confidence above the price (which the confidence-ratio check rejects first) is converted.
#[inline]
pub fn oracle_price(price: u64, conf: u64, expo: i32, quote_decimals: u8, base_decimals: u8) -> Option<Price> {
    let p = price_from_mantissa(price, expo, quote_decimals, base_decimals)?;
    if conf == 0 {
        return Some(p);
    }
    if conf > price || p.to_bits() == i128::MAX {
        conf_from_mantissa(conf, expo, quote_decimals, base_decimals)?;
        return Some(p);
    }
    // The exponent is valid (the price converted). A non-negative one never rounds to zero.
    let e = expo.checked_add(quote_decimals as i32)?.checked_sub(base_decimals as i32)?;
    if e < 0 {
        let d = *POW10.get(e.unsigned_abs() as usize)?;
        let frac = (1u128 << PRICE_FRAC).wrapping_sub(1);
        // ceil(10^k / 2^80): 10^38 >> 80 is below 2^47, no overflow.
        #[allow(clippy::arithmetic_side_effects)]
        let min_conf = (d >> PRICE_FRAC) + u128::from(d & frac != 0);
        if (conf as u128) < min_conf {
            return None;
        }
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn product_u128_equals_the_four_product_form(a in proptest::prelude::any::<u128>(), b in proptest::prelude::any::<u128>(), sa in 0u32..128, sb in 0u32..128) {
            // Shifted operands reach all three paths (both, one or neither below 2^64).
            let (a, b) = (a >> sa, b >> sb);
            proptest::prop_assert_eq!(product_u128(a, b), wide_mul_u128(a, b));
            proptest::prop_assert_eq!(product_u128(b, a), wide_mul_u128(a, b));
        }
    }

    #[test]
    fn product_u128_paths_at_their_edges() {
        let edges = [0u128, 1, u64::MAX as u128, 1 << 64, (1 << 64) + 1, u128::MAX >> 1, u128::MAX];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(product_u128(a, b), wide_mul_u128(a, b), "{a} x {b}");
            }
        }
    }

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

    /// Issue 11: the 64-bit path of `bps_frac` equals the 128-bit one for every u16 and both roundings.
    #[test]
    fn bps_frac_fast_path_is_exact() {
        for bps in 0..=u16::MAX as u32 {
            for round in [Round::Down, Round::Up] {
                let num = (bps as i128) << FX_FRAC;
                let (q, r) = (num / BPS as i128, num % BPS as i128);
                let want = Fx::from_bits(if r != 0 && round == Round::Up { q + 1 } else { q });
                assert_eq!(bps_frac(bps, round), want, "{bps}");
            }
        }
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

    /// The conversion before issue 11, kept as the reference: bit-by-bit long division.
    mod reference {
        use super::super::*;

        pub fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
            if d == 0 || hi >= d {
                return None;
            }
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
            Some((q, rem))
        }

        pub fn price_from_mantissa(mantissa: u64, expo: i32, qd: u8, bd: u8) -> Option<Price> {
            let e = expo.checked_add(qd as i32)?.checked_sub(bd as i32)?;
            let m = mantissa as i128;
            let bits: i128 = if e >= 0 {
                let p = 10i128.checked_pow(e as u32)?;
                m.checked_mul(p)?.checked_mul(1i128 << PRICE_FRAC)?
            } else {
                let d = 10u128.checked_pow(e.unsigned_abs())?;
                let (q, _) = div_wide(m as u128 >> 48, (m as u128) << 80, d)?;
                i128::try_from(q).ok()?
            };
            if bits <= 0 {
                return None;
            }
            Some(Price::from_bits(bits))
        }

        pub fn conf_from_mantissa(conf: u64, expo: i32, qd: u8, bd: u8) -> Option<Price> {
            if conf == 0 {
                return Some(Price::ZERO);
            }
            let p = price_from_mantissa(conf, expo, qd, bd)?;
            Some(Price::from_bits(p.to_bits().checked_add(1)?))
        }
    }

    /// SplitMix64: a deterministic stream of test inputs.
    struct Mix(u64);
    impl Mix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// A value of a random bit length (so small and large magnitudes are both common).
        fn any_len_u64(&mut self) -> u64 {
            let len = self.next() % 65;
            if len == 0 {
                0
            } else {
                self.next() >> (64 - len)
            }
        }
        fn any_len_u128(&mut self) -> u128 {
            let len = self.next() % 129;
            let x = ((self.next() as u128) << 64) | self.next() as u128;
            if len == 0 {
                0
            } else {
                x >> (128 - len)
            }
        }
    }

    /// Issue 11: the 256/128-bit division is bit-identical to bit-by-bit long division (quotient
    /// and remainder) on 2,000,000 random inputs of every bit length and on the edges.
    #[test]
    fn div_wide_is_bit_identical_to_long_division() {
        let mut r = Mix(11);
        let check = |hi: u128, lo: u128, d: u128| {
            assert_eq!(div_wide(hi, lo, d), reference::div_wide(hi, lo, d), "{hi:#x}:{lo:#x} / {d:#x}");
        };
        for _ in 0..2_000_000 {
            let d = r.any_len_u128();
            let lo = r.any_len_u128();
            // Mostly valid numerators (hi < d), sometimes not.
            let hi = match r.next() % 8 {
                0 => r.any_len_u128(),
                1 => d.saturating_sub(1),
                _ if d > 0 => r.any_len_u128() % d,
                _ => 0,
            };
            check(hi, lo, d);
        }
        let edges = [0u128, 1, 2, 3, u64::MAX as u128, 1 << 64, (1 << 64) + 1, 1 << 127, u128::MAX - 1, u128::MAX];
        for &d in &edges {
            for &hi in &edges {
                for &lo in &edges {
                    check(hi, lo, d);
                    check(hi, lo, d.wrapping_sub(hi));
                }
            }
        }
        for &p in &POW10 {
            check(0, u128::MAX, p);
            check(p.saturating_sub(1), u128::MAX, p);
        }
    }

    /// Issue 11: the price and confidence conversions (and the one-conversion [`oracle_price`])
    /// are bit-identical to the bit-by-bit ones on 4,000,000 random quotes and at every edge
    /// exponent, mantissa and decimal count.
    #[test]
    fn oracle_conversion_is_bit_identical_to_the_bit_by_bit_one() {
        let check = |m: u64, c: u64, expo: i32, qd: u8, bd: u8| {
            let old = reference::price_from_mantissa(m, expo, qd, bd);
            assert_eq!(price_from_mantissa(m, expo, qd, bd), old, "price {m} e{expo} {qd}/{bd}");
            let old_conf = reference::conf_from_mantissa(c, expo, qd, bd);
            assert_eq!(conf_from_mantissa(c, expo, qd, bd), old_conf, "conf {c} e{expo} {qd}/{bd}");
            let both = if old.is_some() && old_conf.is_some() { old } else { None };
            assert_eq!(oracle_price(m, c, expo, qd, bd), both, "quote {m}±{c} e{expo} {qd}/{bd}");
        };
        let mut r = Mix(12);
        for _ in 0..4_000_000 {
            let m = r.any_len_u64();
            // Confidence: usually a fraction of the price, sometimes anything.
            let c = match r.next() % 4 {
                0 => r.any_len_u64(),
                1 => m,
                _ => m >> (r.next() % 64),
            };
            // Exponents around every boundary: Pyth's -12..=2 and the whole representable range.
            let expo = match r.next() % 3 {
                0 => -12 + (r.next() % 15) as i32,
                1 => -60 + (r.next() % 100) as i32,
                _ => r.next() as i32,
            };
            let qd = if r.next().is_multiple_of(2) { 6 } else { (r.next() % 256) as u8 };
            let bd = (r.next() % 256) as u8;
            check(m, c, expo, qd, bd);
        }
        let mantissas =
            [0u64, 1, 2, 9, 10, 11, 999_999, 1 << 32, (1 << 48) - 1, 1 << 48, i64::MAX as u64, u64::MAX - 1, u64::MAX];
        for expo in [
            -80,
            -50,
            -45,
            -44,
            -39,
            -38,
            -37,
            -32,
            -27,
            -26,
            -25,
            -24,
            -17,
            -16,
            -15,
            -8,
            -1,
            0,
            1,
            5,
            10,
            15,
            38,
            39,
            i32::MIN,
            i32::MAX,
        ] {
            for &m in &mantissas {
                for &c in &mantissas {
                    for (qd, bd) in [(6, 0), (6, 6), (6, 9), (6, 12), (0, 255), (255, 0), (0, 0)] {
                        check(m, c, expo, qd, bd);
                    }
                }
            }
        }
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
