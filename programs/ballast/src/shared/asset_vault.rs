//! `AssetVault`: the accounts every token-moving instruction needs about its asset (not an
//! instruction itself; a composite accounts struct shared by deposit, repay, withdraw and
//! withdraw_fees). The vault, mint and token program must be exactly the ones the asset stores.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::state::Asset;

/// An asset with its vault, mint and token program, checked against each other.
#[derive(Accounts)]
pub struct AssetVault<'info> {
    /// The asset.
    #[account(
        mut,
        has_one = vault @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = mint @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = token_program @ anchor_lang::error::ErrorCode::ConstraintAddress
    )]
    pub asset: AccountLoader<'info, Asset>,
    /// The asset's vault (exactly the address stored in the asset).
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The asset's mint.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Token program of the asset.
    pub token_program: Interface<'info, TokenInterface>,
}

impl<'info> AssetVault<'info> {
    /// Pulls `amount` native units from `from` (signed by `authority`) into the vault; returns what
    /// the vault actually received.
    pub fn pull(&mut self, from: AccountInfo<'info>, authority: AccountInfo<'info>, amount: u64) -> Result<u64> {
        crate::token::pull_into(&self.token_program, &self.mint, &mut self.vault, from, authority, amount)
    }

    /// Pays `amount` native units from the vault to `to`, signed by the asset PDA.
    pub fn pay(&self, to: AccountInfo<'info>, amount: u64) -> Result<()> {
        crate::token::pay_from(&self.asset, &self.token_program, self.vault.to_account_info(), &self.mint, to, amount)
    }

    /// Fails with ConstraintHasOne unless the asset belongs to `group` (catalogue AV-05).
    pub fn check_group(&self, group: &Pubkey) -> Result<()> {
        if self.asset.load()?.group != *group {
            return Err(anchor_lang::error::ErrorCode::ConstraintHasOne.into());
        }
        Ok(())
    }
}
