//! Perpetual futures on plain numbers: positions, trades, fees, funding, open interest, the
//! price band and PnL settlement.
//!
//! A position is a base amount (native base units, long positive) and a quote amount (quote native
//! units: the cash side of every trade, realized PnL and funding). Its value at price p is
//! `base * p + quote`. A trade between two accounts moves the same base and the same whole number
//! of quote units (lots times price per lot) in opposite directions, so every trade is exactly
//! zero-sum (catalogue I-7).
//!
//! Funding: one cumulative index (quote native per base native). A long pays
//! `base * (index_now - snapshot)`, a short receives it; each payment is rounded to a whole quote
//! unit against the account, so quote positions stay whole numbers and the sum of payments is never
//! negative for the market. Longs and shorts are always equal in size (positions only come from
//! trades between two accounts), so one index serves both sides. The rate is the premium of recent
//! fills over the oracle, kept as an exponential average, clamped to +/- `max_rate` per day.
//!
//! Socialized loss: a second cumulative index L (quote native per base native) that both sides pay
//! on the size of their position, rounded up with funding. A bankrupt account's perp loss that
//! neither its collateral nor the insurance fund covers is spread over the market's open interest
//! this way ([`socialized_loss_per_base`]): every open position, long or short, bears it by size;
//! the quote asset's depositors do not (S2-22). No per-position field is needed: a position's
//! snapshot is the index of its side, `F + L` for a long and `F - L` for a short
//! ([`PerpIndex::side`]), so `base * (side index - snapshot)` charges funding to longs, credits it
//! to shorts and charges the loss to both; a trade that changes the side re-bases the snapshot at
//! the same instant ([`PerpPos::rebase`]).

use super::num::{bps_frac, mul, value, Fx, Price, Round, BPS};
use super::{OrOverflow, RiskError, RiskResult};

/// Seconds per day, the funding period of the rate.
pub const SECS_PER_DAY: i64 = 86_400;
/// Longest interval one funding accrual accounts for, seconds.
pub const MAX_FUNDING_SECS: i64 = 3_600;
/// Largest taker or maker fee, bps (10%).
pub const MAX_PERP_FEE_BPS: u16 = 1_000;
/// Largest funding rate, bps per day (10% per day).
pub const MAX_FUNDING_BPS_PER_DAY: u16 = 1_000;
/// Bounds of the premium averaging window, seconds.
pub const FUNDING_WINDOW_BOUNDS: (u32, u32) = (60, 7 * 86_400);

/// A perpetual position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerpPos {
    /// Base, native base units (long positive).
    pub base: Fx,
    /// Quote, native quote units (a whole number).
    pub quote: Fx,
    /// The index of the position's side at the last settlement ([`PerpIndex::side`]).
    pub funding_snapshot: Fx,
}

/// A market's two cumulative indexes, quote native per base native.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct PerpIndex {
    /// Funding: longs pay its increase, shorts receive it.
    pub funding: Fx,
    /// Socialized loss: both sides pay its increase on the size of their position.
    pub loss: Fx,
}

impl PerpIndex {
    /// The index a position of `base` settles against: `funding + loss` for a long (and a flat
    /// position), `funding - loss` for a short.
    pub fn side(&self, base: Fx) -> RiskResult<Fx> {
        if base < Fx::ZERO { self.funding.checked_sub(self.loss) } else { self.funding.checked_add(self.loss) }
            .or_overflow()
    }
}

impl PerpPos {
    /// Unrealized PnL (value) at `price`, rounded in direction `round`.
    pub fn pnl(&self, price: Price, round: Round) -> RiskResult<Fx> {
        value(self.base, price, round).or_overflow()?.checked_add(self.quote).or_overflow()
    }

    /// Funding and socialized loss owed up to `index` (negative: receivable), a whole number
    /// rounded against the account: `base * (side index - snapshot)`, which for a long is
    /// `base * (ΔF + ΔL)` and for a short `-|base| * ΔF + |base| * ΔL`.
    pub fn funding_owed(&self, index: PerpIndex) -> RiskResult<Fx> {
        let delta = index.side(self.base)?.checked_sub(self.funding_snapshot).or_overflow()?;
        mul(self.base, delta, Round::Up).or_overflow()?.checked_ceil().or_overflow()
    }

    /// Applies accrued funding and socialized loss up to `index`: longs pay funding, shorts receive
    /// it, both pay the loss (rounded against the account). Returns the amount paid (negative:
    /// received).
    pub fn settle_funding(&mut self, index: PerpIndex) -> RiskResult<Fx> {
        let paid = self.funding_owed(index)?;
        self.quote = self.quote.checked_sub(paid).or_overflow()?;
        self.funding_snapshot = index.side(self.base)?;
        Ok(paid)
    }

