//! `trade_option`: an option block trade negotiated off-chain, signed by both accounts' owners (or
//! delegates with the trade scope): the buyer buys contracts of a series from the seller for a
//! premium inside the band around the engine's model value. See docs/options.md.

use anchor_lang::prelude::*;

use crate::delegation::{authorize_trade_pair, charge_all, option_notional};
use crate::error::BallastError;
use crate::events::{EventHeader, OptionTraded};
use crate::health_accounts::OptionSurface;
use crate::risk::bank::BankState;
use crate::risk::{Fx, Price, Round};
use crate::shared::perp_clearing::*;
use crate::state::*;
use crate::transitions::option::{self as opt, OptionFill, Series};

/// Accounts of `trade_option`. `remaining_accounts`: the delegate books of the sides signed by book
/// delegates (buyer's, then seller's; `crate::delegation`), the buyer's health accounts in canonical order
/// (underlying and quote asset included), then the seller's.
#[derive(Accounts)]
pub struct TradeOption<'info> {
    /// Group, underlying (its option market) and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// Buying account.
    #[account(mut, constraint = buyer.load()?.group == market.group.key() @ BallastError::Unauthorized)]
    pub buyer: AccountLoader<'info, MarginAccount>,
    /// Buyer's owner, or its delegate with the trade scope.
    pub buyer_authority: Signer<'info>,
    /// Selling account.
    #[account(mut, constraint = seller.load()?.group == market.group.key() @ BallastError::Unauthorized)]
    pub seller: AccountLoader<'info, MarginAccount>,
    /// Seller's owner, or its delegate with the trade scope.
    pub seller_authority: Signer<'info>,
}

/// The trade's request.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionOrder {
    /// Expiry of the series, unix seconds (listed in the underlying's option market).
    pub expiry: i64,
    /// Strike, quote native per base native, I48F80 bits.
    pub strike_bits: i128,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Contracts the buyer buys.
    pub contracts: u64,
    /// Premium per contract, quote native units.
    pub premium_per_contract: u64,
}

/// Clears `order` between `buyer` and `seller`: the series must be tradable, the premium inside
/// the band around the model value, both sides pay the fee, open interest within its caps; then
/// both accounts must pass the health rule (with the option grid). `buyer_health_accounts`: how
/// many remaining accounts are the buyer's.
pub fn handler<'info>(
    ctx: Context<'info, TradeOption<'info>>,
    order: OptionOrder,
    buyer_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(
        &ctx.accounts.market.group,
        crate::gate::Ix::TradeOption,
        &[&ctx.accounts.buyer, &ctx.accounts.seller],
    )?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (market, contract_size) = {
        let u = a.market.asset.load()?;
        (u.asset_index, u.option.contract_size)
    };
    let mut rest = ctx.remaining_accounts;
    let signers = authorize_trade_pair(
        (&a.buyer, a.buyer_authority.key),
        (&a.seller, a.seller_authority.key),
        market,
        &mut rest,
        now,
    )?;
    let (bh, sh) = split_health(rest, buyer_health_accounts)?;
    let sides = OptionSides {
        buyer: TradeSide { account: &a.buyer, health: bh, fee_bps: 0 },
        seller: TradeSide { account: &a.seller, health: sh, fee_bps: 0 },
    };
    let oracle = clear_option(&a.market, &sides, &order, None, now)?;
    charge_all(&signers, || order_notional(&order, contract_size, oracle), now)
}

/// What an option order counts against a delegate's cap ([`crate::delegation::option_notional`]
/// with its premium).
pub fn order_notional(order: &OptionOrder, contract_size: u64, oracle: Price) -> Result<u64> {
    let premium = order.contracts.checked_mul(order.premium_per_contract).ok_or(BallastError::MathOverflow)?;
    option_notional(order.contracts, contract_size, Price::from_bits(order.strike_bits), oracle, premium)
}

/// The two sides of an option trade, each with its health accounts (its `fee_bps` is unused: both
/// sides pay the option market's fee).
pub struct OptionSides<'a, 'info> {
    /// The buying account.
    pub buyer: TradeSide<'a, 'info>,
    /// The selling account.
    pub seller: TradeSide<'a, 'info>,
}

/// Clears `order` between the two sides once their authority is checked (`trade_option`: both
/// signed; `fill_option_order`: the maker's signed order and the taker's signer): the request's
/// shape, both accounts in the market's group, the series tradable, the premium inside the band
/// around the model value, both sides' fee, open interest within its caps, then the health rule
/// on both sides (with the option grid); emits the trade with `order_nonce` (a signed order's).
/// Returns the underlying's oracle price.
pub fn clear_option(
    m: &PerpMarketAccounts,
    sides: &OptionSides,
    order: &OptionOrder,
    order_nonce: Option<u64>,
    now: i64,
) -> Result<Price> {
    check_request(m, sides, order)?;
    let (ai, qi) = indexes(m)?;
    let series =
        Series { asset_index: ai, expiry: order.expiry, strike: Price::from_bits(order.strike_bits), kind: order.kind };
    let [mut lb, mut ls] = load_both(m, sides, &series, order, now)?;
    let (fill, model, oracle) = price(m, &lb, &series, order, now)?;
    let (traded, bank) = settle(m, sides.buyer.account, sides.seller.account, &fill, oracle, now)?;
    refresh(&mut lb, qi, &bank)?;
    refresh(&mut ls, qi, &bank)?;
    post_health(&mut lb, sides.buyer.account, traded.buyer.reduces())?;
    post_health(&mut ls, sides.seller.account, traded.seller.reduces())?;
    let parties = (sides.buyer.account.key(), sides.seller.account.key());
    emit_trade(m, parties, order, (&fill, model, traded.open_interest), order_nonce)?;
    Ok(oracle)
}

