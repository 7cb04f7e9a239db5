//! Option transitions: one account's side of an option trade, a trade between two accounts (premium,
//! fees, open interest), a liquidator's take-over of an option position, and the model value and
//! price checks they share. See docs/options.md.

use anchor_lang::prelude::*;

use super::token::{credit_quote, debit_quote};
use super::{update_token, Slot};
use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::{option_entry, HealthAccounts, OptionSurface};
use crate::oracle::OraclePrice;
use crate::risk::bank::BankState;
use crate::risk::num::{bps_frac, scale_price, value};
use crate::risk::options::grid::value_now;
use crate::risk::options::settle::{settlement_price, settlement_value, MAX_SAMPLES};
use crate::risk::perp::{long_delta, reduces};
use crate::risk::{AssetRisk, Fx, HealthInput, HealthType, Price, Round};
use crate::state::*;

/// An option series: (underlying, expiry, strike, kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Series {
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Strike, quote native per base native.
    pub strike: Price,
    /// 0 call, 1 put.
    pub kind: u8,
}

/// A position's contracts before and after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractsMoved {
    /// Contracts before (long positive).
    pub old: i64,
    /// Contracts after.
    pub new: i64,
}

impl ContractsMoved {
    /// Change of long open interest, contracts.
    pub fn long_delta(&self) -> i64 {
        long_delta(self.old, self.new)
    }
    /// True when the position only shrank towards zero.
    pub fn reduces(&self) -> bool {
        reduces(self.old, self.new)
    }
}

/// Moves the account's position in `series` by `contracts` (bought when `buy`), opening or freeing
/// its slot.
pub fn move_option(account: &mut MarginAccount, series: &Series, buy: bool, contracts: u64) -> Result<ContractsMoved> {
    let strike = Price128::from_price(series.strike);
    let slot = account.option_slot_or_open(series.asset_index, series.expiry, strike, series.kind)?;
    let old = account.options[slot].size;
    let n = i64::try_from(contracts).map_err(|_| BallastError::MathOverflow)?;
    let new = if buy { old.checked_add(n) } else { old.checked_sub(n) }.ok_or(BallastError::MathOverflow)?;
    account.options[slot].size = new;
    account.release_option_slot_if_empty(slot);
    Ok(ContractsMoved { old, new })
}

/// Records a change of long open interest in the expiry slot `slot` and in total; a rise must stay
/// within the caps when `capped` (trades; liquidations are never blocked by caps).
pub fn record_open_interest(m: &mut OptionMarket, slot: usize, delta: i64, capped: bool) -> Result<u64> {
    let e = &mut m.expiries[slot];
    let per = e.open_interest.checked_add_signed(delta).ok_or(BallastError::MathOverflow)?;
    let total = m.open_interest.checked_add_signed(delta).ok_or(BallastError::MathOverflow)?;
    if capped && delta > 0 {
        require!(per <= m.max_expiry_open_interest && total <= m.max_open_interest, BallastError::MaxOpenInterest);
    }
    e.open_interest = per;
    m.open_interest = total;
    Ok(total)
}

/// The engine's valuation (against the holder, at the oracle, Maint: [`value_now`]) of `contracts`
/// of `series` held long (`long`) or short, with the surface `s` of its underlying `a` at `now`.
/// Fails with OptionSeriesInvalid when the expiry is not listed or the series is settled.
pub fn model_value(
    s: &OptionSurface,
    series: &Series,
    contracts: u64,
    long: bool,
    a: &AssetRisk,
    now: i64,
) -> Result<Fx> {
    let n = i64::try_from(contracts).map_err(|_| BallastError::MathOverflow)?;
    let pos = OptionPosition {
        strike: Price128::from_price(series.strike),
        expiry: series.expiry,
        size: if long { n } else { n.checked_neg().ok_or(BallastError::MathOverflow)? },
        asset_index: series.asset_index,
        kind: series.kind,
        reserved: [0; 5],
    };
    let (entry, settled) = option_entry(&pos, s, 0, a, now).map_err(|_| BallastError::OptionSeriesInvalid)?;
    require!(settled.is_none(), BallastError::OptionSeriesInvalid);
    value_now(&entry, a).map_risk()
}

