//! `create_insurance_fund`: the admin creates the group's insurance fund vault (a quote-asset token
//! account, PDA `[INSURANCE_SEED, group]`, whose authority is the quote Asset PDA).

// Anchor's generated `try_accounts` for this instruction's accounts (several `init` accounts)
// exceeds clippy's 4 KiB estimate in unoptimized builds; the exemption covers this module only,
// whose handler code is small. Check the real frame with an SBF toolchain.
#![allow(clippy::large_stack_frames)]

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{initialize_account3, InitializeAccount3, Mint, TokenInterface};

use crate::constants::*;
use crate::error::BallastError;
use crate::instructions::list_asset::vault_len;
use crate::pda_init::create_pda_account;
use crate::state::*;

/// Accounts of `create_insurance_fund`.
#[derive(Accounts)]
pub struct CreateInsuranceFund<'info> {
    /// Group; its admin signs.
    #[account(mut, has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The quote asset (listed first).
    #[account(
        has_one = group,
        has_one = mint @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = token_program @ anchor_lang::error::ErrorCode::ConstraintAddress
    )]
    pub quote: AccountLoader<'info, Asset>,
    /// The vault, PDA `[INSURANCE_SEED, group]`; created here (also when pre-funded: DS-04).
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(mut, seeds = [INSURANCE_SEED, group.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// Quote mint.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Token program of the quote mint.
    pub token_program: Interface<'info, TokenInterface>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Creates the vault; `cooldown_secs` is the unstake cooldown.
pub fn handler(ctx: Context<CreateInsuranceFund>, cooldown_secs: u32) -> Result<()> {
    let (lo, hi) = UNSTAKE_COOLDOWN_BOUNDS;
    require!((lo..=hi).contains(&cooldown_secs), BallastError::InvalidConfig);
    require!(ctx.accounts.quote.load()?.asset_index == QUOTE_ASSET_INDEX, BallastError::NotQuoteAsset);
    require!(ctx.accounts.group.load()?.insurance.vault == Pubkey::default(), BallastError::InsuranceFundState);
    let group_key = ctx.accounts.group.key();
    let vault = ctx.accounts.vault.to_account_info();
    let bump = [ctx.bumps.vault];
    create_pda_account(
        &ctx.accounts.payer.to_account_info(),
        &vault,
        vault_len(&ctx.accounts.mint.to_account_info())?,
        &ctx.accounts.token_program.key(),
        &[INSURANCE_SEED, group_key.as_ref(), &bump],
    )?;
    initialize_account3(CpiContext::new(
        ctx.accounts.token_program.key(),
        InitializeAccount3 {
            account: vault.clone(),
            mint: ctx.accounts.mint.to_account_info(),
            authority: ctx.accounts.quote.to_account_info(),
        },
    ))?;
    let mut g = ctx.accounts.group.load_mut()?;
    g.insurance.vault = vault.key();
    g.insurance.vault_bump = ctx.bumps.vault;
    g.insurance.cooldown_secs = cooldown_secs;
    emit!(crate::events::InsuranceFundCreated {
        header: crate::events::EventHeader::now(group_key)?,
        vault: vault.key(),
        cooldown_secs,
    });
    Ok(())
}
