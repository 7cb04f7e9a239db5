//! Token movements between users and asset vaults, shared by every instruction that moves tokens.
//! Each is its own (non-inlined) function so instruction handlers keep small stack frames.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, TransferChecked};

use crate::constants::ASSET_SEED;
use crate::error::BallastError;

/// Moves `amount` from a user token account into a vault, signed by the user, and returns what
/// the vault actually received (after any transfer fee, catalogue AV-20).
#[inline(never)]
pub fn transfer_in<'info>(
    token_program: &Pubkey,
    from: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    vault: &mut Box<InterfaceAccount<'info, anchor_spl::token_interface::TokenAccount>>,
    authority: AccountInfo<'info>,
    amount: u64,
    decimals: u8,
) -> Result<u64> {
    let before = vault.amount;
    let cpi = CpiContext::new(*token_program, TransferChecked { from, mint, to: vault.to_account_info(), authority });
    transfer_checked(cpi, amount, decimals)?;
    vault.reload()?;
    vault.amount.checked_sub(before).ok_or_else(|| error!(BallastError::MathOverflow))
}

/// Moves `amount` from an asset's vault to `to`, signed by the Asset PDA
/// `[ASSET_SEED, group, asset_index, bump]`, which is the vault's authority.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn transfer_out<'info>(
    token_program: &Pubkey,
    vault: AccountInfo<'info>,
    mint: AccountInfo<'info>,
    to: AccountInfo<'info>,
    asset: AccountInfo<'info>,
    group: &Pubkey,
    asset_index: u16,
    bump: u8,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let index_bytes = asset_index.to_le_bytes();
    let bump = [bump];
    let seeds: &[&[u8]] = &[ASSET_SEED, group.as_ref(), &index_bytes, &bump];
    let signer: &[&[&[u8]]] = &[seeds];
    let cpi = CpiContext::new_with_signer(
        *token_program,
        TransferChecked { from: vault, mint, to, authority: asset },
        signer,
    );
    transfer_checked(cpi, amount, decimals)
}

/// Pays `amount` from a token account whose authority is the Asset PDA `asset` to `to`.
pub fn pay_from<'info>(
    asset: &AccountLoader<'info, crate::state::Asset>,
    token_program: &Interface<'info, anchor_spl::token_interface::TokenInterface>,
    from: AccountInfo<'info>,
    mint: &InterfaceAccount<'info, anchor_spl::token_interface::Mint>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let (group, asset_index, bump) = {
        let a = asset.load()?;
        (a.group, a.asset_index, a.bump)
    };
    transfer_out(
        &token_program.key(),
        from,
        mint.to_account_info(),
        to,
        asset.to_account_info(),
        &group,
        asset_index,
        bump,
        amount,
        mint.decimals,
    )
}

/// Pulls `amount` from `from` (signed by `authority`) into `vault` of `mint`; returns what arrived.
pub fn pull_into<'info>(
    token_program: &Interface<'info, anchor_spl::token_interface::TokenInterface>,
    mint: &InterfaceAccount<'info, anchor_spl::token_interface::Mint>,
    vault: &mut Box<InterfaceAccount<'info, anchor_spl::token_interface::TokenAccount>>,
    from: AccountInfo<'info>,
    authority: AccountInfo<'info>,
    amount: u64,
) -> Result<u64> {
    transfer_in(&token_program.key(), from, mint.to_account_info(), vault, authority, amount, mint.decimals)
}