/// `bps` of `oracle` times `contracts × contract_size` base units, quote native units (rounded
/// down): the price band's width and the fees.
pub fn notional_bps(oracle: Price, contracts: u64, contract_size: u64, bps: u32, round: Round) -> Result<Fx> {
    let units = Fx::from_num(contracts).checked_mul(Fx::from_num(contract_size)).ok_or(BallastError::MathOverflow)?;
    let per_unit = scale_price(oracle, bps_frac(bps, round), round).ok_or(BallastError::MathOverflow)?;
    value(units, per_unit, round).ok_or_else(|| error!(BallastError::MathOverflow))
}

/// A trade's premium must lie within `band_bps` of the underlying's price per unit around the
/// model value of the long side (PriceOutsideBand otherwise).
pub fn check_premium(premium: u64, model: Fx, band: Fx) -> Result<()> {
    let p = Fx::from_num(premium);
    let lo = model.checked_sub(band).ok_or(BallastError::MathOverflow)?;
    let hi = model.checked_add(band).ok_or(BallastError::MathOverflow)?;
    require!(p >= lo && p <= hi, BallastError::PriceOutsideBand);
    Ok(())
}

/// The strike of a series that a trade opens or grows must lie within the market's band around
/// the oracle (OptionSeriesInvalid otherwise).
pub fn check_strike(m: &OptionMarket, strike: Price, oracle: Price) -> Result<()> {
    let lo = scale_price(oracle, bps_frac(m.min_strike_bps, Round::Up), Round::Up).ok_or(BallastError::MathOverflow)?;
    let hi =
        scale_price(oracle, bps_frac(m.max_strike_bps, Round::Down), Round::Down).ok_or(BallastError::MathOverflow)?;
    require!(strike >= lo && strike <= hi, BallastError::OptionSeriesInvalid);
    Ok(())
}

/// The amounts of one option trade, quote native units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionFill {
    /// The series.
    pub series: Series,
    /// Contracts bought by the buyer.
    pub contracts: u64,
    /// Premium paid by the buyer to the seller.
    pub premium: u64,
    /// Fee each side pays.
    pub fee: u64,
}

/// What an option trade did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionTraded {
    /// The buyer's contracts before and after.
    pub buyer: ContractsMoved,
    /// The seller's contracts before and after.
    pub seller: ContractsMoved,
    /// Open interest of the underlying after, contracts.
    pub open_interest: u64,
}

/// Debits a premium from the buyer's quote balance like a withdrawal: beyond its deposit it is a
/// borrow within the quote asset's borrow rules (borrowable, caps, minimum). Returns the native
/// units borrowed.
fn pay_premium(account: &mut MarginAccount, quote: &Asset, bank: &mut BankState, amount: u64) -> Result<u64> {
    if amount == 0 {
        return Ok(0);
    }
    let borrowable = quote.flags & ASSET_FLAG_BORROWABLE != 0;
    let limits = quote.bank.limits;
    update_token(account, quote.asset_index, Slot::OpenIfMissing, |pos| {
        let borrowing = amount > bank.withdrawable(*pos).map_risk()?;
        require!(!borrowing || borrowable, BallastError::BorrowingDisabled);
        let out = bank.withdraw(pos, amount, borrowing).map_risk()?;
        if out.borrowed > 0 {
            bank.check_borrow(&limits, *pos).map_risk()?;
        }
        Ok(out.borrowed)
    })
}

