//! Checks and bookkeeping shared by `liquidate_token` and `liquidate_perp` (not an instruction).
//!
//! Before: the liquidator signs with its account's owner, differs from the liquidated account, is
//! neither flagged nor liquidatable itself; both accounts' health accounts are read (every price
//! valid); the liquidated account is liquidatable by the one predicate
//! ([`crate::risk::liquidation::liquidatable`]): Maint health < 0, or a running episode (flagged,
//! last step at most six hours ago) with LiquidationEnd health < 0; and no price of an asset that
//! carries a material share of it (1% of its gross value) is far from its stable price. After: the liquidator has Init
//! health >= 0; the liquidated account's episode ends once LiquidationEnd health is back at >= 0,
//! and otherwise starts (the fee ramps from its start) or continues (its last-step time moves).
//! Each side's engine input is built once and rebuilt in place after the step (S2-05).

use anchor_lang::prelude::*;

use crate::constants::{DELEGATE_LIQUIDATE, FREE_SLOT, QUOTE_ASSET_INDEX};
use crate::delegation::{authorize, Authority};
use crate::error::{BallastError, RiskResultExt};
use crate::health_accounts::{load_health_accounts, HealthAccounts, LoadedAsset};
use crate::oracle::{Action, Priced};
use crate::risk::liquidation::{
    deviates, gross_value, liquidatable, liquidation_elapsed, plan_perp_step, plan_token_step, PerpStepParams,
    TokenStepParams,
};
use crate::risk::num::value;
use crate::risk::options::grid::{GridMemo, MemoUse, OptionTape, Replay};
use crate::risk::{health, health_components_memo, init_health_for_rule, Fx, HealthInput, HealthType, Round};
use crate::shared::perp_clearing::split_health;
use crate::state::*;
use crate::transitions::liquidation::{PerpLiquidation, TokenLiquidation};

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
    /// It is closed out in full: insolvent, or its gross value is below the close-out value.
    pub close_out: bool,
    /// A liquidation episode was running before this step.
    pub episode: bool,
    /// The liquidator's health accounts (with the assets it will hold as extras).
    pub liqor: Box<HealthAccounts>,
    /// The liquidator's engine input.
    pub liqor_input: Box<HealthInput>,
    /// Seconds the account has been liquidatable (0 when this call starts the liquidation).
    pub elapsed: i64,
    /// The group's liquidation configuration.
    pub config: LiquidationConfig,
    /// Largest value of one step, quote native units (`Group.max_liquidation_step`).
    pub max_step_value: u64,
    /// The liquidated account's option-grid results at oracle prices (when it holds options):
    /// filled before the step, reused after it for the risk groups the step did not touch.
    pub memo: Option<Box<GridMemo>>,
}

/// Runs the checks before a liquidation and loads both sides. `liqor_extra`: the assets the
/// liquidator will get a position in. The liquidator's signer is its owner, or a delegate with the
/// liquidate scope in every one of those assets but the quote asset (which settles everything),
/// whose book leads `remaining` (`crate::delegation`), and which never liquidates an account its
/// own key owns. Returns the checked start and who signed (a delegate's cap counts each step:
/// the caller charges it).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn start<'info>(
    group: &AccountLoader<'info, Group>,
    liqor: &AccountLoader<'info, MarginAccount>,
    liqor_authority: &Signer<'info>,
    liqee: &AccountLoader<'info, MarginAccount>,
    remaining: &'info [AccountInfo<'info>],
    liqee_health_accounts: u8,
    liqor_extra: &[u16],
    now: i64,
) -> Result<(LiqStart, Authority<'info>)> {
    require!(liqor.key() != liqee.key(), BallastError::SameAccount);
    let group_key = group.key();
    let (config, max_step_value) = {
        let g = group.load()?;
        (g.liquidation, g.max_liquidation_step)
    };
    let mut rest = remaining;
    let signer = authorize_liquidator((liqor, liqor_authority.key), liqee, liqor_extra, &mut rest, now)?;
    let (liqee_list, liqor_list) = split_health(rest, liqee_health_accounts)?;
    let (l, e) = (liqor.load()?, liqee.load()?);
    require!(l.group == group_key && e.group == group_key, BallastError::Unauthorized);
    let liqor_loaded =
        load_health_accounts(const { Priced::of(Action::Liquidate) }, &group_key, &l, liqor_extra, liqor_list, now)?;
    let liqee_loaded =
        load_health_accounts(const { Priced::of(Action::Liquidate) }, &group_key, &e, &[], liqee_list, now)?;
    Ok((LiqStart::new((config, max_step_value), &e, liqee_loaded, &l, liqor_loaded, (liqor_extra, now))?, signer))
}

