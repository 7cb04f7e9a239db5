//! `settle_option_position`: permissionless. Turns an option position of a settled expiry into
//! quote cash at the settlement price: shorts pay into the expiry's pot, longs are paid from it
//! (settle the shorts first). No health check: the settled value already counted as quote cash in
//! the account's health.

use anchor_lang::prelude::*;

use crate::constants::OPTION_SETTLEMENT_SEED;
use crate::error::BallastError;
use crate::events::{EventHeader, OptionPositionSettled};
use crate::shared::perp_clearing::*;
use crate::state::*;
use crate::transitions::option::settle_position;

/// Accounts of `settle_option_position`.
#[derive(Accounts)]
#[instruction(expiry: i64)]
pub struct SettleOptionPosition<'info> {
    /// Group, underlying and quote asset.
    pub market: PerpMarketAccounts<'info>,
    /// The expiry's settlement record.
    #[account(mut, seeds = [OPTION_SETTLEMENT_SEED, market.asset.key().as_ref(), &expiry.to_le_bytes()], bump = settlement.load()?.bump)]
    pub settlement: AccountLoader<'info, OptionSettlement>,
    /// The margin account holding the position.
    #[account(mut, constraint = account.load()?.group == market.group.key() @ BallastError::Unauthorized)]
    pub account: AccountLoader<'info, MarginAccount>,
}

/// Settles the account's option in `slot` (of `expiry`) ([`settle_position`]).
pub fn handler(ctx: Context<SettleOptionPosition>, expiry: i64, slot: u8) -> Result<()> {
    crate::gate::enter(&ctx.accounts.market.group, crate::gate::Ix::SettleOptionPosition, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let (_, qi) = crate::instructions::trade_option::indexes(&a.market)?;
    let mut asset = a.market.asset.load_mut()?;
    let mut quote = a.market.quote.load_mut()?;
    quote.accrue(now)?;
    let mut bank = quote.bank.state();
    let mut account = a.account.load_mut()?;
    let o = *account.options.get(usize::from(slot)).ok_or(BallastError::NothingToSettle)?;
    let out =
        settle_position(&mut asset, &mut bank, qi, &mut account, usize::from(slot), &mut *a.settlement.load_mut()?)?;
    quote.record_owed_borrow(now, out.owed)?;
    quote.bank.set_state(&bank);
    emit!(OptionPositionSettled {
        header: EventHeader::now(a.market.group.key())?,
        account: a.account.key(),
        asset_index: asset.asset_index,
        expiry,
        strike_bits: o.strike.bits(),
        kind: o.kind,
        contracts: out.contracts,
        cash: out.cash,
    });
    Ok(())
}
