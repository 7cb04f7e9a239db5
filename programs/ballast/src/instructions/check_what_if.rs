//! `check_what_if`: the account's Init and Maint health after hypothetical price and volatility
//! moves (the options issue's what-if), with its options revalued on the scenario grid. Sets them as
//! return data (I80F48 bits, Init then Maint, 16 bytes each, little-endian) and fails unless both
//! are at least the given minimums, so that integrators can assert a stress result on chain and
//! tests can prove the SDK's figure is the program's to the bit.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::risk::Fx;
use crate::state::*;
use crate::transitions::option::{what_if_health, PriceMove};

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
/// `min_init_bits`, `min_maint_bits`: I80F48 bits of the minimums, quote native units.
pub fn handler<'info>(
    ctx: Context<'info, CheckWhatIf<'info>>,
    moves: Vec<PriceMove>,
    vol_move_bps: i32,
    min_init_bits: i128,
    min_maint_bits: i128,
) -> Result<()> {
    let input = crate::instructions::check_health::checked_input(
        &ctx.accounts.group,
        &ctx.accounts.account,
        ctx.remaining_accounts,
    )?;
    let h = what_if_health(&input, &moves, vol_move_bps)?;
    let mut data = [0u8; 32];
    data[..16].copy_from_slice(&h.init.to_bits().to_le_bytes());
    data[16..].copy_from_slice(&h.maint.to_bits().to_le_bytes());
    anchor_lang::solana_program::program::set_return_data(&data);
    require!(
        h.init >= Fx::from_bits(min_init_bits) && h.maint >= Fx::from_bits(min_maint_bits),
        BallastError::HealthBelowMinimum
    );
    Ok(())
}