/// The liquidator's signer: its owner, or a delegate with the liquidate scope in the step's assets
/// other than the quote asset (at most two), never liquidating an account its own key owns.
#[inline(never)]
fn authorize_liquidator<'info>(
    (liqor, signer): (&AccountLoader<'info, MarginAccount>, &Pubkey),
    liqee: &AccountLoader<'info, MarginAccount>,
    extra: &[u16],
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<Authority<'info>> {
    let mut act = Act::new(DELEGATE_LIQUIDATE, FREE_SLOT);
    for (slot, m) in act.markets.iter_mut().zip(extra.iter().filter(|m| **m != QUOTE_ASSET_INDEX)) {
        *slot = *m;
    }
    let authority = authorize(liqor, signer, act, books, now)?;
    authority.check_counterparty(signer, &liqee.load()?.owner)?;
    Ok(authority)
}

impl LiqStart {
    /// Both sides from their loaded health accounts, checked: the liquidator is not flagged and has
    /// Maint health >= 0; the liquidated account is liquidatable. The program and the keeper build
    /// the same view from the same bytes.
    #[inline(never)]
    pub fn new(
        (config, max_step_value): (LiquidationConfig, u64),
        liqee: &MarginAccount,
        liqee_loaded: Box<HealthAccounts>,
        liqor: &MarginAccount,
        liqor_loaded: Box<HealthAccounts>,
        (touched, now): (&[u16], i64),
    ) -> Result<LiqStart> {
        require!(!liqor.liquidation_episode_active(now), BallastError::LiquidatorBeingLiquidated);
        let liqor_input = liqor_loaded.health_input(liqor)?;
        let maint = health(&liqor_input, HealthType::Maint).map_risk()?;
        require!(maint >= Fx::ZERO, BallastError::LiquidatorBeingLiquidated);
        let input = liqee_loaded.health_input(liqee)?;
        check_stable(&input, config.max_stable_deviation_bps)?;
        let (memo, end_before, maint) = oracle_healths(&input, touched)?;
        let episode = liqee.liquidation_episode_active(now);
        require!(liquidatable(maint.health, end_before, episode), BallastError::NotLiquidatable);
        let insolvent = maint.equity < Fx::ZERO;
        let gross = gross_value(&input).map_risk()?.checked_add(option_notional(&input)?);
        let close_out = insolvent || gross.ok_or(BallastError::MathOverflow)? < Fx::from_num(config.close_out_value);
        Ok(LiqStart {
            liqee: liqee_loaded,
            input,
            end_before,
            insolvent,
            close_out,
            episode,
            liqor: liqor_loaded,
            liqor_input,
            elapsed: liquidation_elapsed(episode, maint.health < Fx::ZERO, liqee.liquidation_start_ts, now),
            config,
            max_step_value,
            memo,
        })
    }
}

/// LiquidationEnd health first, filling the option-grid memo when the account holds options (and
/// recording the options' scenario losses of the `touched` assets' groups, which the step's
/// revaluation replays when it moves only linear exposures), then Maint components from the memo
/// (both are at oracle prices: the same option values and Maint scenarios). Returns (memo,
/// LiquidationEnd health, Maint components).
#[inline(never)]
fn oracle_healths(
    input: &HealthInput,
    touched: &[u16],
) -> Result<(Option<Box<GridMemo>>, Fx, crate::risk::HealthComponents)> {
    let mut memo = input.has_options().then(|| {
        let groups = [0, 1].map(|i| touched.get(i).and_then(|&ai| input.find(ai)).map(|e| input.assets[e].risk_group));
        Box::new(GridMemo { tape: OptionTape::capture(groups), ..Default::default() })
    });
    let end = health_components_memo(input, HealthType::LiquidationEnd, memo.as_deref_mut().map(MemoUse::fill))
        .map_risk()?
        .health;
    let all = |_: u16| true;
    let maint = health_components_memo(
        input,
        HealthType::Maint,
        memo.as_deref_mut().map(|m| MemoUse::read(m, &all, &|_| Replay::No)),
    )
    .map_risk()?;
    Ok((memo, end, maint))
}

/// S2-12: no price of an asset carrying a material share of the account (its exposure worth at
/// least 1% of the account's gross value) may be far from its stable price, not only the two
/// traded assets': a sudden print on any of them cannot trigger a liquidation, and dust of a
/// deviating asset deposited into the account cannot block one.
#[inline(never)]
fn check_stable(input: &HealthInput, max_deviation_bps: u16) -> Result<()> {
    let material = gross_value(input).map_risk()?.checked_div_int(100).ok_or(BallastError::MathOverflow)?;
    for (a, e) in input.assets[..input.len].iter().zip(&input.exposures[..input.len]) {
        let net = e.spot.checked_add(e.perp_base).ok_or(BallastError::MathOverflow)?;
        let exposure = value(net, a.oracle_price, Round::Down).ok_or(BallastError::MathOverflow)?;
        require!(
            exposure.abs() < material || !deviates(a.oracle_price, a.stable_price, max_deviation_bps),
            BallastError::OracleDeviatesFromStable
        );
    }
    // An option is material when its notional (size at the oracle, a bound of its delta) is.
    for o in input.options.as_deref().map_or(&[][..], |b| b.used()) {
        let a = input.assets.get(o.entry).ok_or(BallastError::InvalidHealthAccounts)?;
        let notional = value(o.size.abs(), a.oracle_price, Round::Down).ok_or(BallastError::MathOverflow)?;
        require!(
            notional < material || !deviates(a.oracle_price, a.stable_price, max_deviation_bps),
            BallastError::OracleDeviatesFromStable
        );
    }
    Ok(())
}

