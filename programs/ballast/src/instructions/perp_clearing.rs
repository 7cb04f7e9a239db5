//! Perp clearing shared by `block_trade` and `fill_order` (not an instruction itself), and the
//! quote-balance moves shared with `settle_pnl`.
//!
//! A trade: both accounts' health accounts are read first (every price checked); the market's
//! funding is accrued and the fill folded into the premium average; the price must lie inside the
//! band around the oracle; both perp positions settle their funding, then move by exactly the same
//! base and quote; each side pays its fee from its quote-asset balance (a borrow if needed) to the
//! protocol and the insurance fund; open interest must stay under its cap and a reduce-only
//! market only shrinks positions; finally both accounts must pass the health rule.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::risk::bank::BankState;
use crate::risk::num::mul;
use crate::risk::perp::{self, PerpIndex, PerpParams};
use crate::risk::{health, passes_health_rule, Fx, HealthInput, HealthType, Price, Round};
use crate::state::*;

/// The market accounts of a perp instruction.
#[derive(Accounts)]
pub struct PerpMarketAccounts<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Asset whose perp market trades; must belong to the group.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
    /// The group's quote asset: fees are paid in it and PnL settles into it.
    #[account(mut, has_one = group)]
    pub quote: AccountLoader<'info, Asset>,
}

impl PerpMarketAccounts<'_> {
    /// Checks that `quote` is the group's quote asset and differs from `asset`; returns
    /// (asset index, quote index).
    pub fn indexes(&self) -> Result<(u16, u16)> {
        let g = self.group.load()?;
        let a = self.asset.load()?;
        let q = self.quote.load()?;
        require!(q.asset_index == g.quote_asset_index, BallastError::NotQuoteAsset);
        require!(a.asset_index != q.asset_index && a.perp.base_lot_size != 0, BallastError::PerpMarketDisabled);
        Ok((a.asset_index, q.asset_index))
    }
}

/// One side of a trade.
pub struct TradeSide<'a, 'info> {
    /// The margin account.
    pub account: &'a AccountLoader<'info, MarginAccount>,
    /// Its health accounts in canonical order (the perp asset and the quote asset included).
    pub health: &'a [AccountInfo<'info>],
    /// Its fee, bps of notional.
    pub fee_bps: u16,
}

/// Splits a trade's remaining accounts into the first side's health accounts (`first` of them)
/// and the second side's.
pub fn split_health<'a, 'info>(
    remaining: &'a [AccountInfo<'info>],
    first: u8,
) -> Result<(&'a [AccountInfo<'info>], &'a [AccountInfo<'info>])> {
    require!(first as usize <= remaining.len(), BallastError::InvalidHealthAccounts);
    Ok(remaining.split_at(first as usize))
}

/// What a trade did.
#[derive(Clone, Copy, Debug)]
pub struct TradeOutcome {
    /// Fee paid by the buyer, quote native units.
    pub buyer_fee: u64,
    /// Fee paid by the seller, quote native units.
    pub seller_fee: u64,
    /// Oracle price at the trade.
    pub oracle: Price,
    /// Funding index after accrual.
    pub funding_index: Fx,
    /// Open interest after, lots.
    pub open_interest: u64,
    /// Init health of the buyer after.
    pub buyer_health: Fx,
    /// Init health of the seller after.
    pub seller_health: Fx,
}

/// A side's health accounts, its engine input (built once, rebuilt in place after the trade: the
/// SBF heap never frees, S2-05) and Init health before the trade.
struct Loaded {
    accounts: Box<HealthAccounts>,
    input: Box<HealthInput>,
    pre_init: Fx,
}

#[inline(never)]
fn load_side(group: &Pubkey, side: &TradeSide, ai: u16, qi: u16, now: i64) -> Result<Loaded> {
    let account = side.account.load()?;
    let accounts = load_health_accounts(group, &account, &[ai, qi], side.health, now)?;
    let input = accounts.health_input(&account)?;
    let pre_init = health(&input, HealthType::Init).map_risk()?;
    Ok(Loaded { accounts, input, pre_init })
}

