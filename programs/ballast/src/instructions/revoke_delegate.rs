//! `revoke_delegate`: the owner removes a delegate from the account's delegate book; the book
//! closes (rent back to the owner) when its last delegate goes.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::events::{DelegateRevoked, EventHeader};
use crate::state::*;

/// Accounts of `revoke_delegate`.
#[derive(Accounts)]
pub struct RevokeDelegate<'info> {
    /// The margin account (its book mark cleared when the book closes).
    #[account(mut, has_one = owner)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Its owner; receives the book's rent when the book closes.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The account's delegate book, PDA `[DELEGATES_SEED, account]`.
    #[account(mut, seeds = [DELEGATES_SEED, account.key().as_ref()], bump = book.load()?.bump)]
    pub book: AccountLoader<'info, DelegateBook>,
}

/// Removes `delegate` at once (DelegateNotFound when the book has no entry for it).
pub fn handler(ctx: Context<RevokeDelegate>, delegate: Pubkey) -> Result<()> {
    let group = ctx.accounts.account.load()?.group;
    let empty = ctx.accounts.book.load_mut()?.revoke(&delegate)?;
    if empty {
        ctx.accounts.book.close(ctx.accounts.owner.to_account_info())?;
        ctx.accounts.account.load_mut()?.flags &= !ACCOUNT_FLAG_DELEGATE_BOOK;
    }
    emit!(DelegateRevoked { header: EventHeader::now(group)?, account: ctx.accounts.account.key(), delegate });
    Ok(())
}
