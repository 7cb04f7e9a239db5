//! `cover_bankrupt_debt`: permissionless. The insurance fund covers a bankrupt account's debt in an
//! asset other than the quote asset (S2-23). The fund holds the quote asset only, so the debt is
//! bought: a deliverer repays up to `max_amount` of it with its own tokens of the asset, and the
//! fund pays the deliverer in quote at the rate a token liquidation of that pair would pay now
//! (the oracle value plus the pair's liquidation fee, rounded down; both prices within the
//! liquidation's stable-price band, S2-12), within the asset's insurance cap over the whole
//! bankruptcy. The account must be bankrupt by the token bankruptcy's own
//! predicate (`shared::bankruptcy::check_bankrupt`: the one loader, negative equity, nothing a
//! liquidation can take). Whatever the fund cannot cover is then written off by
//! `resolve_bankruptcy` against the asset's depositors.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenInterface};

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{BankruptDebtCovered, EventHeader};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::oracle::{Action, Priced};
use crate::risk::liquidation::{max_repay_for_deposit, seized, token_rate};
use crate::risk::Price;
use crate::shared::asset_vault::*;
use crate::shared::bankruptcy::{check_bankrupt, pair_fee_bps};
use crate::shared::liquidation::priced;
use crate::state::*;
use crate::token::pay_from;
use crate::transitions;

/// Accounts of `cover_bankrupt_debt`. `remaining_accounts`: the bankrupt account's health accounts
/// in canonical order with the quote asset added (`extra = [quote]`), read only.
#[derive(Accounts)]
pub struct CoverBankruptDebt<'info> {
    /// Group (the fund's accounting, the liquidation fee schedule).
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The bankrupt account.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// The debt's asset with its vault, mint and token program (the delivered tokens go to its
    /// vault).
    pub bank: AssetVault<'info>,
    /// Signs for `source`.
    pub deliverer: Signer<'info>,
    /// The deliverer's token account of the debt's mint.
    /// CHECK: the token program's checked transfer verifies its mint and the deliverer's authority.
    #[account(mut)]
    pub source: UncheckedAccount<'info>,
    /// The group's quote asset (authority of the fund's vault); its mint and token program must be
    /// `quote_mint` and `quote_token_program` (checked in the handler).
    #[account(has_one = group)]
    pub quote: AccountLoader<'info, Asset>,
    /// The quote mint.
    pub quote_mint: Box<InterfaceAccount<'info, Mint>>,
    /// The quote asset's token program.
    pub quote_token_program: Interface<'info, TokenInterface>,
    /// The insurance fund's vault (its address must be the group's).
    /// CHECK: compared with the group's fund vault before use.
    #[account(mut)]
    pub insurance_vault: UncheckedAccount<'info>,
    /// The deliverer's quote token account, paid by the fund.
    /// CHECK: the token program's checked transfer verifies its mint.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
}

/// Repays up to `max_amount` native units of the account's debt in the bank's asset with tokens
/// from `source`, and pays the deliverer in quote from the fund. Fails with QuoteDebtNotCovered
/// for a quote-asset debt (`resolve_bankruptcy` pays those directly), InsuranceFundEmpty when the
/// fund or its cap leaves nothing to pay, and with the bankruptcy predicate's errors.
pub fn handler<'info>(ctx: Context<'info, CoverBankruptDebt<'info>>, max_amount: u64) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::CoverBankruptDebt, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let li = check_accounts(ctx.accounts)?;
    let (rate, debt, avail) = load_cover(&ctx, li, now)?;
    let (received, paid, left) = deliver(ctx.accounts, (rate, debt, avail), max_amount, now)?;
    let accounts = &ctx.accounts;
    emit!(BankruptDebtCovered {
        header: EventHeader::now(accounts.group.key())?,
        account: accounts.account.key(),
        asset_index: li,
        deliverer: accounts.deliverer.key(),
        amount: received,
        quote_paid: paid,
        debt_left: left,
    });
    Ok(())
}

/// Checks the bank's group, the quote asset with its mint and token program, and that the debt is
/// not in the quote asset. Returns the debt's asset index.
#[inline(never)]
fn check_accounts(a: &CoverBankruptDebt) -> Result<u16> {
    a.bank.check_group(&a.group.key())?;
    {
        let q = a.quote.load()?;
        require!(q.asset_index == QUOTE_ASSET_INDEX, BallastError::NotQuoteAsset);
        require_keys_eq!(q.mint, a.quote_mint.key(), anchor_lang::error::ErrorCode::ConstraintAddress);
        require_keys_eq!(
            q.token_program,
            a.quote_token_program.key(),
            anchor_lang::error::ErrorCode::ConstraintAddress
        );
    }
    let li = a.bank.asset.load()?.asset_index;
    require!(li != QUOTE_ASSET_INDEX, BallastError::QuoteDebtNotCovered);
    Ok(li)
}

