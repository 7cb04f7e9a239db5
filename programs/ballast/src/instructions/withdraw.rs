//! `withdraw`: sends tokens from the vault to a token account, up to the account's deposit, and
//! runs the health check on the account afterwards.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::constants::*;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Withdrew};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::{health, passes_health_rule, Fx, HealthType};
use crate::state::*;
use crate::token::transfer_out;

/// Accounts of `withdraw`. `remaining_accounts`: the health accounts in canonical order
/// (see `health_accounts`).
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account debited.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Owner, or a delegate with the withdraw scope.
    pub authority: Signer<'info>,
    /// Asset withdrawn; must belong to the group.
    #[account(
        mut,
        has_one = group,
        has_one = vault @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = mint @ anchor_lang::error::ErrorCode::ConstraintAddress,
        has_one = token_program @ anchor_lang::error::ErrorCode::ConstraintAddress
    )]
    pub asset: AccountLoader<'info, Asset>,
    /// The asset's vault.
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The asset's mint.
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Destination token account. A delegate may only withdraw to the account owner's token accounts.
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Token program of the asset.
    pub token_program: Interface<'info, TokenInterface>,
}

/// Withdraws `amount` native units (`u64::MAX`: the whole deposit). Beyond the deposit it borrows
/// when `allow_borrow` is set and the asset is borrowable (within the borrow cap, utilization
/// cap, net-borrow window and minimum size), and fails with InsufficientBalance otherwise. Fails
/// with HealthMustBePositive if Init health would end below zero.
pub fn handler<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64, allow_borrow: bool) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::Withdraw), OracleNeed::Valid);
    require!(amount > 0, BallastError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let (asset_index, decimals, flags, bump) = {
        let a = ctx.accounts.asset.load()?;
        (a.asset_index, a.decimals, a.flags, a.bump)
    };
    require!(flags & ASSET_FLAG_WITHDRAWALS_DISABLED == 0, BallastError::WithdrawalsDisabled);
    let mut loaded = authorize_and_load(&ctx, asset_index, now)?;
    let (sent, health_after) =
        apply(&ctx.accounts.account, &ctx.accounts.asset, &mut loaded, asset_index, amount, allow_borrow, now)?;
    transfer_out(
        &ctx.accounts.token_program.key(),
        ctx.accounts.vault.to_account_info(),
        ctx.accounts.mint.to_account_info(),
        ctx.accounts.destination.to_account_info(),
        ctx.accounts.asset.to_account_info(),
        &group_key,
        asset_index,
        bump,
        sent,
        decimals,
    )?;
    emit!(Withdrew {
        header: EventHeader::now(group_key)?,
        account: ctx.accounts.account.key(),
        asset_index,
        destination: ctx.accounts.destination.key(),
        amount: sent,
        init_health_after_bits: health_after.to_bits(),
    });
    Ok(())
}

/// Authorizes the signer, then reads every health account (the asset itself included) before
/// anything changes. Only shared borrows are held while the list is read.
#[inline(never)]
fn authorize_and_load<'info>(
    ctx: &Context<'info, Withdraw<'info>>,
    asset_index: u16,
    now: i64,
) -> Result<Box<HealthAccounts>> {
    let account = ctx.accounts.account.load()?;
    account.authorize(&ctx.accounts.authority.key(), DELEGATE_WITHDRAW, now)?;
    if ctx.accounts.authority.key() != account.owner {
        require_keys_eq!(ctx.accounts.destination.owner, account.owner, BallastError::Unauthorized);
    }
    load_health_accounts(&ctx.accounts.group.key(), &account, Some(asset_index), ctx.remaining_accounts, now)
}

/// Applies the withdrawal to the asset and the account, then checks Init health. Returns the
/// amount to send and Init health after.
#[inline(never)]
fn apply(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    loaded: &mut HealthAccounts,
    asset_index: u16,
    amount: u64,
    allow_borrow: bool,
    now: i64,
) -> Result<(u64, Fx)> {
    let mut account = account.load_mut()?;
    let slot = match account.token_slot(asset_index) {
        Some(slot) => slot,
        None if allow_borrow => account.token_slot_or_open(asset_index)?,
        None => return err!(BallastError::InsufficientBalance),
    };
    let mut asset = asset.load_mut()?;
    asset.accrue(now)?;
    let entry = loaded.get_mut(asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
    asset.observe_price(entry.oracle.price, entry.oracle.publish_time, now)?;
    let mut bank = asset.bank.state();
    let mut position = account.tokens[slot].indexed.fx();
    let amount = if amount == u64::MAX { bank.withdrawable(position).map_risk()? } else { amount };
    require!(amount > 0, BallastError::ZeroAmount);
    let borrowing = allow_borrow && amount > bank.withdrawable(position).map_risk()?;
    if borrowing {
        require!(asset.flags & ASSET_FLAG_BORROWABLE != 0, BallastError::BorrowingDisabled);
    }
    let out = bank.withdraw(&mut position, amount, borrowing).map_risk()?;
    if out.borrowed > 0 {
        let limits = asset.bank.limits.limits();
        bank.check_borrow(&limits, position).map_risk()?;
        asset.record_net_borrow(now, out.borrowed, false)?;
    }
    asset.bank.set_state(&bank);
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    entry.bank = bank;
    entry.risk.stable_price = asset.stable_price.price();
    let input = loaded.health_input(&account)?;
    let init = health(&input, HealthType::Init).map_risk()?;
    require!(passes_health_rule(init, None), BallastError::HealthMustBePositive);
    Ok((amount, init))
}
