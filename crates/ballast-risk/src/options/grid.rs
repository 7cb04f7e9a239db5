//! Portfolio margin with options: each risk group that holds an option is revalued over a grid of
//! price × volatility scenarios, so hedges net (a covered call, a collar, a calendar spread), and
//! its two-point linear charge is replaced by the grid's worst loss.
//!
//! For health type `T` and a risk group holding options, with the group's shocks `down`, `up`
//! (the same as for its linear exposures) and the configuration's volatility shocks `vd`, `vu`
//! (relative, at 30 days to expiry):
//!
//! * **price points:** moves of `-x × down` and `+x × up` for `x` in {1/4, 1/2, 3/4, 1}, and no
//!   move: 9 points, each × {vol down, flat, up}: 27 scenarios;
//! * **extreme moves** (far out-of-the-money shorts): `-min(m × down, 100%)` and `+m × up` with
//!   `m = extreme_multiple`, at vol flat and up, their losses counted at `extreme_weight` (CME SPAN:
//!   3× the range at 35%; here `m × weight <= 1`, so a linear exposure is never charged more than
//!   by its two-point charge and only the options' convexity makes an extreme move bind): 4
//!   scenarios;
//! * **volatility scaling by time to expiry:** an option of `τ` seconds to expiry has its volatility
//!   moved to `σ (1 + vu × λ)` (at most 1,000%) and `σ max(1 - vd × λ, 0)` with
//!   `λ = (30 days / max(τ, 1 day)) ^ vol_power` (Deribit's `(30 / DTE)^0.3` with power 0.3): short
//!   expiries move more, and the 1-day floor bounds `λ` by `30^power`;
//! * **loss of a scenario:** the linear members' losses (the same [`crate::health`] formulas as the
//!   two-point charge, at the scenario's fraction of the shock) plus, per option, its value now
//!   minus its value in the scenario (Black-76 at the scenario's forward and volatility, each value
//!   rounded against the account: longs down, shorts up);
//! * **group charge** = max(0, worst scenario loss, short-option minimum), where the short-option
//!   minimum (CME) is `short_minimum × F × |size|` summed over the group's short options, with
//!   `F` the higher of oracle and stable price under Init (the oracle otherwise).
//!
//! Health = the linear engine's health + the replaced two-point charges + the options' value now −
//! the grid charges. Without options the figure is the linear engine's, bit for bit. The
//! requirement is never below the worst loss over the 27 main scenarios (the soundness bound,
//! property-tested). Like every discrete grid (SPAN's, Deribit's), it sees losses at its points
//! only: a loss that peaks between two points (a short-dated long straddle whose strike sits
//! between them) is bounded by the neighbouring points, not computed.
//!
//! **Init covers Maint.** Init and LiquidationEnd revalue over their own scenarios and over
//! Maint's (the Maint shocks and Maint volatility moves), so their requirement is at least Maint's
//! and Init <= LiquidationEnd <= Maint holds with options as without.
//!
//! **Forward.** Under Init an option is valued at the underlying's price for the sign of its delta
//! (`AssetRisk::price_for`: min(oracle, stable) for a long call or a short put, the max for a long
//! put or a short call), so the stable-price guard (OR-09) bounds options as it bounds spot; Maint
//! and LiquidationEnd use the oracle. The grid prices strikes up to 2^14 times the forward with
//! the formula and an error term of 2^-30 of the forward (three times it under Init, see
//! [`GRID_PRICE_ERROR`]); beyond, a long call is valued at 0 and a short call at
//! `F (N(d1) + error)`, puts by parity: health is always a number, so an account whose underlying
//! collapsed stays liquidatable, and every Init value is at most the Maint value of the same
//! scenario, so Init <= LiquidationEnd <= Maint (property-tested with stable prices apart from the
//! oracle; at the 2^14 edge itself, where Init and Maint may fall on different sides, the
//! ordering holds only to within the error term).
//!
//! **Which scenarios are revalued** ([`GroupKind`]). The worst loss is the one over the whole set,
//! but a group whose options all have one sign needs fewer revaluations to find it: all long, vol
//! down only (flat at the extreme moves; the same worst loss to the bit with the default
//! configuration, see [`GroupKind`]); all short, vol up at the no-move point and the two ends only (the loss is convex
//! on each side; within twice the error term). A group holding both signs is revalued in every
//! scenario.
//!
//! Cost per option: 31 scenarios per scenario set (Maint: one set; Init and LiquidationEnd: two),
//! of which at most 30 are revalued (the no-move scenario at flat volatility is the value now: its
//! loss is exactly zero): 30 for a group of both signs, 11 for a long one, 5 for a short one. Per
//! price point and group: one `ln` (the group's options share their underlying); per option and
//! price point: one 128-bit product (the moved forward), shared by the point's volatility
//! scenarios; per valuation: the `d1` product, two normal-CDF tables of degree 5 and three 128-bit
//! products (`F (N(d1) -/+ error)`, `K N(d2)`, the position's value); no division per valuation
//! (`1 / s` is cached per volatility scenario), no heap, no recursion, no loop whose length
//! depends on anything but the fixed grid and the number of positions.

use super::{fixed, Black76, OptionKind, MAX_VOL};
use crate::health::{
    first_member, health_with_group_losses, linear_net_value, loss_down, loss_up, AssetRisk, GroupLosses,
    HealthComponents, HealthInput, HealthType, MAX_HEALTH_ASSETS,
};
use crate::num::{bps_frac, mul, mul_shift, scale_price, value, Fx, Price, Round};
use crate::{OrOverflow, RiskError, RiskResult};

/// Option positions one health computation takes (the MarginAccount's option slots).
pub const MAX_OPTION_POSITIONS: usize = 8;
/// Seconds the volatility scaling counts from: 30 days.
pub const VOL_REFERENCE_SECS: i64 = 30 * 86_400;
/// Shortest time to expiry the volatility scaling takes (1 day): bounds the scale.
pub const VOL_FLOOR_SECS: i64 = 86_400;

/// Governance's option risk parameters, basis points (10,000 = 100%). 16 bytes, `Pod`: the
/// program will store it per group as is.
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OptionRiskConfig {
    /// Init (and LiquidationEnd) relative volatility rise at 30 days to expiry, bps.
    pub init_vol_up_bps: u16,
    /// Init relative volatility fall at 30 days, bps (at most 10,000).
    pub init_vol_down_bps: u16,
    /// Maint relative volatility rise at 30 days, bps (at most the Init one).
    pub maint_vol_up_bps: u16,
    /// Maint relative volatility fall at 30 days, bps (at most the Init one).
    pub maint_vol_down_bps: u16,
    /// Power of the time scaling `(30 days / τ)^power`, bps (3,000 = 0.3; at most 10,000).
    pub vol_power_bps: u16,
    /// Extreme moves as a multiple of the shocks (1 to 10).
    pub extreme_multiple: u16,
    /// Weight of an extreme move's loss, bps; `extreme_multiple × extreme_weight_bps <= 10,000`.
    pub extreme_weight_bps: u16,
    /// Short-option minimum per unit of short size, bps of the underlying's price (at most 10,000).
    pub short_minimum_bps: u16,
}

const _: () = assert!(core::mem::size_of::<OptionRiskConfig>() == 16);

impl OptionRiskConfig {
    /// Defaults anchored on Deribit (vol +45% / -30% at 30 days, power 0.3) and CME SPAN (extreme
    /// moves 3× the range; weighted 33% rather than SPAN's 35% so that multiple × weight stays at
    /// most 1); short-option minimum 0.5% of the underlying. Maint shocks are two thirds.
    pub const DEFAULT: OptionRiskConfig = OptionRiskConfig {
        init_vol_up_bps: 4_500,
        init_vol_down_bps: 3_000,
        maint_vol_up_bps: 3_000,
        maint_vol_down_bps: 2_000,
        vol_power_bps: 3_000,
        extreme_multiple: 3,
        extreme_weight_bps: 3_300,
        short_minimum_bps: 50,
    };

    /// Checks every bound (see the field docs); maint shocks at most init shocks, so Init health
    /// is at most Maint health.
    pub fn validate(&self) -> RiskResult<()> {
        let c = self;
        if c.init_vol_up_bps > 50_000 || c.maint_vol_up_bps > c.init_vol_up_bps {
            return Err(RiskError::InvalidParam("vol up: need maint <= init <= 50000"));
        }
        if c.init_vol_down_bps > 10_000 || c.maint_vol_down_bps > c.init_vol_down_bps {
            return Err(RiskError::InvalidParam("vol down: need maint <= init <= 10000"));
        }
        if c.vol_power_bps > 10_000 {
            return Err(RiskError::InvalidParam("vol power: need <= 10000"));
        }
        if !(1..=10).contains(&c.extreme_multiple) {
            return Err(RiskError::InvalidParam("extreme multiple: need 1 to 10"));
        }
        if c.extreme_weight_bps > 10_000 || c.short_minimum_bps > 10_000 {
            return Err(RiskError::InvalidParam("extreme weight and short minimum: need <= 10000"));
        }
        // multiple x weight <= 1: an extreme move never charges a linear exposure more than its
        // two-point charge (linear positions keep their exact treatment; only convexity binds).
        if u32::from(c.extreme_multiple).saturating_mul(u32::from(c.extreme_weight_bps)) > 10_000 {
            return Err(RiskError::InvalidParam("extreme multiple x weight: need <= 10000 bps"));
        }
        Ok(())
    }
}

/// Relative volatility shocks at 30 days, fractions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct VolShocks {
    /// Relative rise.
    pub up: Fx,
    /// Relative fall.
    pub down: Fx,
}

