//! Checks and bookkeeping shared by `liquidate_token` and `liquidate_perp` (not an instruction).
//!
//! Before: the liquidator signs with its account's owner, differs from the liquidated account, is
//! neither flagged nor liquidatable itself; both accounts' health accounts are read (every price
//! valid); the liquidated account has Maint health < 0, or is already being liquidated and has
//! LiquidationEnd health < 0. After: the liquidator has Init health >= 0; the liquidated account's
//! flag is cleared once LiquidationEnd health is back at >= 0 and set (with its start time, from
//! which the fee ramps) otherwise.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::{load_health_accounts, HealthAccounts, LoadedAsset};
use crate::instructions::perp_clearing::split_health;
use crate::risk::liquidation::deviates;
use crate::risk::{health, health_components, Fx, HealthInput, HealthType};
use crate::state::*;

/// Both sides of a liquidation, loaded and checked.
pub struct LiqStart {
    /// The liquidated account's health accounts.
    pub liqee: Box<HealthAccounts>,
    /// Its engine input.
    pub input: Box<HealthInput>,
    /// Its LiquidationEnd health before.
    pub end_before: Fx,
    /// Its equity at oracle prices is negative: no step can restore it, so steps need not raise
    /// its health; it is closed out towards bankruptcy resolution.
    pub insolvent: bool,
    /// The liquidator's health accounts (with the assets it will hold as extras).
    pub liqor: Box<HealthAccounts>,
    /// Seconds the account has been liquidatable (0 when this call starts the liquidation).
    pub elapsed: i64,
    /// The group's liquidation configuration.
    pub config: LiquidationConfig,
}

/// Runs the checks before a liquidation and loads both sides. `liqor_extra`: the assets the
/// liquidator will get a position in.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn start<'info>(
    group: &AccountLoader<'info, Group>,
    liqor: &AccountLoader<'info, MarginAccount>,
    liqor_authority: &Signer<'info>,
    liqee: &AccountLoader<'info, MarginAccount>,
    remaining: &[AccountInfo<'info>],
    liqee_health_accounts: u8,
    liqor_extra: &[u16],
    now: i64,
) -> Result<LiqStart> {
    require!(liqor.key() != liqee.key(), BallastError::SameAccount);
    let group_key = group.key();
    let config = group.load()?.liquidation;
    let (liqee_list, liqor_list) = split_health(remaining, liqee_health_accounts)?;
    let liqor_loaded = load_liqor(&group_key, liqor, liqor_authority, liqor_list, liqor_extra, now)?;
    let (loaded, input, end_before, elapsed) = load_liqee(&group_key, liqee, liqee_list, now)?;
    let insolvent = health_components(&input, HealthType::Maint).map_risk()?.equity < Fx::ZERO;
    Ok(LiqStart { liqee: loaded, input, end_before, insolvent, liqor: liqor_loaded, elapsed, config })
}

/// The liquidator: signed by its owner, not flagged, Maint health >= 0; its health accounts.
#[inline(never)]
fn load_liqor<'info>(
    group: &Pubkey,
    liqor: &AccountLoader<'info, MarginAccount>,
    authority: &Signer<'info>,
    list: &[AccountInfo<'info>],
    extra: &[u16],
    now: i64,
) -> Result<Box<HealthAccounts>> {
    let l = liqor.load()?;
    require!(l.group == *group, BallastError::Unauthorized);
    require!(authority.key() == l.owner, BallastError::Unauthorized);
    require!(l.flags & ACCOUNT_FLAG_BEING_LIQUIDATED == 0, BallastError::LiquidatorBeingLiquidated);
    let loaded = load_health_accounts(group, &l, extra, list, now)?;
    let maint = health(&*loaded.health_input(&l)?, HealthType::Maint).map_risk()?;
    require!(maint >= Fx::ZERO, BallastError::LiquidatorBeingLiquidated);
    Ok(loaded)
}

/// The liquidated account: its health accounts, engine input, LiquidationEnd health and the
/// seconds it has been liquidatable; fails unless it is liquidatable.
#[inline(never)]
#[allow(clippy::type_complexity)]
fn load_liqee<'info>(
    group: &Pubkey,
    liqee: &AccountLoader<'info, MarginAccount>,
    list: &[AccountInfo<'info>],
    now: i64,
) -> Result<(Box<HealthAccounts>, Box<HealthInput>, Fx, i64)> {
    let e = liqee.load()?;
    require!(e.group == *group, BallastError::Unauthorized);
    let loaded = load_health_accounts(group, &e, &[], list, now)?;
    let input = loaded.health_input(&e)?;
    let maint = health(&input, HealthType::Maint).map_risk()?;
    let end_before = health(&input, HealthType::LiquidationEnd).map_risk()?;
    let flagged = e.flags & ACCOUNT_FLAG_BEING_LIQUIDATED != 0;
    require!(maint < Fx::ZERO || (flagged && end_before < Fx::ZERO), BallastError::NotLiquidatable);
    let elapsed = if flagged && e.liquidation_start_ts > 0 { now - e.liquidation_start_ts } else { 0 };
    Ok((loaded, input, end_before, elapsed))
}

/// The loaded entry of `asset_index`, refusing a price too far from the stable price.
pub fn priced(l: &HealthAccounts, asset_index: u16, max_deviation_bps: u16) -> Result<&LoadedAsset> {
    let e = l.get(asset_index).ok_or(BallastError::NothingToLiquidate)?;
    require!(
        !deviates(e.risk.oracle_price, e.risk.stable_price, max_deviation_bps),
        BallastError::OracleDeviatesFromStable
    );
    Ok(e)
}

/// After the step: the liquidator's Init health must be >= 0; the liquidated account's
/// LiquidationEnd health must have risen (unless it is insolvent: negative equity at oracle prices,
/// which no step can restore); its flag follows its LiquidationEnd health. Returns (liquidated LiquidationEnd after, liquidator Init after).
#[inline(never)]
pub fn finish(
    s: &LiqStart,
    liqee: &AccountLoader<MarginAccount>,
    liqor: &AccountLoader<MarginAccount>,
    now: i64,
) -> Result<(Fx, Fx)> {
    let liqor_init = {
        let l = liqor.load()?;
        health(&*s.liqor.health_input(&l)?, HealthType::Init).map_risk()?
    };
    require!(liqor_init >= Fx::ZERO, BallastError::HealthMustBePositive);
    let mut e = liqee.load_mut()?;
    let end_after = health(&*s.liqee.health_input(&e)?, HealthType::LiquidationEnd).map_risk()?;
    require!(end_after > s.end_before || s.insolvent, BallastError::WorseHealthPostLiquidation);
    if end_after >= Fx::ZERO {
        e.flags &= !ACCOUNT_FLAG_BEING_LIQUIDATED;
        e.liquidation_start_ts = 0;
    } else if e.flags & ACCOUNT_FLAG_BEING_LIQUIDATED == 0 {
        e.flags |= ACCOUNT_FLAG_BEING_LIQUIDATED;
        e.liquidation_start_ts = now;
    }
    Ok((end_after, liqor_init))
}
