//! `resolve_bankruptcy`: permissionless. When an account is bankrupt, decided by value at oracle
//! prices with the one health loader (S2-19): its equity is negative, it holds no perp position and
//! every deposit left is dust that no liquidation step can take (the liquidation's own predicate,
//! S2-06). Then up to `max_amount` of its debt in one asset is resolved: dust deposits are swept to
//! the protocol's fees, the insurance fund pays quote-asset debts up to its value and the asset's
//! cap, counted over the whole bankruptcy so that splitting the calls changes nothing (S2-10), and
//! the rest is written off against the asset's depositors by lowering the deposit index. Value is
//! conserved exactly (catalogue I-8).

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{BankruptcyResolved, EventHeader};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::instructions::asset_vault::*;
use crate::instructions::insurance_vault::pay_from;
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::bank::BankState;
use crate::risk::liquidation::{bankrupt_dust, liquidation_elapsed};
use crate::risk::{Fx, HealthInput};
use crate::state::*;

/// Accounts of `resolve_bankruptcy`. `remaining_accounts`: the account's health accounts in
/// canonical order, the Asset accounts writable (dust deposits are swept from them).
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    /// Group (the fund's accounting, the liquidation fee schedule).
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
pub fn handler<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>, max_amount: u64) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::ResolveBankruptcy), OracleNeed::Valid);
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    a.bank.check_group(&a.group.key())?;
    let li = a.bank.asset.load()?.asset_index;
    let (loaded, dust) = load_bankrupt(&ctx, li, now)?;
    sweep_dust(ctx.remaining_accounts, &a.account, &loaded, dust, now)?;
    let (debt, cap) = {
        let mut asset = a.bank.asset.load_mut()?;
        asset.accrue(now)?;
        let pos = a.account.load()?.token_indexed(li);
        (asset.bank.state().debt(pos).map_risk()?, asset.insurance_cap)
    };
    let amount = max_amount.min(debt);
    require!(amount > 0, BallastError::ZeroAmount);
    let paid = if li == QUOTE_ASSET_INDEX {
        // The cap bounds what the fund pays for this whole bankruptcy, not per call (S2-10).
        let room = cap.saturating_sub(a.account.load()?.bankruptcy_insurance_paid);
        fund_pays(&ctx, amount.min(room))?
    } else {
        0
    };
    let (socialized, left) = write_off(&ctx, li, paid, amount.saturating_sub(paid))?;
    emit!(BankruptcyResolved {
        header: EventHeader::now(a.group.key())?,
        account: a.account.key(),
        asset_index: li,
        insurance_paid: paid,
        socialized,
        debt_left: left,
    });
    Ok(())
}

/// The account's health accounts and its dust mask; fails unless it is bankrupt.
#[inline(never)]
fn load_bankrupt<'info>(
    ctx: &Context<'info, ResolveBankruptcy<'info>>,
    li: u16,
    now: i64,
) -> Result<(Box<HealthAccounts>, u16)> {
    let a = &ctx.accounts;
    let config = a.group.load()?.liquidation;
    let acc = a.account.load()?;
    let loaded = load_health_accounts(&a.group.key(), &acc, &[], ctx.remaining_accounts, now)?;
    let dust = check_bankrupt(&acc, &loaded, &config, li, now)?;
    Ok((loaded, dust))
}

/// Perp slots a bankrupt account may still have: no base and at most one native unit of loss
/// (rounding dust of settlements that no counterparty can take). They are written off with it.
pub fn is_perp_dust(p: &PerpPosition) -> bool {
    p.asset_index == crate::constants::FREE_SLOT
        || (p.base_lots == 0 && p.quote.fx() <= Fx::ZERO && p.quote.fx() >= -Fx::ONE)
}

/// The bankruptcy predicate, shared with the keeper: a debt in `li`, no perp slot beyond dust, and
/// [`bankrupt_dust`] on the account's engine input with the fee a token liquidation would charge
/// now. Returns the bit mask of health entries holding dust deposits.
#[inline(never)]
pub fn check_bankrupt(
    acc: &MarginAccount,
    loaded: &HealthAccounts,
    config: &LiquidationConfig,
    li: u16,
    now: i64,
) -> Result<u16> {
    require!(acc.token_indexed(li) < Fx::ZERO, BallastError::NothingToLiquidate);
    require!(acc.perps.iter().all(is_perp_dust), BallastError::HasLiquidatablePositions);
    let input = loaded.health_input(acc)?;
    dust_mask(acc, loaded, &input, config, now, false)
}