/// [`OptionRiskConfig`] as fractions, built once per computation (every shock rounded up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct GridConfig {
    /// Init and LiquidationEnd volatility shocks.
    pub init: VolShocks,
    /// Maint volatility shocks.
    pub maint: VolShocks,
    /// Power of the time scaling, Q.48.
    pub power: i64,
    /// Extreme move multiple.
    pub extreme_multiple: Fx,
    /// Weight of extreme losses.
    pub extreme_weight: Fx,
    /// Short-option minimum, fraction of the underlying's price per unit of size.
    pub short_minimum: Fx,
}

impl GridConfig {
    /// Validates `c` and converts it.
    pub fn new(c: &OptionRiskConfig) -> RiskResult<Self> {
        c.validate()?;
        let up = |b: u16| bps_frac(u32::from(b), Round::Up);
        Ok(GridConfig {
            init: VolShocks { up: up(c.init_vol_up_bps), down: up(c.init_vol_down_bps) },
            maint: VolShocks { up: up(c.maint_vol_up_bps), down: up(c.maint_vol_down_bps) },
            power: i64::try_from(up(c.vol_power_bps).to_bits()).ok().or_overflow()?,
            extreme_multiple: Fx::from(c.extreme_multiple),
            extreme_weight: up(c.extreme_weight_bps),
            short_minimum: up(c.short_minimum_bps),
        })
    }
}

/// `(30 days / max(seconds, 1 day)) ^ power`, Q.48 (one `ln` and one `exp`); 1 for an expired
/// option (its volatility does not matter).
pub fn vol_scale(seconds: i64, power: i64) -> RiskResult<i64> {
    if seconds <= 0 {
        return Ok(fixed::ONE);
    }
    let ratio = fixed::div(VOL_REFERENCE_SECS, seconds.max(VOL_FLOOR_SECS)).or_overflow()?;
    let ln_ratio = fixed::ln(ratio).or_overflow()?;
    fixed::exp(fixed::mul(ln_ratio, power).or_overflow()?).or_overflow()
}

/// One option position as the engine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct OptionEntry {
    /// Index of the underlying in the [`HealthInput`] (its asset must be there, with a zero
    /// exposure if the account holds none).
    pub entry: usize,
    /// Call or put.
    pub kind: OptionKind,
    /// Strike, quote native per base native.
    pub strike: Price,
    /// Seconds to expiry; zero or negative: expired and not yet settled (intrinsic value).
    pub seconds: i64,
    /// Size in base native units of the underlying (long positive, short negative).
    pub size: Fx,
    /// The series' implied volatility from the asset's surface, fraction.
    pub vol: Fx,
    /// The underlying's grid parameters. Options are listed on risk-group leaders only, so every
    /// option of a group has the same underlying and parameters; the grid uses the first one's.
    pub risk: OptionRiskConfig,
}

impl OptionEntry {
    const EMPTY: OptionEntry = OptionEntry {
        entry: 0,
        kind: OptionKind::Call,
        strike: Price::ZERO,
        seconds: 0,
        size: Fx::ZERO,
        vol: Fx::ZERO,
        risk: OptionRiskConfig::DEFAULT,
    };
}

/// An account's option positions, `len` used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct OptionBook {
    /// Number of used entries.
    pub len: usize,
    /// Positions, `len` used.
    pub positions: [OptionEntry; MAX_OPTION_POSITIONS],
}

impl Default for OptionBook {
    fn default() -> Self {
        OptionBook { len: 0, positions: [OptionEntry::EMPTY; MAX_OPTION_POSITIONS] }
    }
}

impl OptionBook {
    /// Appends a position.
    pub fn push(&mut self, o: OptionEntry) -> RiskResult<()> {
        let slot = self.positions.get_mut(self.len).ok_or(RiskError::TooManyAssets)?;
        *slot = o;
        self.len = self.len.saturating_add(1);
        Ok(())
    }

    /// The used positions.
    pub fn used(&self) -> &[OptionEntry] {
        &self.positions[..self.len.min(MAX_OPTION_POSITIONS)]
    }
}

/// A health figure with options, quote native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortfolioHealth {
    /// The linear engine's figure (spot, borrows, perps) with its two-point group charges.
    pub linear: HealthComponents,
    /// The options' value now, each rounded against the account.
    pub option_equity: Fx,
    /// Two-point charges of the groups holding options, which the grid replaces.
    pub replaced_charges: Fx,
    /// Grid charges of the groups holding options (with the short-option minimum).
    pub grid_charges: Fx,
    /// `linear.health + replaced_charges + option_equity - grid_charges`.
    pub health: Fx,
}

impl PortfolioHealth {
    /// Total equity (linear and options).
    pub fn equity(&self) -> RiskResult<Fx> {
        self.linear.equity.checked_add(self.option_equity).or_overflow()
    }

    /// What the account must hold: equity minus health.
    pub fn requirement(&self) -> RiskResult<Fx> {
        self.equity()?.checked_sub(self.health).or_overflow()
    }
}

/// Health of type `t` of the linear exposures in `input` and the options in `book`, with the
/// grid of `cfg`. Errors: [`RiskError::InvalidParam`] for an option naming no input entry or with
/// an invalid strike, volatility or moneyness (see [`Black76`]); overflow.
pub fn portfolio_health(input: &HealthInput, book: &OptionBook, t: HealthType) -> RiskResult<PortfolioHealth> {
    portfolio_health_memo(input, book, t, None)
}

/// One risk group's grid results at oracle prices (Maint and LiquidationEnd share them: the same
/// forwards, option values, error term and short-option minimum; LiquidationEnd adds the wider
/// scenario set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupMemo {
    /// Risk group id.
    pub group: u16,
    /// The group's options' value now.
    pub option_equity: Fx,
    /// The group's short-option minimum.
    pub short_minimum: Fx,
    /// Worst loss over Maint's scenario set.
    pub maint_worst: Fx,
    /// Worst loss over the wider (Init-shock) set, once a LiquidationEnd evaluation computed it.
    pub wide_worst: Option<Fx>,
}

/// The grid results of an account's option-holding groups from an earlier Maint or LiquidationEnd
/// evaluation, reused for the groups a liquidation step did not touch (a group's results depend
/// only on its own assets, exposures and options, so a reused result is the one a full evaluation
/// would compute, bit for bit), and the options' scenario losses of the groups it was asked to
/// record ([`OptionTape`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GridMemo {
    /// Used entries.
    pub len: usize,
    /// Entries.
    pub groups: [GroupMemo; MAX_OPTION_POSITIONS],
    /// The options' losses per scenario of the groups a liquidation step will touch.
    pub tape: OptionTape,
}

/// Risk groups whose options' scenario losses a [`GridMemo`] records: the two a liquidation step
/// touches.
pub const MAX_TAPED_GROUPS: usize = 2;

/// The options' loss in every scenario a group's grid revalues (in the grid's order: the Maint set,
/// then the Init-shock set), recorded when a LiquidationEnd evaluation computes the group. A step
/// that moves only linear exposures (a token or perp liquidation) leaves the group's options and
/// prices as they were, so its grid after the step is the linear members' losses plus these, with
/// no valuation: the sum is exact (fixed-point additions in another order), so the figure is the
/// full evaluation's, bit for bit (test `the_option_tape_replays_the_full_figure_bit_for_bit`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionTape {
    /// Groups to record, set before the evaluation that fills the memo.
    pub capture: [Option<u16>; MAX_TAPED_GROUPS],
    /// Recorded groups.
    recorded: [Option<TapedGroup>; MAX_TAPED_GROUPS],
    /// The recorded groups' losses (same order), quote native units; one allocation of the exact
    /// size each (at most 2 × 31 values).
    group_losses: [Vec<Fx>; MAX_TAPED_GROUPS],
    /// One option of a recorded group, taken out of its group's recording
    /// ([`GridMemo::record_option`]): that recording is then the group's other options'.
    one: Option<TapedOption>,
}

/// A recorded group (its losses are `group_losses` of the same slot): its kind and its recorded
/// options' value now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TapedGroup {
    group: u16,
    kind: GroupKind,
    option_equity: Fx,
}

/// An option taken out of its group's recording: the series (the underlying's asset index, kind,
/// strike, seconds to expiry) and its group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TapedOption {
    asset_index: u16,
    kind: OptionKind,
    strike: Price,
    seconds: i64,
    group: u16,
}

/// What a group's revaluation may take from the memo's tape ([`MemoUse::replay`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Nothing: every option is valued.
    No,
    /// The options and prices are unchanged (only linear exposures moved): every option's losses.
    Options,
    /// Only the option recorded alone changed (its size, or it is gone): the others' losses (the
    /// group's less the recorded option's), and that option valued at its new size.
    AllButTheRecordedOption,
}

impl OptionTape {
    /// Records the groups of `groups` (None: nothing) when next computed over both sets.
    pub fn capture(groups: [Option<u16>; MAX_TAPED_GROUPS]) -> Self {
        OptionTape { capture: groups, ..Default::default() }
    }

    /// The slot and record of `group`.
    fn find(&self, group: u16) -> Option<(usize, TapedGroup)> {
        self.recorded.iter().enumerate().find_map(|(i, r)| r.filter(|r| r.group == group).map(|r| (i, r)))
    }
}

