//! `resolve_perp_bankruptcy`: permissionless. Resolves the perp loss of a bankrupt account (S2-07,
//! S2-22). A loser's loss is settled only as far as its collateral covers (`settle_pnl`), so when
//! a crash leaves an account with a perp loss, no base, only dust deposits besides quote, and
//! negative equity at oracle prices (the one health loader, the token bankruptcy's own dust
//! predicate with the loss counted as a quote debt), the rest of its loss is owed to the market's
//! winners and nobody can pay it from the account. Then, against one winner (`profitable`):
//! 1. what the account's quote deposit still covers is settled to the winner, as `settle_pnl`
//!    would (so a deposit made into the account cannot block its resolution);
//! 2. the insurance fund pays the rest (never more than the account's shortfall: a gain it holds
//!    in another market covers the remainder once settled), within the market's cap (the perp asset's
//!    `insurance_cap`) over the whole bankruptcy (as `resolve_bankruptcy` counts it), by settling
//!    the winner's positive PnL with quote tokens from the fund: the winner's deposit grows, its
//!    perp quote and the loser's loss shrink;
//! 3. what the fund cannot pay (it is empty or the cap is reached) is socialized over the market's
//!    open interest through the socialized-loss index: every open position, long or short, pays
//!    `|base| × Δindex` at its next settlement (and at once in its health).
//!
//! The unsettled part of a perp loss never reaches the quote asset's depositors. With no open
//! interest the remainder stays on the account (`loss_left` in the event) until positions open
//! again.

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::BallastError;
use crate::events::{EventHeader, PerpBankruptcyResolved, PnlSettled};
use crate::health_accounts::load_health_accounts;
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::risk::Fx;
use crate::shared::asset_vault::*;
use crate::shared::bankruptcy::fund_pays_into;
use crate::shared::bankruptcy::{check_perp_bankrupt, PerpBankruptcy};
use crate::state::*;
use crate::transitions;
use crate::transitions::bankruptcy::MarketAt;

/// Accounts of `resolve_perp_bankruptcy`. `remaining_accounts`: the bankrupt account's health
/// accounts in canonical order (read only).
#[derive(Accounts)]
pub struct ResolvePerpBankruptcy<'info> {
    /// Group (the fund's accounting, the liquidation fee schedule).
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The perp market's asset (funding and the socialized-loss index move).
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
    /// The perp asset's primary oracle.
    /// CHECK: key, owner, layout and price are checked by `read_oracle`.
    pub oracle: UncheckedAccount<'info>,
    /// The bankrupt account.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// A winner of the market: the fund settles its positive PnL. Untouched when the fund pays
    /// nothing.
    #[account(mut, constraint = profitable.load()?.group == group.key() @ BallastError::Unauthorized)]
    pub profitable: AccountLoader<'info, MarginAccount>,
    /// The group's quote asset with its vault, mint and token program (the fund pays into it).
    pub quote: AssetVault<'info>,
    /// The insurance fund's vault (its address must be the group's).
    /// CHECK: compared with the group's fund vault before use.
    #[account(mut)]
    pub insurance_vault: UncheckedAccount<'info>,
}

/// Resolves the account's perp loss in the asset's market: what its quote deposit still covers is
/// settled to the winner, then the fund pays the winner up to the winner's PnL, and once the fund
/// can pay no more the rest is socialized. Fails with NoPerpLoss when the account has no loss
/// there, HasLiquidatablePositions while a liquidation can still take value from it, NotInsolvent
/// when its equity is not negative, NothingToSettle when nothing could be moved (the winner has
/// no PnL and nothing can be socialized).
pub fn handler<'info>(ctx: Context<'info, ResolvePerpBankruptcy<'info>>) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::ResolvePerpBankruptcy, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    a.quote.check_group(&a.group.key())?;
    require!(a.quote.asset.load()?.asset_index == QUOTE_ASSET_INDEX, BallastError::NotQuoteAsset);
    require_keys_neq!(a.account.key(), a.profitable.key(), BallastError::SameAccount);
    let m = accrue_market(&ctx, now)?;
    let r = resolve(&ctx, &m, now)?;
    emit_events(&ctx, &m.at, &r)
}