    /// Re-bases the snapshot on the side of the current base after a trade that was preceded by
    /// [`PerpPos::settle_funding`] at the same `index` (nothing is owed in between): a position
    /// that opened or flipped settles against its new side's index from now on.
    pub fn rebase(&mut self, index: PerpIndex) -> RiskResult<()> {
        self.funding_snapshot = index.side(self.base)?;
        Ok(())
    }
}

/// Executes a trade of `base` native units for `cost` quote native units between a buyer and a
/// seller: the buyer's base rises and its quote falls by exactly what the seller's quote rises.
pub fn trade(buyer: &mut PerpPos, seller: &mut PerpPos, base: Fx, cost: Fx) -> RiskResult<()> {
    if base <= Fx::ZERO || cost < Fx::ZERO {
        return Err(RiskError::ZeroAmount);
    }
    buyer.base = buyer.base.checked_add(base).or_overflow()?;
    buyer.quote = buyer.quote.checked_sub(cost).or_overflow()?;
    seller.base = seller.base.checked_sub(base).or_overflow()?;
    seller.quote = seller.quote.checked_add(cost).or_overflow()?;
    Ok(())
}

/// Configurable parameters of a perp market (units in the field docs): the one definition of
/// the set, the argument of `set_perp_market` and the engine's input (the program stores the
/// fields inside `PerpMarket` beside the market's state). With the `anchor` feature it is an
/// Anchor (Borsh) type, in the IDL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "anchor", derive(anchor_lang::AnchorSerialize, anchor_lang::AnchorDeserialize))]
pub struct PerpMarketParams {
    /// Native base units per lot; positions and order sizes are whole lots.
    pub base_lot_size: u64,
    /// Largest distance of a trade price from the oracle, bps. At most the maint shocks
    /// (catalogue OR-13).
    pub price_band_bps: u16,
    /// Fee of the taker of a signed order and of both sides of a block trade, bps of notional.
    pub taker_fee_bps: u16,
    /// Fee of the maker of a signed order, bps of notional.
    pub maker_fee_bps: u16,
    /// Share of every fee that goes to the insurance fund, bps; the rest goes to the protocol.
    pub insurance_fee_share_bps: u16,
    /// Open interest cap, lots (open interest is the sum of long positions).
    pub max_open_interest: u64,
    /// Funding rate clamp, bps per day.
    pub max_funding_bps_per_day: u16,
    /// Premium averaging window, seconds.
    pub funding_window_secs: u32,
    /// Positive PnL the market settles per window, quote native units.
    pub settle_limit: u64,
    /// Settle window, seconds.
    pub settle_window_secs: u32,
    /// Positive unrealized PnL counted in Init health per account, quote native units.
    pub init_pnl_cap: u64,
    /// Market flags: bit 1 trading enabled, bit 2 reduce-only (positions may only shrink).
    pub flags: u8,
}

/// Perp market flag: trading enabled.
pub const PERP_FLAG_ENABLED: u8 = 1;
/// Perp market flag: reduce-only (positions may only shrink).
pub const PERP_FLAG_REDUCE_ONLY: u8 = 2;

/// The engine's name for [`PerpMarketParams`].
pub type PerpParams = PerpMarketParams;

impl PerpMarketParams {
    /// Checks every bound; `maint_down_bps` / `maint_up_bps` are the asset's maint shocks.
    pub fn validate(&self, maint_down_bps: u16, maint_up_bps: u16) -> RiskResult<()> {
        if self.base_lot_size == 0 {
            return Err(RiskError::InvalidParam("base_lot_size must be positive"));
        }
        if self.price_band_bps == 0 || self.price_band_bps > maint_down_bps.min(maint_up_bps) {
            return Err(RiskError::InvalidParam("price band must be in 1..=min(maint_down, maint_up)"));
        }
        if self.taker_fee_bps > MAX_PERP_FEE_BPS || self.maker_fee_bps > MAX_PERP_FEE_BPS {
            return Err(RiskError::InvalidParam("fees must be <= 1000 bps"));
        }
        if self.insurance_fee_share_bps as u32 > BPS {
            return Err(RiskError::InvalidParam("insurance fee share must be <= 10000"));
        }
        if self.max_funding_bps_per_day > MAX_FUNDING_BPS_PER_DAY {
            return Err(RiskError::InvalidParam("max funding must be <= 1000 bps per day"));
        }
        let (lo, hi) = FUNDING_WINDOW_BOUNDS;
        if !(lo..=hi).contains(&self.funding_window_secs) || self.settle_window_secs == 0 {
            return Err(RiskError::InvalidParam("funding window in 60..=604800 s, settle window >= 1 s"));
        }
        Ok(())
    }