/// Where a group's grid takes its options' scenario losses from.
enum Tape<'a> {
    /// Computed.
    Off,
    /// Computed and appended.
    Record(&'a mut Vec<Fx>),
    /// Read back in order from a recording of the same group's options (the position is the second
    /// field), to which the prepared options' losses are added: none when the options are as
    /// recorded, the one taken out of the recording at its new size otherwise.
    Replay(&'a [Fx], usize),
    /// Each scenario's options' loss (of the only option prepared) subtracted from a recording, in
    /// order.
    Subtract(&'a mut [Fx], usize),
}

impl GridMemo {
    fn find(&self, group: u16) -> Option<usize> {
        self.groups[..self.len.min(MAX_OPTION_POSITIONS)].iter().position(|g| g.group == group)
    }

    fn store(&mut self, m: GroupMemo) {
        match self.find(m.group) {
            Some(i) => self.groups[i] = m,
            None => {
                if let Some(slot) = self.groups.get_mut(self.len) {
                    *slot = m;
                    self.len = self.len.saturating_add(1);
                }
            }
        }
    }
}

/// A memo and what may be taken from it.
pub struct MemoUse<'a> {
    /// The memo.
    pub memo: &'a mut GridMemo,
    /// The groups whose assets, exposures and options are unchanged since the memo was filled:
    /// their results are taken whole.
    pub reuse: &'a dyn Fn(u16) -> bool,
    /// What each group's revaluation may take from the memo's tape, when it recorded the group
    /// (and, for [`Replay::AllButTheRecordedOption`], the option).
    pub replay: &'a dyn Fn(u16) -> Replay,
    /// This evaluation fills the memo: it stores its groups' results and records the tape's
    /// groups. Any other evaluation (after a step, or of a hypothetical step) only reads it, so a
    /// later reader never takes a hypothetical result.
    pub fill: bool,
}

impl<'a> MemoUse<'a> {
    /// A memo being filled: nothing is taken from it.
    pub fn fill(memo: &'a mut GridMemo) -> Self {
        MemoUse { memo, reuse: &|_| false, replay: &|_| Replay::No, fill: true }
    }

    /// A memo read: the groups `reuse` allows are taken from it, the others computed (as `replay`
    /// allows) and not stored.
    pub fn read(memo: &'a mut GridMemo, reuse: &'a dyn Fn(u16) -> bool, replay: &'a dyn Fn(u16) -> Replay) -> Self {
        MemoUse { memo, reuse, replay, fill: false }
    }
}

/// [`portfolio_health`] with a memo of the groups' grid results (Maint and LiquidationEnd only;
/// Init prices options at other forwards and ignores it): a reusable group is taken from the memo
/// when it holds what `t` needs, every other group is computed and stored.
pub fn portfolio_health_memo(
    input: &HealthInput,
    book: &OptionBook,
    t: HealthType,
    memo: Option<MemoUse>,
) -> RiskResult<PortfolioHealth> {
    portfolio_health_with(input, book, t, memo, false)
}

/// A lower bound of [`portfolio_health`]'s health, with far fewer revaluations when a risk group
/// holds options of both signs: such a group is charged the sum of two one-sign grids, its linear
/// members with its long options ([`GroupKind::Long`]'s scenarios) and its short options alone
/// ([`GroupKind::Short`]'s), plus [`BOUND_MARGIN`] of its options' notional. The worst loss of a
/// sum is at most the sum of the worst losses, so the charge is at least the grid charge; the
/// margin covers what the one-sign scenario selections may miss (twice the error term for shorts,
/// ulps for longs). Every other group (and a group whose shorts may cross the moneyness edge,
/// [`shorts_reach_the_edge`]), and the options' value now, are the grid's own. Costs 22
/// valuations per long option and 10 per short under Init instead of 63 each; the bound is loose
/// (a collar's is about three times its requirement), so it only settles a health rule it already
/// passes ([`crate::health::init_health_for_rule`]).
pub fn portfolio_health_bound(input: &HealthInput, book: &OptionBook, t: HealthType) -> RiskResult<PortfolioHealth> {
    portfolio_health_with(input, book, t, None, true)
}

/// Whether some risk group of `book` holds options of both signs (the groups
/// [`portfolio_health_bound`] charges differently).
pub fn has_group_of_both_signs(input: &HealthInput, book: &OptionBook) -> bool {
    book.used().iter().any(|o| {
        input.assets.get(o.entry).is_some_and(|a| GroupKind::of_group(input, book, a.risk_group) == GroupKind::Mixed)
    })
}

/// [`portfolio_health_memo`]; `bound`: [`portfolio_health_bound`] (no memo).
fn portfolio_health_with(
    input: &HealthInput,
    book: &OptionBook,
    t: HealthType,
    memo: Option<MemoUse>,
    bound: bool,
) -> RiskResult<PortfolioHealth> {
    let mut memo = if t == HealthType::Init || bound { None } else { memo };
    if book.len == 0 {
        let linear = health_with_group_losses(input, t, None)?;
        return Ok(PortfolioHealth { linear, health: linear.health, ..Default::default() });
    }
    if book.len > MAX_OPTION_POSITIONS {
        return Err(RiskError::TooManyAssets);
    }
    let n = input.len.min(MAX_HEALTH_ASSETS);
    if book.used().iter().any(|o| o.entry >= n) {
        return Err(RiskError::InvalidParam("option entry"));
    }
    let mut losses: GroupLosses = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
    let linear = health_with_group_losses(input, t, Some(&mut losses))?;
    let mut out = PortfolioHealth { linear, ..Default::default() };
    let mut done = [false; MAX_HEALTH_ASSETS];
    for o in book.used() {
        let leader = first_member(input, o.entry);
        if done[leader] {
            continue;
        }
        done[leader] = true;
        let (d, u) = (leader.saturating_mul(2), leader.saturating_mul(2).saturating_add(1));
        let two_point = losses[d].max(losses[u]).max(Fx::ZERO);
        let group = input.assets[leader].risk_group;
        let (equity, charge) = match memo.as_mut() {
            Some(m) => memo_group(m, input, book, t, group)?,
            None => fresh_group(input, book, t, group, bound)?,
        };
        add_group(&mut out, two_point, equity, charge)?;
    }
    out.health = linear
        .health
        .checked_add(out.replaced_charges)
        .and_then(|h| h.checked_add(out.option_equity))
        .and_then(|h| h.checked_sub(out.grid_charges))
        .or_overflow()?;
    Ok(out)
}

/// Adds a risk group's grid to `out`: its two-point charge `two_point` replaced, its options'
/// value now and its grid charge.
fn add_group(out: &mut PortfolioHealth, two_point: Fx, option_equity: Fx, charge: Fx) -> RiskResult<()> {
    out.replaced_charges = out.replaced_charges.checked_add(two_point).or_overflow()?;
    out.option_equity = out.option_equity.checked_add(option_equity).or_overflow()?;
    out.grid_charges = out.grid_charges.checked_add(charge).or_overflow()?;
    Ok(())
}

/// (option value, grid charge) of `group` under `t`, computed (`bound`: the charge of
/// [`portfolio_health_bound`]).
#[inline(never)]
fn fresh_group(input: &HealthInput, book: &OptionBook, t: HealthType, group: u16, bound: bool) -> RiskResult<(Fx, Fx)> {
    let cfg = group_config(input, book, group)?;
    let g = if bound
        && GroupKind::of_group(input, book, group) == GroupKind::Mixed
        && !shorts_reach_the_edge(input, book, group)
    {
        bound_group_grid(input, book, &cfg, t, group)?
    } else {
        group_grid(input, book, &cfg, t, group)?
    };
    Ok((g.option_equity, g.charge))
}

/// Relative margin of [`portfolio_health_bound`]'s charge of a group of both signs, per unit of
/// its options' notional: 2^-16. The one-sign scenario selections may miss at most twice the
/// error term (3 x 2^-30 of a scenario's forward per unit, under Init) for shorts and a few ulps
/// for longs; 2^-16 covers that for forwards up to ~2,700 times the price.
pub const BOUND_MARGIN: Fx = Fx::from_bits(1 << (48 - 16));

/// [`portfolio_health_bound`]'s grid of a group holding options of both signs: the long part
/// (linear members and long options) over [`GroupKind::Long`]'s scenarios plus the short options
/// over [`GroupKind::Short`]'s, set by set, plus the margin; the short-option minimum and the
/// options' value now as [`group_grid`]'s.
#[inline(never)]
fn bound_group_grid(
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    group: u16,
) -> RiskResult<GroupGrid> {
    let longs = Scope { only: None, linear: true, long: Some(true) };
    let shorts = Scope { only: None, linear: false, long: Some(false) };
    let l = parts_with(input, book, cfg, t, (group, GroupKind::Long, longs), &mut Tape::Off, Fx::ZERO)?;
    let s = parts_with(input, book, cfg, t, (group, GroupKind::Short, shorts), &mut Tape::Off, Fx::ZERO)?;
    let maint = l.maint_worst.checked_add(s.maint_worst).or_overflow()?;
    let wide = match (l.wide_worst, s.wide_worst) {
        (Some(a), Some(b)) => a.checked_add(b).or_overflow()?,
        _ => Fx::ZERO,
    };
    let mut notional = Fx::ZERO;
    for o in book.used() {
        let a = &input.assets[o.entry];
        if a.risk_group == group {
            let price = a.oracle_price.max(a.stable_price);
            let n = value(o.size.checked_abs().or_overflow()?, price, Round::Up).or_overflow()?;
            notional = notional.checked_add(n).or_overflow()?;
        }
    }
    let margin = mul(notional, BOUND_MARGIN, Round::Up).or_overflow()?;
    let worst = maint.max(wide).checked_add(margin).or_overflow()?;
    let option_equity = l.option_equity.checked_add(s.option_equity).or_overflow()?;
    Ok(GroupGrid { option_equity, charge: worst.max(l.short_minimum) })
}

/// (option value, grid charge) of `group` under `t` (Maint or LiquidationEnd) from the memo when
/// reusable and complete for `t`, else computed (its options' losses replayed from the tape when
/// allowed and recorded, or recorded when asked) and stored.
#[inline(never)]
fn memo_group(
    u: &mut MemoUse,
    input: &HealthInput,
    book: &OptionBook,
    t: HealthType,
    group: u16,
) -> RiskResult<(Fx, Fx)> {
    let wide = t != HealthType::Maint;
    let memo = &mut *u.memo;
    let hit =
        memo.find(group).map(|i| memo.groups[i]).filter(|m| (u.reuse)(group) && (!wide || m.wide_worst.is_some()));
    let m = match hit {
        Some(m) => m,
        None => {
            let cfg = group_config(input, book, group)?;
            let m = taped_group(memo, ((u.replay)(group), u.fill), input, book, &cfg, t, group)?;
            if u.fill {
                memo.store(m);
            }
            m
        }
    };
    let worst = if wide { m.maint_worst.max(m.wide_worst.unwrap_or(Fx::ZERO)) } else { m.maint_worst };
    Ok((m.option_equity, worst.max(m.short_minimum)))
}

/// [`group_parts`] through the memo's tape: replayed as `replay` allows when the tape recorded the
/// group with the kind it still has (and, for [`Replay::AllButTheRecordedOption`], the option);
/// recorded when the memo is being filled, the tape asks for the group and `t` computes both sets;
/// else computed.
#[inline(never)]
fn taped_group(
    memo: &mut GridMemo,
    (replay, fill): (Replay, bool),
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    group: u16,
) -> RiskResult<GroupMemo> {
    let kind = GroupKind::of_group(input, book, group);
    let tape = &memo.tape;
    if let Some((slot, g)) = tape.find(group) {
        let taken = tape.one.filter(|o| o.group == group);
        // The option to value besides the recording: none, or the one taken out of it at its new
        // size (none when it was taken over in full). Over the recorded kind's scenarios: a group
        // of both signs whose last short was taken over is long now, and a long group's worst loss
        // over every scenario is its vol-down scenarios' to the bit (`GroupKind`).
        let only = match (replay, taken) {
            (Replay::Options, None) if g.kind == kind => Some(usize::MAX),
            (Replay::AllButTheRecordedOption, Some(o))
                if g.kind == kind || (g.kind == GroupKind::Mixed && kind == GroupKind::Long) =>
            {
                Some(position_of(input, book, (o.asset_index, o.kind, o.strike, o.seconds)).unwrap_or(usize::MAX))
            }
            _ => None,
        };
        if let (Some(only), Some(buf)) = (only, tape.group_losses.get(slot)) {
            let scope = Scope { only: Some(only), linear: true, long: None };
            return parts_with(input, book, cfg, t, (group, g.kind, scope), &mut Tape::Replay(buf, 0), g.option_equity);
        }
    }
    let tape = &mut memo.tape;
    let free = tape.recorded.iter().position(Option::is_none);
    if let (true, Some(slot)) =
        (fill && t != HealthType::Maint && tape.capture.contains(&Some(group)) && tape.find(group).is_none(), free)
    {
        let mut v = Vec::with_capacity(2usize.saturating_mul(kind.taped_per_set()));
        let m = parts_with(input, book, cfg, t, (group, kind, Scope::ALL), &mut Tape::Record(&mut v), Fx::ZERO)?;
        tape.group_losses[slot] = v;
        tape.recorded[slot] = Some(TapedGroup { group, kind, option_equity: m.option_equity });
        return Ok(m);
    }
    parts_with(input, book, cfg, t, (group, kind, Scope::ALL), &mut Tape::Off, Fx::ZERO)
}

/// The position in `book` of the option on the asset `asset_index` with this kind, strike and
/// seconds to expiry.
fn position_of(
    input: &HealthInput,
    book: &OptionBook,
    (asset_index, kind, strike, seconds): (u16, OptionKind, Price, i64),
) -> Option<usize> {
    book.used().iter().position(|o| {
        input.assets.get(o.entry).is_some_and(|a| a.asset_index == asset_index)
            && o.kind == kind
            && o.strike == strike
            && o.seconds == seconds
    })
}

impl GridMemo {
    /// Takes the option of `input`'s book on the asset `asset_index` with this kind, strike and
    /// seconds to expiry out of its group's recording, when the tape recorded the group: its losses
    /// at oracle prices (LiquidationEnd's two sets, valued once) are subtracted in place, and its
    /// value now from the group's, so that a take-over of that option revalues it alone
    /// ([`Replay::AllButTheRecordedOption`]; the group's recording no longer serves
    /// [`Replay::Options`]). Does nothing otherwise (the take-over's revaluation computes the
    /// group in full). `input` must hold the options and prices the tape recorded the
    /// group with (the liquidation's input before the step). Errors: as the grid's.
    pub fn record_option(&mut self, input: &HealthInput, series: (u16, OptionKind, Price, i64)) -> RiskResult<()> {
        let Some(book) = input.options.as_deref() else { return Ok(()) };
        let Some(j) = position_of(input, book, series) else { return Ok(()) };
        let group = input.assets[book.positions[j].entry].risk_group;
        let kind = GroupKind::of_group(input, book, group);
        let tape = &mut self.tape;
        let Some((slot, g)) = tape.find(group).filter(|(_, g)| g.kind == kind && tape.one.is_none()) else {
            return Ok(());
        };
        let cfg = group_config(input, book, group)?;
        let buf = tape.group_losses.get_mut(slot).or_overflow()?;
        let scope = Scope { only: Some(j), linear: false, long: None };
        let t = HealthType::LiquidationEnd;
        let m = parts_with(input, book, &cfg, t, (group, kind, scope), &mut Tape::Subtract(buf, 0), Fx::ZERO)?;
        let others = g.option_equity.checked_sub(m.option_equity).or_overflow()?;
        *tape.recorded.get_mut(slot).or_overflow()? = Some(TapedGroup { option_equity: others, ..g });
        let (asset_index, kind, strike, seconds) = series;
        tape.one = Some(TapedOption { asset_index, kind, strike, seconds, group });
        Ok(())
    }
}

/// Which of a group's positions a grid evaluation takes: every option or only the one at `only`
/// in the book, and the linear members or not.
#[derive(Clone, Copy)]
struct Scope {
    only: Option<usize>,
    linear: bool,
    /// Only the options of this sign (true: long; None: both).
    long: Option<bool>,
}

impl Scope {
    const ALL: Scope = Scope { only: None, linear: true, long: None };

    /// Whether the option at `i` in the book, of size `size`, is taken.
    fn takes(self, i: usize, size: Fx) -> bool {
        self.only.is_none_or(|j| j == i) && self.long.is_none_or(|long| (size > Fx::ZERO) == long)
    }
}

/// The grid parameters of risk group `group`: those of its first option (see
/// [`OptionEntry::risk`]). Errors: InvalidParam when they are out of bounds.
#[inline(never)]
fn group_config(input: &HealthInput, book: &OptionBook, group: u16) -> RiskResult<GridConfig> {
    let o = book
        .used()
        .iter()
        .find(|o| input.assets.get(o.entry).is_some_and(|a| a.risk_group == group))
        .ok_or(RiskError::InvalidParam("option entry"))?;
    GridConfig::new(&o.risk)
}

/// The grid of one risk group.
struct GroupGrid {
    option_equity: Fx,
    charge: Fx,
}

/// Volatility scenarios of a [`ScenarioSet`]: Init down, Maint down, flat, Maint up, Init up.
const VOL_INIT_DOWN: usize = 0;
const VOL_MAINT_DOWN: usize = 1;
const VOL_FLAT: usize = 2;
const VOL_MAINT_UP: usize = 3;
const VOL_INIT_UP: usize = 4;

/// One option of a group, prepared for its scenarios (`used` false: not in the group).
#[derive(Clone, Copy, Default)]
struct Prepared {
    used: bool,
    /// `K / F` is below 2^-48 (deep in the money: `ln_k` unused, intrinsic value).
    deep: bool,
    ln_k: i64,
    sqrt_t: i64,
    /// The forward the option is valued at (see [`option_forward`]).
    forward: Price,
    /// The volatility scaling `λ` of the option's time to expiry ([`vol_scale`]); the scenario
    /// volatilities are computed from it for the scenarios a group needs only.
    scale: Fx,
    /// Value now, against the account.
    now: Fx,
    /// `σ sqrt(T)` and `1 / s` at the flat volatility ([`Black76::spread`]), shared by the
    /// scenario sets.
    flat: (i64, i128),
    /// The valuation's error term, Q.48 of the forward ([`GRID_PRICE_ERROR`], three times it
    /// under Init).
    error: i64,
}

/// Largest `K / F` the grid prices with the formula (2^14; `Black76::log_moneyness_unbounded`
/// caps there).
pub const GRID_MAX_MONEYNESS: i64 = 1 << 14;

/// Error bound of the grid's valuations, Q.48 of the forward (2^-30): for strikes up to 2^14
/// times the forward, the normal tables' error (6 ulps each) times `1 + K / F`, far below the
/// issue's 1e-6. Init uses three times it, so that with its forwards chosen against the account
/// every Init value is at most the Maint one for the same scenario although the approximation
/// is not exactly monotone in the forward (the true value moves the right way; each side's
/// approximation is within one error of it).
pub const GRID_PRICE_ERROR: i64 = 1 << 18;

/// Value now of the option position `o` (its size signed) on `a` at the oracle price and the
/// series' volatility, rounded against the holder: exactly what the grid counts in Maint equity
/// (every strike valued, beyond [`GRID_MAX_MONEYNESS`] at a bound). Trades' price bands and
/// liquidations' prices use it, so they price options with the health engine's own valuation.
pub fn value_now(o: &OptionEntry, a: &AssetRisk) -> RiskResult<Fx> {
    let cfg = GridConfig::new(&o.risk)?;
    let ln_max_k = fixed::ln(GRID_MAX_MONEYNESS.checked_shl(fixed::FRAC).or_overflow()?).or_overflow()?;
    Ok(prepare(o, a, HealthType::Maint, &cfg, ln_max_k)?.now)
}

/// Rounding of an option's price against the account: a long's value down, a short's up.
fn against(size: Fx) -> Round {
    if size >= Fx::ZERO {
        Round::Down
    } else {
        Round::Up
    }
}

/// Value of `size` of the option at `price` per unit, rounded down (against the account whichever
/// the sign: the price itself was rounded by [`against`]).
fn position_value(size: Fx, price: Price) -> RiskResult<Fx> {
    value(size, price, Round::Down).or_overflow()
}

/// The forward an option is valued at under health type `t`: the underlying's price for the sign
/// of the position's delta ([`AssetRisk::price_for`]), so that under Init a long call or a short put
/// (long delta) is valued at min(oracle, stable) and a long put or a short call at the max: the
/// stable-price guard (OR-09) bounds option values as it bounds spot. Maint and LiquidationEnd:
/// the oracle.
fn option_forward(o: &OptionEntry, a: &AssetRisk, t: HealthType) -> Price {
    let long_delta = (o.kind == OptionKind::Call) == (o.size >= Fx::ZERO);
    a.price_for(t, if long_delta { Fx::ONE } else { Fx::NEG_ONE })
}

/// The option's volatility moved by `shock` scaled by `scale`: `σ (1 + shock λ)` (at most
/// MAX_VOL) for a rise, `σ max(1 - shock λ, 0)` for a fall.
fn moved_vol(vol: Fx, shock: Fx, scale: Fx, up: bool) -> RiskResult<Fx> {
    let m = mul(shock, scale, Round::Up).or_overflow()?;
    if up {
        let f = Fx::ONE.checked_add(m).or_overflow()?;
        Ok(mul(vol, f, Round::Up).or_overflow()?.min(Fx::from(MAX_VOL)))
    } else {
        let f = Fx::ONE.checked_sub(m).or_overflow()?.max(Fx::ZERO);
        mul(vol, f, Round::Down).or_overflow()
    }
}

fn prepare(o: &OptionEntry, a: &AssetRisk, t: HealthType, cfg: &GridConfig, ln_max_k: i64) -> RiskResult<Prepared> {
    let forward = option_forward(o, a, t);
    let b = Black76 { forward, strike: o.strike, vol: o.vol, seconds: o.seconds };
    // Validates forward, strike and vol; a strike beyond GRID_MAX_MONEYNESS is valued at bounds.
    let ln_k = b.log_moneyness_unbounded()?;
    let sqrt_t = Black76::root_years(o.seconds)?;
    let scale = Fx::from_bits(i128::from(vol_scale(o.seconds, cfg.power)?));
    let mut p = Prepared {
        used: true,
        deep: ln_k.is_none(),
        ln_k: ln_k.unwrap_or(0),
        sqrt_t,
        forward,
        error: if t == HealthType::Init { GRID_PRICE_ERROR.saturating_mul(3) } else { GRID_PRICE_ERROR },
        scale,
        now: Fx::ZERO,
        flat: (0, 0),
    };
    // Now: the no-move scenario at flat volatility, through the scenario path itself.
    let flat = Black76::spread(o.vol, sqrt_t)?;
    p.flat = flat;
    let unmoved = moved(&p, Move { factor: Fx::ONE, ln: Some(0) })?;
    // For the compute estimate: the valuation of `now`, and the table functions above (the
    // moneyness's `ln`, `sqrt(T)`, the vol scale's `ln` and `exp`: about two valuations' work)
    // with their two 128-bit divisions (`T` and the vol scale's ratio).
    crate::ops::option_eval(3);
    crate::ops::div(2);
    p.now = scenario_value(o, &p, &unmoved, flat, ln_max_k)?;
    Ok(p)
}

/// A price scenario of an entry: the forward's factor `1 + move` and its logarithm (`None` when
/// the factor is zero: the price has fallen to nothing).
#[derive(Clone, Copy)]
struct Move {
    factor: Fx,
    ln: Option<i64>,
}

/// An option's underlying after a price move, shared by the move's three volatility scenarios:
/// the moved forward and `ln(K / forward)` (`None`: deep in the money, `K / F` below 2^-48).
#[derive(Clone, Copy)]
struct Moved {
    forward: Price,
    ln_k: Option<i64>,
    /// The underlying is worth nothing (a call is worth 0, a put its strike).
    worthless: bool,
}

/// The option prepared as `p` after its underlying moved by `mv` (one product and one
/// subtraction per option and price point).
fn moved(p: &Prepared, mv: Move) -> RiskResult<Moved> {
    let forward = scale_price(p.forward, mv.factor, Round::Down).or_overflow()?;
    match mv.ln {
        Some(ln_f) if forward > Price::ZERO => {
            let ln_k = if p.deep { None } else { Some(p.ln_k.checked_sub(ln_f).or_overflow()?) };
            Ok(Moved { forward, ln_k, worthless: false })
        }
        _ => Ok(Moved { forward, ln_k: None, worthless: true }),
    }
}

/// Value of option `o` (prepared as `p`) with its underlying moved to `m`, at the volatility
/// whose `σ sqrt(T)` and `1 / s` are `spread` ([`Black76::spread`]).
fn scenario_value(o: &OptionEntry, p: &Prepared, m: &Moved, spread: (i64, i128), ln_max_k: i64) -> RiskResult<Fx> {
    let round = against(o.size);
    let k = o.strike.to_bits();
    let price = if m.worthless {
        // A call is worth 0 and a put its strike, exactly.
        option_bits(o.kind, 0, 0, k)?
    } else {
        let forward = m.forward;
        let b = Black76 { forward, strike: o.strike, vol: Fx::ZERO, seconds: o.seconds };
        // The volatility is in `spread` (the valuation's `vol` is not read).
        let terms = b.terms_with(m.ln_k, p.sqrt_t, spread.0, spread.1)?;
        if m.ln_k.is_some_and(|l| l > ln_max_k) {
            // Beyond K = 2^14 F, where the error bound is not proven: bounds against the
            // account. A long call is worth at least 0; a short call owes at most
            // F (N(d1) + error) (the call is F N(d1) - K N(d2) with K N(d2) >= 0; a ratio
            // capped at 2^15 only raises N(d1)). Puts by parity.
            let call = if round == Round::Down {
                0
            } else {
                let n1 = terms.n1.checked_add(p.error).or_overflow()?;
                mul_shift(forward.to_bits(), i128::from(n1), fixed::FRAC, Round::Up)
                    .or_overflow()?
                    .min(forward.to_bits())
            };
            option_bits(o.kind, call, forward.to_bits(), k)?
        } else {
            b.price_with_error(&terms, o.kind, round, p.error)?.to_bits()
        }
    };
    position_value(o.size, Price::from_bits(price))
}

/// The option's price bits from a call price by parity (`put = call - F + K`).
fn option_bits(kind: OptionKind, call: i128, forward: i128, strike: i128) -> RiskResult<i128> {
    match kind {
        OptionKind::Call => Ok(call),
        OptionKind::Put => call.checked_sub(forward).and_then(|x| x.checked_add(strike)).or_overflow(),
    }
}

/// The price move of one side for step `x` (a fraction of the shock, or the extreme multiple):
/// the move `min(x × down, 1)` or `x × up`, and the forward's factor `1 - move` or `1 + move`.
fn side_move(shock: Fx, x: Fx, down_side: bool) -> RiskResult<(Fx, Fx)> {
    let m = mul(shock, x, Round::Up).or_overflow()?;
    if down_side {
        let m = m.min(Fx::ONE);
        Ok((m, Fx::ONE.checked_sub(m).or_overflow()?))
    } else {
        Ok((m, Fx::ONE.checked_add(m).or_overflow()?))
    }
}

/// [`Move`] of a factor: its logarithm once per option and price point.
fn log_move(factor: Fx) -> RiskResult<Move> {
    let ln = if factor == Fx::ONE {
        Some(0) // no move: the forward's logarithm unchanged, exactly
    } else if factor > Fx::ZERO {
        crate::ops::option_ln(1);
        Some(fixed::ln(i64::try_from(factor.to_bits()).ok().or_overflow()?).or_overflow()?)
    } else {
        None
    };
    Ok(Move { factor, ln })
}

/// What every price point of one group's grid shares.
struct GroupCtx<'a> {
    input: &'a HealthInput,
    book: &'a OptionBook,
    group: u16,
    prepared: [Prepared; MAX_OPTION_POSITIONS],
    /// Linear net values of the group's members (zero elsewhere).
    nets: [Fx; MAX_HEALTH_ASSETS],
    /// Entries of the group's members with a non-zero net value, `n_members` used.
    members: [u8; MAX_HEALTH_ASSETS],
    n_members: usize,
    ln_max_k: i64,
    /// Which scenarios the group's worst loss needs.
    kind: GroupKind,
    /// Which positions are taken.
    scope: Scope,
}