/// Loads the account's health accounts (with the quote asset), checks the bankruptcy predicate and
/// returns (quote units per debt unit with the fee, the debt in native units, what the fund may pay
/// now in quote native units: its value within the asset's cap less what it paid for this
/// bankruptcy).
#[inline(never)]
fn load_cover<'info>(ctx: &Context<'info, CoverBankruptDebt<'info>>, li: u16, now: i64) -> Result<(Price, u64, u64)> {
    let a = &ctx.accounts;
    let (config, fund) = {
        let g = a.group.load()?;
        (g.liquidation, g.insurance)
    };
    let vault = fund.vault;
    require!(vault != Pubkey::default(), BallastError::InsuranceFundEmpty);
    require_keys_eq!(a.insurance_vault.key(), vault, anchor_lang::error::ErrorCode::ConstraintAddress);
    let acc = a.account.load()?;
    let loaded = load_health_accounts(
        const { Priced::of(Action::ResolveBankruptcy) },
        &a.group.key(),
        &acc,
        &[QUOTE_ASSET_INDEX],
        ctx.remaining_accounts,
        now,
    )?;
    check_bankrupt(&acc, &loaded, &config, li, now)?;
    let rate = cover_rate(&acc, &loaded, &config, li, now)?;
    let (debt, cap) = {
        let mut asset = a.bank.asset.load_mut()?;
        (transitions::token::debt(&acc, &mut asset, now)?, asset.insurance_cap)
    };
    let avail = fund.can_pay(cap, acc.bankruptcy_insurance_paid);
    Ok((rate, debt, avail))
}

/// Pulls the largest delivery the fund can pay for (at most `max_amount` and the debt), repays the
/// debt with what arrived and pays the deliverer. Returns (received, quote paid, debt left).
#[inline(never)]
fn deliver(
    accounts: &mut CoverBankruptDebt,
    (rate, debt, avail): (Price, u64, u64),
    max_amount: u64,
    now: i64,
) -> Result<(u64, u64, u64)> {
    require!(avail > 0, BallastError::InsuranceFundEmpty);
    let x = max_repay_for_deposit(avail, rate).map_risk()?.min(debt).min(max_amount);
    require!(x > 0, BallastError::InsuranceFundEmpty);
    let received = accounts.bank.pull(accounts.source.to_account_info(), accounts.deliverer.to_account_info(), x)?;
    require!(received > 0, BallastError::ZeroAmount);
    // The delivered amount (after any transfer fee) is what is repaid and what the fund pays for.
    let paid = seized(received, rate).map_risk()?;
    // A delivery worth less than one quote unit would be a gift: refused.
    require!(paid > 0, BallastError::ZeroAmount);
    require!(paid <= avail, BallastError::MathOverflow);
    let left = repay(accounts, received, paid, now)?;
    fund_pays(accounts, paid)?;
    Ok((received, paid, left))
}

/// Quote units the fund pays per unit of the debt in `li`: the liquidation rate of the pair with
/// its fee now, both prices within the stable-price band.
#[inline(never)]
fn cover_rate(
    acc: &MarginAccount,
    loaded: &HealthAccounts,
    config: &LiquidationConfig,
    li: u16,
    now: i64,
) -> Result<Price> {
    let items = &loaded.items[..loaded.len];
    let j = items.iter().position(|e| e.risk.asset_index == li).ok_or(BallastError::InvalidHealthAccounts)?;
    let q = items
        .iter()
        .position(|e| e.risk.asset_index == QUOTE_ASSET_INDEX)
        .ok_or(BallastError::InvalidHealthAccounts)?;
    // The liquidation's price guard (S2-12): neither price may be far from its stable price, so a
    // spiked debt price (or a sunk quote price) cannot overpay a delivery.
    let debt_price = priced(loaded, li, config.max_stable_deviation_bps)?.risk.oracle_price;
    let quote_price = priced(loaded, QUOTE_ASSET_INDEX, config.max_stable_deviation_bps)?.risk.oracle_price;
    let fee = pair_fee_bps(acc, loaded, config, now, q, j);
    token_rate(debt_price, quote_price, fee).map_risk()
}

/// Repays `received` of the account's debt in `li`, counts `paid` against its bankruptcy, and
/// clears its liquidation state once it owes nothing. Returns the debt left.
#[inline(never)]
fn repay(a: &CoverBankruptDebt, received: u64, paid: u64, now: i64) -> Result<u64> {
    let mut asset = a.bank.asset.load_mut()?;
    transitions::bankruptcy::cover_debt(&mut *a.account.load_mut()?, &mut asset, received, paid, now)
}

/// The fund pays `paid` quote native units to the deliverer.
#[inline(never)]
fn fund_pays(a: &CoverBankruptDebt, paid: u64) -> Result<()> {
    if paid == 0 {
        return Ok(());
    }
    // `paid` is within what the fund can pay (`InsuranceFund::can_pay`), so all of it is paid.
    let pay = transitions::insurance::fund_payout(&mut a.group.load_mut()?.insurance, paid)?;
    require!(pay == paid, BallastError::InsuranceFundEmpty);
    pay_from(
        &a.quote,
        &a.quote_token_program,
        a.insurance_vault.to_account_info(),
        &a.quote_mint,
        a.destination.to_account_info(),
        paid,
    )
}
