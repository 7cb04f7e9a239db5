//! `grant_delegate`: the owner grants (or changes) a scoped delegate in the account's delegate
//! book, creating the book on first use (docs/governance.md, "Delegates").

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{DelegateGranted, EventHeader};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;

/// A delegate's grant.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DelegateGrant {
    /// The delegate's key (not the owner, not the default key).
    pub delegate: Pubkey,
    /// DELEGATE_* bits: trade, withdraw (to the owner only), borrow (with withdraw), liquidate (as
    /// liquidator).
    pub scope: u8,
    /// The permission ends after this unix time, seconds (0: no expiry).
    pub expiry: i64,
    /// Every market (then `market_count` is 0).
    pub all_markets: bool,
    /// The asset indexes of its markets, the first `market_count` (distinct; the rest zero).
    pub markets: [u16; MAX_DELEGATE_MARKETS],
    /// Markets listed (1 to MAX_DELEGATE_MARKETS unless `all_markets`).
    pub market_count: u8,
    /// Most notional per UTC day, quote native units (`DELEGATE_NO_CAP`: none; not 0).
    pub daily_cap: u64,
}

impl DelegateGrant {
    /// The book entry it writes (no usage).
    pub fn entry(&self) -> DelegateEntry {
        DelegateEntry {
            key: self.delegate,
            expiry: self.expiry,
            daily_cap: self.daily_cap,
            markets: self.markets,
            scope: self.scope,
            all_markets: u8::from(self.all_markets),
            market_count: self.market_count,
            ..Default::default()
        }
    }
}

/// Accounts of `grant_delegate`.
#[derive(Accounts)]
pub struct GrantDelegate<'info> {
    /// The margin account (marked as having a book).
    #[account(mut, has_one = owner)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Its owner; pays the book's rent when the book is new.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The account's delegate book, PDA `[DELEGATES_SEED, account]`; created here if empty.
    /// CHECK: address checked by the seeds; created or loaded by the handler.
    #[account(mut, seeds = [DELEGATES_SEED, account.key().as_ref()], bump)]
    pub book: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Writes the grant into the book: replaces the delegate's entry (its day's usage kept) or takes a
/// free one. Fails with InvalidConfig for a malformed grant or the owner's own key,
/// DelegateKindConflict for the account's v0.1.0 delegate, TooManyDelegates when the book is full.
pub fn handler(ctx: Context<GrantDelegate>, grant: DelegateGrant) -> Result<()> {
    let group = {
        let mut a = ctx.accounts.account.load_mut()?;
        require!(grant.delegate != a.owner, BallastError::InvalidConfig);
        require!(grant.delegate != a.delegate, BallastError::DelegateKindConflict);
        a.flags |= ACCOUNT_FLAG_DELEGATE_BOOK;
        a.group
    };
    let entry = grant.entry();
    entry.validate()?;
    write(&ctx, group, entry)?;
    emit_granted(group, ctx.accounts.account.key(), &grant)
}

/// Creates the book if it is empty, then grants `entry` in it.
#[inline(never)]
fn write(ctx: &Context<GrantDelegate>, group: Pubkey, entry: DelegateEntry) -> Result<()> {
    let account = ctx.accounts.account.key();
    let info = ctx.accounts.book.to_account_info();
    if info.data_is_empty() {
        let bump = [ctx.bumps.book];
        let seeds: &[&[u8]] = &[DELEGATES_SEED, account.as_ref(), &bump];
        create_pda_account(&ctx.accounts.owner.to_account_info(), &info, DELEGATE_BOOK_LEN, &crate::ID, seeds)?;
        write_discriminator::<DelegateBook>(&info)?;
    }
    require_keys_eq!(*info.owner, crate::ID, BallastError::AccountAlreadyExists);
    let mut data = info.try_borrow_mut_data()?;
    require!(
        data.len() == DELEGATE_BOOK_LEN && data[..8] == *DelegateBook::DISCRIMINATOR,
        BallastError::AccountAlreadyExists
    );
    let b: &mut DelegateBook = bytemuck::from_bytes_mut(&mut data[8..DELEGATE_BOOK_LEN]);
    if b.account == Pubkey::default() {
        (b.account, b.group, b.bump) = (account, group, ctx.bumps.book);
    }
    require_keys_eq!(b.account, account, BallastError::Unauthorized);
    b.grant(entry)
}

#[inline(never)]
fn emit_granted(group: Pubkey, account: Pubkey, grant: &DelegateGrant) -> Result<()> {
    emit!(DelegateGranted {
        header: EventHeader::now(group)?,
        account,
        delegate: grant.delegate,
        scope: grant.scope,
        expiry: grant.expiry,
        all_markets: grant.all_markets,
        markets: grant.markets,
        market_count: grant.market_count,
        daily_cap: grant.daily_cap,
    });
    Ok(())
}