/// The premium (buyer to seller) and both fees of a trade on the quote bank `bank`, with their
/// borrows recorded (kept out of [`trade_option`]'s frame).
#[inline(never)]
fn pay_premium_and_fees(
    quote: &mut Asset,
    bank: &mut BankState,
    buyer: &mut MarginAccount,
    seller: &mut MarginAccount,
    f: &OptionFill,
    now: i64,
) -> Result<()> {
    let qi = quote.asset_index;
    let borrowed = pay_premium(buyer, quote, bank, f.premium)?;
    credit_quote(seller, bank, qi, f.premium)?;
    let owed = debit_quote(buyer, bank, qi, f.fee)?
        .checked_add(debit_quote(seller, bank, qi, f.fee)?)
        .ok_or(BallastError::MathOverflow)?;
    quote.record_net_borrow(now, borrowed, false)?;
    quote.record_owed_borrow(now, owed)
}

/// Both sides of an option trade: the positions move by the same contracts; the buyer pays the
/// premium to the seller (a borrow within the quote asset's rules if needed); each side pays its
/// fee (owed, a borrow if needed) to the protocol; a reduce-only market only shrinks positions;
/// a side that opens or grows a position needs the market enabled and the strike inside the band;
/// open interest stays within the per-expiry and total caps. `asset` is the underlying, `quote`
/// the quote asset (interest accrued here). The expiry must be listed and in the future.
pub fn trade_option(
    asset: &mut Asset,
    quote: &mut Asset,
    buyer: &mut MarginAccount,
    seller: &mut MarginAccount,
    f: &OptionFill,
    oracle: Price,
    now: i64,
) -> Result<OptionTraded> {
    let slot = asset.option.expiry_slot(f.series.expiry).ok_or(BallastError::OptionSeriesInvalid)?;
    require!(f.series.expiry > now && asset.option.settlement(slot).is_none(), BallastError::OptionSeriesInvalid);
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let b = move_option(buyer, &f.series, true, f.contracts)?;
    let s = move_option(seller, &f.series, false, f.contracts)?;
    if !(b.reduces() && s.reduces()) {
        require!(asset.option.enabled(), BallastError::OptionMarketDisabled);
        require!(!asset.option.reduce_only(), BallastError::ReduceOnly);
        check_strike(&asset.option, f.series.strike, oracle)?;
    }
    pay_premium_and_fees(quote, &mut bank, buyer, seller, f, now)?;
    let delta = b.long_delta().checked_add(s.long_delta()).ok_or(BallastError::MathOverflow)?;
    let open_interest = record_open_interest(&mut asset.option, slot, delta, true)?;
    quote.bank.set_state(&bank);
    quote.add_perp_fees(f.fee.checked_mul(2).ok_or(BallastError::MathOverflow)?, 0)?;
    Ok(OptionTraded { buyer: b, seller: s, open_interest })
}

/// The price of a liquidator's take-over of an option position: the engine's model value
/// ([`model_value`]) moved by the fee (`fee_bps`, with its ramp, of the option's value plus, for a
/// short, its short-option minimum: [`TakeOverPrice::cash`])
/// against the liquidated account.
#[derive(Clone, Copy, Debug)]
pub struct TakeOverPrice<'a> {
    /// The underlying's option surface.
    pub surface: &'a OptionSurface,
    /// The series.
    pub series: &'a Series,
    /// True when the liquidated position is long.
    pub long: bool,
    /// The underlying's risk view (oracle price).
    pub entry: &'a AssetRisk,
    /// Fee, bps of the underlying's notional.
    pub fee_bps: u32,
    /// Now, unix seconds.
    pub now: i64,
}