/// The market accrued to now.
struct AccruedMarket {
    /// Asset index, lot size, indexes and oracle price.
    at: MarketAt,
    /// Open interest a side, native base units (what a socialized loss is spread over).
    open_interest: Fx,
}

/// What the fund paid and the market bore, quote native units, and the loss index after.
struct FundAndMarket {
    /// Paid by the fund to the winner.
    paid: u64,
    /// Socialized over the open interest.
    socialized: u64,
    /// The market's socialized-loss index after.
    loss_index: Fx,
}

/// What one resolution did, quote native units.
struct Resolution {
    /// Settled from the account's quote deposit to the winner.
    settled: u64,
    /// Paid by the fund to the winner.
    paid: u64,
    /// Socialized over the open interest.
    socialized: u64,
    /// The market's socialized-loss index after.
    loss_index: Fx,
    /// Loss left on the account.
    left: u64,
}

/// Checks the predicate, then settles what the account still covers, has the fund pay, and
/// socializes the rest.
#[inline(never)]
fn resolve<'info>(
    ctx: &Context<'info, ResolvePerpBankruptcy<'info>>,
    m: &AccruedMarket,
    now: i64,
) -> Result<Resolution> {
    let ai = m.at.ai;
    let b = load_perp_bankrupt(ctx, ai, now)?;
    // What the account's own quote still covers goes to the winner first, as a settlement would
    // take it: a deposit made into the account cannot block its resolution.
    let settled = if b.covered > 0 { settle_covered(ctx, &m.at, b.covered, now)? } else { 0 };
    let FundAndMarket { paid, socialized, loss_index } = if settled < b.covered {
        // The winner could take only part of it: the rest of the collateral waits for another.
        FundAndMarket { paid: 0, socialized: 0, loss_index: m.at.index.loss }
    } else {
        // Never more than the shortfall (settlement leaves equity unchanged): a gain the account
        // holds in another market covers the rest once it is settled.
        let rest = b.loss.saturating_sub(settled).min(b.shortfall);
        fund_then_socialize(ctx, m, rest, now)?
    };
    require!(settled > 0 || paid > 0 || socialized > 0, BallastError::NothingToSettle);
    let left = close_loss(ctx, ai, paid, socialized)?;
    Ok(Resolution { settled, paid, socialized, loss_index, left })
}

/// Emits the settlement (if any) and the resolution.
#[inline(never)]
fn emit_events(ctx: &Context<ResolvePerpBankruptcy>, m: &MarketAt, r: &Resolution) -> Result<()> {
    let a = &ctx.accounts;
    let (ai, price) = (m.ai, m.price);
    if r.settled > 0 {
        emit!(PnlSettled {
            header: EventHeader::now(a.group.key())?,
            asset_index: ai,
            profitable: a.profitable.key(),
            unprofitable: a.account.key(),
            amount: r.settled,
            oracle_price_bits: price.to_bits(),
        });
    }
    emit!(PerpBankruptcyResolved {
        header: EventHeader::now(a.group.key())?,
        account: a.account.key(),
        asset_index: ai,
        profitable: a.profitable.key(),
        insurance_paid: r.paid,
        socialized: r.socialized,
        loss_left: r.left,
        loss_index_bits: r.loss_index.to_bits(),
    });
    Ok(())
}

/// Settles up to `covered` quote native units of the bankrupt account's loss against the winner,
/// from the account's quote deposit (at most that deposit and the winner's PnL): the same move as
/// `settle_pnl`. Returns the amount.
#[inline(never)]
fn settle_covered(ctx: &Context<ResolvePerpBankruptcy>, m: &MarketAt, covered: u64, now: i64) -> Result<u64> {
    let a = &ctx.accounts;
    transitions::bankruptcy::settle_from_deposit(
        &mut *a.quote.asset.load_mut()?,
        &mut *a.profitable.load_mut()?,
        &mut *a.account.load_mut()?,
        m,
        covered,
        now,
    )
}

