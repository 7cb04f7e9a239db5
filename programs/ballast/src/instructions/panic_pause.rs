//! `panic_pause`: the guardian or the admin stops, for 30 minutes, every instruction the pause
//! policy names (`gate::POLICY`); at most 2 in a row and 3 per day; it ends by itself.

use anchor_lang::prelude::*;

use crate::events::{EventHeader, PanicPaused};
use crate::state::*;

/// Accounts of `panic_pause`.
#[derive(Accounts)]
pub struct PanicPause<'info> {
    /// Group.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The admin or the guardian.
    pub authority: Signer<'info>,
}

/// Starts (or, within the row limit, extends) the pause (PanicPauseLimit beyond the limits).
pub fn handler(ctx: Context<PanicPause>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut g = ctx.accounts.group.load_mut()?;
    crate::governance::authorize_cancel(&g, ctx.accounts.authority.key)?;
    crate::gate::start_panic_pause(&mut g, now)?;
    emit!(PanicPaused {
        header: EventHeader::now(ctx.accounts.group.key())?,
        until: g.panic_until,
        in_row: g.panic_in_row,
        today: g.panic_today,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