    /// Governance's direction rule: true when `self` in place of `old` can only allow less risk
    /// and moves no value: the same lot size, fees, funding clamp and window and enabled bit; no
    /// wider band, no higher open-interest cap, settle limit or PnL cap, no shorter settle window;
    /// reduce-only may be set, never cleared.
    pub fn no_riskier_than(&self, old: &Self) -> bool {
        const ENABLED: u8 = PERP_FLAG_ENABLED;
        const REDUCE_ONLY: u8 = PERP_FLAG_REDUCE_ONLY;
        let (f, o) = (self.flags, old.flags);
        self.base_lot_size == old.base_lot_size
            && (self.taker_fee_bps, self.maker_fee_bps, self.insurance_fee_share_bps)
                == (old.taker_fee_bps, old.maker_fee_bps, old.insurance_fee_share_bps)
            && (self.max_funding_bps_per_day, self.funding_window_secs)
                == (old.max_funding_bps_per_day, old.funding_window_secs)
            && self.price_band_bps <= old.price_band_bps
            && self.max_open_interest <= old.max_open_interest
            && self.settle_limit <= old.settle_limit
            && self.init_pnl_cap <= old.init_pnl_cap
            && self.settle_window_secs >= old.settle_window_secs
            && f & ENABLED == o & ENABLED
            && (o & REDUCE_ONLY == 0 || f & REDUCE_ONLY != 0)
            && (f & !(ENABLED | REDUCE_ONLY)) == (o & !(ENABLED | REDUCE_ONLY))
    }

    /// The funding clamp as a daily fraction.
    pub fn max_rate(&self) -> Fx {
        bps_frac(self.max_funding_bps_per_day as u32, Round::Down)
    }
}

/// Quote native units of `lots` at `price_per_lot`: exact.
pub fn notional(lots: u64, price_per_lot: u64) -> RiskResult<u64> {
    lots.checked_mul(price_per_lot).or_overflow()
}

/// Fee of `bps` on `notional`, rounded up (against the payer).
pub fn fee(notional: u64, bps: u16) -> RiskResult<u64> {
    let n = (notional as u128).checked_mul(bps as u128).or_overflow()?;
    u64::try_from(n.div_ceil(BPS as u128)).ok().or_overflow()
}

/// `floor(a × b / d)` in 128 bits (0 when `d` is 0; saturating at u64::MAX, which a share of an
/// amount never reaches: callers pass `b <= d`).
pub fn mul_div_floor(a: u64, b: u64, d: u64) -> u64 {
    let q = (a as u128).saturating_mul(b as u128).checked_div(d as u128).unwrap_or(0);
    u64::try_from(q).unwrap_or(u64::MAX)
}

/// Share of open interest a fill must reach to count fully in the premium average, bps.
pub const FUNDING_IMPACT_OI_BPS: u64 = 1_000;

/// The size weight of a fill of `lots` in the premium average (S2-08): its size against 10% of the
/// open interest before it (at least one lot), at most 1. A one-lot wash trade in a market of 1,000
/// lots moves the average by a hundredth of what a 100-lot fill does.
pub fn fill_size_weight(lots: u64, open_interest: u64) -> Fx {
    let impact = mul_div_floor(open_interest, FUNDING_IMPACT_OI_BPS, BPS as u64).max(1);
    if lots >= impact {
        return Fx::ONE;
    }
    Fx::from_num(lots).checked_div(Fx::from_num(impact)).unwrap_or(Fx::ONE)
}

/// Splits a fee into (insurance fund, protocol); the insurance share is rounded down.
pub fn split_fee(fee: u64, insurance_share_bps: u16) -> (u64, u64) {
    let ins = mul_div_floor(fee, insurance_share_bps as u64, BPS as u64);
    (ins, fee.saturating_sub(ins))
}

/// The oracle value of one lot, quote native units.
pub fn oracle_per_lot(oracle: Price, lot_size: u64) -> RiskResult<Fx> {
    value(Fx::from_num(lot_size), oracle, Round::Down).or_overflow()
}

/// Checks that `price_per_lot` lies within `band_bps` of the oracle (catalogue PX-01, OR-13).
pub fn check_band(price_per_lot: u64, oracle: Price, lot_size: u64, band_bps: u16) -> RiskResult<()> {
    let mid = oracle_per_lot(oracle, lot_size)?;
    // |price - mid| * 10_000 <= mid * band, in exact integer multiples.
    let allowed = mid.checked_mul_int(band_bps as i128).or_overflow()?;
    let diff = Fx::from_num(price_per_lot).checked_sub(mid).or_overflow()?.checked_abs().or_overflow()?;
    if diff.checked_mul_int(BPS as i128).or_overflow()? > allowed {
        return Err(RiskError::PriceOutsideBand);
    }
    Ok(())
}

/// Change of open interest (sum of long positions, lots) when one account's base goes from
/// `old` to `new` lots.
pub fn long_delta(old: i64, new: i64) -> i64 {
    // Both are in [0, i64::MAX]: the difference fits.
    new.max(0).saturating_sub(old.max(0))
}

/// True when going from `old` to `new` lots does not increase the position or flip its side.
pub fn reduces(old: i64, new: i64) -> bool {
    new == 0 || (old.signum() == new.signum() && new.unsigned_abs() <= old.unsigned_abs())
}

