//! `block_trade`: a trade negotiated off-chain, signed by both accounts' owners (or delegates with
//! the trade scope), cleared by the program at a price inside the band around the oracle.

use anchor_lang::prelude::*;

use crate::delegation::{authorize_trade_pair, charge_all, perp_notional};
use crate::error::BallastError;
use crate::events::PerpTraded;
use crate::shared::perp_clearing::*;
use crate::state::*;

/// Accounts of `block_trade`. `remaining_accounts`: the delegate books of the sides signed by book
/// delegates (buyer's, then seller's; `crate::delegation`), the buyer's health accounts in
/// canonical order (perp asset and quote asset included), then the seller's.
#[derive(Accounts)]
pub struct BlockTrade<'info> {
    /// Group, perp asset and quote asset.
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

/// Buys `lots` base lots for `buyer` from `seller` at `price_per_lot` (quote native units per lot).
/// Both pay the taker fee. `buyer_health_accounts`: how many health accounts are the buyer's. A
/// delegate signer needs the trade scope in this market and counts the trade's notional
/// (`delegation::perp_notional`) against its daily cap.
pub fn handler<'info>(
    ctx: Context<'info, BlockTrade<'info>>,
    lots: u64,
    price_per_lot: u64,
    buyer_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(
        &ctx.accounts.market.group,
        crate::gate::Ix::BlockTrade,
        &[&ctx.accounts.buyer, &ctx.accounts.seller],
    )?;
    let now = Clock::get()?.unix_timestamp;
    let (fee_bps, market, lot_size) = {
        let a = ctx.accounts.market.asset.load()?;
        (a.perp.taker_fee_bps, a.asset_index, a.perp.base_lot_size)
    };
    let mut rest = ctx.remaining_accounts;
    let signers = authorize_trade_pair(
        (&ctx.accounts.buyer, ctx.accounts.buyer_authority.key),
        (&ctx.accounts.seller, ctx.accounts.seller_authority.key),
        market,
        &mut rest,
        now,
    )?;
    let (bh, sh) = split_health(rest, buyer_health_accounts)?;
    let out = clear(
        &ctx.accounts.market,
        TradeSide { account: &ctx.accounts.buyer, health: bh, fee_bps },
        TradeSide { account: &ctx.accounts.seller, health: sh, fee_bps },
        lots,
        price_per_lot,
        now,
    )?;
    charge_all(&signers, || perp_notional(lots, price_per_lot, lot_size, out.oracle), now)?;
    emit!(PerpTraded::new(
        &ctx.accounts.market,
        ctx.accounts.buyer.key(),
        ctx.accounts.seller.key(),
        lots,
        price_per_lot,
        &out,
        None
    )?);
    Ok(())
}
