//! `settle_pnl`: permissionless. Moves realized and unrealized perp PnL (valued at the oracle)
//! from a losing account's perp quote position to a winning account's, and the same amount the
//! other way in their quote-asset token balances: the winner's deposit grows, the loser's balance
//! falls (it may become a borrow). Both accounts' equity is unchanged. The market settles at most
//! `settle_limit` per window, so PnL made at a manipulated price cannot be withdrawn at once.
//!
//! The loser's health accounts come as remaining accounts and are loaded with the one loader:
//! - a settlement never takes more than the loser's token collateral covers (its equity at oracle
//!   prices less its unsettled PnL in every market, [`loser_collateral`], [`covered_loss`], S2-22): the rest stays unsettled until liquidation
//!   and `resolve_perp_bankruptcy` decide it, so winners are never paid by the quote depositors;
//! - a liquidatable loser (the liquidation's own predicate) settles outside the window, which throttles winners'
//!   realisation of PnL and must not throttle the liquidation of losses (S2-07).

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, PnlSettled};
use crate::health_accounts::load_health_accounts;
use crate::instructions::perp_clearing::*;
use crate::oracle::{oracle_policy, read_oracle_info, Action, OracleNeed};
use crate::risk::liquidation::liquidatable;
use crate::risk::perp::{covered_loss, loser_collateral, settleable, PerpIndex, SettleWindow};
use crate::risk::{health, health_components, Fx, HealthType, Price, Round};
use crate::state::*;

/// Accounts of `settle_pnl`. `remaining_accounts`: the unprofitable account's health accounts in
/// canonical order (read only).
#[derive(Accounts)]
pub struct SettlePnl<'info> {
    /// Group, perp asset and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// The perp asset's primary oracle.
    /// CHECK: key, owner, layout and price are checked by `read_oracle`.
    pub oracle: UncheckedAccount<'info>,
    /// Account with positive PnL in the market.
    #[account(mut, constraint = profitable.load()?.group == market.group.key() @ BallastError::Unauthorized)]
    pub profitable: AccountLoader<'info, MarginAccount>,
    /// Account with negative PnL in the market.
    #[account(mut, constraint = unprofitable.load()?.group == market.group.key() @ BallastError::Unauthorized)]
    pub unprofitable: AccountLoader<'info, MarginAccount>,
}

/// Settles up to `max_amount` quote native units: the least of the winner's PnL, the part of the
/// loser's loss its collateral covers, `max_amount` and (unless the loser is liquidatable) what is
/// left of the window's limit. Fails with NothingToSettle when either side has nothing,
/// LossNotCovered when the loser's collateral covers none of its loss, SettleLimitReached when the
/// window is used up.
pub fn handler<'info>(ctx: Context<'info, SettlePnl<'info>>, max_amount: u64) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::SettlePnl), OracleNeed::Valid);
    let now = Clock::get()?.unix_timestamp;
    let m = &ctx.accounts.market;
    let (ai, qi) = m.indexes()?;
    require_keys_neq!(ctx.accounts.profitable.key(), ctx.accounts.unprofitable.key(), BallastError::SameAccount);
    let (oracle, index, lot, mut window, limit, secs) = accrue_market(m, &ctx.accounts.oracle, now)?;
    let (collateral, liquidatable) = loser_state(&ctx, now)?;
    // S2-07: a liquidatable loser's loss is realised at once, whatever the window holds.
    let limit = if liquidatable { None } else { Some((limit, secs)) };
    let accounts = (&ctx.accounts.profitable, &ctx.accounts.unprofitable);
    let amount =
        move_pnl(m, accounts, (ai, qi), lot, index, oracle, &mut window, (limit, collateral, now), max_amount)?;
    {
        let mut a = m.asset.load_mut()?;
        a.perp.settle_window_start = window.start_ts;
        a.perp.settle_window_used = window.used;
    }
    emit!(PnlSettled {
        header: EventHeader::now(m.group.key())?,
        asset_index: ai,
        profitable: ctx.accounts.profitable.key(),
        unprofitable: ctx.accounts.unprofitable.key(),
        amount,
        oracle_price_bits: oracle.to_bits(),
    });
    Ok(())
}