/// The request's shape, and both accounts distinct members of the market's group.
#[inline(never)]
fn check_request(m: &PerpMarketAccounts, sides: &OptionSides, order: &OptionOrder) -> Result<()> {
    let group = m.group.key();
    let (b, s) = (sides.buyer.account, sides.seller.account);
    require!(b.load()?.group == group && s.load()?.group == group, BallastError::Unauthorized);
    require!(order.contracts > 0, BallastError::ZeroAmount);
    require!(b.key() != s.key(), BallastError::SameAccount);
    require!(order.kind <= 1 && order.strike_bits > 0, BallastError::OptionSeriesInvalid);
    Ok(())
}

#[inline(never)]
fn emit_trade(
    m: &PerpMarketAccounts,
    (buyer, seller): (Pubkey, Pubkey),
    order: &OptionOrder,
    (fill, model, open_interest): (&OptionFill, Fx, u64),
    order_nonce: Option<u64>,
) -> Result<()> {
    emit!(OptionTraded {
        header: EventHeader::now(m.group.key())?,
        asset_index: fill.series.asset_index,
        expiry: order.expiry,
        strike_bits: order.strike_bits,
        kind: order.kind,
        buyer,
        seller,
        contracts: order.contracts,
        premium: fill.premium,
        fee: fill.fee,
        model_value_bits: model.to_bits(),
        open_interest,
        order_nonce,
    });
    Ok(())
}

/// (underlying, quote) indexes: `quote` is the group's quote asset and differs from the underlying.
pub fn indexes(m: &PerpMarketAccounts) -> Result<(u16, u16)> {
    let g = m.group.load()?;
    let (a, q) = (m.asset.load()?, m.quote.load()?);
    require!(q.asset_index == g.quote_asset_index, BallastError::NotQuoteAsset);
    require!(a.asset_index != q.asset_index && a.option.contract_size != 0, BallastError::OptionMarketDisabled);
    Ok((a.asset_index, q.asset_index))
}

/// The fill's amounts and the model value of the contracts at the oracle (read with the buyer's
/// health accounts): premium inside the band, fee on the underlying's notional.
#[inline(never)]
fn price(
    m: &PerpMarketAccounts,
    lb: &Loaded,
    series: &Series,
    order: &OptionOrder,
    now: i64,
) -> Result<(OptionFill, Fx, Price)> {
    let asset = m.asset.load()?;
    let entry = lb.accounts.get(series.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
    let oracle = entry.risk.oracle_price;
    let s = OptionSurface::of(&asset);
    let model = opt::model_value(&s, series, order.contracts, true, &entry.risk, now)?;
    let om = &asset.option;
    let band = opt::notional_bps(oracle, order.contracts, om.contract_size, u32::from(om.price_band_bps), Round::Down)?;
    let premium = order.premium_per_contract.checked_mul(order.contracts).ok_or(BallastError::MathOverflow)?;
    opt::check_premium(premium, model, band)?;
    let fee = opt::notional_bps(oracle, order.contracts, om.contract_size, u32::from(om.taker_fee_bps), Round::Up)?;
    let fee = fee.checked_ceil().and_then(|f| f.checked_to_num::<u64>()).ok_or(BallastError::MathOverflow)?;
    Ok((OptionFill { series: *series, contracts: order.contracts, premium, fee }, model, oracle))
}

/// Both sides of the trade ([`opt::trade_option`]); returns the quote bank after.
#[inline(never)]
fn settle(
    m: &PerpMarketAccounts,
    buyer: &AccountLoader<MarginAccount>,
    seller: &AccountLoader<MarginAccount>,
    fill: &OptionFill,
    oracle: Price,
    now: i64,
) -> Result<(opt::OptionTraded, BankState)> {
    let mut asset = m.asset.load_mut()?;
    let mut quote = m.quote.load_mut()?;
    let t = opt::trade_option(
        &mut asset,
        &mut quote,
        &mut *buyer.load_mut()?,
        &mut *seller.load_mut()?,
        fill,
        oracle,
        now,
    )?;
    Ok((t, quote.bank.state()))
}

/// Both sides' health accounts and engine inputs (a side's pre-trade Init health only when its
/// trade only shrinks its position).
#[inline(never)]
fn load_both(
    m: &PerpMarketAccounts,
    sides: &OptionSides,
    series: &Series,
    order: &OptionOrder,
    now: i64,
) -> Result<[Loaded; 2]> {
    let group = m.group.key();
    let (ai, qi) = (series.asset_index, m.quote.load()?.asset_index);
    let rb = option_reduces(sides.buyer.account, series, order.contracts, true)?;
    let rs = option_reduces(sides.seller.account, series, order.contracts, false)?;
    let lb = load_side(&group, &sides.buyer, ai, qi, now, rb)?;
    let ls = load_side(&group, &sides.seller, ai, qi, now, rs)?;
    Ok([lb, ls])
}

/// Whether buying (`buy`) or selling `contracts` of `series` only shrinks the account's position.
fn option_reduces(account: &AccountLoader<MarginAccount>, series: &Series, contracts: u64, buy: bool) -> Result<bool> {
    let a = account.load()?;
    let strike = Price128::from_price(series.strike);
    let old = a.option_slot(series.asset_index, series.expiry, strike, series.kind).map_or(0, |s| a.options[s].size);
    Ok(crate::risk::perp::reduces_by(old, contracts, buy))
}

/// A side's loaded view after the trade: the quote bank moved.
fn refresh(l: &mut Loaded, qi: u16, bank: &BankState) -> Result<()> {
    l.accounts.get_mut(qi).ok_or(BallastError::InvalidHealthAccounts)?.bank = *bank;
    Ok(())
}