impl TakeOverPrice<'_> {
    /// (cash, fee) of `k` contracts, quote native units: for a long, what the liquidator pays (the
    /// value less the fee, at least 0, rounded down); for a short, what the liquidated account
    /// pays (the value plus the fee, rounded up). The fee is `fee_bps` of the option's time value
    /// (its value less its intrinsic value at the oracle) plus, for a short, its short-option
    /// minimum: not of the underlying's notional, which could exceed what taking over a far
    /// out-of-the-money short frees, nor of the whole value, which for a deep in-the-money option
    /// could exceed the grid charge the step frees; either way no step could raise health.
    pub fn cash(&self, k: u64) -> Result<(u64, u64)> {
        let v = model_value(self.surface, self.series, k, self.long, self.entry, self.now)?;
        let minimum = if self.long {
            Fx::ZERO
        } else {
            let bps = u32::from(self.surface.risk.short_minimum_bps);
            notional_bps(self.entry.oracle_price, k, self.surface.contract_size, bps, Round::Up)?
        };
        let intrinsic = {
            let (f, strike) = (self.entry.oracle_price, self.series.strike);
            let per_unit = if self.series.kind == 0 { f.checked_sub(strike) } else { strike.checked_sub(f) };
            let per_unit = per_unit.ok_or(BallastError::MathOverflow)?.max(Price::ZERO);
            let units = Fx::from_num(k).checked_mul(Fx::from_num(self.surface.contract_size));
            units.and_then(|u| value(u, per_unit, Round::Down)).ok_or(BallastError::MathOverflow)?
        };
        let time_value = v.checked_abs().and_then(|a| a.checked_sub(intrinsic)).ok_or(BallastError::MathOverflow)?;
        let base = time_value.max(Fx::ZERO).checked_add(minimum).ok_or(BallastError::MathOverflow)?;
        let fee = crate::risk::num::mul(base, bps_frac(self.fee_bps, Round::Up), Round::Up)
            .ok_or(BallastError::MathOverflow)?;
        let c = if self.long {
            v.checked_sub(fee).ok_or(BallastError::MathOverflow)?.max(Fx::ZERO).checked_floor()
        } else {
            v.checked_neg().and_then(|x| x.checked_add(fee)).and_then(|x| x.checked_ceil())
        };
        let c = c.and_then(|c| c.checked_to_num::<u64>()).ok_or(BallastError::MathOverflow)?;
        let f = fee.checked_ceil().and_then(|f| f.checked_to_num::<u64>()).ok_or(BallastError::MathOverflow)?;
        Ok((c, f))
    }
}

/// LiquidationEnd health of the liquidated account's engine input `input` after a hypothetical
/// take-over of `k` contracts of `p.series` with `cash` paid (to it for a long, by it for a short):
/// the option-book entry shrinks and the quote exposure moves in place (the caller rebuilds the
/// input afterwards). The program's minimality check and the keeper's sizing both use it.
pub fn end_after_take_over(
    input: &mut HealthInput,
    p: &TakeOverPrice,
    k: u64,
    cash: u64,
    qi: u16,
    memo: Option<crate::risk::options::grid::MemoUse>,
) -> Result<Fx> {
    let e = input.find(p.series.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
    let q = input.find(qi).ok_or(BallastError::InvalidHealthAccounts)?;
    let seconds = p.series.expiry.checked_sub(p.now).ok_or(BallastError::MathOverflow)?;
    let units = Fx::from_num(k).checked_mul(Fx::from_num(p.surface.contract_size)).ok_or(BallastError::MathOverflow)?;
    let book = input.options.as_deref_mut().ok_or(BallastError::NothingToLiquidate)?;
    let n = book.len;
    let o = book.positions[..n]
        .iter_mut()
        .find(|o| o.entry == e && o.kind as u8 == p.series.kind && o.strike == p.series.strike && o.seconds == seconds)
        .ok_or(BallastError::NothingToLiquidate)?;
    o.size =
        if p.long { o.size.checked_sub(units) } else { o.size.checked_add(units) }.ok_or(BallastError::MathOverflow)?;
    let c = Fx::from_num(cash);
    let spot = input.exposures[q].spot;
    input.exposures[q].spot =
        if p.long { spot.checked_add(c) } else { spot.checked_sub(c) }.ok_or(BallastError::MathOverflow)?;
    crate::risk::health_components_memo(input, HealthType::LiquidationEnd, memo).map_risk().map(|c| c.health)
}

/// What a liquidator's take-over of an option position did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionTakeOver {
    /// The liquidated account's contracts before and after.
    pub liqee: ContractsMoved,
    /// The liquidator's contracts before and after.
    pub liqor: ContractsMoved,
    /// Quote native units paid: by the liquidator to the liquidated account for a long, by the
    /// liquidated account to the liquidator for a short.
    pub cash: u64,
}

