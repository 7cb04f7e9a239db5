//! `list_asset`: the admin (or the listing admin) lists an underlying with its mint, vault, oracle
//! and parameters. In a group with a timelock the listing must be inert
//! ([`ListAssetParams::inert`]); what activates it is queued.

// Anchor's generated `try_accounts` for this instruction's accounts (several `init` accounts)
// exceeds clippy's 4 KiB estimate in unoptimized builds; the exemption covers this module only,
// whose handler code is small. Check the real frame with an SBF toolchain.
#![allow(clippy::large_stack_frames)]

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions};
use anchor_spl::token_2022::spl_token_2022::state::Account as TokenAccountState;
use anchor_spl::token_2022::spl_token_2022::state::Mint as MintState;
use anchor_spl::token_interface::{initialize_account3, InitializeAccount3, Mint, TokenInterface};

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{AssetListed, EventHeader};
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::risk::bank::BankState;
use crate::state::*;

/// Parameters of a listing. Bounds are checked by [`Asset::validate_config`].
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq)]
pub struct ListAssetParams {
    /// Display name, UTF-8, zero padded.
    pub name: [u8; 16],
    /// Primary oracle.
    pub oracle: OracleConfig,
    /// Fallback oracle (address default: none).
    pub fallback_oracle: OracleConfig,
    /// Risk parameters.
    pub risk: RiskConfig,
    /// Interest curve.
    pub interest: InterestConfig,
    /// Largest stable-price move per hour, bps.
    pub stable_growth_bps_per_hour: u32,
    /// Deposit cap, native units.
    pub deposit_cap: u64,
    /// Borrow limits.
    pub limits: BorrowLimitsConfig,
    /// ASSET_FLAG_* bits (borrowable, deposits/withdrawals disabled).
    pub flags: u8,
    /// Accept a mint with a freeze authority (centrally issued stablecoins). Otherwise rejected.
    pub allow_freeze_authority: bool,
}

impl ListAssetParams {
    /// True when the listing at `asset_index` can hold nothing (catalogue AG-03): deposits
    /// disabled and not borrowable, so no account can hold it (not even worthless dust that would
    /// count in bankruptcy), and its own risk group (joining another would fix that leader's
    /// shocks). Only such a listing applies at once in a group with a timelock; the queued edit
    /// that enables deposits or borrowing activates it.
    pub fn inert(&self, asset_index: u16) -> bool {
        self.flags & ASSET_FLAG_BORROWABLE == 0
            && self.flags & ASSET_FLAG_DEPOSITS_DISABLED != 0
            && self.risk.risk_group == asset_index
    }
}

/// Token-2022 extensions a listed mint may carry: metadata and grouping only. Anything that can
/// take fees, hook or block transfers, seize tokens or change balances is rejected.
pub const ALLOWED_MINT_EXTENSIONS: [ExtensionType; 6] = [
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroup,
    ExtensionType::TokenGroupMember,
];

/// Checks a mint's extensions against [`ALLOWED_MINT_EXTENSIONS`] (catalogue AV-20, AV-21).
pub fn check_mint_extensions(mint: &AccountInfo) -> Result<()> {
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data).map_err(|_| BallastError::InvalidConfig)?;
    let types = state.get_extension_types().map_err(|_| BallastError::InvalidConfig)?;
    for t in types {
        if !ALLOWED_MINT_EXTENSIONS.contains(&t) {
            msg!("disallowed mint extension {:?}", t);
            return err!(BallastError::DisallowedMintExtension);
        }
    }
    Ok(())
}

/// Size of a vault token account for `mint`: the base account plus whatever account extensions
/// the mint's extensions require (none for the allowlisted ones).
pub fn vault_len(mint: &AccountInfo) -> Result<usize> {
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data).map_err(|_| BallastError::InvalidConfig)?;
    let mint_exts = state.get_extension_types().map_err(|_| BallastError::InvalidConfig)?;
    let required = ExtensionType::get_required_init_account_extensions(&mint_exts);
    if required.is_empty() {
        return Ok(
            <anchor_spl::token::spl_token::state::Account as anchor_lang::solana_program::program_pack::Pack>::LEN,
        );
    }
    ExtensionType::try_calculate_account_len::<TokenAccountState>(&required)
        .map_err(|_| error!(BallastError::InvalidConfig))
}

