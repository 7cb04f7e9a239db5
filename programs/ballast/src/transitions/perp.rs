//! Perp transitions: the market side of a fill, one account's side of a trade, funding
//! settlement and PnL settlement.

use anchor_lang::prelude::*;

use super::token::{credit_quote, debit_quote};
use crate::error::{BallastError, RiskResultExt};
use crate::oracle::OraclePrice;
use crate::risk::bank::BankState;
use crate::risk::num::mul;
use crate::risk::perp::{self, PerpIndex, PerpParams};
use crate::risk::{Fx, Price, Round};
use crate::state::*;

/// The market after a fill's update.
#[derive(Clone, Copy, Debug)]
pub struct MarketFill {
    /// The market's parameters.
    pub params: PerpParams,
    /// Funding index after accrual (long and short sides).
    pub index: PerpIndex,
    /// The market's flags (`PERP_FLAG_*`).
    pub flags: u8,
    /// The asset's stable price after observing the oracle.
    pub stable: Price,
}

/// The market's side of a fill of `lots` at `price_per_lot` (quote native units per lot): the
/// price must lie inside the band around `oracle`; funding is accrued at the oracle and the fill
/// folded into the premium average with its size weight; the stable price observes the oracle.
pub fn fill_market(
    asset: &mut Asset,
    price_per_lot: u64,
    lots: u64,
    oracle: &OraclePrice,
    now: i64,
) -> Result<MarketFill> {
    require!(asset.perp.enabled(), BallastError::PerpMarketDisabled);
    let params = asset.perp.params();
    perp::check_band(price_per_lot, oracle.price, params.base_lot_size, params.price_band_bps).map_risk()?;
    let mut f = asset.perp.accrue_funding(now, oracle.price)?;
    // S2-14: a lot of 2^47 native units or more overflowed Price and wrapped in release.
    let fill = Price::checked_from_num(price_per_lot)
        .zip(Price::checked_from_num(params.base_lot_size))
        .and_then(|(p, l)| p.checked_div(l))
        .ok_or(BallastError::MathOverflow)?;
    let size_weight = perp::fill_size_weight(lots, asset.perp.open_interest);
    let dt = now.saturating_sub(asset.perp.last_fill_ts);
    f.observe_fill(fill, oracle.price, dt, params.funding_window_secs as i64, size_weight).map_risk()?;
    asset.perp.set_funding(&f);
    // A fill uses up the idle time in proportion to its size weight, so a stream of tiny fills
    // cannot keep later fills' time weight near zero (S2-08).
    let used =
        mul(Fx::from_num(dt.max(0)), size_weight, Round::Down).and_then(|u| u.checked_to_num::<i64>()).unwrap_or(0);
    asset.perp.last_fill_ts = asset.perp.last_fill_ts.saturating_add(used).min(now);
    asset.observe_price(oracle.price, oracle.publish_time, now)?;
    Ok(MarketFill { params, index: f.indexes(), flags: asset.perp.flags, stable: asset.stable_price.price() })
}

/// A position's base lots before and after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LotsMoved {
    /// Base lots before (signed: long positive).
    pub old: i64,
    /// Base lots after.
    pub new: i64,
}

impl LotsMoved {
    /// Change of long open interest, lots ([`perp::long_delta`]).
    pub fn long_delta(&self) -> i64 {
        perp::long_delta(self.old, self.new)
    }
    /// True when the position only shrank towards zero ([`perp::reduces`]).
    pub fn reduces(&self) -> bool {
        perp::reduces(self.old, self.new)
    }
}

/// Moves one account's perp position in asset `ai` by `lots` (bought when `buy`) for `cost` quote
/// native units (paid by the buyer), after settling its funding at `index`. The position's funding
/// snapshot is re-based on its side's index when the trade opens or flips it.
pub fn apply_perp(
    account: &mut MarginAccount,
    ai: u16,
    lot_size: u64,
    index: PerpIndex,
    buy: bool,
    lots: u64,
    cost: u64,
) -> Result<LotsMoved> {
    let slot = account.perp_slot_or_open(ai, index)?;
    let p = &mut account.perps[slot];
    let mut pos = p.pos(lot_size).map_risk()?;
    let paid = pos.settle_funding(index).map_risk()?;
    let mut other = perp::PerpPos::default();
    let base = Fx::from_num(lots).checked_mul(Fx::from_num(lot_size)).ok_or(BallastError::MathOverflow)?;
    if buy {
        perp::trade(&mut pos, &mut other, base, Fx::from_num(cost)).map_risk()?;
    } else {
        perp::trade(&mut other, &mut pos, base, Fx::from_num(cost)).map_risk()?;
    }
    // Funding was settled at `index` just before: an opened or flipped position settles against
    // its new side's index from now on.
    pos.rebase(index).map_risk()?;
    let old = p.base_lots;
    let lots = i64::try_from(lots).map_err(|_| BallastError::MathOverflow)?;
    let new = if buy { old.checked_add(lots) } else { old.checked_sub(lots) }.ok_or(BallastError::MathOverflow)?;
    p.base_lots = new;
    p.quote = Fx128::from_fx(pos.quote);
    p.funding_snapshot = Fx128::from_fx(pos.funding_snapshot);
    p.funding_paid = p.funding_paid.saturating_add(paid.saturating_to_num::<i64>());
    account.release_perp_slot_if_empty(slot);
    Ok(LotsMoved { old, new })
}