/// Moves `contracts` of the liquidated account's position in `series` (long when `liqee_long`) to
/// the liquidator, with `cash` quote native units paid the other way (owed: a borrow if needed).
/// Open interest follows without caps.
pub fn take_over_option(
    asset: &mut Asset,
    bank: &mut BankState,
    qi: u16,
    liqee: &mut MarginAccount,
    liqor: &mut MarginAccount,
    (series, contracts, liqee_long): (&Series, u64, bool),
    cash: u64,
) -> Result<(OptionTakeOver, u64)> {
    let slot = asset.option.expiry_slot(series.expiry).ok_or(BallastError::OptionSeriesInvalid)?;
    let e = move_option(liqee, series, !liqee_long, contracts)?;
    require!(e.reduces(), BallastError::NothingToLiquidate);
    let r = move_option(liqor, series, liqee_long, contracts)?;
    let owed = if liqee_long {
        let owed = debit_quote(liqor, bank, qi, cash)?;
        credit_quote(liqee, bank, qi, cash)?;
        owed
    } else {
        let owed = debit_quote(liqee, bank, qi, cash)?;
        credit_quote(liqor, bank, qi, cash)?;
        owed
    };
    let delta = e.long_delta().checked_add(r.long_delta()).ok_or(BallastError::MathOverflow)?;
    record_open_interest(&mut asset.option, slot, delta, false)?;
    Ok((OptionTakeOver { liqee: e, liqor: r, cash }, owed))
}

/// Records `price` (the underlying's validated oracle price) as a settlement sample of `st`'s
/// expiry: published inside the window `[expiry, expiry + settle_window_secs]`, before the expiry is
/// settled, at most 16 samples, each at least `settle_spacing_secs` after the last one recorded
/// (PX-05: a price held for one slot yields one sample). Returns the samples recorded.
pub fn record_sample(m: &OptionMarket, st: &mut OptionSettlement, price: &OraclePrice) -> Result<u8> {
    let slot = m.expiry_slot(st.expiry).ok_or(BallastError::OptionSeriesInvalid)?;
    let end = st.expiry.checked_add(i64::from(m.settle_window_secs)).ok_or(BallastError::MathOverflow)?;
    let n = usize::from(st.count);
    require!(
        m.settlement(slot).is_none() && n < MAX_SAMPLES && (st.expiry..=end).contains(&price.publish_time),
        BallastError::OptionSettlementWindow
    );
    if let Some(last) = n.checked_sub(1).map(|i| st.samples[i].ts) {
        let next = last.checked_add(i64::from(m.settle_spacing_secs)).ok_or(BallastError::MathOverflow)?;
        require!(price.publish_time >= next, BallastError::OptionSettlementSpacing);
    }
    // A sample beyond the settlement confidence limit is refused without using a slot or the
    // spacing; a recorded one is valid by the engine's rule (the same formula as its limit).
    require!(price.conf_bps <= u32::from(m.settle_max_conf_bps), BallastError::OracleConfidence);
    let conf = scale_price(price.price, bps_frac(price.conf_bps, Round::Down), Round::Down)
        .ok_or(BallastError::MathOverflow)?;
    st.samples[n] = SettlementSample {
        ts: price.publish_time,
        price: Price128::from_price(price.price),
        conf: Price128::from_price(conf),
    };
    st.count = st.count.checked_add(1).ok_or(BallastError::MathOverflow)?;
    Ok(st.count)
}

/// Fixes the settlement price of `st`'s expiry by the engine's rule
/// ([`settlement_price`]: the median of the valid spaced samples once the window has closed).
/// From then on the expiry's `open_interest` counts the contracts of both sides not yet settled.
pub fn fix_settlement(m: &mut OptionMarket, st: &OptionSettlement, now: i64) -> Result<Price> {
    let slot = m.expiry_slot(st.expiry).ok_or(BallastError::OptionSeriesInvalid)?;
    require!(m.settlement(slot).is_none(), BallastError::OptionSettlementWindow);
    let samples = st.samples();
    let used = &samples[..usize::from(st.count).min(MAX_SAMPLES)];
    let p = settlement_price(used, st.expiry, now, &m.settlement_rule())
        .map_risk()?
        .ok_or(BallastError::OptionSettlementNotReady)?;
    let e = &mut m.expiries[slot];
    e.settlement_price = Price128::from_price(p);
    e.open_interest = e.open_interest.checked_mul(2).ok_or(BallastError::MathOverflow)?;
    Ok(p)
}

