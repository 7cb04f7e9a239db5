//! `settle_pnl`: permissionless. Moves realized and unrealized perp PnL (valued at the oracle)
//! from a losing account's perp quote position to a winning account's, and the same amount the
//! other way in their quote-asset token balances: the winner's deposit grows, the loser's balance
//! falls (it may become a borrow). Both accounts' equity is unchanged. The market settles at most
//! `settle_limit` per window, so PnL made at a manipulated price cannot be withdrawn at once.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, PnlSettled};
use crate::instructions::perp_clearing::*;
use crate::oracle::{oracle_policy, read_oracle_info, Action, OracleNeed};
use crate::risk::perp::{settleable, SettleWindow};
use crate::risk::{Fx, Price, Round};
use crate::state::*;

/// Accounts of `settle_pnl`.
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

/// Settles up to `max_amount` quote native units: the least of the winner's PnL, the loser's
/// loss, `max_amount` and what is left of the window's limit. Fails with NothingToSettle when
/// either side has nothing, SettleLimitReached when the window is used up.
pub fn handler(ctx: Context<SettlePnl>, max_amount: u64) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::SettlePnl), OracleNeed::Valid);
    let now = Clock::get()?.unix_timestamp;
    let m = &ctx.accounts.market;
    let (ai, qi) = m.indexes()?;
    require_keys_neq!(ctx.accounts.profitable.key(), ctx.accounts.unprofitable.key(), BallastError::SameAccount);
    let (oracle, index, lot, mut window, limit, secs) = {
        let mut a = m.asset.load_mut()?;
        let oracle = read_oracle_info(&a.oracle, &ctx.accounts.oracle, a.decimals, now)?;
        let f = a.perp.accrue_funding(now, oracle.price)?;
        let w = SettleWindow { start_ts: a.perp.settle_window_start, used: a.perp.settle_window_used };
        (oracle.price, f.index, a.perp.base_lot_size, w, a.perp.settle_limit, a.perp.settle_window_secs)
    };
    let accounts = (&ctx.accounts.profitable, &ctx.accounts.unprofitable);
    let amount = move_pnl(m, accounts, (ai, qi), lot, index, oracle, &mut window, (limit, secs, now), max_amount)?;
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

/// Settles both positions' funding, takes the settleable amount from the window, and moves it
/// between the perp quotes and the quote balances. Returns the amount.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn move_pnl(
    m: &PerpMarketAccounts,
    (winner, loser): (&AccountLoader<MarginAccount>, &AccountLoader<MarginAccount>),
    (ai, qi): (u16, u16),
    lot: u64,
    index: Fx,
    oracle: Price,
    window: &mut SettleWindow,
    (limit, secs, now): (u64, u32, i64),
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
    let want = settleable(win_pnl, lose_pnl, max_amount);
    require!(want > 0, BallastError::NothingToSettle);
    let amount = window.take(limit, secs, now, want).map_risk()?;
    let amt = Fx::from_num(amount);
    let q = win.perps[ws].quote.fx().checked_sub(amt).ok_or(BallastError::MathOverflow)?;
    win.perps[ws].quote = Fx128::from_fx(q);
    let q = lose.perps[ls].quote.fx().checked_add(amt).ok_or(BallastError::MathOverflow)?;
    lose.perps[ls].quote = Fx128::from_fx(q);
    credit_quote(&mut win, &mut bank, qi, amount)?;
    let owed = debit_quote(&mut lose, &mut bank, qi, amount)?;
    quote.record_owed_borrow(now, owed)?;
    win.release_perp_slot_if_empty(ws);
    lose.release_perp_slot_if_empty(ls);
    quote.bank.set_state(&bank);
    Ok(amount)
}

/// Settles a position's funding and returns its PnL at `oracle`, rounded in direction `round`
/// (down for the winner, up for the loser: against both).
fn settle_funding(a: &mut MarginAccount, slot: usize, lot: u64, index: Fx, oracle: Price, round: Round) -> Result<Fx> {
    let p = &mut a.perps[slot];
    let mut pos = p.pos(lot).map_risk()?;
    let paid = pos.settle_funding(index).map_risk()?;
    p.quote = Fx128::from_fx(pos.quote);
    p.funding_snapshot = Fx128::from_fx(pos.funding_snapshot);
    p.funding_paid = p.funding_paid.saturating_add(paid.saturating_to_num::<i64>());
    pos.pnl(oracle, round).map_risk()
}