/// [`bankrupt_dust`] on `input` with the fee a token liquidation would charge now (a bankrupt
/// account is below Maint, so the ramp applies as it would in `liquidate_token`).
pub fn dust_mask(
    acc: &MarginAccount,
    loaded: &HealthAccounts,
    input: &HealthInput,
    config: &LiquidationConfig,
    now: i64,
    perp_loss_is_debt: bool,
) -> Result<u16> {
    let fee = |j: usize, k: usize| pair_fee_bps(acc, loaded, config, now, j, k);
    bankrupt_dust(input, QUOTE_ASSET_INDEX, perp_loss_is_debt, fee).map_risk()
}

/// The fee, bps, a token liquidation of the pair (health entries `j` and `k`) of a bankrupt account
/// would charge now: the pair's base fees with the schedule's ramp (a bankrupt account is below
/// Maint, so the ramp runs).
pub fn pair_fee_bps(
    acc: &MarginAccount,
    loaded: &HealthAccounts,
    config: &LiquidationConfig,
    now: i64,
    j: usize,
    k: usize,
) -> u32 {
    let elapsed = liquidation_elapsed(acc.liquidation_episode_active(now), true, acc.liquidation_start_ts, now);
    let items = &loaded.items;
    let base = items[j].liquidation_fee_bps.saturating_add(items[k].liquidation_fee_bps);
    config.schedule().fee_bps(base, elapsed)
}

/// Moves every dust deposit of the mask out of the account into its asset's protocol fees (the
/// Asset accounts of the health list, which must be writable).
#[inline(never)]
fn sweep_dust<'info>(
    remaining: &'info [AccountInfo<'info>],
    account: &AccountLoader<'info, MarginAccount>,
    loaded: &HealthAccounts,
    dust: u16,
    now: i64,
) -> Result<()> {
    for j in 0..loaded.len {
        if dust & (1 << j) == 0 {
            continue;
        }
        let e = &loaded.items[j];
        // The loader read entry j from remaining[2j] (canonical order); check it is that asset.
        let info = remaining.get(j.saturating_mul(2)).ok_or(BallastError::InvalidHealthAccounts)?;
        let asset_loader = AccountLoader::<Asset>::try_from(info)?;
        let mut asset = asset_loader.load_mut()?;
        require!(asset.asset_index == e.risk.asset_index, BallastError::InvalidHealthAccounts);
        asset.accrue(now)?;
        let mut bank = asset.bank.state();
        let mut acc = account.load_mut()?;
        let slot = acc.token_slot(e.risk.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
        let mut pos = acc.tokens[slot].indexed.fx();
        let native = bank.remove_deposit(&mut pos).map_risk()?;
        acc.tokens[slot].indexed = Fx128::from_fx(pos);
        acc.release_token_slot_if_empty(slot);
        asset.bank.set_state(&bank);
        let fees = asset.bank.protocol_fees.fx().checked_add(native).ok_or(BallastError::MathOverflow)?;
        asset.bank.protocol_fees = Fx128::from_fx(fees);
    }
    Ok(())
}

/// The fund pays up to `want` (at most its value) into the quote vault. Returns the amount.
#[inline(never)]
fn fund_pays(ctx: &Context<ResolveBankruptcy>, want: u64) -> Result<u64> {
    let a = &ctx.accounts;
    fund_pays_into(&a.group, &a.insurance_vault.to_account_info(), &a.bank, want)
}

/// The insurance fund pays up to `want` quote native units (at most its value) into `bank`'s vault
/// (the quote asset's). Returns the amount. Nothing when the group has no fund.
#[inline(never)]
pub fn fund_pays_into<'info>(
    group: &AccountLoader<'info, Group>,
    insurance_vault: &AccountInfo<'info>,
    bank: &AssetVault<'info>,
    want: u64,
) -> Result<u64> {
    let (vault, value) = {
        let g = group.load()?;
        (g.insurance.vault, g.insurance.value)
    };
    if vault == Pubkey::default() || want == 0 {
        return Ok(0);
    }
    require_keys_eq!(insurance_vault.key(), vault, anchor_lang::error::ErrorCode::ConstraintAddress);
    // The fund's value never exceeds its vault's balance (donations only add to the balance).
    let pay = want.min(value);
    if pay == 0 {
        return Ok(0);
    }
    pay_from(&bank.asset, &bank.token_program, insurance_vault.clone(), &bank.mint, bank.vault.to_account_info(), pay)?;
    let mut g = group.load_mut()?;
    g.insurance.value = g.insurance.value.checked_sub(pay).ok_or(BallastError::MathOverflow)?;
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
        acc.bankruptcy_insurance_paid = acc.bankruptcy_insurance_paid.saturating_add(paid);
    }
    let mut socialized = 0;
    if rest > 0 && pos < Fx::ZERO {
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
    if acc.is_empty() || acc.tokens.iter().all(|t| t.indexed.fx() >= Fx::ZERO) {
        acc.end_liquidation_episode();
    }
    acc.clear_bankruptcy_if_debt_free();
    asset.bank.set_state(&bank);
    Ok((socialized, left))
}
