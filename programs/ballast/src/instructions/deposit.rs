//! `deposit`: moves tokens from a signer's token account into the asset vault and credits a margin
//! account. Deposits never need an oracle price and cannot lower health, so there is no health check.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::error::{BallastError, RiskResultExt};
use crate::events::{Deposited, EventHeader};
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::Fx;
use crate::state::*;

/// Accounts of `deposit`.
#[derive(Accounts)]
pub struct Deposit<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account credited; any signer may deposit into any account of the group.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Asset deposited; must belong to the group.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
    /// The asset's vault (exactly the address stored in the asset).
    #[account(mut, address = asset.load()?.vault)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The asset's mint.
    #[account(address = asset.load()?.mint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// Source token account of the depositor.
    #[account(mut, token::mint = mint, token::authority = depositor, token::token_program = token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Owner of the source token account.
    pub depositor: Signer<'info>,
    /// Token program of the asset.
    #[account(address = asset.load()?.token_program)]
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

    let before = ctx.accounts.vault.amount;
    transfer_checked(
        CpiContext::new(
            ctx.accounts.token_program.key(),
            TransferChecked {
                from: ctx.accounts.source.to_account_info(),
                mint: ctx.accounts.mint.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.depositor.to_account_info(),
            },
        ),
        amount,
        decimals,
    )?;
    ctx.accounts.vault.reload()?;
    let received = ctx.accounts.vault.amount.checked_sub(before).ok_or(BallastError::MathOverflow)?;
    require!(received > 0, BallastError::ZeroAmount);

    let mut asset = ctx.accounts.asset.load_mut()?;
    let mut bank = asset.bank.state();
    let mut account = ctx.accounts.account.load_mut()?;
    let slot = account.token_slot_or_open(asset_index)?;
    let mut position = account.tokens[slot].indexed.fx();
    bank.deposit(&mut position, received).map_risk()?;
    let total = bank.total_deposits().map_risk()?;
    require!(total <= Fx::from_num(asset.bank.deposit_cap), BallastError::DepositCapExceeded);
    account.tokens[slot].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(slot);
    asset.bank.set_state(&bank);

    emit!(Deposited {
        header: EventHeader::now(asset.group)?,
        account: ctx.accounts.account.key(),
        asset_index,
        depositor: ctx.accounts.depositor.key(),
        amount: received,
        indexed_after_bits: position.to_bits(),
    });
    Ok(())
}
