//! `fill_order`: anyone fills a maker's signed order against their own margin account (the taker).
//! The transaction must carry, right before this instruction, an ed25519 verification of the
//! order message signed by the maker account's owner (or its delegate with the trade scope). The
//! order's nonce has a fill record, so the order fills at most its size over any number of fills.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::delegation::{charge_all, perp_notional, Authority};
use crate::error::BallastError;
use crate::events::PerpTraded;
use crate::order::{check_fill, use_nonce, FillParties, NonceUse, SignedOrder, SIDE_BUY};
use crate::risk::Price;
use crate::shared::perp_clearing::*;
use crate::state::*;

/// Accounts of `fill_order`. `remaining_accounts`: the delegate books of the sides signed by book
/// delegates (maker's, then taker's; `crate::delegation`), the maker's health accounts in canonical order
/// (perp asset and quote asset included), then the taker's.
#[derive(Accounts)]
#[instruction(order: SignedOrder)]
pub struct FillOrder<'info> {
    /// Group, perp asset and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// The order's maker account (of the market's group: checked by the handler).
    #[account(mut, address = order.account @ BallastError::OrderSignatureMismatch)]
    pub maker: AccountLoader<'info, MarginAccount>,
    /// The taker's account (of the market's group: checked by the handler).
    #[account(mut)]
    pub taker: AccountLoader<'info, MarginAccount>,
    /// Taker's owner, or its delegate with the trade scope; pays the fill record's rent.
    #[account(mut)]
    pub taker_authority: Signer<'info>,
    /// Fill record, PDA `[ORDER_SEED, maker, nonce]`; created by the first fill.
    /// CHECK: address checked by the seeds; created or loaded by the handler.
    #[account(mut, seeds = [ORDER_SEED, maker.key().as_ref(), &order.nonce.to_le_bytes()], bump)]
    pub order_record: UncheckedAccount<'info>,
    /// The instructions sysvar (catalogue AV-16: any other address is rejected).
    /// CHECK: address pinned to the sysvar.
    #[account(address = solana_instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Fills `fill_lots` of `order` at its limit price. The maker pays the maker fee (at most the
/// order's max fee), the taker the taker fee. Fails with OrderExpired after the expiry,
/// MissingSignatureVerification / OrderSignatureMismatch without a matching ed25519 instruction
/// right before, Unauthorized for a signer who may not trade the maker account, NonceReused when
/// the nonce belongs to another message, OrderSizeExhausted beyond the order's remaining size.
pub fn handler<'info>(
    ctx: Context<'info, FillOrder<'info>>,
    order: SignedOrder,
    fill_lots: u64,
    maker_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(
        &ctx.accounts.market.group,
        crate::gate::Ix::FillOrder,
        &[&ctx.accounts.maker, &ctx.accounts.taker],
    )?;
    let now = Clock::get()?.unix_timestamp;
    let message = order.message(&ctx.accounts.market.group.key(), &ctx.accounts.market.group.load()?.order_domain);
    let mut rest = ctx.remaining_accounts;
    let (fees, signers) = check_order(&ctx, &order, &message, &mut rest, now)?;
    take_from_nonce(&ctx, &order, &message, fill_lots)?;
    let oracle = execute(&ctx, &order, fill_lots, (rest, maker_health_accounts), fees, now)?;
    let notional = || {
        let lot_size = ctx.accounts.market.asset.load()?.perp.base_lot_size;
        perp_notional(fill_lots, order.limit_price_per_lot, lot_size, oracle)
    };
    charge_all(&signers, notional, now)
}

/// Expiry, signature (through the instructions sysvar), signer's authority over both accounts
/// (books taken from `books`), market and fee cap. Returns the maker and taker fees, bps, and who
/// signed.
#[inline(never)]
fn check_order<'info>(
    ctx: &Context<'info, FillOrder<'info>>,
    order: &SignedOrder,
    message: &[u8],
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<((u16, u16), [Authority<'info>; 2])> {
    let parties = FillParties {
        group: ctx.accounts.market.group.key(),
        maker: &ctx.accounts.maker,
        taker: &ctx.accounts.taker,
        taker_authority: ctx.accounts.taker_authority.key(),
        instructions: &ctx.accounts.instructions,
    };
    let signers = check_fill(&parties, (message, order.expiry, order.side), order.asset_index, books, now)?;
    let a = ctx.accounts.market.asset.load()?;
    require!(a.asset_index == order.asset_index, BallastError::OrderSignatureMismatch);
    require!(a.perp.maker_fee_bps <= order.max_fee_bps, BallastError::FeeAboveOrderMax);
    Ok(((a.perp.maker_fee_bps, a.perp.taker_fee_bps), signers))
}

/// Clears the fill at the order's limit price and emits the trade. Returns the oracle price.
#[inline(never)]
fn execute<'info>(
    ctx: &Context<'info, FillOrder<'info>>,
    order: &SignedOrder,
    fill_lots: u64,
    (health, maker_health_accounts): (&'info [AccountInfo<'info>], u8),
    (maker_fee, taker_fee): (u16, u16),
    now: i64,
) -> Result<Price> {
    let (mh, th) = split_health(health, maker_health_accounts)?;
    let maker = TradeSide { account: &ctx.accounts.maker, health: mh, fee_bps: maker_fee };
    let taker = TradeSide { account: &ctx.accounts.taker, health: th, fee_bps: taker_fee };
    let (buyer, seller) = if order.side == SIDE_BUY { (maker, taker) } else { (taker, maker) };
    let (buyer_key, seller_key) = (buyer.account.key(), seller.account.key());
    let out = clear(&ctx.accounts.market, buyer, seller, fill_lots, order.limit_price_per_lot, now)?;
    let ev = PerpTraded::new(
        &ctx.accounts.market,
        buyer_key,
        seller_key,
        fill_lots,
        order.limit_price_per_lot,
        &out,
        Some(order.nonce),
    )?;
    emit!(ev);
    Ok(out.oracle)
}

/// Draws `fill_lots` from the order's nonce ([`use_nonce`]).
#[inline(never)]
fn take_from_nonce(ctx: &Context<FillOrder>, order: &SignedOrder, message: &[u8], fill_lots: u64) -> Result<()> {
    let u = NonceUse {
        record: &ctx.accounts.order_record.to_account_info(),
        payer: &ctx.accounts.taker_authority.to_account_info(),
        maker: ctx.accounts.maker.key(),
        nonce: order.nonce,
        bump: ctx.bumps.order_record,
    };
    use_nonce(&u, message, order.size_lots, fill_lots)
}