/// Which of a set's scenarios decide a group's worst loss, from the signs of its options.
///
/// * **Volatility.** An option's value rises with its volatility (vega is never negative) and
///   every option of a group moves its volatility the same way in a scenario (down, flat or up,
///   each by its own scale), while linear members do not depend on it. So when all of a group's
///   options are long, at every price point the group's loss is largest at vol down (flat for the
///   extreme moves, which have no vol-down scenario), and when all are short, at vol up: one
///   valuation per option and price point instead of three. The true value is monotone in
///   volatility and the priced one is within 16 ulps of the forward of it (options/tests.rs); a
///   volatility move of the default configuration (at least ~5%) moves a price not clamped at
///   intrinsic value by far more, so the worst loss is the three scenarios' to the bit (property
///   test); with configured moves of a few bps it could be below it by those ulps (about 6e-14 of
///   the notional).
/// * **Price, short options only.** A short option's value is concave in its forward (gamma is
///   never negative), linear members are linear in it, and on each side of the grid every
///   member's price moves linearly with the step `x`: the group's loss at vol up is convex in `x`
///   on each side, so its largest value over `x` in {0, 1/4, 1/2, 3/4, 1} is at 0 or 1. The grid
///   revalues the ends and the no-move point only (the priced values are within the error term
///   of the true ones, so the worst loss is the nine points' to within twice the error term:
///   property-tested).
/// * A group holding long and short options needs every scenario (a calendar spread's worst case
///   may be at either volatility and between the ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupKind {
    /// Every option of the group is long (or of size zero): vol down, flat at the extremes.
    Long,
    /// Every option of the group is short: vol up, the no-move point and the ends.
    Short,
    /// Long and short options: every scenario.
    Mixed,
}

