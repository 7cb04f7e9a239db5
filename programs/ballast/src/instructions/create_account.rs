//! `create_account`: opens a MarginAccount for the signing owner.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::events::{AccountCreated, EventHeader};
use crate::state::*;

/// Accounts of `create_account`.
#[derive(Accounts)]
#[instruction(account_num: u32)]
pub struct CreateAccount<'info> {
    /// Group; counts accounts.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// Owner of the new account.
    pub owner: Signer<'info>,
    /// The new account, PDA `[ACCOUNT_SEED, group, owner, account_num]`. Anchor's `init` works on
    /// an address that already holds lamports (catalogue DS-04) and fails on an existing account.
    #[account(
        init,
        payer = payer,
        space = MARGIN_ACCOUNT_LEN,
        seeds = [ACCOUNT_SEED, group.key().as_ref(), owner.key().as_ref(), &account_num.to_le_bytes()],
        bump
    )]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Initializes the account with every position slot free.
pub fn handler(ctx: Context<CreateAccount>, account_num: u32) -> Result<()> {
    let mut a = ctx.accounts.account.load_init()?;
    a.group = ctx.accounts.group.key();
    a.owner = ctx.accounts.owner.key();
    a.account_num = account_num;
    a.bump = ctx.bumps.account;
    a.init_slots();
    let mut g = ctx.accounts.group.load_mut()?;
    g.num_accounts = g.num_accounts.saturating_add(1);
    emit!(AccountCreated {
        header: EventHeader::now(a.group)?,
        account: ctx.accounts.account.key(),
        owner: a.owner,
        account_num,
    });
    Ok(())
}