/// A listing checks and records every one of its sources (catalogue OR-12).
const ALL_SOURCES: crate::feed_claims::Sources = crate::feed_claims::Sources { primary: true, fallback: true };

/// Accounts of `list_asset`.
#[derive(Accounts)]
#[instruction(asset_index: u16)]
pub struct ListAsset<'info> {
    /// Group.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The admin or the listing admin.
    pub authority: Signer<'info>,
    /// Mint of the asset (SPL Token or Token-2022 with allowed extensions only).
    #[account(
        mint::token_program = token_program,
        constraint = check_mint_extensions(&mint.to_account_info()).is_ok() @ BallastError::DisallowedMintExtension
    )]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// The new asset, PDA `[ASSET_SEED, group, asset_index]`. Created by the handler, also when
    /// the address already holds lamports (catalogue DS-04).
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(mut, seeds = [ASSET_SEED, group.key().as_ref(), &asset_index.to_le_bytes()], bump)]
    pub asset: UncheckedAccount<'info>,
    /// The asset's vault, PDA `[VAULT_SEED, asset]`, a token account whose authority is the asset
    /// PDA. Created by the handler like the asset.
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(mut, seeds = [VAULT_SEED, asset.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// Primary oracle account; must give a valid price now.
    /// CHECK: owner, layout, feed and price are checked by `read_oracle`.
    pub oracle: UncheckedAccount<'info>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// Token program of the mint.
    pub token_program: Interface<'info, TokenInterface>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Lists the asset at `asset_index`, which must equal the group's `num_assets`.
pub fn handler(ctx: Context<ListAsset>, asset_index: u16, params: ListAssetParams) -> Result<()> {
    {
        let group = ctx.accounts.group.load()?;
        crate::governance::authorize_listing(&group, ctx.accounts.authority.key, params.inert(asset_index))?;
        require!(asset_index == group.num_assets && asset_index < MAX_ASSETS, BallastError::InvalidAssetIndex);
    }
    if !params.allow_freeze_authority && ctx.accounts.mint.freeze_authority.is_some() {
        return err!(BallastError::MintHasFreezeAuthority);
    }
    create_accounts(&ctx, asset_index)?;
    let (price_bits, mint, decimals, oracle, kind) = init_asset(&ctx, asset_index, &params)?;
    join_group(&ctx, asset_index)?;
    ctx.accounts.group.load_mut()?.num_assets = asset_index.checked_add(1).ok_or(BallastError::MathOverflow)?;
    emit!(AssetListed {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset: ctx.accounts.asset.key(),
        asset_index,
        mint,
        decimals,
        oracle,
        oracle_kind: kind,
        price_bits,
    });
    Ok(())
}

/// S2-02: an asset listed into another asset's risk group must carry that leader's shocks; the
/// leader (the Asset at index `risk_group`, the first remaining account, writable) counts it.
#[inline(never)]
fn join_group(ctx: &Context<ListAsset>, asset_index: u16) -> Result<()> {
    let info = ctx.accounts.asset.to_account_info();
    let data = info.try_borrow_data()?;
    let a: &Asset = load_pod(info.owner, &data)?;
    if a.risk.risk_group == asset_index {
        return Ok(());
    }
    let leader = ctx.remaining_accounts.first().ok_or(BallastError::InvalidConfig)?;
    require!(leader.is_writable, BallastError::InvalidConfig);
    let mut ldata = leader.try_borrow_mut_data()?;
    let l: &mut Asset = load_pod_mut(leader.owner, &mut ldata)?;
    a.check_group(Some(l))?;
    l.group_members = l.group_members.checked_add(1).ok_or(BallastError::MathOverflow)?;
    Ok(())
}

/// Creates the asset PDA (with its discriminator) and the vault token account.
#[inline(never)]
fn create_accounts(ctx: &Context<ListAsset>, asset_index: u16) -> Result<()> {
    let group_key = ctx.accounts.group.key();
    let payer = ctx.accounts.payer.to_account_info();
    let asset_info = ctx.accounts.asset.to_account_info();
    let vault_info = ctx.accounts.vault.to_account_info();
    let index_bytes = asset_index.to_le_bytes();
    let asset_bump = [ctx.bumps.asset];
    let vault_bump = [ctx.bumps.vault];
    let asset_key = asset_info.key();
    create_pda_account(
        &payer,
        &asset_info,
        ASSET_LEN,
        &crate::ID,
        &[ASSET_SEED, group_key.as_ref(), &index_bytes, &asset_bump],
    )?;
    write_discriminator::<Asset>(&asset_info)?;
    create_pda_account(
        &payer,
        &vault_info,
        vault_len(&ctx.accounts.mint.to_account_info())?,
        &ctx.accounts.token_program.key(),
        &[VAULT_SEED, asset_key.as_ref(), &vault_bump],
    )?;
    initialize_account3(CpiContext::new(
        ctx.accounts.token_program.key(),
        InitializeAccount3 { account: vault_info, mint: ctx.accounts.mint.to_account_info(), authority: asset_info },
    ))
}

/// Writes and validates the asset's configuration and its first oracle price. Returns what the
/// event reports: price bits, mint, decimals, oracle address and kind.
#[inline(never)]
fn init_asset(
    ctx: &Context<ListAsset>,
    asset_index: u16,
    params: &ListAssetParams,
) -> Result<(i128, Pubkey, u8, Pubkey, u8)> {
    let now = Clock::get()?.unix_timestamp;
    let asset_info = ctx.accounts.asset.to_account_info();
    let mut asset_data = asset_info.try_borrow_mut_data()?;
    let asset: &mut Asset = bytemuck::from_bytes_mut(&mut asset_data[8..ASSET_LEN]);
    asset.group = ctx.accounts.group.key();
    asset.mint = ctx.accounts.mint.key();
    asset.vault = ctx.accounts.vault.key();
    asset.token_program = ctx.accounts.token_program.key();
    asset.oracle = params.oracle;
    asset.fallback_oracle = params.fallback_oracle;
    asset.name = params.name;
    asset.asset_index = asset_index;
    asset.decimals = ctx.accounts.mint.decimals;
    asset.bump = ctx.bumps.asset;
    asset.vault_bump = ctx.bumps.vault;
    asset.risk = params.risk;
    asset.interest = params.interest;
    asset.stable_growth_bps_per_hour = params.stable_growth_bps_per_hour;
    asset.bank.set_state(&BankState::default());
    asset.bank.deposit_cap = params.deposit_cap;
    asset.bank.limits = params.limits;
    asset.flags = params.flags & !ASSET_FLAG_PEGGED;
    asset.insurance_cap = u64::MAX;
    asset.bank.last_accrual_ts = now;
    let oracle_info = ctx.accounts.oracle.to_account_info();
    crate::feed_claims::mark(asset, ALL_SOURCES, ctx.remaining_accounts, Some(&oracle_info))?;
    asset.validate_config()?;
    crate::feed_claims::record(asset, ALL_SOURCES, ctx.remaining_accounts, Some(&oracle_info))?;

    let price = read_oracle_info(
        const { Priced::of(Action::ListAsset) },
        &asset.oracle,
        &ctx.accounts.oracle,
        asset.decimals,
        now,
    )?;
    asset.stable_price = Price128::from_price(price.price);
    asset.stable_updated_ts = now;
    asset.last_publish_time = price.publish_time;
    Ok((price.price.to_bits(), asset.mint, asset.decimals, asset.oracle.address, asset.oracle.kind))
}