/// Market update of a fill: funding accrued at the oracle, the fill folded into the premium
/// average, the price checked against the band. Returns the parameters, funding index and flags.
#[inline(never)]
fn update_market(
    asset: &AccountLoader<Asset>,
    (price_per_lot, lots): (u64, u64),
    oracle: &crate::oracle::OraclePrice,
    now: i64,
) -> Result<(PerpParams, PerpIndex, u8, Price)> {
    let mut a = asset.load_mut()?;
    require!(a.perp.enabled(), BallastError::PerpMarketDisabled);
    let params = a.perp.params();
    perp::check_band(price_per_lot, oracle.price, params.base_lot_size, params.price_band_bps).map_risk()?;
    let mut f = a.perp.accrue_funding(now, oracle.price)?;
    // S2-14: a lot of 2^47 native units or more overflowed Price and wrapped in release.
    let fill = Price::checked_from_num(price_per_lot)
        .zip(Price::checked_from_num(params.base_lot_size))
        .and_then(|(p, l)| p.checked_div(l))
        .ok_or(BallastError::MathOverflow)?;
    let size_weight = perp::fill_size_weight(lots, a.perp.open_interest);
    let dt = now.saturating_sub(a.perp.last_fill_ts);
    f.observe_fill(fill, oracle.price, dt, params.funding_window_secs as i64, size_weight).map_risk()?;
    a.perp.set_funding(&f);
    // A fill uses up the idle time in proportion to its size weight, so a stream of tiny fills
    // cannot keep later fills' time weight near zero (S2-08).
    let used =
        mul(Fx::from_num(dt.max(0)), size_weight, Round::Down).and_then(|u| u.checked_to_num::<i64>()).unwrap_or(0);
    a.perp.last_fill_ts = a.perp.last_fill_ts.saturating_add(used).min(now);
    a.observe_price(oracle.price, oracle.publish_time, now)?;
    Ok((params, f.indexes(), a.perp.flags, a.stable_price.price()))
}

/// Moves one side's perp position by `signed_lots` (buyer positive) for `cost` quote native units
/// (paid by the buyer), after settling its funding. Returns (old lots, new lots).
#[inline(never)]
pub(crate) fn apply_perp(
    account: &mut MarginAccount,
    ai: u16,
    lot_size: u64,
    index: PerpIndex,
    buy: bool,
    lots: u64,
    cost: u64,
) -> Result<(i64, i64)> {
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
    Ok((old, new))
}

/// Credits `amount` quote native units to the account's quote-asset balance (repaying a borrow first).
pub fn credit_quote(account: &mut MarginAccount, bank: &mut BankState, qi: u16, amount: u64) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let slot = account.token_slot_or_open(qi)?;
    let mut position = account.tokens[slot].indexed.fx();
    bank.deposit(&mut position, amount).map_risk()?;
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    Ok(())
}

/// Debits `amount` quote native units from the account's quote-asset balance; beyond the deposit
/// it becomes a borrow (perp fees and settled losses are owed whatever the asset's borrow limits).
/// Returns the native units borrowed, which the caller records in the net-borrow window
/// (`Asset::record_owed_borrow`, S2-17).
pub fn debit_quote(account: &mut MarginAccount, bank: &mut BankState, qi: u16, amount: u64) -> Result<u64> {
    if amount == 0 {
        return Ok(0);
    }
    let slot = account.token_slot_or_open(qi)?;
    let mut position = account.tokens[slot].indexed.fx();
    let out = bank.withdraw(&mut position, amount, true).map_risk()?;
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    Ok(out.borrowed)
}

/// Refreshes a side's loaded view after the trade: new quote bank, funding index and stable price.
fn refresh(l: &mut Loaded, ai: u16, qi: u16, bank: &BankState, index: PerpIndex, stable: Price) -> Result<()> {
    let q = l.accounts.get_mut(qi).ok_or(BallastError::InvalidHealthAccounts)?;
    q.bank = *bank;
    let a = l.accounts.get_mut(ai).ok_or(BallastError::InvalidHealthAccounts)?;
    a.perp_index = index;
    a.risk.stable_price = stable;
    Ok(())
}

