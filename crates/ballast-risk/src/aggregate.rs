//! Price aggregation: the median of up to three sources with a quorum and a divergence bound
//! (the rule of the program's `update_price_aggregate`; catalogue OR-08, OR-11).

use super::num::Price;

/// One valid source price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourcePrice {
    /// Quote native units per base native unit.
    pub price: Price,
    /// Its confidence, bps of the price.
    pub conf_bps: u32,
    /// Its publish time, unix seconds.
    pub publish_time: i64,
}

/// An aggregated price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aggregated {
    /// The median of the valid sources (the lower middle of an even count).
    pub price: Price,
    /// The largest distance of an agreeing source from the median, or the largest agreeing
    /// source's own confidence if more, bps (rounded up).
    pub conf_bps: u32,
    /// The time by which a quorum of the agreeing sources had published: the `quorum`-th newest
    /// agreeing publish time (a slow source that still agrees does not age the aggregate).
    pub publish_time: i64,
    /// Bitmap of the agreeing sources (bit i: source i).
    pub agreeing: u8,
}

/// Distance of `p` from `m`, bps of `m`, rounded up; None if it does not fit (divided first, so
/// that no price in range overflows).
fn distance_bps(p: Price, m: Price) -> Option<u32> {
    let diff = if p >= m { p.checked_sub(m)? } else { m.checked_sub(p)? };
    let d = diff.checked_div(m)?.checked_mul_int(10_000)?;
    d.checked_ceil()?.checked_to_num::<u32>()
}

/// Aggregates the sources (`None`: invalid, or older than `last_publish_time`, the last
/// aggregate's, which is never gone back on: OR-08). The median is taken over the valid sources;
/// a source agrees when it is within `max_divergence_bps` of it; fewer than `quorum` valid or
/// agreeing sources give `None` (the price is invalid).
pub fn aggregate(
    sources: &[Option<SourcePrice>],
    quorum: u8,
    max_divergence_bps: u16,
    last_publish_time: i64,
) -> Option<Aggregated> {
    let fresh = |s: &&SourcePrice| s.publish_time >= last_publish_time;
    let mut valid: [Price; 3] = [Price::ZERO; 3];
    let mut n = 0usize;
    for s in sources.iter().flatten().filter(fresh) {
        *valid.get_mut(n)? = s.price;
        n = n.checked_add(1)?;
    }
    if n == 0 || n < usize::from(quorum) {
        return None;
    }
    let sorted = valid.get_mut(..n)?;
    sorted.sort_unstable();
    let m = *sorted.get(n.checked_sub(1)? / 2)?;
    if m <= Price::ZERO {
        return None;
    }
    let (mut count, mut conf_bps, mut agreeing) = (0u8, 0u32, 0u8);
    let mut times: [i64; 3] = [i64::MIN; 3];
    for (i, s) in sources.iter().enumerate() {
        let Some(s) = s.as_ref().filter(|s| fresh(s)) else { continue };
        let Some(d) = distance_bps(s.price, m) else { continue };
        if d > u32::from(max_divergence_bps) {
            continue;
        }
        *times.get_mut(usize::from(count))? = s.publish_time;
        count = count.checked_add(1)?;
        conf_bps = conf_bps.max(d).max(s.conf_bps);
        agreeing |= 1u8.checked_shl(u32::try_from(i).ok()?)?;
    }
    if count == 0 || count < quorum {
        return None;
    }
    // The quorum-th newest agreeing publish time.
    let used = times.get_mut(..usize::from(count))?;
    used.sort_unstable_by(|a, b| b.cmp(a));
    let publish_time = *used.get(usize::from(quorum.max(1)).checked_sub(1)?)?;
    Some(Aggregated { price: m, conf_bps, publish_time, agreeing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn src(p: f64, t: i64) -> Option<SourcePrice> {
        Some(SourcePrice { price: Price::from_num(p), conf_bps: 10, publish_time: t })
    }

    #[test]
    fn one_outlier_of_three_does_not_move_the_median() {
        // The median is the middle good price: 101 above a high outlier, 100 below a low one.
        for (outlier, median) in [(1_000.0, 101.0), (0.01, 100.0)] {
            let a = aggregate(&[src(100.0, 10), src(outlier, 10), src(101.0, 9)], 2, 200, 0).unwrap();
            assert_eq!(a.price, Price::from_num(median));
            assert_eq!(a.agreeing, 0b101, "the outlier is not counted");
            assert_eq!(a.conf_bps, 100, "the largest agreeing distance, about 1%, rounded up");
            assert_eq!(a.publish_time, 9, "the second newest of the agreeing (quorum 2)");
        }
    }

    #[test]
    fn two_bad_of_three_is_no_price() {
        // One stale (None), one 10x off: one agreeing source, below the quorum of 2.
        assert_eq!(aggregate(&[src(100.0, 10), None, src(1_000.0, 10)], 2, 200, 0), None);
        // Two outliers on either side: the median is the good price, but only it agrees.
        assert_eq!(aggregate(&[src(100.0, 10), src(10.0, 10), src(1_000.0, 10)], 2, 200, 0), None);
        // Fewer valid sources than the quorum.
        assert_eq!(aggregate(&[src(100.0, 10), None, None], 2, 200, 0), None);
    }

    #[test]
    fn a_slow_source_that_agrees_does_not_age_the_aggregate() {
        let a = aggregate(&[src(100.0, 100), src(100.1, 40), src(99.9, 99)], 2, 200, 0).unwrap();
        assert_eq!(a.agreeing, 0b111);
        assert_eq!(a.publish_time, 99, "the quorum-th newest, not the slow source's 40");
    }

    #[test]
    fn large_prices_do_not_overflow_the_distance() {
        let a = aggregate(&[src(1e13, 5), src(1.001e13, 5), None], 2, 200, 0).unwrap();
        assert_eq!(a.agreeing, 0b11);
    }

    #[test]
    fn or_08_an_update_older_than_the_last_is_not_used() {
        let a = aggregate(&[src(100.0, 20), src(100.5, 5), src(99.5, 21)], 2, 200, 10).unwrap();
        assert_eq!(a.agreeing, 0b101);
        assert_eq!(a.publish_time, 20);
        assert_eq!(aggregate(&[src(100.0, 20), src(100.5, 5), None], 2, 200, 10), None);
    }

    proptest! {
        /// With at most one source off, whatever its price, the aggregate is within the
        /// divergence bound of a good source, and never the outlier's.
        #[test]
        fn one_bad_source_never_sets_the_price(
            good in 1.0f64..1e4, spread in 0u32..100, bad in 1e-6f64..1e8, slot in 0usize..3,
        ) {
            let g2 = good * (1.0 + f64::from(spread) / 10_000.0);
            let mut s = [src(good, 5), src(g2, 5), src(good, 5)];
            s[slot] = src(bad, 5);
            let others: Vec<f64> = (0..3).filter(|i| *i != slot).map(|i| s[i].unwrap().price.to_num::<f64>()).collect();
            if let Some(a) = aggregate(&s, 2, 200, 0) {
                let p = a.price.to_num::<f64>();
                let lo = others.iter().cloned().fold(f64::MAX, f64::min);
                let hi = others.iter().cloned().fold(0.0, f64::max);
                prop_assert!(p >= lo * 0.98 - 1e-9 && p <= hi * 1.02 + 1e-9, "{p} outside {lo}..{hi}");
            } else {
                // Only when the two good ones disagree beyond the bound, which they never do here.
                prop_assert!(false, "two agreeing good sources make a quorum");
            }
        }
    }
}