/// True when buying (`buy`) or selling `n` units from a position of `old` only shrinks it
/// ([`reduces`]); false when the size does not fit an `i64`. Trades use it to tell, before the
/// trade, whether the health rule will read the pre-trade figure.
pub fn reduces_by(old: i64, n: u64, buy: bool) -> bool {
    i64::try_from(n)
        .ok()
        .and_then(|n| if buy { old.checked_add(n) } else { old.checked_sub(n) })
        .is_some_and(|new| reduces(old, new))
}

/// Settled positive PnL of a market in the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettleWindow {
    /// Window start, unix seconds.
    pub start_ts: i64,
    /// Quote native units settled in the window.
    pub used: u64,
}

impl SettleWindow {
    /// Grants up to `want` at `now` within `limit` per `window_secs`, starting a new window when
    /// the current one has ended. Fails with SettleLimitReached when nothing is left.
    pub fn take(&mut self, limit: u64, window_secs: u32, now: i64, want: u64) -> RiskResult<u64> {
        if now.saturating_sub(self.start_ts) >= window_secs as i64 {
            self.start_ts = now;
            self.used = 0;
        }
        let granted = want.min(limit.saturating_sub(self.used));
        if granted == 0 {
            return Err(RiskError::SettleLimitReached);
        }
        self.used = self.used.saturating_add(granted);
        Ok(granted)
    }
}

/// What a settlement between a positive-PnL and a negative-PnL position may move: the smaller
/// magnitude, in whole quote units, capped at `max`. Zero when either side has nothing.
pub fn settleable(positive_pnl: Fx, negative_pnl: Fx, max: u64) -> u64 {
    if positive_pnl <= Fx::ZERO || negative_pnl >= Fx::ZERO {
        return 0;
    }
    let a = super::num::to_u64_floor(positive_pnl).unwrap_or(u64::MAX);
    let b = negative_pnl.checked_neg().and_then(super::num::to_u64_floor).unwrap_or(u64::MAX);
    a.min(b).min(max)
}

/// Increase of the socialized-loss index that spreads `loss` quote native units over a market of
/// `open_interest` native base units a side: both sides pay it, so per base native unit it is
/// `loss / (2 × open_interest)`, rounded up (the market collects at least `loss`). None when there
/// is no open interest to bear it.
pub fn socialized_loss_per_base(loss: u64, open_interest: Fx) -> RiskResult<Option<Fx>> {
    if loss == 0 || open_interest <= Fx::ZERO {
        return Ok(None);
    }
    let both = open_interest.checked_mul(Fx::from_num(2)).or_overflow()?;
    // Truncated quotient plus one ulp: never below the exact quotient.
    let per = Fx::from_num(loss).checked_div(both).or_overflow()?.checked_add(Fx::DELTA).or_overflow()?;
    Ok(Some(per))
}

/// The negative PnL a settlement may take from a loser in one market (S2-22): its PnL there,
/// `loss_pnl` (negative, quote native units), bounded by its token `collateral`
/// ([`loser_collateral`]). A loser pays winners only from what it holds in tokens (net of its token
/// debts); an unrealized gain elsewhere must be settled first. With one market and negative equity
/// this is the loss less the shortfall. The program's `settle_pnl` and `resolve_perp_bankruptcy`
/// and the keeper all call this.
pub fn covered_loss(loss_pnl: Fx, collateral: Fx) -> RiskResult<Fx> {
    Ok(loss_pnl.max(collateral.max(Fx::ZERO).checked_neg().or_overflow()?))
}

/// A perp loser's position for settlement and perp bankruptcy, quote native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoserCollateral {
    /// Its token collateral net of token debts: equity less the unsettled PnL of every market,
    /// rounded down, never negative.
    pub collateral: Fx,
    /// What its equity lacks: `-equity`, rounded up; zero when solvent.
    pub shortfall: Fx,
}