/// Init health after the trade; fails with HealthMustBePositive unless the rule holds (a trade that
/// only shrank the position may proceed if it did not lower Init health).
#[inline(never)]
fn post_health(l: &mut Loaded, account: &AccountLoader<MarginAccount>, reduced: bool) -> Result<Fx> {
    let mut account = account.load_mut()?;
    l.accounts.fill_input(&account, &mut l.input)?;
    let post = health(&l.input, HealthType::Init).map_risk()?;
    require!(passes_health_rule(post, reduced.then_some(l.pre_init)), BallastError::HealthMustBePositive);
    if post >= Fx::ZERO {
        // LiquidationEnd health >= Init health >= 0: any liquidation episode is over (S2-01).
        account.end_liquidation_episode();
    }
    Ok(post)
}

/// The amounts of one fill.
struct Fill {
    ai: u16,
    qi: u16,
    lots: u64,
    cost: u64,
    buyer_fee: u64,
    seller_fee: u64,
}

/// Moves both positions, charges both fees from the quote balances, and updates open interest
/// and the fee accounts. Returns the quote bank after, the lots before and after of buyer and
/// seller, and the open interest.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn settle_trade(
    m: &PerpMarketAccounts,
    buyer: &TradeSide,
    seller: &TradeSide,
    f: &Fill,
    params: &PerpParams,
    index: PerpIndex,
    flags: u8,
    now: i64,
) -> Result<(BankState, [i64; 4], u64)> {
    let mut quote = m.quote.load_mut()?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let (b_old, b_new, b_owed) = trade_side(buyer.account, &mut bank, f, params.base_lot_size, index, true)?;
    let (s_old, s_new, s_owed) = trade_side(seller.account, &mut bank, f, params.base_lot_size, index, false)?;
    quote.record_owed_borrow(now, b_owed.checked_add(s_owed).ok_or(BallastError::MathOverflow)?)?;
    if flags & PERP_FLAG_REDUCE_ONLY != 0 {
        require!(perp::reduces(b_old, b_new) && perp::reduces(s_old, s_new), BallastError::ReduceOnly);
    }
    let delta =
        perp::long_delta(b_old, b_new).checked_add(perp::long_delta(s_old, s_new)).ok_or(BallastError::MathOverflow)?;
    let fees = f.buyer_fee.checked_add(f.seller_fee).ok_or(BallastError::MathOverflow)?;
    let open_interest = m.asset.load_mut()?.perp.record_fill(delta, fees, params.max_open_interest)?;
    quote.bank.set_state(&bank);
    quote.add_perp_fees(fees, params.insurance_fee_share_bps)?;
    Ok((bank, [b_old, b_new, s_old, s_new], open_interest))
}

/// One side: its perp position moves, its fee is debited from its quote balance. Returns the old and
/// new base lots and the quote borrowed for the fee.
#[inline(never)]
fn trade_side(
    account: &AccountLoader<MarginAccount>,
    bank: &mut BankState,
    f: &Fill,
    lot_size: u64,
    index: PerpIndex,
    buy: bool,
) -> Result<(i64, i64, u64)> {
    let mut a = account.load_mut()?;
    let (old, new) = apply_perp(&mut a, f.ai, lot_size, index, buy, f.lots, f.cost)?;
    let owed = debit_quote(&mut a, bank, f.qi, if buy { f.buyer_fee } else { f.seller_fee })?;
    Ok((old, new, owed))
}

