//! `cancel_order`: the maker burns a nonce so no (further) fill of the order signed with it can
//! happen.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::events::{EventHeader, OrderCancelled};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;

/// Accounts of `cancel_order`.
#[derive(Accounts)]
#[instruction(nonce: u64)]
pub struct CancelOrder<'info> {
    /// The maker account.
    pub account: AccountLoader<'info, MarginAccount>,
    /// Its owner, or its delegate with the trade scope; pays the record's rent if it is new.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// Fill record, PDA `[ORDER_SEED, account, nonce]`.
    /// CHECK: address checked by the seeds; created or loaded by the handler.
    #[account(mut, seeds = [ORDER_SEED, account.key().as_ref(), &nonce.to_le_bytes()], bump)]
    pub order_record: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Marks the nonce cancelled (creating its record if no fill happened yet). A book delegate with
/// the trade scope passes the account's delegate book as the only remaining account; a cancel
/// counts nothing against its cap.
pub fn handler<'info>(ctx: Context<'info, CancelOrder<'info>>, nonce: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut books = ctx.remaining_accounts;
    let act = Act::new(DELEGATE_TRADE, FREE_SLOT);
    crate::delegation::authorize(&ctx.accounts.account, ctx.accounts.authority.key, act, &mut books, now)?;
    let group = ctx.accounts.account.load()?.group;
    let info = ctx.accounts.order_record.to_account_info();
    let account = ctx.accounts.account.key();
    if info.data_is_empty() {
        let n = nonce.to_le_bytes();
        let bump = [ctx.bumps.order_record];
        let seeds: &[&[u8]] = &[ORDER_SEED, account.as_ref(), &n, &bump];
        create_pda_account(&ctx.accounts.authority.to_account_info(), &info, ORDER_RECORD_LEN, &crate::ID, seeds)?;
        write_discriminator::<OrderRecord>(&info)?;
    }
    let mut data = info.try_borrow_mut_data()?;
    let r: &mut OrderRecord = bytemuck::try_from_bytes_mut(&mut data[8..ORDER_RECORD_LEN])
        .map_err(|_| anchor_lang::error::ErrorCode::AccountDidNotDeserialize)?;
    r.account = account;
    r.nonce = nonce;
    r.bump = ctx.bumps.order_record;
    r.cancelled = 1;
    emit!(OrderCancelled { header: EventHeader::now(group)?, account, nonce });
    Ok(())
}
