//! Expiry settlement (PX-05): the settlement price of an expiry and what a position receives.
//!
//! The rule resists a one-slot oracle move: the settle crank records the oracle's price at most
//! [`MAX_SAMPLES`] times during a window that opens at expiry; once the window has closed, the
//! settlement price is the **median** of the valid samples: within the window, in time order, each
//! at least `min_spacing_secs` after the last one counted, confidence at most `max_conf_bps` of the
//! price; at least `min_samples` must be valid. A manipulated price held for less than one spacing
//! yields one sample and moves the median by at most one rank; to move it further an attacker must
//! hold the oracle for about half of the samples' span. The crank that records samples must apply
//! the same spacing when it records (one sample per `min_spacing_secs`), or a burst of prints in
//! one slot could fill the 16 slots, count once, and leave the expiry unsettled. An expired, unsettled position stays margined
//! at its intrinsic value under the scenario grid ([`super::grid`]) until settled.

use crate::num::{bps_frac, scale_price, value, Fx, Price, Round};
use crate::{OrOverflow, RiskError, RiskResult};

use super::OptionKind;

/// Most samples one expiry records.
pub const MAX_SAMPLES: usize = 16;

/// One oracle observation recorded by the crank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceSample {
    /// Publish time of the price, unix seconds.
    pub ts: i64,
    /// Price, quote native per base native.
    pub price: Price,
    /// Confidence interval, quote native per base native.
    pub conf: Price,
}

/// The settlement policy of an asset's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementRule {
    /// Length of the sampling window after expiry, seconds (positive).
    pub window_secs: i64,
    /// Fewest valid samples that settle (1 to [`MAX_SAMPLES`]).
    pub min_samples: u8,
    /// Largest confidence of a valid sample, bps of its price.
    pub max_conf_bps: u16,
    /// Least time between two counted samples, seconds: samples must be spread over the window,
    /// so holding the oracle for one slot yields one sample.
    pub min_spacing_secs: i64,
}

impl SettlementRule {
    /// Checks the bounds.
    pub fn validate(&self) -> RiskResult<()> {
        if self.window_secs <= 0 || self.min_samples == 0 || usize::from(self.min_samples) > MAX_SAMPLES {
            return Err(RiskError::InvalidParam("settlement: need window > 0 and 1 <= min_samples <= 16"));
        }
        // min_samples spaced samples must fit in the window.
        let span = self.min_spacing_secs.checked_mul(i64::from(self.min_samples).saturating_sub(1)).or_overflow()?;
        if self.min_spacing_secs <= 0 || span > self.window_secs {
            return Err(RiskError::InvalidParam("settlement: need 0 < min_spacing x (min_samples - 1) <= window"));
        }
        Ok(())
    }
}

/// The settlement price of the expiry `expiry` at time `now`: `Ok(None)` while the window is
/// open or when fewer than `min_samples` samples are valid (the crank records more, or governance
/// extends the window); the median of the valid samples otherwise (the lower middle one of an even
/// count). At most [`MAX_SAMPLES`] samples.
pub fn settlement_price(
    samples: &[PriceSample],
    expiry: i64,
    now: i64,
    rule: &SettlementRule,
) -> RiskResult<Option<Price>> {
    rule.validate()?;
    if samples.len() > MAX_SAMPLES {
        return Err(RiskError::InvalidParam("settlement: at most 16 samples"));
    }
    let end = expiry.checked_add(rule.window_secs).or_overflow()?;
    if now < end {
        return Ok(None);
    }
    let mut valid = [Price::ZERO; MAX_SAMPLES];
    let mut n = 0usize;
    let mut next_ts = expiry; // the earliest time the next counted sample may have
    for s in samples {
        if s.ts < next_ts || s.ts > end || s.price <= Price::ZERO {
            continue; // outside the window, too close to the last counted one, or out of order
        }
        let limit =
            scale_price(s.price, bps_frac(u32::from(rule.max_conf_bps), Round::Down), Round::Down).or_overflow()?;
        if s.conf > limit {
            continue;
        }
        // Insertion into the sorted prefix (n < 16).
        let mut i = n;
        while i > 0 && valid[i.saturating_sub(1)] > s.price {
            valid[i] = valid[i.saturating_sub(1)];
            i = i.saturating_sub(1);
        }
        valid[i] = s.price;
        n = n.saturating_add(1);
        next_ts = s.ts.checked_add(rule.min_spacing_secs).or_overflow()?;
    }
    if n < usize::from(rule.min_samples) {
        return Ok(None);
    }
    Ok(Some(valid[n.saturating_sub(1) / 2]))
}