impl GroupKind {
    /// The kind of `group` from its options in `book`. A group of short options one of which
    /// may cross the grid's moneyness edge ([`shorts_reach_the_edge`]) is revalued in every
    /// scenario: its loss is not convex in the step there.
    pub(crate) fn of_group(input: &HealthInput, book: &OptionBook, group: u16) -> GroupKind {
        let mut long = false;
        let mut short = false;
        for o in book.used() {
            if input.assets.get(o.entry).is_some_and(|a| a.risk_group == group) {
                long |= o.size > Fx::ZERO;
                short |= o.size < Fx::ZERO;
            }
        }
        match (long, short) {
            (false, true) if !shorts_reach_the_edge(input, book, group) => GroupKind::Short,
            (_, true) => GroupKind::Mixed,
            _ => GroupKind::Long,
        }
    }

    /// Whether the volatility scenario `k` (0 down, 1 flat, 2 up) is revalued at a main price
    /// point (`extreme` false) or an extreme one (which has no vol-down scenario).
    fn needs_vol(self, k: usize, extreme: bool) -> bool {
        match self {
            GroupKind::Mixed => !(extreme && k == 0),
            GroupKind::Long => k == usize::from(extreme),
            GroupKind::Short => k == 2,
        }
    }

    /// Whether the main price point `q` quarters of the shock away (0 to 4) is revalued.
    fn needs_point(self, q: u8) -> bool {
        self != GroupKind::Short || q == 0 || q == 4
    }

