//! `cancel_unstake`: drops the pending unstake request; the shares stay staked.

use anchor_lang::prelude::*;

use crate::instructions::request_unstake::UnstakeRequest;
use crate::transitions;

/// Cancels the pending request.
pub fn handler(ctx: Context<UnstakeRequest>) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::CancelUnstake, &[])?;
    let mut s = ctx.accounts.stake.load_mut()?;
    let shares = s.pending_shares;
    transitions::insurance::cancel_unstake(&mut s)?;
    emit!(crate::events::UnstakeCancelled {
        header: crate::events::EventHeader::now(s.group)?,
        owner: s.owner,
        shares
    });
    Ok(())
}
