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
use crate::oracle::OraclePrice;
use crate::oracle::{Action, Priced};
use crate::risk::bank::BankState;
use crate::risk::perp::PerpIndex;
use crate::risk::{health, init_health_for_rule, passes_health_rule, Fx, HealthInput, HealthType, Price};
use crate::state::*;
use crate::transitions;
use crate::transitions::perp::{Fill, MarketFill, Traded};

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
    /// Init health of the buyer after, as the health rule read it (`post_health`).
    pub buyer_health: Fx,
    /// Init health of the seller after, as the health rule read it (`post_health`).
    pub seller_health: Fx,
}

/// A side's health accounts, its engine input (built once, rebuilt in place after the trade: the
/// SBF heap never frees, S2-05) and Init health before the trade.
pub(crate) struct Loaded {
    /// Health accounts.
    pub accounts: Box<HealthAccounts>,
    /// Engine input.
    pub input: Box<HealthInput>,
    /// Init health before the trade, computed only for a side whose trade only shrinks its
    /// position (the only case the health rule reads it: an Init evaluation of an account with
    /// options is costly).
    pub pre_init: Option<Fx>,
}

#[inline(never)]
pub(crate) fn load_side(
    group: &Pubkey,
    side: &TradeSide,
    ai: u16,
    qi: u16,
    now: i64,
    will_reduce: bool,
) -> Result<Loaded> {
    let account = side.account.load()?;
    let accounts =
        load_health_accounts(const { Priced::of(Action::Trade) }, group, &account, &[ai, qi], side.health, now)?;
    let input = accounts.health_input(&account)?;
    let pre_init = if will_reduce { Some(health(&input, HealthType::Init).map_risk()?) } else { None };
    Ok(Loaded { accounts, input, pre_init })
}

/// The market's side of a fill ([`transitions::perp::fill_market`]).
#[inline(never)]
fn update_market(
    asset: &AccountLoader<Asset>,
    price_per_lot: u64,
    lots: u64,
    oracle: &OraclePrice,
    now: i64,
) -> Result<MarketFill> {
    transitions::perp::fill_market(&mut *asset.load_mut()?, price_per_lot, lots, oracle, now)
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

/// Init health after the trade as the rule reads it ([`init_health_for_rule`]: at most Init
/// health, and >= 0 exactly when it is); fails with HealthMustBePositive unless the rule holds (a
/// trade that only shrank the position may proceed if it did not lower Init health).
#[inline(never)]
pub(crate) fn post_health(l: &mut Loaded, account: &AccountLoader<MarginAccount>, reduced: bool) -> Result<Fx> {
    let mut account = account.load_mut()?;
    l.accounts.fill_input(&account, &mut l.input)?;
    // A side predicted not to reduce has no pre-trade figure and must reach Init >= 0.
    let pre = if reduced { l.pre_init } else { None };
    // Below Init before, a reducing side almost never reaches the bound's >= 0: Init health
    // itself, without the bound's revaluations.
    let post = if pre.is_some_and(|p| p < Fx::ZERO) {
        health(&l.input, HealthType::Init).map_risk()?
    } else {
        init_health_for_rule(&l.input).map_risk()?
    };
    require!(passes_health_rule(post, pre), BallastError::HealthMustBePositive);
    transitions::liquidation::end_episode_if_healthy(&mut account, post);
    Ok(post)
}

/// Both sides of the fill ([`transitions::perp::trade`]) on the loaded accounts.
#[inline(never)]
fn settle_trade(
    m: &PerpMarketAccounts,
    buyer: &TradeSide,
    seller: &TradeSide,
    f: &Fill,
    market: &MarketFill,
    now: i64,
) -> Result<(BankState, Traded)> {
    let mut asset = m.asset.load_mut()?;
    let mut quote = m.quote.load_mut()?;
    let t = transitions::perp::trade(
        &mut asset,
        &mut quote,
        &mut *buyer.account.load_mut()?,
        &mut *seller.account.load_mut()?,
        f,
        market,
        now,
    )?;
    Ok((quote.bank.state(), t))
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
    let market = update_market(&m.asset, price_per_lot, lots, &oracle, now)?;
    let fill = Fill::price(ai, qi, lots, price_per_lot, buyer.fee_bps, seller.fee_bps)?;
    let (bank, traded) = settle_trade(m, &buyer, &seller, &fill, &market, now)?;
    let (buyer_health, seller_health) = finish(&mut sides, &buyer, &seller, (ai, qi), &bank, &market, &traded)?;
    Ok(TradeOutcome {
        buyer_fee: fill.buyer_fee,
        seller_fee: fill.seller_fee,
        oracle: oracle.price,
        funding_index: market.index.funding,
        open_interest: traded.open_interest,
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
) -> Result<(u16, u16, [Loaded; 2], OraclePrice)> {
    require!(lots > 0 && price_per_lot > 0, BallastError::ZeroAmount);
    require!(buyer.account.key() != seller.account.key(), BallastError::SameAccount);
    let (ai, qi) = m.indexes()?;
    let group = m.group.key();
    let lb = load_side(&group, buyer, ai, qi, now, perp_reduces(buyer.account, ai, lots, true)?)?;
    let ls = load_side(&group, seller, ai, qi, now, perp_reduces(seller.account, ai, lots, false)?)?;
    let oracle = lb.accounts.get(ai).ok_or(BallastError::InvalidHealthAccounts)?.oracle;
    Ok((ai, qi, [lb, ls], oracle))
}

/// Whether buying (`buy`) or selling `lots` only shrinks the account's perp position in `ai` (the
/// rule of [`crate::transitions::perp::LotsMoved::reduces`], before the trade).
fn perp_reduces(account: &AccountLoader<MarginAccount>, ai: u16, lots: u64, buy: bool) -> Result<bool> {
    let a = account.load()?;
    let old = a.perp_slot(ai).map_or(0, |s| a.perps[s].base_lots);
    Ok(crate::risk::perp::reduces_by(old, lots, buy))
}

/// Refreshes both loaded views and checks both sides' health rule; returns their Init health.
#[inline(never)]
fn finish(
    sides: &mut [Loaded; 2],
    buyer: &TradeSide,
    seller: &TradeSide,
    (ai, qi): (u16, u16),
    bank: &BankState,
    market: &MarketFill,
    traded: &Traded,
) -> Result<(Fx, Fx)> {
    let [lb, ls] = sides;
    refresh(lb, ai, qi, bank, market.index, market.stable)?;
    refresh(ls, ai, qi, bank, market.index, market.stable)?;
    let b = post_health(lb, buyer.account, traded.buyer.reduces())?;
    let s = post_health(ls, seller.account, traded.seller.reduces())?;
    Ok((b, s))
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
