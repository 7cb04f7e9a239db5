//! `close_account`: closes an empty MarginAccount and returns its rent.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{AccountClosed, EventHeader};
use crate::state::*;

/// Accounts of `close_account`.
#[derive(Accounts)]
pub struct CloseAccount<'info> {
    /// Account to close; must hold no position. Anchor zeroes it and gives it back to the system
    /// program, so nothing can be deposited into the address afterwards (catalogue AV-14).
    #[account(mut, has_one = owner, close = rent_receiver)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Owner.
    pub owner: Signer<'info>,
    /// Receives the rent lamports.
    /// CHECK: any account may receive lamports.
    #[account(mut)]
    pub rent_receiver: UncheckedAccount<'info>,
}

/// Fails with AccountNotEmpty while any position remains (catalogue AV-13), DelegateBookOpen while
/// the account has a delegate book (revoke its delegates first: a re-created account at the same
/// address must not inherit them).
pub fn handler(ctx: Context<CloseAccount>) -> Result<()> {
    let a = ctx.accounts.account.load()?;
    require!(a.is_empty(), BallastError::AccountNotEmpty);
    require!(a.flags & ACCOUNT_FLAG_DELEGATE_BOOK == 0, BallastError::DelegateBookOpen);
    emit!(AccountClosed { header: EventHeader::now(a.group)?, account: ctx.accounts.account.key(), owner: a.owner });
    Ok(())
}