    /// Scenarios of one set whose options' losses an [`OptionTape`] records: 31, 11 or 5.
    fn taped_per_set(self) -> usize {
        let vols = |extreme: bool| (0..3).filter(|&k| self.needs_vol(k, extreme)).count();
        let points = (0..=4u8).chain(1..=4).filter(|&q| self.needs_point(q)).count();
        points.saturating_mul(vols(false)).saturating_add(2usize.saturating_mul(vols(true)))
    }
}

/// Whether a short option of `group` may have its strike cross [`GRID_MAX_MONEYNESS`] times the
/// forward between two main price points (its strike above 2^14 times the lower of oracle and
/// stable price moved down by the Init shock, the wider one; any strike when that shock is 100%).
/// Across that edge a short's value jumps from the formula to its bound (`scenario_value`), so its
/// loss is not convex in the step and [`GroupKind::Short`]'s ends-only selection could miss an
/// interior point: such a group is revalued in every scenario, and
/// [`portfolio_health_bound`] computes it exactly.
pub(crate) fn shorts_reach_the_edge(input: &HealthInput, book: &OptionBook, group: u16) -> bool {
    book.used().iter().any(|o| {
        let Some(a) = input.assets.get(o.entry).filter(|a| a.risk_group == group) else { return false };
        if o.size >= Fx::ZERO {
            return false;
        }
        let low = if a.stable_price == Price::ZERO { a.oracle_price } else { a.oracle_price.min(a.stable_price) };
        let down = a.shocks(HealthType::Init).down;
        let edge = Fx::ONE
            .checked_sub(down)
            .filter(|f| *f > Fx::ZERO)
            .and_then(|f| scale_price(low, f, Round::Down))
            .and_then(|p| p.checked_mul_int(i128::from(GRID_MAX_MONEYNESS)));
        // No edge below the strike when the move reaches zero; past the type's range, no strike
        // can reach it.
        match edge {
            None if down >= Fx::ONE => true,
            None => false,
            Some(edge) => o.strike > edge,
        }
    })
}

/// One set of scenarios: the price shocks of a health type and its three volatility scenarios.
#[derive(Clone, Copy)]
struct ScenarioSet {
    /// Whose price shocks (`AssetRisk::shocks`).
    shocks: HealthType,
    /// Volatility scenarios: down, flat, up (`VOL_*`).
    vols: [usize; 3],
}

/// `σ sqrt(T)` and `1 / s` of every prepared option in the three volatility scenarios of a set.
type SetSpreads = [[(i64, i128); 3]; MAX_OPTION_POSITIONS];

/// The group's losses at one price point of `set` in its vol down, flat and up scenarios, those
/// the group needs ([`GroupKind`]; `None` for the others): the linear members' loss plus the
/// options' (valued, or read from the tape).
#[inline(never)]
fn point_losses(
    c: &GroupCtx,
    set: ScenarioSet,
    spreads: &SetSpreads,
    (down_side, x, extreme): (bool, Fx, bool),
    tape: &mut Tape,
) -> RiskResult<[Option<Fx>; 3]> {
    let linear = point_linear(c, set, down_side, x)?;
    let mut losses = [None; 3];
    for (k, loss) in losses.iter_mut().enumerate() {
        if c.kind.needs_vol(k, extreme) {
            *loss = Some(linear);
        }
    }
    options_by_tape(c, set, spreads, (down_side, x, linear), &mut losses, tape)?;
    Ok(losses)
}

/// Adds the options' losses at one price point to `losses` (each the linear loss `linear` where
/// needed) as `tape` says: valued, read back, or both (kept out of [`point_losses`]' frame).
#[inline(never)]
fn options_by_tape(
    c: &GroupCtx,
    set: ScenarioSet,
    spreads: &SetSpreads,
    (down_side, x, linear): (bool, Fx, Fx),
    losses: &mut [Option<Fx>; 3],
    tape: &mut Tape,
) -> RiskResult<()> {
    match tape {
        Tape::Replay(buf, pos) => {
            // The recorded options' losses in the order they were recorded (the same scenarios),
            // then the prepared options' (none, or the one taken out of the recording).
            for loss in losses.iter_mut().flatten() {
                let o = *buf.get(*pos).ok_or(RiskError::InvalidParam("option tape"))?;
                *pos = pos.saturating_add(1);
                *loss = loss.checked_add(o).or_overflow()?;
            }
            add_option_losses(c, set, spreads, down_side, x, losses)?;
        }
        Tape::Subtract(buf, pos) => {
            add_option_losses(c, set, spreads, down_side, x, losses)?;
            for loss in losses.iter().flatten() {
                let r = buf.get_mut(*pos).or_overflow()?;
                *pos = pos.saturating_add(1);
                *r = r.checked_sub(loss.checked_sub(linear).or_overflow()?).or_overflow()?;
            }
        }
        Tape::Off => add_option_losses(c, set, spreads, down_side, x, losses)?,
        Tape::Record(v) => {
            add_option_losses(c, set, spreads, down_side, x, losses)?;
            // The options' part: the loss less the linear one, exactly (fixed-point integers).
            for loss in losses.iter().flatten() {
                v.push(loss.checked_sub(linear).or_overflow()?);
            }
        }
    }
    Ok(())
}

/// The linear members' loss at one price point of `set`.
#[inline]
fn point_linear(c: &GroupCtx, set: ScenarioSet, down_side: bool, x: Fx) -> RiskResult<Fx> {
    let mut linear = Fx::ZERO;
    for &j in &c.members[..c.n_members.min(MAX_HEALTH_ASSETS)] {
        let (a, v) = (&c.input.assets[usize::from(j)], c.nets[usize::from(j)]);
        let sh = a.shocks(set.shocks);
        let (m, _) = side_move(if down_side { sh.down } else { sh.up }, x, down_side)?;
        let l = if down_side { loss_down(v, m)? } else { loss_up(v, m)? };
        linear = linear.checked_add(l).or_overflow()?;
    }
    Ok(linear)
}

/// Adds the options' losses at one price point to the `losses` the group needs (`Some`).
#[inline(never)]
fn add_option_losses(
    c: &GroupCtx,
    set: ScenarioSet,
    spreads: &SetSpreads,
    down_side: bool,
    x: Fx,
    losses: &mut [Option<Fx>; 3],
) -> RiskResult<()> {
    // The price move of the options' underlying, its logarithm computed once for the group's
    // options on it (options are listed on risk-group leaders: one underlying per group).
    let mut last: Option<(usize, Move)> = None;
    for ((p, o), sp) in c.prepared.iter().zip(c.book.used()).zip(spreads) {
        if !p.used {
            continue;
        }
        let mv = match last {
            Some((entry, mv)) if entry == o.entry => mv,
            _ => {
                let sh = c.input.assets[o.entry].shocks(set.shocks);
                let (_, factor) = side_move(if down_side { sh.down } else { sh.up }, x, down_side)?;
                let mv = log_move(factor)?;
                last = Some((o.entry, mv));
                mv
            }
        };
        let factor = mv.factor;
        let m = moved(p, mv)?;
        for (k, (loss, &spread)) in losses.iter_mut().zip(sp).enumerate() {
            // The no-move point at flat volatility is the valuation of `now` itself (the same
            // inputs through the same path: a loss of exactly zero), so it is not revalued.
            let Some(loss) = loss.as_mut() else { continue };
            if factor == Fx::ONE && set.vols.get(k) == Some(&VOL_FLAT) {
                continue;
            }
            crate::ops::option_eval(1);
            let after = scenario_value(o, p, &m, spread, c.ln_max_k)?;
            *loss = loss.checked_add(p.now.checked_sub(after).or_overflow()?).or_overflow()?;
        }
    }
    Ok(())
}

