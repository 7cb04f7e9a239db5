//! The bankruptcy predicates, shared by the program and the keeper: decided by value at oracle
//! prices on the one health loader's input, never by share counts. And the insurance fund's
//! payment into a vault, shared by both bankruptcy instructions.

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::HealthAccounts;
use crate::risk::liquidation::{bankrupt_dust, liquidation_elapsed};
use crate::risk::num::{to_u64_ceil, to_u64_floor};
use crate::risk::perp::{covered_loss, loser_collateral};
use crate::risk::{health_components, Fx, HealthInput, HealthType};
use crate::shared::asset_vault::AssetVault;
use crate::state::*;
use crate::token::pay_from;
use crate::transitions;

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
    // Every option position liquidated or settled first, settled ones included: a settled short's
    // value counts as quote cash in health but is only paid when settled.
    require!(
        acc.options.iter().all(|o| o.asset_index == crate::constants::FREE_SLOT),
        BallastError::OptionsLiquidateFirst
    );
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

/// The perp bankruptcy predicate, shared with the keeper. The account's slot in market `ai` has no
/// base and a loss of at least one quote native unit; no perp position anywhere has base; every
/// deposit is dust when the unsettled perp cash counts as a quote debt ([`dust_mask`]); equity at
/// oracle prices is negative. Returns the loss, what a settlement could still take from it
/// ([`covered_loss`]) and the shortfall.
#[inline(never)]
pub fn check_perp_bankrupt(
    acc: &MarginAccount,
    loaded: &HealthAccounts,
    config: &LiquidationConfig,
    ai: u16,
    now: i64,
) -> Result<PerpBankruptcy> {
    let slot = acc.perp_slot(ai).ok_or(BallastError::NoPerpLoss)?;
    let p = &acc.perps[slot];
    require!(p.base_lots == 0, BallastError::HasLiquidatablePositions);
    // No base: no funding or socialized loss is owed, the PnL is the quote (a whole number).
    let pnl = p.quote.fx();
    let loss = pnl.checked_neg().and_then(to_u64_floor).unwrap_or(0);
    require!(loss > 0, BallastError::NoPerpLoss);
    let input = loaded.health_input(acc)?;
    dust_mask(acc, loaded, &input, config, now, true)?;
    let equity = health_components(&input, HealthType::Maint).map_risk()?.equity;
    let c = loser_collateral(&input, equity, QUOTE_ASSET_INDEX).map_risk()?;
    // What a settlement could still take from it: its collateral, at most its whole quote deposit
    // (dust elsewhere cannot be settled). The handler settles it to the winner first.
    let deposit = match loaded.get(QUOTE_ASSET_INDEX) {
        Some(q) => q.bank.native(acc.token_indexed(QUOTE_ASSET_INDEX)).map_risk()?.max(Fx::ZERO),
        None => Fx::ZERO,
    };
    // (The collateral is a converted figure a few ulps below an exact deposit; a tolerance of
    // 2^-20 native units keeps an exact deposit from being left behind by the floor below.)
    let tolerance = Fx::from_bits(1 << 28);
    let collateral = c.collateral.checked_add(tolerance).ok_or(BallastError::MathOverflow)?;
    let covered = covered_loss(pnl, collateral.min(deposit)).map_risk()?;
    Ok(PerpBankruptcy {
        loss,
        covered: covered.checked_neg().and_then(to_u64_floor).unwrap_or(0),
        shortfall: to_u64_ceil(c.shortfall).unwrap_or(u64::MAX),
    })
}

/// What [`check_perp_bankrupt`] finds, quote native units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpBankruptcy {
    /// The account's loss in the market.
    pub loss: u64,
    /// What a settlement could still take from its quote deposit.
    pub covered: u64,
    /// What its equity lacks (rounded up): the fund and the market never cover more.
    pub shortfall: u64,
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
    let vault = group.load()?.insurance.vault;
    if vault == Pubkey::default() || want == 0 {
        return Ok(0);
    }
    require_keys_eq!(insurance_vault.key(), vault, anchor_lang::error::ErrorCode::ConstraintAddress);
    let pay = transitions::insurance::fund_payout(&mut group.load_mut()?.insurance, want)?;
    if pay > 0 {
        pay_from(
            &bank.asset,
            &bank.token_program,
            insurance_vault.clone(),
            &bank.mint,
            bank.vault.to_account_info(),
            pay,
        )?;
    }
    Ok(pay)
}
