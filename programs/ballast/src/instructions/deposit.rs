//! `deposit`: moves tokens from a signer's token account into the asset vault and credits a margin
//! account. Deposits never need an oracle price and cannot lower health, so there is no health check.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::error::{BallastError, RiskResultExt};
use crate::events::{Deposited, EventHeader};
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::Fx;
use crate::state::*;
use crate::token::transfer_in;

/// Accounts of `deposit`.
#[derive(Accounts)]
pub struct Deposit<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account credited; any signer may deposit into any account of the group.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Asset deposited; must belong to the group.
    #[account(
        mut,
        has_one = group,
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
    /// Source token account of the depositor.
    #[account(mut, token::mint = mint, token::authority = depositor, token::token_program = token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Owner of the source token account.
    pub depositor: Signer<'info>,
    /// Token program of the asset.
    pub token_program: Interface<'info, TokenInterface>,
}

/// Deposits `amount` native units. The credit is what the vault actually received (a transfer fee
/// would be deducted, catalogue AV-20), checked against the deposit cap.
pub fn handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::Deposit), OracleNeed::None);
    require!(amount > 0, BallastError::ZeroAmount);
    let (decimals, asset_index, flags) = {
        let a = ctx.accounts.asset.load()?;
        (a.decimals, a.asset_index, a.flags)
    };
    require!(flags & ASSET_FLAG_DEPOSITS_DISABLED == 0, BallastError::DepositsDisabled);
    let accounts = &mut *ctx.accounts;
    let received = transfer_in(
        &accounts.token_program.key(),
        accounts.source.to_account_info(),
        accounts.mint.to_account_info(),
        &mut accounts.vault,
        accounts.depositor.to_account_info(),
        amount,
        decimals,
    )?;
    require!(received > 0, BallastError::ZeroAmount);
    let (group, position) = credit(&accounts.account, &accounts.asset, asset_index, received)?;
    emit!(Deposited {
        header: EventHeader::now(group)?,
        account: accounts.account.key(),
        asset_index,
        depositor: accounts.depositor.key(),
        amount: received,
        indexed_after_bits: position.to_bits(),
    });
    Ok(())
}

/// Credits `received` native units to the account's position and the bank's totals, within the
/// deposit cap. Returns the group and the position after, in shares.
#[inline(never)]
fn credit(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    asset_index: u16,
    received: u64,
) -> Result<(Pubkey, Fx)> {
    let now = Clock::get()?.unix_timestamp;
    let mut asset = asset.load_mut()?;
    asset.accrue(now)?;
    let mut bank = asset.bank.state();
    let mut account = account.load_mut()?;
    let slot = account.token_slot_or_open(asset_index)?;
    let mut position = account.tokens[slot].indexed.fx();
    let out = bank.deposit(&mut position, received).map_risk()?;
    if out.repaid > 0 {
        asset.record_net_borrow(now, out.repaid, true)?;
    }
    if out.deposited > 0 {
        // A pure repayment is never blocked by the deposit cap.
        let total = bank.total_deposits().map_risk()?;
        require!(total <= Fx::from_num(asset.bank.deposit_cap), BallastError::DepositCapExceeded);
    }
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    asset.bank.set_state(&bank);
    Ok((asset.group, position))
}