/// The amounts of one fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Perp asset index.
    pub ai: u16,
    /// Quote asset index.
    pub qi: u16,
    /// Base lots traded.
    pub lots: u64,
    /// Notional, quote native units, paid by the buyer to the seller.
    pub cost: u64,
    /// Buyer's fee, quote native units.
    pub buyer_fee: u64,
    /// Seller's fee, quote native units.
    pub seller_fee: u64,
}

impl Fill {
    /// Notional and both fees of `lots` at `price_per_lot` with the sides' fee rates, bps.
    pub fn price(
        ai: u16,
        qi: u16,
        lots: u64,
        price_per_lot: u64,
        buyer_fee_bps: u16,
        seller_fee_bps: u16,
    ) -> Result<Self> {
        let cost = perp::notional(lots, price_per_lot).map_risk()?;
        let buyer_fee = perp::fee(cost, buyer_fee_bps).map_risk()?;
        let seller_fee = perp::fee(cost, seller_fee_bps).map_risk()?;
        Ok(Fill { ai, qi, lots, cost, buyer_fee, seller_fee })
    }
}

/// What a trade did to both positions and the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traded {
    /// The buyer's base lots before and after.
    pub buyer: LotsMoved,
    /// The seller's base lots before and after.
    pub seller: LotsMoved,
    /// Open interest after, lots.
    pub open_interest: u64,
}

/// Both sides of a fill: positions move by the same base and quote, each side's fee is debited
/// from its quote balance (a borrow if needed, recorded in the net-borrow window), open interest
/// moves within `params.max_open_interest`, a reduce-only market only shrinks positions, and the
/// fees are split between the protocol and the insurance fund. `asset` is the perp asset, `quote`
/// the quote asset (interest accrued here).
pub fn trade(
    asset: &mut Asset,
    quote: &mut Asset,
    buyer: &mut MarginAccount,
    seller: &mut MarginAccount,
    f: &Fill,
    market: &MarketFill,
    now: i64,
) -> Result<Traded> {
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let lot = market.params.base_lot_size;
    let b = apply_perp(buyer, f.ai, lot, market.index, true, f.lots, f.cost)?;
    let b_owed = debit_quote(buyer, &mut bank, f.qi, f.buyer_fee)?;
    let s = apply_perp(seller, f.ai, lot, market.index, false, f.lots, f.cost)?;
    let s_owed = debit_quote(seller, &mut bank, f.qi, f.seller_fee)?;
    quote.record_owed_borrow(now, b_owed.checked_add(s_owed).ok_or(BallastError::MathOverflow)?)?;
    if market.flags & PERP_FLAG_REDUCE_ONLY != 0 {
        require!(b.reduces() && s.reduces(), BallastError::ReduceOnly);
    }
    let delta = b.long_delta().checked_add(s.long_delta()).ok_or(BallastError::MathOverflow)?;
    let fees = f.buyer_fee.checked_add(f.seller_fee).ok_or(BallastError::MathOverflow)?;
    let open_interest = asset.perp.record_fill(delta, fees, market.params.max_open_interest)?;
    quote.bank.set_state(&bank);
    quote.add_perp_fees(fees, market.params.insurance_fee_share_bps)?;
    Ok(Traded { buyer: b, seller: s, open_interest })
}

/// Settles a position's funding at `index` and returns its PnL at `oracle`, rounded in direction
/// `round` (down for a winner, up for a loser: against both).
pub fn settle_funding(
    a: &mut MarginAccount,
    slot: usize,
    lot: u64,
    index: PerpIndex,
    oracle: Price,
    round: Round,
) -> Result<Fx> {
    let p = &mut a.perps[slot];
    let mut pos = p.pos(lot).map_risk()?;
    let paid = pos.settle_funding(index).map_risk()?;
    p.quote = Fx128::from_fx(pos.quote);
    p.funding_snapshot = Fx128::from_fx(pos.funding_snapshot);
    p.funding_paid = p.funding_paid.saturating_add(paid.saturating_to_num::<i64>());
    pos.pnl(oracle, round).map_risk()
}

/// Moves `amount` quote native units of settled PnL: the winner's perp quote falls and its quote
/// balance rises, the loser's perp quote rises and its quote balance falls. Returns the native
/// units the loser borrowed (for `Asset::record_owed_borrow`).
pub fn transfer_pnl(
    (win, ws): (&mut MarginAccount, usize),
    (lose, ls): (&mut MarginAccount, usize),
    bank: &mut BankState,
    qi: u16,
    amount: u64,
) -> Result<u64> {
    let amt = Fx::from_num(amount);
    let q = win.perps[ws].quote.fx().checked_sub(amt).ok_or(BallastError::MathOverflow)?;
    win.perps[ws].quote = Fx128::from_fx(q);
    let q = lose.perps[ls].quote.fx().checked_add(amt).ok_or(BallastError::MathOverflow)?;
    lose.perps[ls].quote = Fx128::from_fx(q);
    credit_quote(win, bank, qi, amount)?;
    debit_quote(lose, bank, qi, amount)
}

