//! Perpetual positions and funding on plain numbers (groundwork for the perps issue).
//!
//! A position is a base amount (native base units, long positive) and a quote amount (quote native
//! units: the cash side of every trade, realized PnL and funding). Its value at price p is
//! `base * p + quote`. A trade between two accounts moves the same base and the same quote in
//! opposite directions, so every trade is exactly zero-sum (catalogue I-7); the one product it
//! needs is rounded up and charged to the buyer, which is what the seller receives.
//!
//! Funding: one cumulative index (quote native per base native). A long pays
//! `base * (index_now - snapshot)`, a short receives it, rounded against each account, so the sum
//! of payments is never positive. The rate is the premium of recent fills over the oracle, kept as
//! an exponential average, clamped to +/- `max_rate` per day.

use super::num::{mul, value, Fx, Price, Round};
use super::{OrOverflow, RiskResult};

/// Seconds per day, the funding period of the rate.
pub const SECS_PER_DAY: i64 = 86_400;
/// Longest interval one funding accrual accounts for, seconds.
pub const MAX_FUNDING_SECS: i64 = 3_600;

/// A perpetual position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerpPos {
    /// Base, native base units (long positive).
    pub base: Fx,
    /// Quote, native quote units.
    pub quote: Fx,
    /// Funding index at the last settlement.
    pub funding_snapshot: Fx,
}

impl PerpPos {
    /// Value at `price` (unrealized PnL included), rounded down.
    pub fn value(&self, price: Price) -> RiskResult<Fx> {
        value(self.base, price, Round::Down).or_overflow()?.checked_add(self.quote).or_overflow()
    }

    /// Applies accrued funding up to `index`: longs pay, shorts receive (rounded against the
    /// account). Returns the amount paid (negative: received).
    pub fn settle_funding(&mut self, index: Fx) -> RiskResult<Fx> {
        let delta = index.checked_sub(self.funding_snapshot).or_overflow()?;
        let paid = mul(self.base, delta, Round::Up).or_overflow()?;
        self.quote = self.quote.checked_sub(paid).or_overflow()?;
        self.funding_snapshot = index;
        Ok(paid)
    }
}

/// Executes a trade of `base` native units at `price` between a buyer and a seller: the buyer's
/// base rises and its quote falls by exactly what the seller's quote rises. Returns the quote
/// amount that changed hands.
pub fn trade(buyer: &mut PerpPos, seller: &mut PerpPos, base: Fx, price: Price) -> RiskResult<Fx> {
    if base <= Fx::ZERO {
        return Err(super::RiskError::ZeroAmount);
    }
    let cost = value(base, price, Round::Up).or_overflow()?;
    buyer.base = buyer.base.checked_add(base).or_overflow()?;
    buyer.quote = buyer.quote.checked_sub(cost).or_overflow()?;
    seller.base = seller.base.checked_sub(base).or_overflow()?;
    seller.quote = seller.quote.checked_add(cost).or_overflow()?;
    Ok(cost)
}

/// Funding state of a market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funding {
    /// Cumulative funding, quote native per base native.
    pub index: Fx,
    /// Exponential average of (fill price - oracle) / oracle.
    pub premium_ema: Fx,
    /// Last accrual, unix seconds.
    pub last_ts: i64,
}

impl Funding {
    /// Folds a fill's premium over the oracle into the average with weight `dt / window`
    /// (capped at 1).
    pub fn observe_fill(&mut self, fill: Price, oracle: Price, dt: i64, window_secs: i64) -> RiskResult<()> {
        if oracle <= Price::ZERO || window_secs <= 0 {
            return Err(super::RiskError::InvalidParam("oracle and window must be positive"));
        }
        let premium = Fx::from_num((fill - oracle) / oracle);
        let w = Fx::from_num(dt.clamp(0, window_secs)) / Fx::from_num(window_secs);
        let step = mul(premium.checked_sub(self.premium_ema).or_overflow()?, w, Round::Down).or_overflow()?;
        self.premium_ema = self.premium_ema.checked_add(step).or_overflow()?;
        Ok(())
    }

    /// Daily funding rate: the average premium clamped to +/- `max_rate_per_day`.
    pub fn rate(&self, max_rate_per_day: Fx) -> Fx {
        self.premium_ema.clamp(-max_rate_per_day, max_rate_per_day)
    }

