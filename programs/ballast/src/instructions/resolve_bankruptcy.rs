//! `resolve_bankruptcy`: permissionless. When an account has no assets and no perp position left
//! but still owes a token, the insurance fund pays the debt (quote-asset debts only, up to its
//! value and the asset's cap per call) and the rest is written off against the asset's depositors
//! by lowering the deposit index. Value is conserved exactly (catalogue I-8); no price is needed.

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{BankruptcyResolved, EventHeader};
use crate::instructions::asset_vault::*;
use crate::instructions::insurance_vault::pay_from;
use crate::risk::bank::BankState;
use crate::state::*;

/// Accounts of `resolve_bankruptcy`.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    /// Group (the fund's accounting).
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The bankrupt account.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// The liability's asset with its vault, mint and token program.
    pub bank: AssetVault<'info>,
    /// The insurance fund's vault (used when the liability is in the quote asset and the fund
    /// exists; its address must be the group's).
    /// CHECK: compared with the group's fund vault before use.
    #[account(mut)]
    pub insurance_vault: UncheckedAccount<'info>,
}

/// Resolves up to `max_amount` native units of the account's debt in the bank's asset.
pub fn handler(ctx: Context<ResolveBankruptcy>, max_amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    ctx.accounts.bank.check_group(&ctx.accounts.group.key())?;
    let li = ctx.accounts.bank.asset.load()?.asset_index;
    check_bankrupt(&*ctx.accounts.account.load()?, li)?;
    let (debt, cap) = {
        let mut a = ctx.accounts.bank.asset.load_mut()?;
        a.accrue(now)?;
        let pos = ctx.accounts.account.load()?.token_indexed(li);
        (a.bank.state().debt(pos).map_risk()?, a.insurance_cap)
    };
    let amount = max_amount.min(debt);
    require!(amount > 0, BallastError::ZeroAmount);
    let paid = if li == QUOTE_ASSET_INDEX { fund_pays(&ctx, amount.min(cap))? } else { 0 };
    let (socialized, left) = write_off(&ctx, li, paid, amount - paid)?;
    emit!(BankruptcyResolved {
        header: EventHeader::now(ctx.accounts.group.key())?,
        account: ctx.accounts.account.key(),
        asset_index: li,
        insurance_paid: paid,
        socialized,
        debt_left: left,
    });
    Ok(())
}

/// Perp slots a bankrupt account may still have: no base and at most one native unit of loss
/// (rounding dust of settlements that no counterparty can take). They are written off with it.
fn is_perp_dust(p: &PerpPosition) -> bool {
    p.asset_index == crate::constants::FREE_SLOT
        || (p.base_lots == 0 && p.quote.fx() <= crate::risk::Fx::ZERO && p.quote.fx() >= -crate::risk::Fx::ONE)
}

/// Bankrupt: no perp position beyond dust, no deposit worth a whole native unit, and a borrow in `li`.
fn check_bankrupt(a: &MarginAccount, li: u16) -> Result<()> {
    require!(a.perps.iter().all(is_perp_dust), BallastError::HasLiquidatablePositions);
    for t in a.tokens.iter().filter(|t| t.asset_index != crate::constants::FREE_SLOT) {
        // Deposits below one native unit are dust that no liquidator can take.
        require!(t.indexed.fx() < crate::risk::Fx::ONE, BallastError::HasLiquidatablePositions);
    }
    require!(a.token_indexed(li) < crate::risk::Fx::ZERO, BallastError::NothingToLiquidate);
    Ok(())
}

/// The fund pays up to `want` (at most its value) into the quote vault. Returns the amount.
#[inline(never)]
fn fund_pays(ctx: &Context<ResolveBankruptcy>, want: u64) -> Result<u64> {
    let (vault, value) = {
        let g = ctx.accounts.group.load()?;
        (g.insurance.vault, g.insurance.value)
    };
    if vault == Pubkey::default() || want == 0 {
        return Ok(0);
    }
    require_keys_eq!(ctx.accounts.insurance_vault.key(), vault, anchor_lang::error::ErrorCode::ConstraintAddress);
    // The fund's value never exceeds its vault's balance (donations only add to the balance).
    let pay = want.min(value);
    if pay == 0 {
        return Ok(0);
    }
    let b = &ctx.accounts.bank;
    pay_from(
        &b.asset,
        &b.token_program,
        ctx.accounts.insurance_vault.to_account_info(),
        &b.mint,
        b.vault.to_account_info(),
        pay,
    )?;
    let mut g = ctx.accounts.group.load_mut()?;
    g.insurance.value -= pay;
    g.insurance.paid_out = g.insurance.paid_out.saturating_add(pay);
    Ok(pay)
}

/// Repays `paid` from the fund's tokens and writes `rest` off against depositors. Returns the
/// written-off amount and the debt left.
#[inline(never)]
fn write_off(ctx: &Context<ResolveBankruptcy>, li: u16, paid: u64, rest: u64) -> Result<(u64, u64)> {
    let mut asset = ctx.accounts.bank.asset.load_mut()?;
    let mut bank: BankState = asset.bank.state();
    let mut acc = ctx.accounts.account.load_mut()?;
    let slot = acc.token_slot(li).ok_or(BallastError::NothingToLiquidate)?;
    let mut pos = acc.tokens[slot].indexed.fx();
    if paid > 0 {
        bank.deposit(&mut pos, paid).map_risk()?;
    }
    let mut socialized = 0;
    if rest > 0 && pos < crate::risk::Fx::ZERO {
        socialized = bank.socialize_loss(&mut pos, rest).map_risk()?.debt_removed;
        asset.socialized_loss = asset.socialized_loss.saturating_add(socialized);
    }
    let left = bank.debt(pos).map_risk()?;
    acc.tokens[slot].indexed = Fx128::from_fx(pos);
    acc.release_token_slot_if_empty(slot);
    for p in acc.perps.iter_mut().filter(|p| p.asset_index != crate::constants::FREE_SLOT) {
        p.quote = Fx128::default();
        p.asset_index = crate::constants::FREE_SLOT;
    }
    if acc.is_empty() || acc.tokens.iter().all(|t| t.indexed.fx() >= crate::risk::Fx::ZERO) {
        acc.flags &= !ACCOUNT_FLAG_BEING_LIQUIDATED;
        acc.liquidation_start_ts = 0;
    }
    asset.bank.set_state(&bank);
    Ok((socialized, left))
}
