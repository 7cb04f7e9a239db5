//! `InsuranceAccounts`: the accounts every insurance-fund instruction needs (not an instruction
//! itself): the group, the quote asset (the vault's authority), the fund's vault, the quote mint
//! and token program, all checked against each other.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::BallastError;
use crate::events::{EventHeader, InsuranceUnstaked};
use crate::state::{Asset, Group};

/// The insurance fund's accounts.
#[derive(Accounts)]
pub struct InsuranceAccounts<'info> {
    /// Group (holds the fund's accounting).
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The group's quote asset: authority of the fund's vault (writable: fees are swept from its claim).
    #[account(
        mut,
        has_one = group,
        has_one = mint @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = token_program @ anchor_lang::error::ErrorCode::ConstraintAddress
    )]
    pub quote: AccountLoader<'info, Asset>,
    /// The fund's vault, PDA `[INSURANCE_SEED, group]` (the address stored in the group).
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Quote mint.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Token program of the quote mint.
    pub token_program: Interface<'info, TokenInterface>,
}

impl<'info> InsuranceAccounts<'info> {
    /// Fails unless the fund exists, `vault` is its vault and `quote` is the quote asset.
    pub fn check(&self) -> Result<()> {
        let g = self.group.load()?;
        require!(g.insurance.vault != Pubkey::default(), BallastError::InsuranceFundState);
        require_keys_eq!(self.vault.key(), g.insurance.vault, anchor_lang::error::ErrorCode::ConstraintAddress);
        require!(self.quote.load()?.asset_index == QUOTE_ASSET_INDEX, BallastError::NotQuoteAsset);
        Ok(())
    }

    /// Pulls `amount` from `from` (signed by `authority`) into the vault; returns what arrived.
    pub fn pull(&mut self, from: AccountInfo<'info>, authority: AccountInfo<'info>, amount: u64) -> Result<u64> {
        crate::token::pull_into(&self.token_program, &self.mint, &mut self.vault, from, authority, amount)
    }

    /// Pays `amount` for `shares` burned by `owner` from the vault to `to` (signed by the quote
    /// asset PDA) and emits the event.
    pub fn pay_out(&self, to: AccountInfo<'info>, owner: Pubkey, shares: u64, amount: u64) -> Result<()> {
        if amount > 0 {
            pay_from(&self.quote, &self.token_program, self.vault.to_account_info(), &self.mint, to, amount)?;
        }
        emit!(InsuranceUnstaked { header: EventHeader::now(self.group.key())?, owner, shares, amount });
        Ok(())
    }
}

pub use crate::token::pay_from;