/// The fund pays a winner as much of `loss` as it can (its value, the market's cap less what it
/// paid in this bankruptcy, the winner's PnL); once the fund can pay no more, the rest is
/// socialized over the market's open interest.
#[inline(never)]
fn fund_then_socialize(
    ctx: &Context<ResolvePerpBankruptcy>,
    m: &AccruedMarket,
    loss: u64,
    now: i64,
) -> Result<FundAndMarket> {
    let a = &ctx.accounts;
    // The market's cap (the perp asset's), over everything the fund paid for this bankruptcy.
    let cap = a.asset.load()?.insurance_cap;
    let fund_can = loss.min(a.group.load()?.insurance.can_pay(cap, a.account.load()?.bankruptcy_insurance_paid));
    let paid = if fund_can > 0 { pay_winner(ctx, &m.at, fund_can, now)? } else { 0 };
    // Socialize only once the fund can pay no more, so that the choice of winner never shifts a
    // loss the fund would cover onto the market.
    let rest = loss.saturating_sub(paid);
    if paid < fund_can || rest == 0 {
        return Ok(FundAndMarket { paid, socialized: 0, loss_index: m.at.index.loss });
    }
    let (loss_index, done) =
        transitions::bankruptcy::socialize_perp_loss(&mut *a.asset.load_mut()?, m.at.index, rest, m.open_interest)?;
    Ok(FundAndMarket { paid, socialized: if done { rest } else { 0 }, loss_index })
}

/// Accrues the market's funding at its oracle.
#[inline(never)]
fn accrue_market(ctx: &Context<ResolvePerpBankruptcy>, now: i64) -> Result<AccruedMarket> {
    let mut asset = ctx.accounts.asset.load_mut()?;
    require!(asset.asset_index != QUOTE_ASSET_INDEX && asset.perp.base_lot_size != 0, BallastError::PerpMarketDisabled);
    let oracle = read_oracle_info(
        const { Priced::of(Action::ResolveBankruptcy) },
        &asset.oracle,
        &ctx.accounts.oracle,
        asset.decimals,
        now,
    )?;
    let f = asset.perp.accrue_funding(now, oracle.price)?;
    let oi = Fx::checked_from_num(asset.perp.open_interest)
        .zip(Fx::checked_from_num(asset.perp.base_lot_size))
        .and_then(|(o, l)| o.checked_mul(l))
        .ok_or(BallastError::MathOverflow)?;
    let at = MarketAt { ai: asset.asset_index, lot: asset.perp.base_lot_size, index: f.indexes(), price: oracle.price };
    Ok(AccruedMarket { at, open_interest: oi })
}

/// Loads the account's health accounts and checks the perp bankruptcy predicate.
#[inline(never)]
fn load_perp_bankrupt<'info>(
    ctx: &Context<'info, ResolvePerpBankruptcy<'info>>,
    ai: u16,
    now: i64,
) -> Result<PerpBankruptcy> {
    let a = &ctx.accounts;
    let config = a.group.load()?.liquidation;
    let acc = a.account.load()?;
    let loaded = load_health_accounts(
        const { Priced::of(Action::ResolveBankruptcy) },
        &a.group.key(),
        &acc,
        &[],
        ctx.remaining_accounts,
        now,
    )?;
    check_perp_bankrupt(&acc, &loaded, &config, ai, now)
}

/// The fund pays up to `want` quote native units to the winner: its positive PnL (after funding)
/// is settled into its quote balance with tokens from the fund. Returns the amount.
#[inline(never)]
fn pay_winner(ctx: &Context<ResolvePerpBankruptcy>, m: &MarketAt, want: u64, now: i64) -> Result<u64> {
    let a = &ctx.accounts;
    let amount = transitions::bankruptcy::winner_claim(&mut *a.profitable.load_mut()?, m, want)?;
    if amount == 0 {
        return Ok(0);
    }
    let paid = fund_pays_into(&a.group, &a.insurance_vault.to_account_info(), &a.quote, amount)?;
    if paid == 0 {
        return Ok(0);
    }
    transitions::bankruptcy::credit_winner(
        &mut *a.quote.asset.load_mut()?,
        &mut *a.profitable.load_mut()?,
        m.ai,
        paid,
        now,
    )?;
    Ok(paid)
}

/// Takes `paid + socialized` off the bankrupt account's loss and counts the fund's share in its
/// bankruptcy. Returns the loss left.
#[inline(never)]
fn close_loss(ctx: &Context<ResolvePerpBankruptcy>, ai: u16, paid: u64, socialized: u64) -> Result<u64> {
    transitions::bankruptcy::close_perp_loss(&mut *ctx.accounts.account.load_mut()?, ai, paid, socialized)
}