/// The notional of the account's unsettled options at the oracle, quote native units: counted
/// with the gross value when deciding a close-out (a tiny account carrying a large option book is
/// not closed out in one step).
fn option_notional(input: &HealthInput) -> Result<Fx> {
    let mut total = Fx::ZERO;
    for o in input.options.as_deref().map_or(&[][..], |b| b.used()) {
        let a = input.assets.get(o.entry).ok_or(BallastError::InvalidHealthAccounts)?;
        let n = value(o.size.abs(), a.oracle_price, Round::Down).ok_or(BallastError::MathOverflow)?;
        total = total.checked_add(n).ok_or(BallastError::MathOverflow)?;
    }
    Ok(total)
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
/// which no step can restore); its episode ends at LiquidationEnd >= 0, else starts or continues.
/// `touched`: the two assets whose positions the step moved (their risk groups' option grids are
/// recomputed, the others reused from the memo); `options_moved`: the step took over an option
/// position (only the option the memo recorded alone is revalued, `GridMemo::record_option`;
/// else the touched groups' options and prices are as before and their options' scenario losses
/// are replayed from the memo). Returns (liquidated LiquidationEnd after, liquidator Init after as
/// the rule reads it: [`init_health_for_rule`]).
#[inline(never)]
pub fn finish(
    s: &mut LiqStart,
    liqee: &AccountLoader<MarginAccount>,
    liqor: &AccountLoader<MarginAccount>,
    (touched, options_moved): ([u16; 2], bool),
    now: i64,
) -> Result<(Fx, Fx)> {
    let liqor_init = {
        let l = liqor.load()?;
        s.liqor.fill_input(&l, &mut s.liqor_input)?;
        init_health_for_rule(&s.liqor_input).map_risk()?
    };
    require!(liqor_init >= Fx::ZERO, BallastError::HealthMustBePositive);
    let mut e = liqee.load_mut()?;
    s.liqee.fill_input(&e, &mut s.input)?;
    let groups = touched_groups(&s.input, touched);
    let reuse = |g: u16| !groups.contains(&Some(g));
    let replay = |_: u16| if options_moved { Replay::AllButTheRecordedOption } else { Replay::Options };
    let memo = s.memo.as_deref_mut().map(|m| MemoUse::read(m, &reuse, &replay));
    let end_after = health_components_memo(&s.input, HealthType::LiquidationEnd, memo).map_risk()?.health;
    require!(end_after > s.end_before || s.insolvent, BallastError::WorseHealthPostLiquidation);
    crate::transitions::liquidation::track_episode(&mut e, end_after, s.episode, now);
    Ok((end_after, liqor_init))
}

/// The risk groups of the `touched` assets in `input` (None: not in the input).
pub fn touched_groups(input: &HealthInput, touched: [u16; 2]) -> [Option<u16>; 2] {
    touched.map(|ai| input.find(ai).map(|i| input.assets[i].risk_group))
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

/// Fee with its ramp and the position; the lots, price and insurance share come from the planner
/// ([`plan_perp_step`]). The keeper calls this same function on the same bytes. `fee_base`: the
/// market asset's liquidation fee, bps; `lot_size`: its native base units per lot.
#[inline(never)]
pub fn plan_perp(
    s: &mut LiqStart,
    liqee: &MarginAccount,
    ai: u16,
    qi: u16,
    fee_base: u32,
    lot_size: u64,
    max_lots: u64,
) -> Result<PerpLiquidation> {
    let oracle = priced(&s.liqee, ai, s.config.max_stable_deviation_bps)?.risk.oracle_price;
    let base_lots = liqee.perp_slot(ai).map(|i| liqee.perps[i].base_lots).unwrap_or(0);
    require!(base_lots != 0, BallastError::NothingToLiquidate);
    let fee_bps = s.config.schedule().fee_bps(fee_base, s.elapsed);
    let p = PerpStepParams {
        market: ai,
        quote: qi,
        lot_size,
        base_lots,
        fee_bps,
        insurance_share_bps: s.config.insurance_share_bps,
        max_lots,
        close_out: s.close_out,
        max_step_value: s.max_step_value,
        must_raise: !s.insolvent,
    };
    let st = plan_perp_step(&mut s.input, &mut s.liqor_input, &p).map_risk()?;
    Ok(PerpLiquidation {
        ai,
        qi,
        lots: st.lots,
        price: st.price,
        long: st.long,
        ins: st.ins,
        fee_bps,
        lot_size,
        oracle,
    })
}