/// Prepares the group's options and linear net values for health type `t`; returns the options'
/// value now and the short-option minimum of the group.
#[inline(never)]
fn fill_group(c: &mut GroupCtx, cfg: &GridConfig, t: HealthType) -> RiskResult<(Fx, Fx)> {
    let (input, book, group, ln_max_k) = (c.input, c.book, c.group, c.ln_max_k);
    let mut option_equity = Fx::ZERO;
    let mut short_minimum = Fx::ZERO;
    let scope = c.scope;
    for (i, (slot, o)) in c.prepared.iter_mut().zip(book.used()).enumerate() {
        let a = &input.assets[o.entry];
        if a.risk_group != group {
            continue;
        }
        if scope.takes(i, o.size) {
            *slot = prepare(o, a, t, cfg, ln_max_k)?;
            option_equity = option_equity.checked_add(slot.now).or_overflow()?;
        }
        if o.size < Fx::ZERO {
            // At the higher of oracle and stable under Init (the oracle otherwise), so that the
            // minimum under Init is at least Maint's.
            let price = a.price_for(t, Fx::NEG_ONE);
            let notional = value(o.size.checked_abs().or_overflow()?, price, Round::Up).or_overflow()?;
            let m = mul(notional, cfg.short_minimum, Round::Up).or_overflow()?;
            short_minimum = short_minimum.checked_add(m).or_overflow()?;
        }
    }
    if c.scope.linear {
        fill_linear(c, t)?;
    }
    Ok((option_equity, short_minimum))
}

/// The group's members' linear net values under `t` and the list of those not zero.
fn fill_linear(c: &mut GroupCtx, t: HealthType) -> RiskResult<()> {
    let (input, group) = (c.input, c.group);
    let n = input.len.min(MAX_HEALTH_ASSETS);
    c.n_members = 0;
    for (j, (net, (a, e))) in c.nets.iter_mut().zip(input.assets[..n].iter().zip(&input.exposures[..n])).enumerate() {
        if a.risk_group == group {
            *net = linear_net_value(a, e, t)?;
            if *net != Fx::ZERO {
                // j < MAX_HEALTH_ASSETS = 16: fits a u8 and the array.
                let slot = c.members.get_mut(c.n_members).or_overflow()?;
                *slot = u8::try_from(j).ok().or_overflow()?;
                c.n_members = c.n_members.saturating_add(1);
            }
        }
    }
    Ok(())
}

/// The grid charge and the options' value now of risk group `group`.
#[inline(never)]
fn group_grid(
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    group: u16,
) -> RiskResult<GroupGrid> {
    let m = group_parts(input, book, cfg, t, group)?;
    let worst = m.maint_worst.max(m.wide_worst.unwrap_or(Fx::ZERO));
    Ok(GroupGrid { option_equity: m.option_equity, charge: worst.max(m.short_minimum) })
}

/// The parts of [`group_grid`]: the options' value now, the short-option minimum, the worst loss
/// over Maint's scenarios and (Init and LiquidationEnd) over the wider ones.
#[inline(never)]
fn group_parts(
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    group: u16,
) -> RiskResult<GroupMemo> {
    group_parts_using(input, book, cfg, t, group, GroupKind::of_group(input, book, group))
}

/// [`group_parts`] over the scenarios of `kind` (the tests compare the group's own kind with
/// every scenario, [`GroupKind::Mixed`]).
#[inline(never)]
fn group_parts_using(
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    group: u16,
    kind: GroupKind,
) -> RiskResult<GroupMemo> {
    parts_with(input, book, cfg, t, (group, kind, Scope::ALL), &mut Tape::Off, Fx::ZERO)
}

/// [`group_parts_using`] over the positions of `scope`, with the options' losses from `tape`;
/// `base`: the value now of the options the tape replays (zero otherwise), to which the prepared
/// options' is added.
#[inline(never)]
fn parts_with(
    input: &HealthInput,
    book: &OptionBook,
    cfg: &GridConfig,
    t: HealthType,
    (group, kind, scope): (u16, GroupKind, Scope),
    tape: &mut Tape,
    base: Fx,
) -> RiskResult<GroupMemo> {
    let mut c = GroupCtx {
        input,
        book,
        group,
        prepared: [Prepared::default(); MAX_OPTION_POSITIONS],
        nets: [Fx::ZERO; MAX_HEALTH_ASSETS],
        members: [0; MAX_HEALTH_ASSETS],
        n_members: 0,
        ln_max_k: fixed::ln(GRID_MAX_MONEYNESS.checked_shl(fixed::FRAC).or_overflow()?).or_overflow()?,
        kind,
        scope,
    };
    ctx_parts(&mut c, cfg, t, tape, base)
}

/// [`parts_with`] once its context is built (kept out of its frame).
#[inline(never)]
fn ctx_parts(c: &mut GroupCtx, cfg: &GridConfig, t: HealthType, tape: &mut Tape, base: Fx) -> RiskResult<GroupMemo> {
    let group = c.group;
    let (prepared_equity, short_minimum) = fill_group(c, cfg, t)?;
    let option_equity = base.checked_add(prepared_equity).or_overflow()?;
    let c = &*c;
    let maint = ScenarioSet { shocks: HealthType::Maint, vols: [VOL_MAINT_DOWN, VOL_FLAT, VOL_MAINT_UP] };
    let maint_worst = grid_worst(c, cfg, maint, tape)?;
    // Init and LiquidationEnd revalue over their own (wider) scenarios and over Maint's as well:
    // the requirement is then at least Maint's, so Init <= LiquidationEnd <= Maint holds with
    // options (a loss between the wider grid's points is not missed where Maint would see it).
    let wide_worst = if t == HealthType::Maint {
        None
    } else {
        let init = ScenarioSet { shocks: HealthType::Init, vols: [VOL_INIT_DOWN, VOL_FLAT, VOL_INIT_UP] };
        Some(grid_worst(c, cfg, init, tape)?)
    };
    Ok(GroupMemo { group, option_equity, short_minimum, maint_worst, wide_worst })
}

/// The group's worst weighted scenario loss over one scenario set (floored at zero).
#[inline(never)]
fn grid_worst(c: &GroupCtx, cfg: &GridConfig, set: ScenarioSet, tape: &mut Tape) -> RiskResult<Fx> {
    // Points per side: x = 0 (down side only: the no-move point once), 1/4, 1/2, 3/4, 1 at the
    // three volatilities; the extreme multiple at vol flat and up, weighted. Only the scenarios
    // the group's kind needs ([`GroupKind`]); the flat spread is the option's own.
    let needed = |k: usize| c.kind.needs_vol(k, false) || c.kind.needs_vol(k, true);
    let mut spreads: SetSpreads = [[(0, 0); 3]; MAX_OPTION_POSITIONS];
    for ((sp, p), o) in spreads.iter_mut().zip(&c.prepared).zip(c.book.used()) {
        // Only the prepared options are valued.
        if p.used {
            for (k, (s, &v)) in sp.iter_mut().zip(&set.vols).enumerate() {
                if v == VOL_FLAT {
                    *s = p.flat;
                } else if needed(k) {
                    let (shock, up) = match v {
                        VOL_INIT_DOWN => (cfg.init.down, false),
                        VOL_MAINT_DOWN => (cfg.maint.down, false),
                        VOL_MAINT_UP => (cfg.maint.up, true),
                        _ => (cfg.init.up, true),
                    };
                    *s = Black76::spread(moved_vol(o.vol, shock, p.scale, up)?, p.sqrt_t)?;
                }
            }
        }
    }
    set_worst(c, cfg, set, &spreads, tape)
}

/// [`grid_worst`] once the set's spreads are computed (kept out of its frame).
#[inline(never)]
fn set_worst(
    c: &GroupCtx,
    cfg: &GridConfig,
    set: ScenarioSet,
    spreads: &SetSpreads,
    tape: &mut Tape,
) -> RiskResult<Fx> {
    let mut worst = Fx::ZERO;
    for down_side in [true, false] {
        for q in u8::from(!down_side)..=4 {
            if !c.kind.needs_point(q) {
                continue;
            }
            let x = Fx::from_bits(i128::from(q) << 46); // q quarters
            for loss in point_losses(c, set, spreads, (down_side, x, false), tape)?.into_iter().flatten() {
                worst = worst.max(loss);
            }
        }
        let [_, flat, up] = point_losses(c, set, spreads, (down_side, cfg.extreme_multiple, true), tape)?;
        for loss in [flat, up].into_iter().flatten() {
            if loss > Fx::ZERO {
                worst = worst.max(mul(loss, cfg.extreme_weight, Round::Up).or_overflow()?);
            }
        }
    }
    Ok(worst)
}

/// Hypothetical market moves of a what-if.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhatIfShock {
    /// Relative price move per input entry (-0.1: 10% down), applied to its oracle and stable
    /// prices (at least -1).
    pub price_moves: [Fx; MAX_HEALTH_ASSETS],
    /// Relative volatility move of every option (0.2: σ × 1.2; at least -1, capped at 1,000%).
    pub vol_move: Fx,
}

impl Default for WhatIfShock {
    fn default() -> Self {
        WhatIfShock { price_moves: [Fx::ZERO; MAX_HEALTH_ASSETS], vol_move: Fx::ZERO }
    }
}

/// Init and Maint health of a what-if, quote native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WhatIfHealth {
    /// Init health after the shock.
    pub init: Fx,
    /// Maint health after the shock.
    pub maint: Fx,
}

