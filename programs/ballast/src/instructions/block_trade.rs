//! `block_trade`: a trade negotiated off-chain, signed by both accounts' owners (or delegates with
//! the trade scope), cleared by the program at a price inside the band around the oracle.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::PerpTraded;
use crate::shared::perp_clearing::*;
use crate::state::*;

/// Accounts of `block_trade`. `remaining_accounts`: the buyer's health accounts in canonical order
/// (perp asset and quote asset included), then the seller's.
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
/// Both pay the taker fee. `buyer_health_accounts`: how many remaining accounts are the buyer's.
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
    ctx.accounts.buyer.load()?.authorize(&ctx.accounts.buyer_authority.key(), DELEGATE_TRADE, now)?;
    ctx.accounts.seller.load()?.authorize(&ctx.accounts.seller_authority.key(), DELEGATE_TRADE, now)?;
    let (bh, sh) = split_health(ctx.remaining_accounts, buyer_health_accounts)?;
    let fee_bps = ctx.accounts.market.asset.load()?.perp.taker_fee_bps;
    let out = clear(
        &ctx.accounts.market,
        TradeSide { account: &ctx.accounts.buyer, health: bh, fee_bps },
        TradeSide { account: &ctx.accounts.seller, health: sh, fee_bps },
        lots,
        price_per_lot,
        now,
    )?;
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