/// [`LoserCollateral`] of an account with `equity` (Maint, at oracle prices) and engine input
/// `input`. Equity counts each market's base at the asset's oracle price and perp cash as a balance
/// of the `quote` asset at its oracle price; the unsettled PnL is valued the same way here (base
/// values rounded up, so the collateral is not overstated) and both figures are converted to quote
/// native units at the quote asset's price, so a quote asset away from 1 misstates neither.
pub fn loser_collateral(input: &super::HealthInput, equity: Fx, quote: u16) -> RiskResult<LoserCollateral> {
    let n = input.len.min(super::MAX_HEALTH_ASSETS);
    let mut pnl_value = Fx::ZERO;
    let mut cash = Fx::ZERO;
    for (a, e) in input.assets[..n].iter().zip(&input.exposures[..n]) {
        if e.perp_base != Fx::ZERO {
            pnl_value =
                pnl_value.checked_add(value(e.perp_base, a.oracle_price, Round::Up).or_overflow()?).or_overflow()?;
        }
        cash = cash.checked_add(e.perp_quote).or_overflow()?;
    }
    let q = input.find(quote).map(|i| input.assets[i].oracle_price).unwrap_or(Price::ONE);
    if q <= Price::ZERO {
        return Err(RiskError::InvalidParam("quote price must be positive"));
    }
    pnl_value = pnl_value.checked_add(value(cash, q, Round::Up).or_overflow()?).or_overflow()?;
    // The price truncated to Fx's precision (never above q) and one ulp above it (never below):
    // the collateral is divided by the larger, the shortfall by the smaller, both against the
    // account.
    let q_down = Fx::checked_from_num(q).or_overflow()?;
    let q_up = q_down.checked_add(Fx::DELTA).or_overflow()?;
    let collateral = equity.checked_sub(pnl_value).or_overflow()?.max(Fx::ZERO).checked_div(q_up).or_overflow()?;
    // Truncated quotient plus one ulp: never below the exact shortfall.
    let shortfall = match equity.checked_neg().or_overflow()? {
        s if s > Fx::ZERO => s.checked_div(q_down).and_then(|x| x.checked_add(Fx::DELTA)).or_overflow()?,
        _ => Fx::ZERO,
    };
    Ok(LoserCollateral { collateral, shortfall })
}

/// Funding state of a market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funding {
    /// Cumulative funding, quote native per base native.
    pub index: Fx,
    /// Cumulative socialized loss, quote native per base native ([`socialized_loss_per_base`]).
    pub loss_index: Fx,
    /// Exponential average of (fill price - oracle) / oracle.
    pub premium_ema: Fx,
    /// Last accrual, unix seconds.
    pub last_ts: i64,
}

impl Funding {
    /// The two indexes positions settle against.
    pub fn indexes(&self) -> PerpIndex {
        PerpIndex { funding: self.index, loss: self.loss_index }
    }

    /// Folds a fill's premium over the oracle into the average with weight
    /// `min(dt / window, 1) × size_weight` ([`fill_size_weight`], S2-08: a fill counts by its size
    /// as well as by the idle time before it).
    pub fn observe_fill(
        &mut self,
        fill: Price,
        oracle: Price,
        dt: i64,
        window_secs: i64,
        size_weight: Fx,
    ) -> RiskResult<()> {
        if oracle <= Price::ZERO || window_secs <= 0 {
            return Err(RiskError::InvalidParam("oracle and window must be positive"));
        }
        let premium = fill
            .checked_sub(oracle)
            .and_then(|d| d.checked_div(oracle))
            .and_then(Fx::checked_from_num)
            .or_overflow()?;
        let w = Fx::from_num(dt.clamp(0, window_secs)).checked_div(Fx::from_num(window_secs)).or_overflow()?;
        let w = mul(w, size_weight.clamp(Fx::ZERO, Fx::ONE), Round::Down).or_overflow()?;
        let step = mul(premium.checked_sub(self.premium_ema).or_overflow()?, w, Round::Down).or_overflow()?;
        self.premium_ema = self.premium_ema.checked_add(step).or_overflow()?;
        Ok(())
    }

    /// Daily funding rate: the average premium clamped to +/- `max_rate_per_day`.
    pub fn rate(&self, max_rate_per_day: Fx) -> Fx {
        let max = max_rate_per_day.abs();
        self.premium_ema.clamp(max.checked_neg().unwrap_or(Fx::ZERO), max)
    }

    /// Accrues funding up to `now` at the oracle `price` (elapsed time capped at MAX_FUNDING_SECS).
    pub fn accrue(&mut self, now: i64, price: Price, max_rate_per_day: Fx) -> RiskResult<Fx> {
        let dt = now.saturating_sub(self.last_ts).clamp(0, MAX_FUNDING_SECS);
        self.last_ts = self.last_ts.max(now);
        let per_base_per_day = value(self.rate(max_rate_per_day), price, Round::Down).or_overflow()?;
        let step = per_day_to_step(mul(per_base_per_day, Fx::from_num(dt), Round::Down).or_overflow()?);
        self.index = self.index.checked_add(step).or_overflow()?;
        Ok(step)
    }
}

