//! `check_what_if`: the account's Init and Maint health after hypothetical price and volatility
//! moves (the options issue's what-if), with its options revalued on the scenario grid, and its
//! Greeks after them, optionally after hypothetical option trades (applied to a copy). Sets as return data Init then Maint (I80F48 bits, 16 bytes each,
//! little-endian), then the number of underlyings the account holds options on (u8) and for each
//! its asset index (u16) and delta, gamma, vega and theta (I80F48 bits): `WhatIfReport::encode`,
//! at most 561 bytes; the first 32 bytes are as before the Greeks were added. Fails unless both
//! healths are at least the given minimums, so that integrators can assert a stress result on
//! chain and tests can prove the SDK's figure is the program's to the bit.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::risk::Fx;
use crate::state::*;
use crate::transitions::option::{what_if_report, what_if_traded_input, PriceMove, WhatIfTrade};

/// Accounts of `check_what_if`. `remaining_accounts`: the health accounts in canonical order.
#[derive(Accounts)]
pub struct CheckWhatIf<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account stressed.
    #[account(has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
}

/// `moves`: price moves per asset, bps; `vol_move_bps`: relative move of every option's volatility;
/// `min_init_bits`, `min_maint_bits`: I80F48 bits of the minimums, quote native units; `trades`:
/// hypothetical option trades applied first (to a copy of the account; at most 8).
pub fn handler<'info>(
    ctx: Context<'info, CheckWhatIf<'info>>,
    moves: Vec<PriceMove>,
    vol_move_bps: i32,
    min_init_bits: i128,
    min_maint_bits: i128,
    trades: Vec<WhatIfTrade>,
) -> Result<()> {
    let input = traded_input(&ctx.accounts.group, &ctx.accounts.account, &trades, ctx.remaining_accounts)?;
    let report = what_if_report(&input, &moves, vol_move_bps)?;
    anchor_lang::solana_program::program::set_return_data(&report.encode());
    let h = report.health;
    require!(
        h.init >= Fx::from_bits(min_init_bits) && h.maint >= Fx::from_bits(min_maint_bits),
        BallastError::HealthBelowMinimum
    );
    Ok(())
}

/// The engine input of the account with `trades` applied to a copy of it
/// ([`what_if_traded_input`]; the account is only read).
#[inline(never)]
fn traded_input<'info>(
    group: &AccountLoader<'info, Group>,
    account: &AccountLoader<'info, MarginAccount>,
    trades: &[WhatIfTrade],
    remaining: &[AccountInfo<'info>],
) -> Result<Box<crate::risk::HealthInput>> {
    let now = Clock::get()?.unix_timestamp;
    let quote = group.load()?.quote_asset_index;
    what_if_traded_input(&group.key(), &*account.load()?, trades, quote, remaining, now)
}