/// What a position of `size` (long positive) receives at settlement price `settle`, quote native
/// units: the intrinsic value times the size, rounded against the holder (a long's down, a
/// short's liability up), so longs never receive more than shorts pay (negative for a short).
pub fn settlement_value(kind: OptionKind, strike: Price, settle: Price, size: Fx) -> RiskResult<Fx> {
    let intrinsic = match kind {
        OptionKind::Call => settle.checked_sub(strike),
        OptionKind::Put => strike.checked_sub(settle),
    }
    .or_overflow()?
    .max(Price::ZERO);
    let round = if size < Fx::ZERO { Round::Up } else { Round::Down };
    let magnitude = value(size.checked_abs().or_overflow()?, intrinsic, round).or_overflow()?;
    if size < Fx::ZERO {
        magnitude.checked_neg().or_overflow()
    } else {
        Ok(magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPIRY: i64 = 1_800_000_000;

    fn rule() -> SettlementRule {
        SettlementRule { window_secs: 600, min_samples: 5, max_conf_bps: 100, min_spacing_secs: 60 }
    }

    fn sample(ts: i64, price: f64) -> PriceSample {
        PriceSample { ts, price: Price::from_num(price), conf: Price::from_num(price / 1_000.0) }
    }

    #[test]
    fn px_05_a_one_slot_oracle_move_at_expiry_does_not_move_the_settlement() {
        // Nine prints over the window around 100; the attacker moves the oracle to 130 in the
        // expiry slot itself.
        let mut s: Vec<PriceSample> = (0..9).map(|i| sample(EXPIRY + 60 * i, 100.0 + (i % 3) as f64 * 0.1)).collect();
        let honest = settlement_price(&s, EXPIRY, EXPIRY + 600, &rule()).unwrap().unwrap();
        s[0] = sample(EXPIRY, 130.0);
        let attacked = settlement_price(&s, EXPIRY, EXPIRY + 600, &rule()).unwrap().unwrap();
        assert!((attacked.to_num::<f64>() - 100.0).abs() <= 0.2, "{attacked}");
        // It moves the median by at most one rank.
        assert!(attacked >= honest);
        let mut sorted: Vec<Price> = s.iter().map(|x| x.price).collect();
        sorted.sort();
        assert_eq!(attacked, sorted[4]);
        // An instantaneous-print rule (Zeta FLEX) would have settled at 130.
        assert_eq!(s[0].price, Price::from_num(130));
    }

    #[test]
    fn the_window_must_close_and_enough_samples_be_valid() {
        let s: Vec<PriceSample> = (0..5).map(|i| sample(EXPIRY + 100 * i, 100.0)).collect();
        assert_eq!(settlement_price(&s, EXPIRY, EXPIRY + 599, &rule()).unwrap(), None, "window open");
        assert!(settlement_price(&s, EXPIRY, EXPIRY + 600, &rule()).unwrap().is_some());
        // A sample before expiry, one after the window and one too uncertain do not count.
        let mut t = s.clone();
        t[0].ts = EXPIRY - 1;
        assert_eq!(settlement_price(&t, EXPIRY, EXPIRY + 600, &rule()).unwrap(), None);
        let mut t = s.clone();
        t[4].ts = EXPIRY + 601;
        assert_eq!(settlement_price(&t, EXPIRY, EXPIRY + 700, &rule()).unwrap(), None);
        let mut t = s.clone();
        t[2].conf = Price::from_num(1.01);
        assert_eq!(settlement_price(&t, EXPIRY, EXPIRY + 600, &rule()).unwrap(), None);
        let many = vec![sample(EXPIRY, 100.0); 17];
        assert!(matches!(settlement_price(&many, EXPIRY, EXPIRY + 600, &rule()), Err(RiskError::InvalidParam(_))));
        let bad = SettlementRule { min_samples: 0, ..rule() };
        assert!(matches!(settlement_price(&s, EXPIRY, EXPIRY + 600, &bad), Err(RiskError::InvalidParam(_))));
        let bad = SettlementRule { min_spacing_secs: 151, ..rule() };
        assert!(matches!(settlement_price(&s, EXPIRY, EXPIRY + 600, &bad), Err(RiskError::InvalidParam(_))));
        // Sixteen prints in the expiry slot count once: not enough samples.
        let burst = vec![sample(EXPIRY, 130.0); 16];
        assert_eq!(settlement_price(&burst, EXPIRY, EXPIRY + 600, &rule()).unwrap(), None);
    }

    #[test]
    fn settlement_is_zero_sum_and_intrinsic() {
        let (k, p) = (Price::from_num(100), Price::from_num(103.5));
        let long = settlement_value(OptionKind::Call, k, p, Fx::from_num(7)).unwrap();
        let short = settlement_value(OptionKind::Call, k, p, Fx::from_num(-7)).unwrap();
        assert_eq!(long, Fx::from_num(24.5));
        assert_eq!(long, -short);
        // Inexact products round against each holder: the long receives at most what the short
        // pays, one 2^-48 apart.
        let odd = Price::from_num(100) + Price::from_bits(1);
        let long = settlement_value(OptionKind::Call, k, odd + Price::from_num(3), Fx::from_num(1) / 3).unwrap();
        let short = settlement_value(OptionKind::Call, k, odd + Price::from_num(3), -Fx::from_num(1) / 3).unwrap();
        assert_eq!(-short - long, Fx::from_bits(1));
        assert_eq!(settlement_value(OptionKind::Put, k, p, Fx::from_num(7)).unwrap(), Fx::ZERO);
        // Pin risk: exactly at the strike both kinds settle at zero.
        assert_eq!(settlement_value(OptionKind::Call, k, k, Fx::from_num(-7)).unwrap(), Fx::ZERO);
        assert_eq!(settlement_value(OptionKind::Put, k, k, Fx::from_num(-7)).unwrap(), Fx::ZERO);
    }
}