    /// Accrues funding up to `now` at the oracle `price` (elapsed time capped at MAX_FUNDING_SECS).
    pub fn accrue(&mut self, now: i64, price: Price, max_rate_per_day: Fx) -> RiskResult<Fx> {
        let dt = now.saturating_sub(self.last_ts).clamp(0, MAX_FUNDING_SECS);
        self.last_ts = self.last_ts.max(now);
        let per_base_per_day = value(self.rate(max_rate_per_day), price, Round::Down).or_overflow()?;
        let step = mul(per_base_per_day, Fx::from_num(dt), Round::Down).or_overflow()? / Fx::from_num(SECS_PER_DAY);
        self.index = self.index.checked_add(step).or_overflow()?;
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn open_add_reduce_flip_close() {
        let (mut a, mut b) = (PerpPos::default(), PerpPos::default());
        let p = Price::from_num(100);
        trade(&mut a, &mut b, Fx::from_num(2), p).unwrap(); // a opens long 2
        trade(&mut a, &mut b, Fx::from_num(1), Price::from_num(110)).unwrap(); // adds
        assert_eq!(a.base, Fx::from_num(3));
        trade(&mut b, &mut a, Fx::from_num(4), Price::from_num(120)).unwrap(); // a sells 4: flips short 1
        assert_eq!(a.base, Fx::from_num(-1));
        trade(&mut a, &mut b, Fx::from_num(1), Price::from_num(120)).unwrap(); // a closes
        assert_eq!(a.base, Fx::ZERO);
        // Realized PnL: bought 2@100 + 1@110 = 310, sold 4@120 = 480, bought 1@120: 480 - 430 = 50.
        assert_eq!(a.quote, Fx::from_num(50));
        assert_eq!(a.quote + b.quote, Fx::ZERO);
    }

    #[test]
    fn funding_moves_from_longs_to_shorts_when_perp_trades_rich() {
        let mut f = Funding::default();
        f.observe_fill(Price::from_num(101), Price::from_num(100), 3_600, 3_600).unwrap();
        assert!((f.premium_ema.to_num::<f64>() - 0.01).abs() < 1e-12);
        let cap = Fx::from_num(0.005); // 0.5% per day
        assert_eq!(f.rate(cap), cap);
        f.accrue(3_600, Price::from_num(100), cap).unwrap();
        // 0.5%/day * 100 * 1h = 0.020833 quote per base.
        assert!((f.index.to_num::<f64>() - 0.5 / 24.0).abs() < 1e-9);
        let mut long = PerpPos { base: Fx::from_num(10), ..Default::default() };
        let mut short = PerpPos { base: Fx::from_num(-10), ..Default::default() };
        let paid = long.settle_funding(f.index).unwrap();
        let received = short.settle_funding(f.index).unwrap();
        assert!(paid > Fx::ZERO && received < Fx::ZERO);
        assert!(long.quote + short.quote <= Fx::ZERO, "funding never creates value");
        // PX-04: a day without updates accrues one capped hour.
        let before = f.index;
        f.accrue(3_600 + 86_400, Price::from_num(100), cap).unwrap();
        assert!((f.index - before).to_num::<f64>() <= 0.5 / 24.0 + 1e-9);
    }

    proptest! {
        /// I-7: any sequence of trades between three accounts keeps base and quote zero-sum, and
        /// funding settlement never creates value.
        #[test]
        fn i_07_trades_are_zero_sum(trades in prop::collection::vec((0usize..3, 0usize..3, 1u64..1_000_000, 1u64..100_000), 1..50),
                index in -1000i64..1000) {
            let mut pos = [PerpPos::default(); 3];
            for (i, j, base, price) in trades {
                if i == j { continue; }
                let (bi, si) = (i.min(j), i.max(j));
                let (left, right) = pos.split_at_mut(si);
                let (buyer, seller) = if i < j { (&mut left[bi], &mut right[0]) } else { (&mut right[0], &mut left[bi]) };
                trade(buyer, seller, Fx::from_num(base), Price::from_num(price) / 1000).unwrap();
                let b: Fx = pos.iter().map(|p| p.base).sum();
                let q: Fx = pos.iter().map(|p| p.quote).sum();
                prop_assert_eq!(b, Fx::ZERO);
                prop_assert_eq!(q, Fx::ZERO);
            }
            let before: Fx = pos.iter().map(|p| p.quote).sum();
            for p in pos.iter_mut() {
                p.settle_funding(Fx::from_num(index) / 7).unwrap();
            }
            let after: Fx = pos.iter().map(|p| p.quote).sum();
            prop_assert!(after <= before);
        }
    }
}