/// Both sides' PnL after their funding is settled, for [`settle_pnl`]'s amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettleSides {
    /// The winner's perp slot.
    pub ws: usize,
    /// The loser's perp slot.
    pub ls: usize,
    /// The winner's PnL at the oracle, rounded down.
    pub win_pnl: Fx,
    /// The loser's PnL at the oracle, rounded up.
    pub lose_pnl: Fx,
}

/// Settles both positions' funding in market `ai` and returns their PnL at `oracle`; fails with
/// NothingToSettle when either account has no position in the market.
pub fn settle_sides(
    win: &mut MarginAccount,
    lose: &mut MarginAccount,
    ai: u16,
    lot: u64,
    index: PerpIndex,
    oracle: Price,
) -> Result<SettleSides> {
    let ws = win.perp_slot(ai).ok_or(BallastError::NothingToSettle)?;
    let ls = lose.perp_slot(ai).ok_or(BallastError::NothingToSettle)?;
    let win_pnl = settle_funding(win, ws, lot, index, oracle, Round::Down)?;
    let lose_pnl = settle_funding(lose, ls, lot, index, oracle, Round::Up)?;
    Ok(SettleSides { ws, ls, win_pnl, lose_pnl })
}

/// Moves `amount` of PnL between the sides of [`settle_sides`] through the quote asset (interest
/// accrued, the loser's borrow recorded), and frees slots left empty.
pub fn settle_pnl(
    quote: &mut Asset,
    win: &mut MarginAccount,
    lose: &mut MarginAccount,
    sides: &SettleSides,
    amount: u64,
    now: i64,
) -> Result<()> {
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let qi = quote.asset_index;
    let owed = transfer_pnl((win, sides.ws), (lose, sides.ls), &mut bank, qi, amount)?;
    quote.record_owed_borrow(now, owed)?;
    win.release_perp_slot_if_empty(sides.ws);
    lose.release_perp_slot_if_empty(sides.ls);
    quote.bank.set_state(&bank);
    Ok(())
}

/// A PnL settlement between two accounts of one market, as the handler validated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Perp asset index.
    pub ai: u16,
    /// Funding and loss index of the market, accrued to now.
    pub index: PerpIndex,
    /// Oracle price of the perp asset.
    pub oracle: Price,
    /// The loser's token collateral, quote native units (`risk::perp::loser_collateral`): what
    /// bounds the loss a settlement may take from it (S2-22).
    pub collateral: Fx,
    /// True when the loser is liquidatable: its loss is realised at once, outside the window
    /// (S2-07).
    pub liquidatable: bool,
    /// Most quote native units the caller wants moved.
    pub max_amount: u64,
}

/// Settles PnL between a winner and a loser of market `s.ai`: both positions' funding is settled,
/// the amount is the least of the winner's PnL, the part of the loser's loss its collateral covers
/// ([`perp::covered_loss`]), `max_amount` and (unless the loser is liquidatable) what is left of
/// the market's settle window; it moves between the perp quotes and the quote balances. Returns the
/// amount. Fails with NothingToSettle, LossNotCovered or SettleLimitReached.
pub fn settle(
    asset: &mut Asset,
    quote: &mut Asset,
    win: &mut MarginAccount,
    lose: &mut MarginAccount,
    s: &Settlement,
    now: i64,
) -> Result<u64> {
    let lot = asset.perp.base_lot_size;
    let sides = settle_sides(win, lose, s.ai, lot, s.index, s.oracle)?;
    require!(perp::settleable(sides.win_pnl, sides.lose_pnl, s.max_amount) > 0, BallastError::NothingToSettle);
    let covered = perp::covered_loss(sides.lose_pnl, s.collateral).map_risk()?;
    let want = perp::settleable(sides.win_pnl, covered, s.max_amount);
    require!(want > 0, BallastError::LossNotCovered);
    let amount = if s.liquidatable {
        want
    } else {
        let mut window =
            perp::SettleWindow { start_ts: asset.perp.settle_window_start, used: asset.perp.settle_window_used };
        let amount = window.take(asset.perp.settle_limit, asset.perp.settle_window_secs, now, want).map_risk()?;
        asset.perp.settle_window_start = window.start_ts;
        asset.perp.settle_window_used = window.used;
        amount
    };
    settle_pnl(quote, win, lose, &sides, amount, now)?;
    Ok(amount)
}

/// Starts a newly enabled market's clocks at `now`: funding, the fill time weight and the settle
/// window all count from the listing, not from the epoch.
pub fn start_market_clocks(market: &mut PerpMarket, now: i64) {
    market.funding_last_ts = now;
    market.last_fill_ts = now;
    market.settle_window_start = now;
}