/// Clears `lots` at `price_per_lot` (quote native units per lot) between `buyer` and `seller`.
pub fn clear(
    m: &PerpMarketAccounts,
    buyer: TradeSide,
    seller: TradeSide,
    lots: u64,
    price_per_lot: u64,
    now: i64,
) -> Result<TradeOutcome> {
    let (ai, qi, mut sides, oracle) = prepare(m, &buyer, &seller, lots, price_per_lot, now)?;
    let (params, index, flags, stable) = update_market(&m.asset, (price_per_lot, lots), &oracle, now)?;
    let fill = price_fill(ai, qi, lots, price_per_lot, &buyer, &seller)?;
    let (bank, moved, open_interest) = settle_trade(m, &buyer, &seller, &fill, &params, index, flags, now)?;
    let (buyer_health, seller_health) = finish(&mut sides, &buyer, &seller, (ai, qi), &bank, index, stable, moved)?;
    Ok(TradeOutcome {
        buyer_fee: fill.buyer_fee,
        seller_fee: fill.seller_fee,
        oracle: oracle.price,
        funding_index: index.funding,
        open_interest,
        buyer_health,
        seller_health,
    })
}

/// Checks the request and reads both sides' health accounts; returns the asset and quote
/// indexes, both sides' loaded views and the oracle price.
#[inline(never)]
fn prepare(
    m: &PerpMarketAccounts,
    buyer: &TradeSide,
    seller: &TradeSide,
    lots: u64,
    price_per_lot: u64,
    now: i64,
) -> Result<(u16, u16, [Loaded; 2], crate::oracle::OraclePrice)> {
    require!(lots > 0 && price_per_lot > 0, BallastError::ZeroAmount);
    require!(buyer.account.key() != seller.account.key(), BallastError::SameAccount);
    let (ai, qi) = m.indexes()?;
    let group = m.group.key();
    let lb = load_side(&group, buyer, ai, qi, now)?;
    let ls = load_side(&group, seller, ai, qi, now)?;
    let oracle = lb.accounts.get(ai).ok_or(BallastError::InvalidHealthAccounts)?.oracle;
    Ok((ai, qi, [lb, ls], oracle))
}

/// Refreshes both loaded views and checks both sides' health rule; returns their Init health.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn finish(
    sides: &mut [Loaded; 2],
    buyer: &TradeSide,
    seller: &TradeSide,
    (ai, qi): (u16, u16),
    bank: &BankState,
    index: PerpIndex,
    stable: Price,
    [b_old, b_new, s_old, s_new]: [i64; 4],
) -> Result<(Fx, Fx)> {
    let [lb, ls] = sides;
    refresh(lb, ai, qi, bank, index, stable)?;
    refresh(ls, ai, qi, bank, index, stable)?;
    let b = post_health(lb, buyer.account, perp::reduces(b_old, b_new))?;
    let s = post_health(ls, seller.account, perp::reduces(s_old, s_new))?;
    Ok((b, s))
}

/// Notional and both fees of a fill.
#[inline(never)]
fn price_fill(ai: u16, qi: u16, lots: u64, price_per_lot: u64, buyer: &TradeSide, seller: &TradeSide) -> Result<Fill> {
    let cost = perp::notional(lots, price_per_lot).map_risk()?;
    let buyer_fee = perp::fee(cost, buyer.fee_bps).map_risk()?;
    let seller_fee = perp::fee(cost, seller.fee_bps).map_risk()?;
    Ok(Fill { ai, qi, lots, cost, buyer_fee, seller_fee })
}

impl crate::events::PerpTraded {
    /// The event of a cleared trade.
    pub fn new(
        m: &PerpMarketAccounts,
        buyer: Pubkey,
        seller: Pubkey,
        lots: u64,
        price_per_lot: u64,
        out: &TradeOutcome,
        order_nonce: Option<u64>,
    ) -> Result<Self> {
        Ok(crate::events::PerpTraded {
            header: crate::events::EventHeader::now(m.group.key())?,
            asset_index: m.asset.load()?.asset_index,
            buyer,
            seller,
            lots,
            price_per_lot,
            buyer_fee: out.buyer_fee,
            seller_fee: out.seller_fee,
            oracle_price_bits: out.oracle.to_bits(),
            funding_index_bits: out.funding_index.to_bits(),
            open_interest: out.open_interest,
            order_nonce,
        })
    }
}
