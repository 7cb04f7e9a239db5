//! `stake`: deposits quote tokens into the insurance fund for shares at the current share price.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{EventHeader, InsuranceStaked};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::shared::insurance_vault::*;
use crate::state::*;
use crate::transitions;

/// Accounts of `stake`.
#[derive(Accounts)]
pub struct Stake<'info> {
    /// The fund.
    pub fund: InsuranceAccounts<'info>,
    /// Staker; owns the source token account and pays a new stake account's rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The staker's stake account, PDA `[STAKE_SEED, group, owner]`; created on the first stake.
    /// CHECK: address checked by the seeds; created or loaded by the handler.
    #[account(mut, seeds = [STAKE_SEED, fund.group.key().as_ref(), owner.key().as_ref()], bump)]
    pub stake: UncheckedAccount<'info>,
    /// Source of the quote tokens.
    #[account(mut, token::mint = fund.mint, token::token_program = fund.token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Stakes `amount` quote native units. Fails with InsuranceFundEmpty while shares exist and the
/// fund holds nothing (IB-07), ZeroAmount when the amount buys no share.
pub fn handler(ctx: Context<Stake>, amount: u64) -> Result<()> {
    crate::gate::enter(&ctx.accounts.fund.group, crate::gate::Ix::Stake, &[])?;
    require!(amount > 0, BallastError::ZeroAmount);
    ctx.accounts.fund.check()?;
    open_stake(&ctx)?;
    let from = ctx.accounts.source.to_account_info();
    let authority = ctx.accounts.owner.to_account_info();
    let received = ctx.accounts.fund.pull(from, authority, amount)?;
    let shares = {
        let info = ctx.accounts.stake.to_account_info();
        let mut data = info.try_borrow_mut_data()?;
        let s: &mut InsuranceStake = bytemuck::from_bytes_mut(&mut data[8..INSURANCE_STAKE_LEN]);
        transitions::insurance::stake(&mut ctx.accounts.fund.group.load_mut()?.insurance, s, received)?
    };
    emit!(InsuranceStaked {
        header: EventHeader::now(ctx.accounts.fund.group.key())?,
        owner: ctx.accounts.owner.key(),
        amount: received,
        shares,
    });
    Ok(())
}

/// Creates the stake account on first use; checks it belongs to the owner and group otherwise.
fn open_stake(ctx: &Context<Stake>) -> Result<()> {
    let info = ctx.accounts.stake.to_account_info();
    let group = ctx.accounts.fund.group.key();
    let owner = ctx.accounts.owner.key();
    if info.data_is_empty() {
        let bump = [ctx.bumps.stake];
        let seeds: &[&[u8]] = &[STAKE_SEED, group.as_ref(), owner.as_ref(), &bump];
        create_pda_account(&ctx.accounts.owner.to_account_info(), &info, INSURANCE_STAKE_LEN, &crate::ID, seeds)?;
        write_discriminator::<InsuranceStake>(&info)?;
        let mut data = info.try_borrow_mut_data()?;
        let s: &mut InsuranceStake = bytemuck::from_bytes_mut(&mut data[8..INSURANCE_STAKE_LEN]);
        s.group = group;
        s.owner = owner;
        s.bump = ctx.bumps.stake;
    }
    Ok(())
}