/// The what-if of the options issue: `input` and `book` (with any hypothetical trades already
/// applied by the caller, through the same state transitions as the real ones) moved by `shock`
/// into `input_out` and `book_out`, and their Init and Maint health. The account's Greeks after the
/// shock are [`account_greeks`] of the outputs. The program's what-if instruction and the SDK call
/// this one function, so their figures are the same bits.
pub fn what_if(
    input: &HealthInput,
    book: &OptionBook,
    shock: &WhatIfShock,
    input_out: &mut HealthInput,
    book_out: &mut OptionBook,
) -> RiskResult<WhatIfHealth> {
    let n = input.len.min(MAX_HEALTH_ASSETS);
    // Entry by entry: a whole-struct copy would put 4 KB on the stack.
    input_out.len = input.len;
    for (d, s) in input_out.assets.iter_mut().zip(&input.assets) {
        *d = *s;
    }
    for (d, s) in input_out.exposures.iter_mut().zip(&input.exposures) {
        *d = *s;
    }
    for (a, &m) in input_out.assets[..n].iter_mut().zip(&shock.price_moves) {
        let factor = Fx::ONE.checked_add(m).or_overflow()?;
        if factor < Fx::ZERO {
            return Err(RiskError::InvalidParam("what-if price move below -100%"));
        }
        a.oracle_price = scale_price(a.oracle_price, factor, Round::Down).or_overflow()?;
        a.stable_price = scale_price(a.stable_price, factor, Round::Down).or_overflow()?;
    }
    book_out.len = book.len;
    for (d, s) in book_out.positions.iter_mut().zip(&book.positions) {
        *d = *s;
    }
    let vol_factor = Fx::ONE.checked_add(shock.vol_move).or_overflow()?;
    if vol_factor < Fx::ZERO {
        return Err(RiskError::InvalidParam("what-if vol move below -100%"));
    }
    for o in book_out.positions.iter_mut().take(book_out.len.min(MAX_OPTION_POSITIONS)) {
        o.vol = mul(o.vol, vol_factor, Round::Down).or_overflow()?.min(Fx::from(MAX_VOL));
    }
    init_and_maint(input_out, book_out)
}

/// Init and Maint health (kept out of [`what_if`]'s frame).
#[inline(never)]
fn init_and_maint(input: &HealthInput, book: &OptionBook) -> RiskResult<WhatIfHealth> {
    Ok(WhatIfHealth {
        init: portfolio_health(input, book, HealthType::Init)?.health,
        maint: portfolio_health(input, book, HealthType::Maint)?.health,
    })
}

/// What a what-if reports ([`what_if_report`]): Init and Maint health after the stress and the
/// account's Greeks on every underlying it holds options on (the delta of any other underlying is
/// its spot balance plus perp base, its other Greeks zero), in health-entry order. `check_what_if`
/// sets [`Self::encode`] as return data; the SDK computes the same report, bit for bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WhatIfReport {
    /// Init and Maint health after the stress, quote native units.
    pub health: WhatIfHealth,
    /// Used entries of `greeks`.
    pub len: usize,
    /// (asset index of the underlying, its Greeks), `len` used.
    pub greeks: [(u16, UnderlyingGreeks); MAX_OPTION_POSITIONS],
}

/// Bytes of one Greeks entry of [`WhatIfReport::encode`]: the asset index (u16) and delta, gamma,
/// vega, theta (I80F48 bits, i128), little-endian.
pub const WHAT_IF_ENTRY_BYTES: usize = 2 + 4 * 16;
/// Largest [`WhatIfReport::encode`]: Init and Maint (i128 each), the entry count (u8) and one entry
/// per option position (561 bytes, within Solana's 1,024 bytes of return data).
pub const WHAT_IF_MAX_BYTES: usize = 33 + MAX_OPTION_POSITIONS * WHAT_IF_ENTRY_BYTES;
const _: () = assert!(WHAT_IF_MAX_BYTES <= 1_024);

impl WhatIfReport {
    /// The return data of `check_what_if`: Init bits, Maint bits (i128 LE), the count (u8), then
    /// each entry (asset index u16 LE; delta, gamma, vega, theta as I80F48 bits, i128 LE):
    /// `33 + 66 × count` bytes.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.len.min(MAX_OPTION_POSITIONS);
        let mut out = Vec::with_capacity(WHAT_IF_MAX_BYTES);
        out.extend_from_slice(&self.health.init.to_bits().to_le_bytes());
        out.extend_from_slice(&self.health.maint.to_bits().to_le_bytes());
        out.push(u8::try_from(n).unwrap_or(u8::MAX)); // n <= 8
        for (asset, g) in &self.greeks[..n] {
            out.extend_from_slice(&asset.to_le_bytes());
            for v in [g.delta, g.gamma, g.vega, g.theta] {
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
        out
    }

    /// Reads [`Self::encode`]'s bytes back; `None` unless `data` is exactly such a report.
    /// Off-chain (the SDK and tests read return data; the program only writes it).
    #[allow(clippy::large_stack_frames)] // off chain only: several copies of a 680-byte report
    pub fn decode(data: &[u8]) -> Option<WhatIfReport> {
        let n = usize::from(*data.get(32)?);
        if n > MAX_OPTION_POSITIONS || data.len() != WHAT_IF_ENTRY_BYTES.checked_mul(n)?.checked_add(33)? {
            return None;
        }
        let health = WhatIfHealth { init: le_fx(data.get(..16)?)?, maint: le_fx(data.get(16..32)?)? };
        let mut r = WhatIfReport { health, len: n, greeks: [(0, UnderlyingGreeks::default()); MAX_OPTION_POSITIONS] };
        for (slot, chunk) in r.greeks.iter_mut().zip(data.get(33..)?.chunks_exact(WHAT_IF_ENTRY_BYTES)) {
            *slot = decode_entry(chunk)?;
        }
        Some(r)
    }
}

/// An I80F48 from 16 little-endian bytes.
fn le_fx(b: &[u8]) -> Option<Fx> {
    Some(Fx::from_bits(i128::from_le_bytes(b.try_into().ok()?)))
}

/// One Greeks entry of [`WhatIfReport::encode`].
#[inline(never)]
fn decode_entry(chunk: &[u8]) -> Option<(u16, UnderlyingGreeks)> {
    let asset = u16::from_le_bytes(chunk.get(..2)?.try_into().ok()?);
    let at = |r: core::ops::Range<usize>| chunk.get(r).and_then(le_fx);
    Some((asset, UnderlyingGreeks { delta: at(2..18)?, gamma: at(18..34)?, vega: at(34..50)?, theta: at(50..66)? }))
}

/// [`what_if`] and the Greeks after the stress into `out`: the report of `check_what_if` (see
/// [`WhatIfReport`]; `out` is boxed by the program, 680 bytes). `input_out` and `book_out` receive
/// the stressed input, as for [`what_if`].
#[inline(never)]
pub fn what_if_report(
    input: &HealthInput,
    book: &OptionBook,
    shock: &WhatIfShock,
    input_out: &mut HealthInput,
    book_out: &mut OptionBook,
    out: &mut WhatIfReport,
) -> RiskResult<()> {
    let health = what_if(input, book, shock, input_out, book_out)?;
    *out = WhatIfReport { health, ..Default::default() };
    report_greeks(input_out, book_out, out)
}

/// The Greeks of [`what_if_report`] (kept out of its frame): every entry an option names.
#[inline(never)]
fn report_greeks(input: &HealthInput, book: &OptionBook, r: &mut WhatIfReport) -> RiskResult<()> {
    let mut all = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
    account_greeks(input, book, &mut all)?;
    let n = input.len.min(MAX_HEALTH_ASSETS);
    for (e, (a, g)) in input.assets[..n].iter().zip(&all).enumerate() {
        if !book.used().iter().any(|o| o.entry == e) {
            continue;
        }
        // At most one entry per option position: the book holds at most MAX_OPTION_POSITIONS.
        let slot = r.greeks.get_mut(r.len).ok_or(RiskError::InvalidParam("what-if entries"))?;
        *slot = (a.asset_index, *g);
        r.len = r.len.checked_add(1).or_overflow()?;
    }
    Ok(())
}

/// Sensitivities of an account to one underlying, summed over its positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnderlyingGreeks {
    /// Delta: base native units (spot + perp base + Σ size × option delta).
    pub delta: Fx,
    /// Gamma: change of delta, base native units, for a 100% relative move of the price.
    pub gamma: Fx,
    /// Vega: quote native units per 1.00 of volatility.
    pub vega: Fx,
    /// Theta: quote native units per year of time passing.
    pub theta: Fx,
}

/// Greeks of an account per input entry (same order as `input`, written into `out`), from the
/// same pricer as health.
pub fn account_greeks(
    input: &HealthInput,
    book: &OptionBook,
    out: &mut [UnderlyingGreeks; MAX_HEALTH_ASSETS],
) -> RiskResult<()> {
    let n = input.len.min(MAX_HEALTH_ASSETS);
    *out = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
    for (g, e) in out.iter_mut().zip(&input.exposures[..n]) {
        g.delta = e.spot.checked_add(e.perp_base).or_overflow()?;
    }
    for o in book.used() {
        let a = input.assets[..n].get(o.entry).ok_or(RiskError::InvalidParam("option entry"))?;
        let b = Black76 { forward: a.oracle_price, strike: o.strike, vol: o.vol, seconds: o.seconds };
        let g = if b.beyond_domain()? {
            // K > 64 F: the limits as K / F grows (a call has no sensitivity, a put is -1 delta).
            let delta = if o.kind == OptionKind::Put { Fx::NEG_ONE } else { Fx::ZERO };
            super::Greeks { delta, gamma: Fx::ZERO, vega: Price::ZERO, theta: Price::ZERO }
        } else {
            b.greeks(o.kind)?
        };
        let s = &mut out[o.entry];
        let prod = |x: Fx| mul(o.size, x, Round::Down).or_overflow();
        s.delta = s.delta.checked_add(prod(g.delta)?).or_overflow()?;
        s.gamma = s.gamma.checked_add(prod(g.gamma)?).or_overflow()?;
        s.vega = s.vega.checked_add(value(o.size, g.vega, Round::Down).or_overflow()?).or_overflow()?;
        s.theta = s.theta.checked_add(value(o.size, g.theta, Round::Down).or_overflow()?).or_overflow()?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "grid_tests.rs"]
mod tests;
