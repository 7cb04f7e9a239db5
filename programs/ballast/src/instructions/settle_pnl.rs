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
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::risk::liquidation::liquidatable;
use crate::risk::perp::{loser_collateral, PerpIndex};
use crate::risk::{health, health_components, Fx, HealthType, Price};
use crate::shared::perp_clearing::*;
use crate::state::*;
use crate::transitions;
use crate::transitions::perp::Settlement;

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
    crate::gate::enter(&ctx.accounts.market.group, crate::gate::Ix::SettlePnl, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let m = &ctx.accounts.market;
    let ai = ctx.accounts.validate()?;
    let (oracle, index) = accrue_market(m, &ctx.accounts.oracle, now)?;
    let (collateral, liquidatable) = loser_state(&ctx, now)?;
    let settlement = Settlement { ai, index, oracle, collateral, liquidatable, max_amount };
    let amount = move_pnl(m, (&ctx.accounts.profitable, &ctx.accounts.unprofitable), &settlement, now)?;
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

impl SettlePnl<'_> {
    /// What the account constraints cannot check: the market's assets (the quote asset is the
    /// group's and differs from the perp asset) and two different accounts. Returns the perp
    /// asset's index.
    pub fn validate(&self) -> Result<u16> {
        let (ai, _quote_index) = self.market.indexes()?;
        require_keys_neq!(self.profitable.key(), self.unprofitable.key(), BallastError::SameAccount);
        Ok(ai)
    }
}

/// Accrues the market's funding at its oracle. Returns the oracle price and the indexes.
#[inline(never)]
fn accrue_market(m: &PerpMarketAccounts, oracle_info: &AccountInfo, now: i64) -> Result<(Price, PerpIndex)> {
    let mut a = m.asset.load_mut()?;
    let oracle = read_oracle_info(const { Priced::of(Action::SettlePnl) }, &a.oracle, oracle_info, a.decimals, now)?;
    let f = a.perp.accrue_funding(now, oracle.price)?;
    Ok((oracle.price, f.indexes()))
}

/// The loser's token collateral (`loser_collateral`) and whether it is liquidatable (the liquidation's own
/// predicate: below Maint, or in a running episode below the LiquidationEnd target), from its
/// health accounts (the one loader; funding projected to now, as `move_pnl` settles it).
#[inline(never)]
fn loser_state<'info>(ctx: &Context<'info, SettlePnl<'info>>, now: i64) -> Result<(Fx, bool)> {
    let acc = ctx.accounts.unprofitable.load()?;
    let loaded = load_health_accounts(
        const { Priced::of(Action::SettlePnl) },
        &ctx.accounts.market.group.key(),
        &acc,
        &[],
        ctx.remaining_accounts,
        now,
    )?;
    let input = loaded.health_input(&acc)?;
    let c = health_components(&input, HealthType::Maint).map_risk()?;
    let end = health(&input, HealthType::LiquidationEnd).map_risk()?;
    let collateral = loser_collateral(&input, c.equity, QUOTE_ASSET_INDEX).map_risk()?.collateral;
    Ok((collateral, liquidatable(c.health, end, acc.liquidation_episode_active(now))))
}

/// Loads the market and both accounts and runs the settlement ([`transitions::perp::settle`]).
/// Returns the amount.
#[inline(never)]
fn move_pnl(
    m: &PerpMarketAccounts,
    (winner, loser): (&AccountLoader<MarginAccount>, &AccountLoader<MarginAccount>),
    settlement: &Settlement,
    now: i64,
) -> Result<u64> {
    let mut asset = m.asset.load_mut()?;
    let mut quote = m.quote.load_mut()?;
    transitions::perp::settle(
        &mut asset,
        &mut quote,
        &mut *winner.load_mut()?,
        &mut *loser.load_mut()?,
        settlement,
        now,
    )
}
