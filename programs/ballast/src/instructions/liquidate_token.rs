//! `liquidate_token`: permissionless (signed by the liquidator account's owner). The liquidator
//! repays part of the liquidated account's borrow in asset L and receives its deposit in asset A
//! at the oracle price plus the liquidation fee; the insurance fund keeps a share of the fee.

use anchor_lang::prelude::*;

use crate::delegation::value_up;
use crate::error::BallastError;
use crate::events::{EventHeader, TokenLiquidated};
use crate::risk::bank::BankState;
use crate::risk::Fx;
use crate::shared::liquidation::*;
use crate::state::*;
use crate::transitions;

/// Accounts of `liquidate_token`. `remaining_accounts`: the liquidated account's health accounts
/// in canonical order, then the liquidator's (with A and L added).
#[derive(Accounts)]
pub struct LiquidateToken<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The liquidator's account (takes the liability, receives the asset).
    #[account(mut)]
    pub liqor: AccountLoader<'info, MarginAccount>,
    /// Owner of the liquidator's account.
    pub liqor_authority: Signer<'info>,
    /// The liquidated account.
    #[account(mut)]
    pub liqee: AccountLoader<'info, MarginAccount>,
    /// Asset A, seized.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
    /// Asset L, the liability repaid.
    #[account(mut, has_one = group)]
    pub liab: AccountLoader<'info, Asset>,
}

pub use crate::transitions::liquidation::TokenLiquidation;

/// Repays up to `max_liab` native units of the liability, reduced by the planner
/// ([`plan_token_step`]) to the debt, to what the asset deposit covers, to what brings LiquidationEnd
/// health to 0 (or raises it most) and to what the liquidator can carry, and seizes the asset.
pub fn handler<'info>(
    ctx: Context<'info, LiquidateToken<'info>>,
    max_liab: u64,
    liqee_health_accounts: u8,
) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::LiquidateToken, &[&ctx.accounts.liqor])?;
    let now = Clock::get()?.unix_timestamp;
    let TokenPair { ai, li, fee_base_bps: fee_base, locked } = ctx.accounts.validate()?;
    let a = &ctx.accounts;
    let (mut s, signer) = start(
        &a.group,
        &a.liqor,
        &a.liqor_authority,
        &a.liqee,
        ctx.remaining_accounts,
        liqee_health_accounts,
        &[ai, li],
        now,
    )?;
    // An asset that is never seized from solvent accounts is seized from insolvent ones, so that
    // nobody can block a bankruptcy with it (S2-06).
    require!(!locked || s.insolvent, BallastError::TokenAssetLiquidationDisabled);
    let step = {
        let liqee = a.liqee.load()?;
        plan_token(&mut s, &liqee, ai, li, fee_base, max_liab)?
    };
    let (bank_a, bank_l) = apply(a, &step, now)?;
    refresh_banks(&mut s, &step, &bank_a, &bank_l)?;
    let (end_after, _) = finish(&mut s, &a.liqee, &a.liqor, ([ai, li], false), now)?;
    signer.charge(|| step_notional(&s, &step), now)?;
    emit_step(a, &step, end_after)
}

/// What a step counts against a delegate liquidator's cap: the larger of the asset seized and the
/// liability taken over, at the oracle, quote native units.
fn step_notional(s: &LiqStart, st: &TokenLiquidation) -> Result<u64> {
    let price = |i: u16| s.liqee.get(i).map(|l| l.oracle.price).ok_or(BallastError::InvalidHealthAccounts);
    Ok(value_up(st.y, price(st.ai)?)?.max(value_up(st.x, price(st.li)?)?))
}

/// The pair a token liquidation acts on.
pub struct TokenPair {
    /// Asset A, seized.
    pub ai: u16,
    /// Asset L, repaid.
    pub li: u16,
    /// Both assets' liquidation fees, bps (before the time ramp).
    pub fee_base_bps: u32,
    /// A is flagged `ASSET_FLAG_NO_ASSET_LIQUIDATION` (seized from insolvent accounts only).
    pub locked: bool,
}

impl LiquidateToken<'_> {
    /// What the account constraints cannot check: A differs from L. The liquidator's authority
    /// and both accounts' state are checked by `shared::liquidation::start`.
    #[inline(never)]
    pub fn validate(&self) -> Result<TokenPair> {
        let (asset, liab) = (self.asset.load()?, self.liab.load()?);
        require!(asset.asset_index != liab.asset_index, BallastError::SameAsset);
        let fee = (asset.risk.liquidation_fee_bps as u32).saturating_add(liab.risk.liquidation_fee_bps as u32);
        let locked = asset.flags & ASSET_FLAG_NO_ASSET_LIQUIDATION != 0;
        Ok(TokenPair { ai: asset.asset_index, li: liab.asset_index, fee_base_bps: fee, locked })
    }
}

/// Both sides' loaded views get the banks of A and L after the step.
#[inline(never)]
fn refresh_banks(s: &mut LiqStart, st: &TokenLiquidation, bank_a: &BankState, bank_l: &BankState) -> Result<()> {
    for l in [&mut s.liqee, &mut s.liqor] {
        l.get_mut(st.ai).ok_or(BallastError::InvalidHealthAccounts)?.bank = *bank_a;
        l.get_mut(st.li).ok_or(BallastError::InvalidHealthAccounts)?.bank = *bank_l;
    }
    Ok(())
}

#[inline(never)]
fn emit_step(a: &LiquidateToken, step: &TokenLiquidation, end_after: Fx) -> Result<()> {
    emit!(TokenLiquidated {
        header: EventHeader::now(a.group.key())?,
        liqee: a.liqee.key(),
        liqor: a.liqor.key(),
        asset_index: step.ai,
        liab_index: step.li,
        liab_repaid: step.x,
        asset_seized: step.y,
        to_insurance: step.ins,
        fee_bps: step.fee_bps,
        liqee_end_health_after_bits: end_after.to_bits(),
    });
    Ok(())
}

/// Loads both assets and both accounts and runs the step ([`transitions::liquidation::token_step`]).
/// Returns the banks of A and L after.
#[inline(never)]
fn apply(a: &LiquidateToken, st: &TokenLiquidation, now: i64) -> Result<(BankState, BankState)> {
    let (mut asset, mut liab) = (a.asset.load_mut()?, a.liab.load_mut()?);
    let out = transitions::liquidation::token_step(
        &mut asset,
        &mut liab,
        &mut *a.liqee.load_mut()?,
        &mut *a.liqor.load_mut()?,
        st,
        now,
    )?;
    Ok((out.bank_a, out.bank_l))
}