/// What settling one position did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionSettled {
    /// Contracts settled (long positive).
    pub contracts: i64,
    /// Quote native units received (positive) or paid (negative).
    pub cash: i64,
    /// Native units the payment borrowed (for `Asset::record_owed_borrow`).
    pub owed: u64,
}

/// Settles the account's option in `slot` (of `st`'s expiry on `asset`) into quote cash at the
/// expiry's settlement price ([`settlement_value`], against the holder): a short pays into the
/// expiry's pot (a borrow if needed: owed whatever the limits), a long is paid out of it and waits
/// while the pot holds less than it is owed. The slot is freed and open interest falls.
pub fn settle_position(
    asset: &mut Asset,
    bank: &mut BankState,
    qi: u16,
    account: &mut MarginAccount,
    slot: usize,
    st: &mut OptionSettlement,
) -> Result<PositionSettled> {
    let o = *account.options.get(slot).ok_or(BallastError::NothingToSettle)?;
    require!(o.asset_index == asset.asset_index && o.expiry == st.expiry && o.size != 0, BallastError::NothingToSettle);
    let m = &mut asset.option;
    let e = m.expiry_slot(o.expiry).ok_or(BallastError::OptionSeriesInvalid)?;
    let settle = m.settlement(e).ok_or(BallastError::OptionSettlementNotReady)?;
    let kind = crate::risk::options::OptionKind::from_u8(o.kind).ok_or(BallastError::OptionSeriesInvalid)?;
    let units = Fx::from_num(o.size).checked_mul(Fx::from_num(m.contract_size)).ok_or(BallastError::MathOverflow)?;
    let v = settlement_value(kind, o.strike.price(), settle, units).map_risk()?;
    let n = o.size.unsigned_abs();
    let (cash, owed) = if o.size < 0 {
        let pay = v.checked_neg().and_then(|x| x.checked_ceil()).and_then(|x| x.checked_to_num::<u64>());
        let pay = pay.ok_or(BallastError::MathOverflow)?;
        let owed = debit_quote(account, bank, qi, pay)?;
        st.pot = st.pot.checked_add(pay).ok_or(BallastError::MathOverflow)?;
        st.settled_short = st.settled_short.checked_add(n).ok_or(BallastError::MathOverflow)?;
        (
            i64::try_from(pay)
                .map_err(|_| BallastError::MathOverflow)?
                .checked_neg()
                .ok_or(BallastError::MathOverflow)?,
            owed,
        )
    } else {
        let receive = v.checked_floor().and_then(|x| x.checked_to_num::<u64>()).ok_or(BallastError::MathOverflow)?;
        st.pot = st.pot.checked_sub(receive).ok_or(BallastError::OptionSettlementAwaitingShorts)?;
        credit_quote(account, bank, qi, receive)?;
        st.settled_long = st.settled_long.checked_add(n).ok_or(BallastError::MathOverflow)?;
        m.open_interest = m.open_interest.checked_sub(n).ok_or(BallastError::MathOverflow)?;
        (i64::try_from(receive).map_err(|_| BallastError::MathOverflow)?, 0)
    };
    m.expiries[e].open_interest = m.expiries[e].open_interest.checked_sub(n).ok_or(BallastError::MathOverflow)?;
    account.options[slot].size = 0;
    account.release_option_slot_if_empty(slot);
    Ok(PositionSettled { contracts: o.size, cash, owed })
}

/// A hypothetical price move of one asset in a what-if, bps of its price (-1,000: 10% down).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceMove {
    /// Asset index (one of the account's health assets).
    pub asset_index: u16,
    /// Relative move, bps (at least -10,000).
    pub move_bps: i32,
}

