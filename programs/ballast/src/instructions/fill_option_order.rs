//! `fill_option_order`: anyone fills a maker's signed option order against their own margin
//! account (the taker). The transaction must carry, right before this instruction, an ed25519
//! verification of the option order message (`crate::order`, 174 bytes) signed by the maker
//! account's owner (or its delegate with the trade scope). The order's nonce has a fill record
//! (shared with perp orders), so the order fills at most its contracts over any number of fills.
//! The fill clears exactly as `trade_option` does, at the maker's premium.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::delegation::{charge_all, Authority};
use crate::error::BallastError;
use crate::instructions::trade_option::{clear_option, order_notional, OptionOrder, OptionSides};
use crate::order::{check_fill, use_nonce, FillParties, NonceUse, SignedOptionOrder, SIDE_BUY};
use crate::shared::perp_clearing::*;
use crate::state::*;

/// Accounts of `fill_option_order`. `remaining_accounts`: the delegate books of the sides signed by
/// book delegates (maker's, then taker's; `crate::delegation`), the maker's health accounts in canonical
/// order (underlying and quote asset included), then the taker's.
#[derive(Accounts)]
#[instruction(order: SignedOptionOrder)]
pub struct FillOptionOrder<'info> {
    /// Group, underlying (its option market) and quote asset.
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

/// Fills `fill_contracts` of `order` at its premium per contract. Both sides pay the option
/// market's fee (the maker at most the order's max fee). Fails with OrderExpired after the order's
/// expiry, MissingSignatureVerification / OrderSignatureMismatch without a matching ed25519
/// instruction right before, Unauthorized for a signer who may not trade the maker account,
/// FeeAboveOrderMax when the market's fee exceeds the maker's cap, NonceReused when the nonce
/// belongs to another message, OrderSizeExhausted beyond the order's remaining contracts or after
/// a cancel, and every error of `trade_option` (series, band, caps, health).
pub fn handler<'info>(
    ctx: Context<'info, FillOptionOrder<'info>>,
    order: SignedOptionOrder,
    fill_contracts: u64,
    maker_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(
        &ctx.accounts.market.group,
        crate::gate::Ix::FillOptionOrder,
        &[&ctx.accounts.maker, &ctx.accounts.taker],
    )?;
    let now = Clock::get()?.unix_timestamp;
    let message = order.message(&ctx.accounts.market.group.key(), &ctx.accounts.market.group.load()?.order_domain);
    let mut rest = ctx.remaining_accounts;
    let signers = check_order(&ctx, &order, &message, &mut rest, now)?;
    take_from_nonce(&ctx, &order, &message, fill_contracts)?;
    let a = &ctx.accounts;
    let (mh, th) = split_health(rest, maker_health_accounts)?;
    let maker = TradeSide { account: &a.maker, health: mh, fee_bps: 0 };
    let taker = TradeSide { account: &a.taker, health: th, fee_bps: 0 };
    let sides = if order.side == SIDE_BUY {
        OptionSides { buyer: maker, seller: taker }
    } else {
        OptionSides { buyer: taker, seller: maker }
    };
    let request = OptionOrder {
        expiry: order.series_expiry,
        strike_bits: order.strike_bits,
        kind: order.kind,
        contracts: fill_contracts,
        premium_per_contract: order.premium_per_contract,
    };
    let oracle = clear_option(&a.market, &sides, &request, Some(order.nonce), now)?;
    let contract_size = a.market.asset.load()?.option.contract_size;
    charge_all(&signers, || order_notional(&request, contract_size, oracle), now)
}

/// Expiry, signature (through the instructions sysvar), the signer's authority over the maker
/// account and the taker authority's over the taker account (books taken from `books`),
/// underlying and fee cap. Returns who signed.
#[inline(never)]
fn check_order<'info>(
    ctx: &Context<'info, FillOptionOrder<'info>>,
    order: &SignedOptionOrder,
    message: &[u8],
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<[Authority<'info>; 2]> {
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
    require!(a.option.taker_fee_bps <= order.max_fee_bps, BallastError::FeeAboveOrderMax);
    Ok(signers)
}

/// Draws `fill_contracts` from the order's nonce ([`use_nonce`]).
#[inline(never)]
fn take_from_nonce(
    ctx: &Context<FillOptionOrder>,
    order: &SignedOptionOrder,
    message: &[u8],
    fill_contracts: u64,
) -> Result<()> {
    let u = NonceUse {
        record: &ctx.accounts.order_record.to_account_info(),
        payer: &ctx.accounts.taker_authority.to_account_info(),
        maker: ctx.accounts.maker.key(),
        nonce: order.nonce,
        bump: ctx.bumps.order_record,
    };
    use_nonce(&u, message, order.contracts, fill_contracts)
}
