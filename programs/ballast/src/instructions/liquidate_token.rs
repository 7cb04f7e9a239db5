//! `liquidate_token`: permissionless (signed by the liquidator account's owner). The liquidator
//! repays part of the liquidated account's borrow in asset L and receives its deposit in asset A
//! at the oracle price plus the liquidation fee; the insurance fund keeps a share of the fee.

use anchor_lang::prelude::*;

use crate::constants::QUOTE_ASSET_INDEX;
use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Liquidated};
use crate::instructions::liquidation::*;
use crate::oracle::{oracle_policy, Action, OracleNeed};
use crate::risk::bank::BankState;
use crate::risk::liquidation::*;
use crate::risk::Fx;
use crate::state::*;

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

/// The amounts of one token liquidation.
#[derive(Clone, Copy, Debug)]
pub struct TokenLiquidation {
    /// Asset index of A, seized.
    pub ai: u16,
    /// Asset index of L, repaid.
    pub li: u16,
    /// Liability repaid, native L units.
    pub x: u64,
    /// Asset seized from the liquidated account, native A units.
    pub y: u64,
    /// Of which to the insurance fund.
    pub ins: u64,
    /// Fee with its ramp, bps.
    pub fee_bps: u32,
}

/// Repays up to `max_liab` native units of the liability, reduced by the planner
/// ([`plan_token_step`]) to the debt, to what the asset deposit covers, to what brings LiquidationEnd
/// health to 0 (or raises it most) and to what the liquidator can carry, and seizes the asset.
pub fn handler<'info>(
    ctx: Context<'info, LiquidateToken<'info>>,
    max_liab: u64,
    liqee_health_accounts: u8,
) -> Result<()> {
    debug_assert_eq!(oracle_policy(Action::Liquidate), OracleNeed::Valid);
    let now = Clock::get()?.unix_timestamp;
    let (ai, li, fee_base, locked) = pair(ctx.accounts)?;
    let a = &ctx.accounts;
    let mut s = start(
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
    let (end_after, _) = finish(&mut s, &a.liqee, &a.liqor, now)?;
    emit_step(a, &step, end_after)
}

/// Asset and liability indexes, the base fee (both assets' liquidation fees) and whether A is
/// flagged `ASSET_FLAG_NO_ASSET_LIQUIDATION`; A must differ from L.
#[inline(never)]
fn pair(a: &LiquidateToken) -> Result<(u16, u16, u32, bool)> {
    let (asset, liab) = (a.asset.load()?, a.liab.load()?);
    require!(asset.asset_index != liab.asset_index, BallastError::SameAsset);
    let fee = (asset.risk.liquidation_fee_bps as u32).saturating_add(liab.risk.liquidation_fee_bps as u32);
    let locked = asset.flags & ASSET_FLAG_NO_ASSET_LIQUIDATION != 0;
    Ok((asset.asset_index, liab.asset_index, fee, locked))
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
    emit!(Liquidated {
        header: EventHeader::now(a.group.key())?,
        liqee: a.liqee.key(),
        liqor: a.liqor.key(),
        asset_index: step.ai,
        liab_index: step.li,
        perp: false,
        liab_amount: step.x,
        asset_amount: step.y,
        to_insurance: step.ins,
        fee_bps: step.fee_bps,
        liqee_end_health_after_bits: end_after.to_bits(),
    });
    Ok(())
}

/// Computes the step with the planner ([`plan_token_step`]): fee with its ramp, the liquidated
/// account's deposit of A and debt in L, and both sides' engine inputs. The keeper calls this same
/// function on the same bytes. `fee_base`: both assets' liquidation fees, bps.
#[inline(never)]
pub fn plan_token(
    s: &mut LiqStart,
    liqee: &MarginAccount,
    ai: u16,
    li: u16,
    fee_base: u32,
    max_liab: u64,
) -> Result<TokenLiquidation> {
    let (deposit, debt) = positions(s, liqee, ai, li)?;
    let fee_bps = s.config.schedule().fee_bps(fee_base, s.elapsed);
    let p = TokenStepParams {
        asset: ai,
        liab: li,
        fee_bps,
        insurance_share_bps: s.config.insurance_share_bps,
        deposit,
        debt,
        max_liab,
        close_out: s.close_out,
        max_step_value: s.max_step_value,
        must_raise: !s.insolvent,
    };
    let st = plan_token_step(&mut s.input, &mut s.liqor_input, &p).map_risk()?;
    Ok(TokenLiquidation { ai, li, x: st.x, y: st.y, ins: st.ins, fee_bps })
}

/// The liquidated account's whole deposit of A and debt in L (A and L priced near their stable
/// prices).
#[inline(never)]
fn positions(s: &LiqStart, e: &MarginAccount, ai: u16, li: u16) -> Result<(u64, u64)> {
    let dev = s.config.max_stable_deviation_bps;
    let (ea, el) = (priced(&s.liqee, ai, dev)?, priced(&s.liqee, li, dev)?);
    let deposit = ea.bank.withdrawable(e.token_indexed(ai)).map_risk()?;
    let debt = el.bank.debt(e.token_indexed(li)).map_risk()?;
    require!(deposit > 0 && debt > 0, BallastError::NothingToLiquidate);
    Ok((deposit, debt))
}

/// Moves the balances: the liquidated account's borrow falls by x and its deposit by y (never a
/// new borrow); the liquidator takes x of L (a borrow if needed, within L's limits) and y - ins of A;
/// the insurance fund's claim on A grows by ins. Returns the banks of A and L after.
#[inline(never)]
fn apply(a: &LiquidateToken, st: &TokenLiquidation, now: i64) -> Result<(BankState, BankState)> {
    let (mut asset, mut liab) = (a.asset.load_mut()?, a.liab.load_mut()?);
    asset.accrue(now)?;
    liab.accrue(now)?;
    let (mut bank_a, mut bank_l) = (asset.bank.state(), liab.bank.state());
    take_from_liqee(&a.liqee, &mut bank_a, &mut bank_l, st)?;
    let borrowed = give_to_liqor(&a.liqor, &mut bank_a, &mut bank_l, st)?;
    if borrowed > 0 {
        require!(liab.flags & ASSET_FLAG_BORROWABLE != 0, BallastError::BorrowingDisabled);
        let pos = a.liqor.load()?.token_indexed(st.li);
        bank_l.check_borrow(&liab.bank.limits.limits(), pos).map_risk()?;
        liab.record_net_borrow(now, borrowed, false)?;
    }
    asset.bank.set_state(&bank_a);
    liab.bank.set_state(&bank_l);
    // The fund's share: a claim the fund sweeps when A is the quote asset (the fund's vault holds
    // quote); otherwise protocol fees of A, which the admin withdraws (`withdraw_fees`) and adds to
    // the fund, instead of tokens nobody can ever move (S2-09).
    if st.ai == QUOTE_ASSET_INDEX {
        let ins = asset.insurance_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
        asset.insurance_fees = Fx128::from_fx(ins);
    } else {
        let fees = asset.bank.protocol_fees.fx().checked_add(Fx::from_num(st.ins)).ok_or(BallastError::MathOverflow)?;
        asset.bank.protocol_fees = Fx128::from_fx(fees);
    }
    Ok((bank_a, bank_l))
}

/// The liquidated account: its borrow in L falls by x, its deposit in A by y (never a borrow).
#[inline(never)]
fn take_from_liqee(
    liqee: &AccountLoader<MarginAccount>,
    bank_a: &mut BankState,
    bank_l: &mut BankState,
    st: &TokenLiquidation,
) -> Result<()> {
    let mut e = liqee.load_mut()?;
    let sl = e.token_slot(st.li).ok_or(BallastError::NothingToLiquidate)?;
    let mut pos = e.tokens[sl].indexed.fx();
    bank_l.deposit(&mut pos, st.x).map_risk()?;
    e.tokens[sl].indexed = Fx128::from_fx(pos);
    e.release_token_slot_if_empty(sl);
    let sa = e.token_slot(st.ai).ok_or(BallastError::NothingToLiquidate)?;
    let mut pos = e.tokens[sa].indexed.fx();
    bank_a.withdraw(&mut pos, st.y, false).map_risk()?;
    e.tokens[sa].indexed = Fx128::from_fx(pos);
    e.release_token_slot_if_empty(sa);
    Ok(())
}

/// The liquidator: pays x of L (borrowing beyond its deposit), receives y - ins of A. Returns the
/// native units it borrowed.
#[inline(never)]
fn give_to_liqor(
    liqor: &AccountLoader<MarginAccount>,
    bank_a: &mut BankState,
    bank_l: &mut BankState,
    st: &TokenLiquidation,
) -> Result<u64> {
    let mut r = liqor.load_mut()?;
    let sl = r.token_slot_or_open(st.li)?;
    let mut pos = r.tokens[sl].indexed.fx();
    let out = bank_l.withdraw(&mut pos, st.x, true).map_risk()?;
    r.tokens[sl].indexed = Fx128::from_fx(pos);
    r.release_token_slot_if_empty(sl);
    let gain = st.y.checked_sub(st.ins).ok_or(BallastError::MathOverflow)?;
    if gain > 0 {
        let sa = r.token_slot_or_open(st.ai)?;
        let mut pos = r.tokens[sa].indexed.fx();
        bank_a.deposit(&mut pos, gain).map_risk()?;
        r.tokens[sa].indexed = Fx128::from_fx(pos);
    }
    Ok(out.borrowed)
}