/// Accrues the market's funding at its oracle. Returns (oracle price, indexes, lot size, settle
/// window, settle limit, window seconds).
#[inline(never)]
#[allow(clippy::type_complexity)]
fn accrue_market(
    m: &PerpMarketAccounts,
    oracle_info: &AccountInfo,
    now: i64,
) -> Result<(Price, PerpIndex, u64, SettleWindow, u64, u32)> {
    let mut a = m.asset.load_mut()?;
    let oracle = read_oracle_info(&a.oracle, oracle_info, a.decimals, now)?;
    let f = a.perp.accrue_funding(now, oracle.price)?;
    let w = SettleWindow { start_ts: a.perp.settle_window_start, used: a.perp.settle_window_used };
    Ok((oracle.price, f.indexes(), a.perp.base_lot_size, w, a.perp.settle_limit, a.perp.settle_window_secs))
}

/// The loser's token collateral (`loser_collateral`) and whether it is liquidatable (the liquidation's own
/// predicate: below Maint, or in a running episode below the LiquidationEnd target), from its
/// health accounts (the one loader; funding projected to now, as `move_pnl` settles it).
#[inline(never)]
fn loser_state<'info>(ctx: &Context<'info, SettlePnl<'info>>, now: i64) -> Result<(Fx, bool)> {
    let acc = ctx.accounts.unprofitable.load()?;
    let loaded = load_health_accounts(&ctx.accounts.market.group.key(), &acc, &[], ctx.remaining_accounts, now)?;
    let input = loaded.health_input(&acc)?;
    let c = health_components(&input, HealthType::Maint).map_risk()?;
    let end = health(&input, HealthType::LiquidationEnd).map_risk()?;
    let collateral = loser_collateral(&input, c.equity, QUOTE_ASSET_INDEX).map_risk()?.collateral;
    Ok((collateral, liquidatable(c.health, end, acc.liquidation_episode_active(now))))
}

/// Settles both positions' funding, bounds the loser's side by its token `collateral`, takes the settleable amount from the window when `limit` is given, and moves it
/// between the perp quotes and the quote balances. Returns the amount.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn move_pnl(
    m: &PerpMarketAccounts,
    (winner, loser): (&AccountLoader<MarginAccount>, &AccountLoader<MarginAccount>),
    (ai, qi): (u16, u16),
    lot: u64,
    index: PerpIndex,
    oracle: Price,
    window: &mut SettleWindow,
    (limit, collateral, now): (Option<(u64, u32)>, Fx, i64),
    max_amount: u64,
) -> Result<u64> {
    let mut quote = m.quote.load_mut()?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let mut win = winner.load_mut()?;
    let mut lose = loser.load_mut()?;
    let ws = win.perp_slot(ai).ok_or(BallastError::NothingToSettle)?;
    let ls = lose.perp_slot(ai).ok_or(BallastError::NothingToSettle)?;
    let win_pnl = settle_funding(&mut win, ws, lot, index, oracle, Round::Down)?;
    let lose_pnl = settle_funding(&mut lose, ls, lot, index, oracle, Round::Up)?;
    let amount = settle_amount((win_pnl, lose_pnl, collateral), window, limit, now, max_amount)?;
    let owed = transfer_pnl((&mut win, ws), (&mut lose, ls), &mut bank, qi, amount)?;
    quote.record_owed_borrow(now, owed)?;
    win.release_perp_slot_if_empty(ws);
    lose.release_perp_slot_if_empty(ls);
    quote.bank.set_state(&bank);
    Ok(amount)
}

/// Moves `amount` quote native units of settled PnL: the winner's perp quote falls and its quote
/// balance rises, the loser's perp quote rises and its quote balance falls. Returns the native
/// units the loser borrowed (for `Asset::record_owed_borrow`).
pub(crate) fn transfer_pnl(
    (win, ws): (&mut MarginAccount, usize),
    (lose, ls): (&mut MarginAccount, usize),
    bank: &mut crate::risk::bank::BankState,
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

/// The amount a settlement moves: the least of the winner's PnL, the part of the loser's loss its
/// collateral covers, `max_amount` and, when `limit` is given, what is left of the window.
#[inline(never)]
fn settle_amount(
    (win_pnl, lose_pnl, collateral): (Fx, Fx, Fx),
    window: &mut SettleWindow,
    limit: Option<(u64, u32)>,
    now: i64,
    max_amount: u64,
) -> Result<u64> {
    require!(settleable(win_pnl, lose_pnl, max_amount) > 0, BallastError::NothingToSettle);
    let want = settleable(win_pnl, covered_loss(lose_pnl, collateral).map_risk()?, max_amount);
    require!(want > 0, BallastError::LossNotCovered);
    Ok(match limit {
        Some((limit, secs)) => window.take(limit, secs, now, want).map_risk()?,
        None => want,
    })
}

/// Settles a position's funding and returns its PnL at `oracle`, rounded in direction `round`
/// (down for the winner, up for the loser: against both).
pub(crate) fn settle_funding(
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
