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
use crate::error::BallastError;
use crate::events::{BankruptcyResolved, EventHeader};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::oracle::{Action, Priced};
use crate::shared::asset_vault::*;
use crate::shared::bankruptcy::{check_bankrupt, fund_pays_into};
use crate::state::*;
use crate::transitions;
use crate::transitions::bankruptcy::WrittenOff;

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
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::ResolveBankruptcy, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    a.bank.check_group(&a.group.key())?;
    let li = a.bank.asset.load()?.asset_index;
    let (loaded, dust) = load_bankrupt(&ctx, li, now)?;
    sweep_dust(ctx.remaining_accounts, &a.account, &loaded, dust, now)?;
    let (debt, cap) = {
        let mut asset = a.bank.asset.load_mut()?;
        (transitions::token::debt(&*a.account.load()?, &mut asset, now)?, asset.insurance_cap)
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
    let WrittenOff { socialized, debt_left: left } = write_off(&ctx, paid, amount.saturating_sub(paid))?;
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
    let loaded = load_health_accounts(
        const { Priced::of(Action::ResolveBankruptcy) },
        &a.group.key(),
        &acc,
        &[],
        ctx.remaining_accounts,
        now,
    )?;
    let dust = check_bankrupt(&acc, &loaded, &config, li, now)?;
    Ok((loaded, dust))
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
        transitions::token::sweep_dust(&mut *account.load_mut()?, &mut asset, now)?;
    }
    Ok(())
}

/// The fund pays up to `want` (at most its value) into the quote vault. Returns the amount.
#[inline(never)]
fn fund_pays(ctx: &Context<ResolveBankruptcy>, want: u64) -> Result<u64> {
    let a = &ctx.accounts;
    fund_pays_into(&a.group, &a.insurance_vault.to_account_info(), &a.bank, want)
}

/// Repays `paid` from the fund's tokens and writes `rest` off against depositors. Returns the
/// written-off amount and the debt left.
#[inline(never)]
fn write_off(ctx: &Context<ResolveBankruptcy>, paid: u64, rest: u64) -> Result<WrittenOff> {
    let mut asset = ctx.accounts.bank.asset.load_mut()?;
    transitions::bankruptcy::write_off_token(&mut *ctx.accounts.account.load_mut()?, &mut asset, paid, rest)
}