/// A hypothetical option trade of a what-if (`check_what_if`'s `trades`): the account buys or sells
/// `contracts` of the series for `premium` in all, moving its position as `trade_option` would and
/// its quote balance by the premium (fees aside). Nothing is written: the trades apply to a copy.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhatIfTrade {
    /// Asset index of the underlying (its option market lists `expiry`).
    pub asset_index: u16,
    /// Expiry of the series, unix seconds (in the future).
    pub expiry: i64,
    /// Strike, quote native per base native, I48F80 bits (positive).
    pub strike_bits: i128,
    /// 0 call, 1 put.
    pub kind: u8,
    /// True: the account buys (and pays the premium); false: it sells (and receives it).
    pub buy: bool,
    /// Contracts (positive).
    pub contracts: u64,
    /// Premium of the whole trade, quote native units.
    pub premium: u64,
}

/// Most hypothetical trades in one what-if (one per option slot).
pub const MAX_WHAT_IF_TRADES: usize = crate::constants::MAX_OPTION_POSITIONS;

/// The assets a what-if's health load adds for `trades` (their underlyings and, when there is a
/// trade, the quote asset `quote`) and how many of them are used.
pub fn what_if_extra(trades: &[WhatIfTrade], quote: u16) -> ([u16; MAX_WHAT_IF_TRADES + 1], usize) {
    let mut out = [0u16; MAX_WHAT_IF_TRADES + 1];
    let mut n = 0usize;
    for ai in trades.iter().map(|t| t.asset_index).chain(core::iter::once(quote).filter(|_| !trades.is_empty())) {
        if out.get(..n).is_some_and(|used| used.contains(&ai)) {
            continue;
        }
        if let Some(slot) = out.get_mut(n) {
            *slot = ai;
            n = n.saturating_add(1);
        }
    }
    (out, n)
}

/// Applies hypothetical `trades` to `account` (a copy) as `trade_option` moves positions, and
/// returns the quote balance change, quote native units (premiums received less premiums paid).
/// Errors: InvalidConfig for more than [`MAX_WHAT_IF_TRADES`]; ZeroAmount for zero contracts;
/// OptionSeriesInvalid for a kind other than 0 or 1, a non-positive strike or an expiry not in
/// the future; TooManyPositions (and the others of [`move_option`]) as a trade would.
pub fn apply_what_if_trades(account: &mut MarginAccount, trades: &[WhatIfTrade], now: i64) -> Result<i128> {
    require!(trades.len() <= MAX_WHAT_IF_TRADES, BallastError::InvalidConfig);
    let mut cash = 0i128;
    for t in trades {
        require!(t.contracts > 0, BallastError::ZeroAmount);
        require!(t.kind <= 1 && t.strike_bits > 0 && t.expiry > now, BallastError::OptionSeriesInvalid);
        let series = Series {
            asset_index: t.asset_index,
            expiry: t.expiry,
            strike: Price::from_bits(t.strike_bits),
            kind: t.kind,
        };
        move_option(account, &series, t.buy, t.contracts)?;
        let premium = i128::from(t.premium);
        cash = if t.buy { cash.checked_sub(premium) } else { cash.checked_add(premium) }
            .ok_or(BallastError::MathOverflow)?;
    }
    Ok(cash)
}

/// The engine input of a what-if on `account` (only read) after its hypothetical `trades`: a boxed
/// copy moved by [`apply_what_if_trades`], loaded from `accounts` (its health accounts with
/// [`what_if_extra`], canonical order) at `now`. `check_what_if` and the SDK call this one function.
pub fn what_if_traded_input<R: crate::health_accounts::AccountReader + ?Sized>(
    group: &Pubkey,
    account: &MarginAccount,
    trades: &[WhatIfTrade],
    quote: u16,
    accounts: &R,
    now: i64,
) -> Result<Box<HealthInput>> {
    use crate::oracle::{Action, Priced};
    let mut copy: Box<MarginAccount> = bytemuck::zeroed_box();
    // Byte for byte: no 1.5 KB temporary on the stack.
    bytemuck::bytes_of_mut(&mut *copy).copy_from_slice(bytemuck::bytes_of(account));
    let cash = apply_what_if_trades(&mut copy, trades, now)?;
    let (extra, n) = what_if_extra(trades, quote);
    let priced = const { Priced::of(Action::CheckHealth) };
    let loaded = crate::health_accounts::load_health_accounts(
        priced,
        group,
        &copy,
        extra.get(..n).unwrap_or(&[]),
        accounts,
        now,
    )?;
    what_if_input(&loaded, &copy, trades, cash, quote)
}

