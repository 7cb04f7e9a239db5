//! `set_delegate`: the owner names (or clears) a delegate with a scope and an expiry.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{DelegateSet, EventHeader};
use crate::state::*;

/// Accounts of `set_delegate`.
#[derive(Accounts)]
pub struct SetDelegate<'info> {
    /// Account whose delegate changes.
    #[account(mut, has_one = owner)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Owner.
    pub owner: Signer<'info>,
}

/// Sets the account's v0.1.0 delegate: `scope` DELEGATE_TRADE and DELEGATE_WITHDRAW bits, every
/// market, no cap (`crate::delegation`); `expiry` 0 means no expiry. `Pubkey::default()` clears
/// it. Scoped delegates (markets, a daily cap, borrow and liquidate scopes) are granted with
/// `grant_delegate`. Fails with DelegateKindConflict while the account has a delegate book (clearing
/// is always allowed).
pub fn handler(ctx: Context<SetDelegate>, delegate: Pubkey, scope: u8, expiry: i64) -> Result<()> {
    require!(scope & !(DELEGATE_TRADE | DELEGATE_WITHDRAW) == 0, BallastError::InvalidConfig);
    require!(expiry >= 0, BallastError::InvalidConfig);
    let mut a = ctx.accounts.account.load_mut()?;
    require!(delegate != a.owner, BallastError::InvalidConfig);
    // One key is never both kinds of delegate (the v0.1.0 one would bypass the book's limits):
    // with a delegate book, the v0.1.0 delegate can only be cleared.
    require!(
        delegate == Pubkey::default() || a.flags & ACCOUNT_FLAG_DELEGATE_BOOK == 0,
        BallastError::DelegateKindConflict
    );
    a.delegate = delegate;
    a.delegate_scope = if delegate == Pubkey::default() { 0 } else { scope };
    a.delegate_expiry = if delegate == Pubkey::default() { 0 } else { expiry };
    emit!(DelegateSet {
        header: EventHeader::now(a.group)?,
        account: ctx.accounts.account.key(),
        delegate,
        scope: a.delegate_scope,
        expiry: a.delegate_expiry,
    });
    Ok(())
}