/// `x / SECS_PER_DAY`, truncated toward zero as fixed-point division truncates: dividing a
/// fixed-point number by a whole number divides its bits by that number, so one integer division
/// of the bits gives exactly `x.checked_div(Fx::from_num(SECS_PER_DAY))` (tested), without the
/// 256-bit division.
fn per_day_to_step(x: Fx) -> Fx {
    // SECS_PER_DAY is a non-zero constant: the division cannot overflow or trap.
    #[allow(clippy::arithmetic_side_effects)]
    Fx::from_bits(x.to_bits() / SECS_PER_DAY as i128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Issue 11: the integer division of the bits equals fixed-point division by a day.
        #[test]
        fn per_day_step_equals_fixed_division(bits in any::<i128>(), small in -(1i128 << 70)..(1i128 << 70)) {
            for b in [bits, small, 0, 1, -1, i128::MAX, i128::MIN + 1] {
                let x = Fx::from_bits(b);
                prop_assert_eq!(Some(per_day_to_step(x)), x.checked_div(Fx::from_num(SECS_PER_DAY)));
            }
        }
    }

    #[test]
    fn open_add_reduce_flip_close() {
        let (mut a, mut b) = (PerpPos::default(), PerpPos::default());
        let n = Fx::from_num;
        trade(&mut a, &mut b, n(2), n(200)).unwrap(); // a opens long 2 at 100
        trade(&mut a, &mut b, n(1), n(110)).unwrap(); // adds 1 at 110
        assert_eq!(a.base, Fx::from_num(3));
        trade(&mut b, &mut a, n(4), n(480)).unwrap(); // a sells 4 at 120: flips short 1
        assert_eq!(a.base, Fx::from_num(-1));
        trade(&mut a, &mut b, n(1), n(120)).unwrap(); // a closes at 120
        assert_eq!(a.base, Fx::ZERO);
        // Realized PnL: bought 2@100 + 1@110 = 310, sold 4@120 = 480, bought 1@120: 480 - 430 = 50.
        assert_eq!(a.quote, Fx::from_num(50));
        assert_eq!(a.quote + b.quote, Fx::ZERO);
    }

    #[test]
    fn funding_moves_from_longs_to_shorts_when_perp_trades_rich() {
        let mut f = Funding::default();
        f.observe_fill(Price::from_num(101), Price::from_num(100), 3_600, 3_600, Fx::ONE).unwrap();
        assert!((f.premium_ema.to_num::<f64>() - 0.01).abs() < 1e-12);
        let cap = Fx::from_num(0.005); // 0.5% per day
        assert_eq!(f.rate(cap), cap);
        f.accrue(3_600, Price::from_num(100), cap).unwrap();
        // 0.5%/day * 100 * 1h = 0.020833 quote per base.
        assert!((f.index.to_num::<f64>() - 0.5 / 24.0).abs() < 1e-9);
        let mut long = PerpPos { base: Fx::from_num(1000), ..Default::default() };
        let mut short = PerpPos { base: Fx::from_num(-1000), ..Default::default() };
        let paid = long.settle_funding(f.indexes()).unwrap();
        let received = short.settle_funding(f.indexes()).unwrap();
        // 20.83 owed: the long pays 21, the short receives 20 (whole units, against each).
        assert_eq!((paid, received), (Fx::from_num(21), Fx::from_num(-20)));
        assert!(long.quote + short.quote <= Fx::ZERO, "funding never creates value");
        // PX-04: a day without updates accrues one capped hour.
        let before = f.index;
        f.accrue(3_600 + 86_400, Price::from_num(100), cap).unwrap();
        assert!((f.index - before).to_num::<f64>() <= 0.5 / 24.0 + 1e-9);
    }

    #[test]
    fn band_fee_window_and_reduce_rules() {
        // Oracle 100 per native unit, lot of 10: 1000 per lot; band 2% allows 980..=1020.
        let o = Price::from_num(100);
        assert!(check_band(1_020, o, 10, 200).is_ok());
        assert!(check_band(980, o, 10, 200).is_ok());
        assert_eq!(check_band(1_021, o, 10, 200), Err(RiskError::PriceOutsideBand));
        assert_eq!(check_band(979, o, 10, 200), Err(RiskError::PriceOutsideBand));
        assert_eq!(fee(10_001, 10).unwrap(), 11, "rounded up");
        assert_eq!(split_fee(11, 5_000), (5, 6), "insurance share rounded down");
        let mut w = SettleWindow::default();
        assert_eq!(w.take(100, 60, 1_000, 70).unwrap(), 70);
        assert_eq!(w.take(100, 60, 1_010, 70).unwrap(), 30, "reduced to what is left");
        assert_eq!(w.take(100, 60, 1_020, 1), Err(RiskError::SettleLimitReached));
        assert_eq!(w.take(100, 60, 1_060, 70).unwrap(), 70, "a new window");
        assert!(reduces(5, 3) && reduces(-5, 0) && !reduces(5, 6) && !reduces(5, -1) && !reduces(0, 1));
        assert_eq!(long_delta(-2, 3), 3);
        assert_eq!(long_delta(3, -2), -3);
        assert_eq!(settleable(Fx::from_num(10.5), Fx::from_num(-7.9), 100), 7);
        assert_eq!(settleable(Fx::from_num(10.5), Fx::from_num(3), 100), 0);
    }

    #[test]
    fn the_perp_direction_rule_refuses_every_single_loosening() {
        let p = PerpParams {
            base_lot_size: 100,
            price_band_bps: 300,
            taker_fee_bps: 10,
            maker_fee_bps: 5,
            insurance_fee_share_bps: 5_000,
            max_open_interest: 1_000,
            max_funding_bps_per_day: 100,
            funding_window_secs: 3_600,
            settle_limit: 1_000,
            settle_window_secs: 3_600,
            init_pnl_cap: 1_000,
            flags: PERP_FLAG_ENABLED,
        };
        assert!(p.no_riskier_than(&p));
        let stricter = PerpParams {
            price_band_bps: 299,
            max_open_interest: 999,
            settle_limit: 999,
            init_pnl_cap: 999,
            settle_window_secs: 3_601,
            flags: PERP_FLAG_ENABLED | PERP_FLAG_REDUCE_ONLY,
            ..p
        };
        assert!(stricter.no_riskier_than(&p));
        let ro = PerpParams { flags: PERP_FLAG_ENABLED | PERP_FLAG_REDUCE_ONLY, ..p };
        for x in [
            PerpParams { base_lot_size: 101, ..p },
            PerpParams { price_band_bps: 301, ..p },
            PerpParams { taker_fee_bps: 9, ..p },
            PerpParams { maker_fee_bps: 4, ..p },
            PerpParams { insurance_fee_share_bps: 4_999, ..p },
            PerpParams { max_open_interest: 1_001, ..p },
            PerpParams { max_funding_bps_per_day: 99, ..p },
            PerpParams { funding_window_secs: 3_599, ..p },
            PerpParams { settle_limit: 1_001, ..p },
            PerpParams { settle_window_secs: 3_599, ..p },
            PerpParams { init_pnl_cap: 1_001, ..p },
            PerpParams { flags: 0, ..p },
            PerpParams { flags: PERP_FLAG_ENABLED | 4, ..p },
        ] {
            assert!(!x.no_riskier_than(&p), "{x:?}");
        }
        assert!(!p.no_riskier_than(&ro), "clearing reduce-only");
        assert!(!ro.no_riskier_than(&PerpParams { flags: 0, ..p }), "enabling");
    }

    #[test]
    fn params_bounds() {
        let ok = PerpParams {
            base_lot_size: 1_000,
            price_band_bps: 500,
            taker_fee_bps: 10,
            maker_fee_bps: 5,
            insurance_fee_share_bps: 5_000,
            max_open_interest: 1_000_000,
            max_funding_bps_per_day: 100,
            funding_window_secs: 3_600,
            settle_limit: 1_000_000,
            settle_window_secs: 3_600,
            init_pnl_cap: 0,
            flags: 1,
        };
        assert!(ok.validate(1_000, 1_000).is_ok());
        assert!(ok.validate(400, 1_000).is_err(), "OR-13: band wider than the maint shock");
        assert!(PerpParams { base_lot_size: 0, ..ok }.validate(1_000, 1_000).is_err());
        assert!(PerpParams { taker_fee_bps: 1_001, ..ok }.validate(1_000, 1_000).is_err());
        assert!(PerpParams { max_funding_bps_per_day: 1_001, ..ok }.validate(1_000, 1_000).is_err());
        assert!(PerpParams { funding_window_secs: 10, ..ok }.validate(1_000, 1_000).is_err());
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
                trade(buyer, seller, Fx::from_num(base), Fx::from_num(price)).unwrap();
                let b: Fx = pos.iter().map(|p| p.base).sum();
                let q: Fx = pos.iter().map(|p| p.quote).sum();
                prop_assert_eq!(b, Fx::ZERO);
                prop_assert_eq!(q, Fx::ZERO);
            }
            let before: Fx = pos.iter().map(|p| p.quote).sum();
            for p in pos.iter_mut() {
                p.settle_funding(PerpIndex { funding: Fx::from_num(index) / 7, loss: Fx::ZERO }).unwrap();
            }
            let after: Fx = pos.iter().map(|p| p.quote).sum();
            prop_assert!(after <= before);
        }

        /// S2-22: a loss socialized over the open interest is collected in full from the positions
        /// (both sides pay on their size), and at most one quote unit per position more.
        #[test]
        fn s2_22_socialized_loss_is_collected_in_full(
            longs in prop::collection::vec(1u64..1_000_000_000_000, 1..6),
            shorts_split in prop::collection::vec(1u64..1_000, 1..6),
            loss in 1u64..1_000_000_000_000,
        ) {
            let oi: u64 = longs.iter().sum();
            // Split the short side in proportion to `shorts_split`, the last short takes the rest.
            let weight: u64 = shorts_split.iter().sum();
            let mut shorts: Vec<u64> = shorts_split.iter().map(|w| (oi as u128 * *w as u128 / weight as u128) as u64).collect();
            let assigned: u64 = shorts[..shorts.len() - 1].iter().sum();
            *shorts.last_mut().unwrap() = oi - assigned;
            let mut pos: Vec<PerpPos> = longs.iter().map(|b| PerpPos { base: Fx::from_num(*b), ..Default::default() })
                .chain(shorts.iter().map(|b| PerpPos { base: -Fx::from_num(*b), ..Default::default() }))
                .collect();
            let per = socialized_loss_per_base(loss, Fx::from_num(oi)).unwrap().unwrap();
            let index = PerpIndex { funding: Fx::ZERO, loss: per };
            let mut charged = Fx::ZERO;
            for p in pos.iter_mut() {
                charged += p.settle_funding(index).unwrap();
            }
            prop_assert!(charged >= Fx::from_num(loss), "charged {} < loss {}", charged, loss);
            prop_assert!(charged <= Fx::from_num(loss) + Fx::from_num(pos.len() as u64 + 1), "charged {}", charged);
        }
    }

    /// The side indexes: a long pays funding and the loss, a short receives funding and pays the
    /// loss; a position that flips after the loss index moved re-bases and is charged only from
    /// then on.
    #[test]
    fn s2_22_a_flip_rebases_on_the_new_side() {
        let f = |x: i64| Fx::from_num(x);
        let i0 = PerpIndex::default();
        let mut p = PerpPos { base: f(10), quote: f(0), funding_snapshot: i0.side(f(10)).unwrap() };
        let i1 = PerpIndex { funding: f(1), loss: f(1) / 2 };
        // Long 10: funding 10 x 1 plus loss 10 x 0.5.
        assert_eq!(p.settle_funding(i1).unwrap(), f(15));
        // Sells 20 at the same instant: short 10, re-based on the short side.
        p.base = f(-10);
        p.rebase(i1).unwrap();
        assert_eq!(p.funding_owed(i1).unwrap(), f(0));
        let i2 = PerpIndex { funding: f(2), loss: f(1) };
        // Short 10: receives funding 10 x 1, pays the loss 10 x 0.5.
        assert_eq!(p.settle_funding(i2).unwrap(), f(-5));
        // Without the loss index the long and short sides are the funding index (old snapshots).
        assert_eq!(PerpIndex { funding: f(3), loss: f(0) }.side(f(-1)).unwrap(), f(3));
    }

    #[test]
    fn s2_22_covered_loss_is_the_loss_less_the_shortfall() {
        use super::super::health::{AssetRisk, Exposure, HealthInput};
        let f = |x: i64| Fx::from_num(x);
        // One market, 100 of collateral: a 1,000 loss is covered up to 100.
        assert_eq!(covered_loss(f(-1_000), f(100)).unwrap(), f(-100));
        assert_eq!(settleable(f(5_000), covered_loss(f(-1_000), f(100)).unwrap(), u64::MAX), 100);
        assert_eq!(covered_loss(f(-1_000), f(5_000)).unwrap(), f(-1_000));
        assert_eq!(settleable(f(5_000), covered_loss(f(-1_000), f(0)).unwrap(), u64::MAX), 0);
        // The collateral from an engine input: quote (index 0) at price q, SOL (index 1) at 2 quote
        // per native unit. 1,500 quote of tokens, long 100 SOL with -700 of perp cash, and a flat
        // -1,000 in another market folded into the quote entry's perp cash.
        let input = |q: f64| {
            let mut h = HealthInput::new_boxed();
            let quote = AssetRisk { asset_index: 0, oracle_price: Price::from_num(q), ..Default::default() };
            let sol = AssetRisk { asset_index: 1, oracle_price: Price::from_num(2), ..Default::default() };
            h.push(quote, Exposure { spot: f(1_500) - f(1_700), perp_base: f(0), perp_quote: f(-1_000) }).unwrap();
            h.push(sol, Exposure { spot: f(0), perp_base: f(100), perp_quote: f(-700) }).unwrap();
            h
        };
        for q in [1.0, 0.9, 1.1] {
            let h = input(q);
            let qp = Price::from_num(q);
            // Equity as health computes it: spot (perp cash included) at q, the base at 2.
            let equity = value(f(-200), qp, Round::Down).unwrap() + f(200);
            let c = loser_collateral(&h, equity, 0).unwrap();
            // The tokens, 1,500 quote units, whatever q is (to a few ulps of the conversion).
            assert!((c.collateral - f(1_500)).abs() < Fx::from_num(0.001), "q {q}: {}", c.collateral);
            assert!(c.collateral <= f(1_500));
            // The shortfall is what the equity lacks in quote units (at 1.1 the perp cash, a
            // debt in quote units, outweighs: equity -20, a shortfall of 20 / 1.1).
            let want = (-equity).max(Fx::ZERO) / Fx::from_num(q);
            assert!(c.shortfall >= want && c.shortfall - want < Fx::from_num(0.001), "q {q}: {}", c.shortfall);
        }
        // Insolvent: equity -300 at q = 1 is a shortfall of 300 (rounded up).
        let c = loser_collateral(&input(1.0), f(-300), 0).unwrap();
        assert!(c.shortfall >= f(300) && c.shortfall < f(300) + Fx::from_num(0.001));
        // No open interest: nothing to socialize over.
        assert_eq!(socialized_loss_per_base(10, Fx::ZERO).unwrap(), None);
        assert_eq!(socialized_loss_per_base(0, f(10)).unwrap(), None);
    }
}