/// The engine input of a what-if: the account with its hypothetical `trades` applied (`copy` and
/// its quote balance change `cash`, [`apply_what_if_trades`]) from the health accounts `loaded` for
/// it (which include [`what_if_extra`]). Each trade's underlying must have an option market (not
/// the quote asset: OptionMarketDisabled) listing its expiry, not yet settled
/// (OptionSeriesInvalid). A what-if answers
/// the margin question only: whether the trade would clear (market enabled and not reduce-only,
/// strike band, premium band, open-interest caps, borrow rules, fees) is `trade_option`'s to check.
fn what_if_input(
    loaded: &HealthAccounts,
    copy: &MarginAccount,
    trades: &[WhatIfTrade],
    cash: i128,
    quote: u16,
) -> Result<Box<HealthInput>> {
    for t in trades {
        let s = loaded.options.as_deref().and_then(|s| s.get(t.asset_index));
        let s = s.ok_or(BallastError::OptionMarketDisabled)?;
        require!(s.contract_size != 0 && t.asset_index != quote, BallastError::OptionMarketDisabled);
        let slot = s.slot(t.expiry).map_err(|_| error!(BallastError::OptionSeriesInvalid))?;
        require!(s.settlement[slot] == Price::ZERO, BallastError::OptionSeriesInvalid);
    }
    let mut input = loaded.health_input(copy)?;
    if cash != 0 {
        let e = input.find(quote).ok_or(BallastError::InvalidHealthAccounts)?;
        let c = Fx::checked_from_num(cash).ok_or(BallastError::MathOverflow)?;
        let spot = &mut input.exposures[e].spot;
        *spot = spot.checked_add(c).ok_or(BallastError::MathOverflow)?;
    }
    Ok(input)
}

/// Init and Maint health of the account whose engine input is `input` after the hypothetical
/// `moves` of its assets' prices (oracle and stable) and `vol_move_bps` of every option's
/// volatility, and its Greeks after them on every underlying it holds options on
/// ([`crate::risk::options::grid::what_if_report`]): what `check_what_if` asserts and returns and
/// the SDK computes. Errors: InvalidHealthAccounts for an asset not in the input; InvalidConfig
/// for a move below -100% or more than 16 moves.
pub fn what_if_report(
    input: &HealthInput,
    moves: &[PriceMove],
    vol_move_bps: i32,
) -> Result<Box<crate::risk::options::grid::WhatIfReport>> {
    use crate::risk::options::grid::{what_if_report, OptionBook, WhatIfReport, WhatIfShock};
    require!(moves.len() <= crate::risk::MAX_HEALTH_ASSETS, BallastError::InvalidConfig);
    let bps = |b: i32| Fx::from_num(b).checked_div_int(10_000).ok_or(BallastError::MathOverflow);
    let mut shock = WhatIfShock { vol_move: bps(vol_move_bps)?, ..Default::default() };
    for m in moves {
        let e = input.find(m.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
        shock.price_moves[e] = bps(m.move_bps)?;
    }
    let empty = OptionBook::default();
    let book = input.options.as_deref().unwrap_or(&empty);
    let mut input_out = HealthInput::new_boxed();
    let mut book_out = Box::new(OptionBook::default());
    let mut report = Box::new(WhatIfReport::default());
    what_if_report(input, book, &shock, &mut input_out, &mut book_out, &mut report).map_risk()?;
    Ok(report)
}
