//! `cancel_unstake`: drops the pending unstake request; the shares stay staked.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::instructions::request_unstake::UnstakeRequest;

/// Cancels the pending request.
pub fn handler(ctx: Context<UnstakeRequest>) -> Result<()> {
    let mut s = ctx.accounts.stake.load_mut()?;
    require!(s.pending_shares > 0, BallastError::InvalidUnstakeRequest);
    s.pending_shares = 0;
    s.pending_value = 0;
    s.request_ts = 0;
    Ok(())
}
