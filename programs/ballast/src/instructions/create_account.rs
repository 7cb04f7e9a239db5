//! `create_account`: opens a MarginAccount for the signing owner.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::events::{AccountCreated, EventHeader};
use crate::pda_init::{create_pda_account, write_discriminator};
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
    /// The new account, PDA `[ACCOUNT_SEED, group, owner, account_num]`. Created by the handler,
    /// also when the address already holds lamports (catalogue DS-04).
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(
        mut,
        seeds = [ACCOUNT_SEED, group.key().as_ref(), owner.key().as_ref(), &account_num.to_le_bytes()],
        bump
    )]
    pub account: UncheckedAccount<'info>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Initializes the account with every position slot free.
pub fn handler(ctx: Context<CreateAccount>, account_num: u32) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::CreateAccount, &[])?;
    let group_key = ctx.accounts.group.key();
    let owner_key = ctx.accounts.owner.key();
    let num = account_num.to_le_bytes();
    let bump = [ctx.bumps.account];
    let seeds: &[&[u8]] = &[ACCOUNT_SEED, group_key.as_ref(), owner_key.as_ref(), &num, &bump];
    let info = ctx.accounts.account.to_account_info();
    create_pda_account(&ctx.accounts.payer.to_account_info(), &info, MARGIN_ACCOUNT_LEN, &crate::ID, seeds)?;
    write_discriminator::<MarginAccount>(&info)?;
    let mut data = info.try_borrow_mut_data()?;
    let a: &mut MarginAccount = bytemuck::from_bytes_mut(&mut data[8..MARGIN_ACCOUNT_LEN]);
    a.group = group_key;
    a.owner = owner_key;
    a.account_num = account_num;
    a.bump = ctx.bumps.account;
    a.init_slots();
    let mut g = ctx.accounts.group.load_mut()?;
    g.num_accounts = g.num_accounts.saturating_add(1);
    emit!(AccountCreated { header: EventHeader::now(group_key)?, account: info.key(), owner: owner_key, account_num });
    Ok(())
}
