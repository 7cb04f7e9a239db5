//! Portfolio health: equity minus scenario charges per risk group minus add-ons.
//!
//! For a health type T (Init, Maint, LiquidationEnd):
//! 1. every exposure of an asset is valued at the asset's price for T (Init: the less favourable
//!    of oracle and stable price for the sign of the asset's net exposure; otherwise the oracle);
//! 2. equity is the sum of token balances and perp base positions times price (perp cash is a
//!    balance of the quote asset: the caller adds it to the quote asset's spot);
//! 3. assets are grouped by risk group; each group is revalued in a down scenario, where every
//!    member's price falls by its down shock, and in an up scenario, where it rises by its up
//!    shock; the charge is the worse loss, floored at zero. Linear exposures need only the two ends
//!    of the grid. The program lists every member of a group with its leader's shocks (S2-02), so
//!    long and short exposures inside a group net exactly, and adding a deposit never lowers health;
//! 4. add-ons: basis (|net value| x basis), liquidity (gross value x liquidity), concentration
//!    ((|net| - threshold) x price x rate);
//! 5. Init only: positive unrealized perp PnL (perp base times price plus perp quote) above the
//!    market's cap is charged back, so inflated PnL cannot back new risk;
//! 6. health = equity - charges - add-ons.
//!
//! Every product rounds against the account. The loops only multiply: no division anywhere.
//! Input arrays are fixed-size (no heap) and the code has no recursion.

use super::num::{mul, value, Fx, Price, Round};
use super::params::{RiskFractions, Shocks};
use super::{OrOverflow, RiskError, RiskResult};

/// Maximum number of distinct assets (underlyings) one health computation takes.
pub const MAX_HEALTH_ASSETS: usize = 16;

/// Which health is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthType {
    /// Opening risk: conservative prices, init shocks. User actions must keep it >= 0.
    Init,
    /// Maintenance: oracle prices, maint shocks. Below zero the account is liquidatable.
    Maint,
    /// Liquidation target: oracle prices, init shocks. Liquidation stops when it reaches zero.
    LiquidationEnd,
}

/// Everything the engine knows about one asset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct AssetRisk {
    /// Asset index in the group.
    pub asset_index: u16,
    /// Risk group id (the asset's own index when it stands alone).
    pub risk_group: u16,
    /// Oracle price, quote native per base native.
    pub oracle_price: Price,
    /// Growth-limited stable price, quote native per base native (zero: not yet set).
    pub stable_price: Price,
    /// Precomputed parameter fractions.
    pub fr: RiskFractions,
    /// Positive unrealized perp PnL that counts in Init health, quote native units.
    pub init_pnl_cap: Fx,
}

impl AssetRisk {
    /// The price that values an exposure whose net sign is `net` under health type `t`.
    #[inline]
    pub fn price_for(&self, t: HealthType, net: Fx) -> Price {
        match t {
            HealthType::Maint | HealthType::LiquidationEnd => self.oracle_price,
            HealthType::Init => {
                if self.stable_price == Price::ZERO {
                    self.oracle_price
                } else if net >= Fx::ZERO {
                    self.oracle_price.min(self.stable_price)
                } else {
                    self.oracle_price.max(self.stable_price)
                }
            }
        }
    }

    /// The scenario shocks of health type `t`.
    #[inline]
    pub fn shocks(&self, t: HealthType) -> Shocks {
        match t {
            HealthType::Maint => self.fr.maint,
            HealthType::Init | HealthType::LiquidationEnd => self.fr.init,
        }
    }
}

/// An account's exposure to one asset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct Exposure {
    /// Token balance, native units: deposits positive, borrows negative.
    pub spot: Fx,
    /// Perpetual base position, native base units (long positive).
    pub perp_base: Fx,
    /// Perpetual quote position including unsettled funding, quote native units. Used for the Init
    /// PnL cap only: the caller counts perp cash in equity as a balance of the quote asset (the
    /// program's loader adds it to the quote asset's `spot`).
    pub perp_quote: Fx,
}

/// Plain input of a health computation: assets and the account's exposure to each, same order,
/// and the account's option positions. Large (about 4 KB): create it with
/// [`HealthInput::new_boxed`], directly on the heap.
#[derive(Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct HealthInput {
    /// Number of used entries.
    pub len: usize,
    /// Asset data, `len` entries used.
    pub assets: [AssetRisk; MAX_HEALTH_ASSETS],
    /// Exposures, `len` entries used.
    pub exposures: [Exposure; MAX_HEALTH_ASSETS],
    /// The account's option positions (each names its underlying's entry), boxed on its own so
    /// that an account without options carries one word (the SBF heap is 32 KiB and never frees:
    /// fill it in place once allocated). `None` or empty: the linear engine alone, bit for bit.
    pub options: Option<Box<crate::options::grid::OptionBook>>,
}

/// A copy, for tests only (the program never copies an input: it is about 4 KB).
#[cfg(test)]
impl Clone for HealthInput {
    fn clone(&self) -> Self {
        HealthInput { len: self.len, assets: self.assets, exposures: self.exposures, options: self.options.clone() }
    }
}

/// Stack-built empty input, for tests only; programs use [`HealthInput::new_boxed`].
#[cfg(test)]
impl Default for HealthInput {
    fn default() -> Self {
        HealthInput {
            len: 0,
            assets: [AssetRisk::default(); MAX_HEALTH_ASSETS],
            exposures: [Exposure::default(); MAX_HEALTH_ASSETS],
            options: None,
        }
    }
}

impl HealthInput {
    /// True when the input holds option positions.
    pub fn has_options(&self) -> bool {
        self.options.as_ref().is_some_and(|b| b.len > 0)
    }

    /// An empty input allocated zeroed on the heap (no stack temporary; SBF frames are 4 KiB).
    pub fn new_boxed() -> Box<Self> {
        bytemuck::zeroed_box()
    }

    /// Appends an asset with its exposure.
    pub fn push(&mut self, asset: AssetRisk, exposure: Exposure) -> RiskResult<()> {
        if self.len >= MAX_HEALTH_ASSETS {
            return Err(RiskError::TooManyAssets);
        }
        self.assets[self.len] = asset;
        self.exposures[self.len] = exposure;
        self.len = self.len.saturating_add(1);
        Ok(())
    }

    /// Position of an asset index in the input.
    pub fn find(&self, asset_index: u16) -> Option<usize> {
        self.assets[..self.len].iter().position(|a| a.asset_index == asset_index)
    }
}

/// The parts of a health figure, all in quote native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HealthComponents {
    /// Equity at the health type's prices.
    pub equity: Fx,
    /// Sum of risk-group scenario charges.
    pub scenario_charge: Fx,
    /// Sum of basis, liquidity and concentration add-ons.
    pub addon_charge: Fx,
    /// equity - scenario_charge - addon_charge.
    pub health: Fx,
}

#[inline]
fn add(a: Fx, b: Fx) -> RiskResult<Fx> {
    a.checked_add(b).or_overflow()
}

#[inline]
fn abs(a: Fx) -> RiskResult<Fx> {
    a.checked_abs().or_overflow()
}

/// Value and add-ons of one asset's exposure under health type `t`.
struct AssetTerms {
    /// Net value of linear exposure (spot + perp base), quote native.
    net_value: Fx,
    /// Contribution to equity: the net value (perp cash is counted in the quote asset's spot).
    equity: Fx,
    /// Basis, liquidity and concentration charges.
    addons: Fx,
}

/// One asset's terms. Kept out of the main loop so each stack frame stays small on SBF.
#[inline(never)]
fn asset_terms(a: &AssetRisk, e: &Exposure, t: HealthType) -> RiskResult<AssetTerms> {
    super::ops::asset_term(1);
    let net = add(e.spot, e.perp_base)?;
    let price = a.price_for(t, net);
    // A zero amount is worth exactly zero: its product is skipped (same result, one product less).
    let worth = |amount: Fx| if amount == Fx::ZERO { Some(Fx::ZERO) } else { value(amount, price, Round::Down) };
    let spot_v = worth(e.spot).or_overflow()?;
    let perp_v = worth(e.perp_base).or_overflow()?;
    let net_value = add(spot_v, perp_v)?;
    let mut addons = Fx::ZERO;
    if a.fr.liquidity != Fx::ZERO {
        let gross = add(abs(spot_v)?, abs(perp_v)?)?;
        if gross != Fx::ZERO {
            addons = add(addons, mul(gross, a.fr.liquidity, Round::Up).or_overflow()?)?;
        }
    }
    if a.fr.basis != Fx::ZERO {
        addons = add(addons, mul(abs(net_value)?, a.fr.basis, Round::Up).or_overflow()?)?;
    }
    if a.fr.concentration != Fx::ZERO {
        addons = add(addons, concentration_charge(a, net, price)?)?;
    }
    if t == HealthType::Init && (e.perp_base != Fx::ZERO || e.perp_quote != Fx::ZERO) {
        addons = add(addons, pnl_above_cap(perp_v, e.perp_quote, a.init_pnl_cap)?)?;
    }
    Ok(AssetTerms { net_value, equity: net_value, addons })
}

/// Net value of one entry's linear exposure (spot + perp base) at the price of health type `t`,
/// the value [`health_with_group_losses`] shocks in its scenarios, quote native units.
pub(crate) fn linear_net_value(a: &AssetRisk, e: &Exposure, t: HealthType) -> RiskResult<Fx> {
    asset_terms(a, e, t).map(|terms| terms.net_value)
}

/// Concentration charge: (|net| - threshold) x price x rate when positive.
#[inline(never)]
fn concentration_charge(a: &AssetRisk, net: Fx, price: Price) -> RiskResult<Fx> {
    let excess = abs(net)?.checked_sub(a.fr.concentration_threshold).or_overflow()?;
    if excess <= Fx::ZERO {
        return Ok(Fx::ZERO);
    }
    let excess_v = value(excess, price, Round::Up).or_overflow()?;
    mul(excess_v, a.fr.concentration, Round::Up).or_overflow()
}

/// Positive unrealized perp PnL (`perp_value + perp_quote`) above `cap`, zero if none.
#[inline(never)]
fn pnl_above_cap(perp_value: Fx, perp_quote: Fx, cap: Fx) -> RiskResult<Fx> {
    let pnl = add(perp_value, perp_quote)?;
    Ok(pnl.checked_sub(cap).or_overflow()?.max(Fx::ZERO))
}

/// The risk group of every entry, in input order (a compact copy the group scans read).
type Groups = [u16; MAX_HEALTH_ASSETS];

fn groups_of(input: &HealthInput) -> Groups {
    let mut g = [0u16; MAX_HEALTH_ASSETS];
    for (slot, a) in g.iter_mut().zip(&input.assets[..input.len.min(MAX_HEALTH_ASSETS)]) {
        *slot = a.risk_group;
    }
    g
}

/// Bit masks over the first `n` entries: `(later, shared)`, where bit `j` of `later` is set when
/// an earlier entry is in the same risk group as entry `j`, and bit `i` of `shared` when any other
/// entry is. One pass over the pairs (n <= 16: at most 120 comparisons).
#[allow(clippy::arithmetic_side_effects)] // i < j < 16: shifts below 16, indexes in range
fn group_masks(groups: &Groups, n: usize) -> (u32, u32) {
    let (mut later, mut shared) = (0u32, 0u32);
    for i in 0..n {
        for j in i + 1..n {
            if groups[i] == groups[j] {
                later |= 1 << j;
                shared |= (1 << i) | (1 << j);
            }
        }
    }
    (later, shared)
}

/// Below these bounds (net value 2^68 quote native units, shock 16) a group side cannot overflow:
/// each product is under 2^72 and a sum of at most 16 under 2^76, within `Fx`'s 2^79.
const SAFE_NET: fixed::types::U80F48 = fixed::types::U80F48::from_bits(1u128 << (68 + 48));
const SAFE_SHOCK: fixed::types::U80F48 = fixed::types::U80F48::from_bits(16u128 << 48);

/// Loss of a linear exposure of net value `v` when its price falls by the fraction `down`: a long
/// loses `v × down`, rounded up (a larger loss, a smaller gain for a short). The one formula of
/// every scenario loss: the two-point charges here and the options grid (`options::grid`).
#[inline]
pub(crate) fn loss_down(v: Fx, down: Fx) -> RiskResult<Fx> {
    mul(v, down, Round::Up).or_overflow()
}

/// Loss of a linear exposure of net value `v` when its price rises by the fraction `up`: a short
/// loses `-v × up` (`v × up` rounded down: a larger loss).
#[inline]
pub(crate) fn loss_up(v: Fx, up: Fx) -> RiskResult<Fx> {
    mul(v, up, Round::Down).and_then(|x| x.checked_neg()).or_overflow()
}

/// [`group_charge`] of a one-member group of net value `v` when its losses are not needed: the
/// charge only, the same value and the same errors.
#[inline]
fn single_charge(v: Fx, sh: Shocks) -> RiskResult<Fx> {
    if v == Fx::ZERO {
        return Ok(Fx::ZERO);
    }
    let small = v.unsigned_abs() < SAFE_NET && sh.down.unsigned_abs() < SAFE_SHOCK && sh.up.unsigned_abs() < SAFE_SHOCK;
    let down = || loss_down(v, sh.down);
    let up = || loss_up(v, sh.up);
    let (loss_down, loss_up) = match (small, v > Fx::ZERO) {
        (true, true) => (down()?, Fx::ZERO),
        (true, false) => (Fx::ZERO, up()?),
        (false, _) => (down()?, up()?),
    };
    Ok(loss_down.max(loss_up).max(Fx::ZERO))
}

/// Scenario charge of the risk group of asset `i` (which is the group's first member in the input),
/// with the group's losses in its down and up scenarios.
///
/// In the down scenario a member of net value `v` loses `v × down` (a short gains), in the up
/// scenario `−v × up`; the charge is the worse of the two losses, floored at zero. Listing and edits
/// keep every member on its leader's shocks (`Asset::check_group`, S2-02), so hedges inside a group
/// net exactly and health is monotone in every deposit.
///
/// When `both` is false and every member is on the same side (all long or all short), only the
/// side that can be the maximum is computed: the other is a sum of terms of the opposite sign, so
/// the charge is the same (the skipped side is then reported as zero), provided it cannot overflow
/// (`SAFE_NET`, `SAFE_SHOCK`; otherwise both are computed and any overflow is an error as before).
/// Callers that need both losses (the liquidation search) pass `both`. A group with one member
/// (the common case) reads that member only.
#[inline(never)]
#[allow(clippy::needless_range_loop)] // `j` indexes two parallel arrays (assets and their net values)
fn group_charge(
    input: &HealthInput,
    groups: &Groups,
    net_values: &[Fx; MAX_HEALTH_ASSETS],
    i: usize,
    t: HealthType,
    both: bool,
) -> RiskResult<(Fx, Fx, Fx)> {
    let n = input.len.min(MAX_HEALTH_ASSETS);
    let g = groups[i];
    // Members are entries i.. of group g; none after i: a one-member group.
    let last = if groups[i.saturating_add(1).min(n)..n].contains(&g) { n } else { i.saturating_add(1) };
    let (mut longs, mut shorts, mut small) = (false, false, true);
    for j in i..last {
        if groups[j] == g {
            let v = net_values[j];
            longs |= v > Fx::ZERO;
            shorts |= v < Fx::ZERO;
            let sh = input.assets[j].shocks(t);
            small &=
                v.unsigned_abs() < SAFE_NET && sh.down.unsigned_abs() < SAFE_SHOCK && sh.up.unsigned_abs() < SAFE_SHOCK;
        }
    }
    // A side is skipped only when it cannot overflow, so that the result and every error are the
    // ones of computing both.
    let (down_side, up_side) = (both || !small || longs, both || !small || shorts);
    let mut loss_down_sum = Fx::ZERO;
    let mut loss_up_sum = Fx::ZERO;
    for j in i..last {
        if groups[j] != g || net_values[j] == Fx::ZERO {
            continue;
        }
        let sh = input.assets[j].shocks(t);
        if down_side {
            loss_down_sum = add(loss_down_sum, loss_down(net_values[j], sh.down)?)?;
        }
        if up_side {
            loss_up_sum = add(loss_up_sum, loss_up(net_values[j], sh.up)?)?;
        }
    }
    Ok((loss_down_sum.max(loss_up_sum).max(Fx::ZERO), loss_down_sum, loss_up_sum))
}

/// Each risk group's losses in its down and up scenarios, at entries `2i` and `2i + 1` for the group
/// whose first member is entry `i` (zero elsewhere), quote native units. Both move linearly with an
/// account's positions; a group's charge has its kinks where either crosses zero or they cross each
/// other, which is what the liquidation search looks for.
pub type GroupLosses = [Fx; 2 * MAX_HEALTH_ASSETS];

/// Computes health of type `t` with its components: the linear engine's figure when the input
/// holds no option, else the portfolio figure with the option grid
/// ([`crate::options::grid::portfolio_health`]): equity includes the options' value, and the
/// scenario charge is the linear one with each option-holding group's two-point charge replaced by
/// its grid charge.
pub fn health_components(input: &HealthInput, t: HealthType) -> RiskResult<HealthComponents> {
    health_components_memo(input, t, None)
}

/// [`health_components`] reusing the option grid's results of the groups `memo` allows
/// ([`crate::options::grid::portfolio_health_memo`]): the figure is the same, bit for bit.
pub fn health_components_memo(
    input: &HealthInput,
    t: HealthType,
    memo: Option<crate::options::grid::MemoUse>,
) -> RiskResult<HealthComponents> {
    let Some(book) = input.options.as_deref().filter(|b| b.len > 0) else {
        return health_with_group_losses(input, t, None);
    };
    let p = crate::options::grid::portfolio_health_memo(input, book, t, memo)?;
    let scenario_charge = p
        .linear
        .scenario_charge
        .checked_sub(p.replaced_charges)
        .and_then(|c| c.checked_add(p.grid_charges))
        .or_overflow()?;
    Ok(HealthComponents { equity: p.equity()?, scenario_charge, addon_charge: p.linear.addon_charge, health: p.health })
}

/// Computes the **linear** health of type `t` (spot, borrows, perps: `input.options` is not read)
/// with its components, writing every risk group's scenario losses into `losses` when given. The
/// token and perp liquidation search runs on it (for an account holding options too: the program
/// then checks the full health, with the option grid, after the step).
#[inline(never)]
#[allow(clippy::needless_range_loop)] // `i` indexes parallel arrays (assets, exposures, losses)
#[allow(clippy::arithmetic_side_effects)] // `1 << i` with i < 16 in a u32 mask
pub fn health_with_group_losses(
    input: &HealthInput,
    t: HealthType,
    mut losses: Option<&mut GroupLosses>,
) -> RiskResult<HealthComponents> {
    let n = input.len.min(MAX_HEALTH_ASSETS);
    let mut equity = Fx::ZERO;
    let mut addons = Fx::ZERO;
    let mut net_values = [Fx::ZERO; MAX_HEALTH_ASSETS];
    for i in 0..n {
        let terms = asset_terms(&input.assets[i], &input.exposures[i], t)?;
        equity = add(equity, terms.equity)?;
        addons = add(addons, terms.addons)?;
        net_values[i] = terms.net_value;
    }
    // Scenario charges per risk group. n <= 16, so the quadratic scan beats any map.
    let groups = groups_of(input);
    let mut charges = Fx::ZERO;
    if let Some(l) = losses.as_deref_mut() {
        *l = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
    }
    let both = losses.is_some();
    let (later, shared) = group_masks(&groups, n);
    for i in 0..n {
        if later & (1 << i) != 0 {
            continue; // group already charged
        }
        if !both && shared & (1 << i) == 0 {
            // A one-member group (the common case): its charge from its own net value.
            charges = add(charges, single_charge(net_values[i], input.assets[i].shocks(t))?)?;
            continue;
        }
        let (charge, down, up) = group_charge(input, &groups, &net_values, i, t, both)?;
        charges = add(charges, charge)?;
        if let Some(l) = losses.as_deref_mut() {
            // i < 16: the indexes stay below 32.
            #[allow(clippy::arithmetic_side_effects)]
            {
                (l[2 * i], l[2 * i + 1]) = (down, up);
            }
        }
    }
    let health = equity.checked_sub(charges).and_then(|h| h.checked_sub(addons)).or_overflow()?;
    Ok(HealthComponents { equity, scenario_charge: charges, addon_charge: addons, health })
}

/// Health of one input evaluated many times with the exposures of at most two entries changed (the
/// candidates of a liquidation step): the terms of every other entry and the charges of every
/// other risk group are computed once. Fixed-point sums are exact, so each evaluation equals
/// [`health_with_group_losses`] bit for bit (property-tested); it costs two entries and their
/// groups instead of the whole input.
#[derive(Clone, Copy, Debug)]
pub struct StepHealthCache {
    t: HealthType,
    touched: [usize; 2],
    /// Equity minus add-ons of the untouched entries, minus the charges of untouched groups.
    base: Fx,
    /// Net values of the untouched entries (touched ones are recomputed).
    net_values: [Fx; MAX_HEALTH_ASSETS],
}

/// First entry of `input` in the risk group of entry `i`.
pub(crate) fn first_member(input: &HealthInput, i: usize) -> usize {
    let g = input.assets[i].risk_group;
    input.assets[..i].iter().position(|a| a.risk_group == g).unwrap_or(i)
}

impl StepHealthCache {
    /// Caches everything of `input` that does not depend on the entries `touched`.
    #[inline(never)]
    pub fn new(input: &HealthInput, t: HealthType, touched: [usize; 2]) -> RiskResult<Self> {
        let n = input.len.min(MAX_HEALTH_ASSETS);
        let mut c = StepHealthCache { t, touched, base: Fx::ZERO, net_values: [Fx::ZERO; MAX_HEALTH_ASSETS] };
        for i in 0..n {
            let terms = asset_terms(&input.assets[i], &input.exposures[i], t)?;
            c.net_values[i] = terms.net_value;
            if !touched.contains(&i) {
                c.base = c.base.checked_add(terms.equity).and_then(|b| b.checked_sub(terms.addons)).or_overflow()?;
            }
        }
        let touched_groups = [first_member(input, touched[0]), first_member(input, touched[1])];
        let groups = groups_of(input);
        for i in 0..n {
            if first_member(input, i) != i || touched_groups.contains(&i) {
                continue;
            }
            let (charge, _, _) = group_charge(input, &groups, &c.net_values, i, t, false)?;
            c.base = c.base.checked_sub(charge).or_overflow()?;
        }
        Ok(c)
    }

    /// Health of `input`, whose entries other than the touched ones are as when cached; writes the
    /// touched groups' losses into `losses` when given (the other groups' stay zero).
    #[inline(never)]
    pub fn health(&self, input: &HealthInput, mut losses: Option<&mut GroupLosses>) -> RiskResult<Fx> {
        super::ops::step_eval(1);
        let mut net_values = self.net_values;
        let mut h = self.base;
        for (k, &i) in self.touched.iter().enumerate() {
            if k == 1 && i == self.touched[0] {
                break;
            }
            let terms = asset_terms(&input.assets[i], &input.exposures[i], self.t)?;
            net_values[i] = terms.net_value;
            h = h.checked_add(terms.equity).and_then(|v| v.checked_sub(terms.addons)).or_overflow()?;
        }
        if let Some(l) = losses.as_deref_mut() {
            *l = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
        }
        let groups = [first_member(input, self.touched[0]), first_member(input, self.touched[1])];
        let all_groups = groups_of(input);
        let both = losses.is_some();
        for (k, &g) in groups.iter().enumerate() {
            if k == 1 && g == groups[0] {
                break;
            }
            let (charge, down, up) = group_charge(input, &all_groups, &net_values, g, self.t, both)?;
            h = h.checked_sub(charge).or_overflow()?;
            if let Some(l) = losses.as_deref_mut() {
                let (d, u) = (g.saturating_mul(2), g.saturating_mul(2).saturating_add(1));
                if let (Some(_), Some(_)) = (l.get(d), l.get(u)) {
                    (l[d], l[u]) = (down, up);
                }
            }
        }
        Ok(h)
    }
}

/// Health of type `t`.
pub fn health(input: &HealthInput, t: HealthType) -> RiskResult<Fx> {
    health_components(input, t).map(|c| c.health)
}

/// Init health as the health rule reads it: when a risk group holds options of both signs, a
/// lower bound of Init health if that bound is already >= 0
/// ([`crate::options::grid::portfolio_health_bound`]: a quarter of the revaluations), Init health
/// itself otherwise. The result is never above Init health and is >= 0 exactly when Init health
/// is, so [`passes_health_rule`] decides the same with it.
pub fn init_health_for_rule(input: &HealthInput) -> RiskResult<Fx> {
    if let Some(book) = input.options.as_deref().filter(|b| b.len > 0) {
        if crate::options::grid::has_group_of_both_signs(input, book) {
            // An error of the bound (an overflow of its own sums) only means no shortcut.
            let bound = crate::options::grid::portfolio_health_bound(input, book, HealthType::Init);
            if let Some(b) = bound.ok().map(|p| p.health).filter(|b| *b >= Fx::ZERO) {
                return Ok(b);
            }
        }
    }
    health(input, HealthType::Init)
}

/// The post-action rule: an action succeeds if Init health afterwards is >= 0, or if it reduced
/// risk (`pre_if_risk_reducing` is the Init health before) and did not lower Init health.
pub fn passes_health_rule(post_init: Fx, pre_if_risk_reducing: Option<Fx>) -> bool {
    post_init >= Fx::ZERO || pre_if_risk_reducing.is_some_and(|pre| post_init >= pre)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::num::bps_frac;
    use super::super::params::RiskParams;
    use super::*;
    use proptest::prelude::*;

    /// Risk parameters with shocks `down` and `up` (maint half of them), no add-ons (shared with
    /// the options grid's tests).
    pub(crate) fn params(down: u16, up: u16) -> RiskParams {
        RiskParams {
            init_down_bps: down,
            init_up_bps: up,
            maint_down_bps: down / 2,
            maint_up_bps: up / 2,
            risk_group: 0,
            basis_bps: 0,
            liquidity_bps: 0,
            concentration_bps: 0,
            concentration_threshold: u64::MAX,
            liquidation_fee_bps: 0,
            reserved: [0; 6],
        }
    }

    /// An asset priced `price` (oracle and stable) in `group` with parameters `p`.
    pub(crate) fn asset(index: u16, group: u16, price: f64, p: &RiskParams) -> AssetRisk {
        AssetRisk {
            asset_index: index,
            risk_group: group,
            oracle_price: Price::from_num(price),
            stable_price: Price::from_num(price),
            fr: RiskFractions::from_params(p),
            init_pnl_cap: Fx::ZERO,
        }
    }

    fn spot(x: f64) -> Exposure {
        Exposure { spot: Fx::from_num(x), ..Default::default() }
    }

    fn f(x: Fx) -> f64 {
        x.to_num::<f64>()
    }

    #[test]
    fn single_deposit_is_weighted() {
        let p = params(2000, 2500);
        let mut h = HealthInput::default();
        h.push(asset(0, 0, 2.0, &p), spot(1000.0)).unwrap();
        let init = f(health(&h, HealthType::Init).unwrap());
        let maint = f(health(&h, HealthType::Maint).unwrap());
        assert!((init - 1600.0).abs() < 1e-9, "{init}");
        assert!((maint - 1800.0).abs() < 1e-9, "{maint}");
    }

    #[test]
    fn borrow_is_weighted_by_one_plus_up() {
        let p = params(2000, 2500);
        let mut h = HealthInput::default();
        h.push(asset(0, 0, 1.0, &p), spot(1000.0)).unwrap();
        h.push(asset(1, 1, 10.0, &p), spot(-50.0)).unwrap();
        // 1000 * 0.8 - 500 * 1.25 = 175
        let init = f(health(&h, HealthType::Init).unwrap());
        assert!((init - 175.0).abs() < 1e-9, "{init}");
        // Maint: 1000 * 0.9 - 500 * 1.125 = 337.5
        let maint = f(health(&h, HealthType::Maint).unwrap());
        assert!((maint - 337.5).abs() < 1e-9, "{maint}");
        let c = health_components(&h, HealthType::Init).unwrap();
        assert!((f(c.equity) - 500.0).abs() < 1e-9);
    }

    #[test]
    fn negative_health_when_borrow_too_large() {
        let p = params(5000, 5000);
        let mut h = HealthInput::default();
        h.push(asset(0, 0, 1.0, &p), spot(100.0)).unwrap();
        h.push(asset(1, 1, 1.0, &p), spot(-80.0)).unwrap();
        assert!(health(&h, HealthType::Init).unwrap() < Fx::ZERO);
    }

    #[test]
    fn init_prices_use_stable_price_against_the_account() {
        let p = params(0, 0);
        let mut a = asset(0, 0, 10.0, &p);
        a.stable_price = Price::from_num(8.0);
        let mut long = HealthInput::default();
        long.push(a, spot(1.0)).unwrap();
        assert_eq!(f(health(&long, HealthType::Init).unwrap()), 8.0);
        assert_eq!(f(health(&long, HealthType::Maint).unwrap()), 10.0);
        let mut short = HealthInput::default();
        a.stable_price = Price::from_num(12.0);
        short.push(a, spot(-1.0)).unwrap();
        assert_eq!(f(health(&short, HealthType::Init).unwrap()), -12.0);
    }

    #[test]
    fn group_nets_and_addons_apply() {
        let mut p = params(2000, 2000);
        p.liquidity_bps = 100;
        let mut h = HealthInput::default();
        h.push(asset(1, 7, 5.0, &p), spot(100.0)).unwrap();
        h.push(asset(2, 7, 5.0, &p), spot(-100.0)).unwrap();
        let c = health_components(&h, HealthType::Init).unwrap();
        assert_eq!(c.scenario_charge, Fx::ZERO);
        // liquidity: (500 + 500) * 1%
        assert!((f(c.addon_charge) - 10.0).abs() < 1e-9);
        assert!((f(c.health) + 10.0).abs() < 1e-9);
    }

    #[test]
    fn concentration_charge_above_threshold() {
        let mut p = params(1000, 1000);
        p.concentration_bps = 1000;
        p.concentration_threshold = 60;
        let mut h = HealthInput::default();
        h.push(asset(0, 0, 1.0, &p), spot(100.0)).unwrap();
        let c = health_components(&h, HealthType::Maint).unwrap();
        assert!((f(c.addon_charge) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn overflow_is_an_error() {
        let p = params(0, 0);
        let mut h = HealthInput::default();
        h.push(asset(0, 0, 1e12, &p), Exposure { spot: Fx::from_num(u64::MAX), ..Default::default() }).unwrap();
        assert_eq!(health(&h, HealthType::Maint), Err(RiskError::MathOverflow));
    }

    #[test]
    fn health_rule() {
        assert!(passes_health_rule(Fx::ZERO, None));
        assert!(!passes_health_rule(-Fx::ONE, None));
        assert!(passes_health_rule(-Fx::ONE, Some(-Fx::from_num(2))));
        assert!(!passes_health_rule(-Fx::from_num(3), Some(-Fx::from_num(2))));
    }

    /// Group parameters: (init down, init up, maint share of init, liquidity, basis) per group.
    type GroupParams = Vec<(u16, u16, u16, u16, u16)>;

    fn group_params(g: &GroupParams, raise: &[(u16, u16, u16, u16, u16)]) -> (Vec<RiskParams>, Vec<RiskParams>) {
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for ((d, u, m, l, b), (rd, ru, rm, rl, rb)) in g.iter().zip(raise) {
            let make = |d: u16, u: u16, m: u16, l: u16, b: u16| {
                let mut p = params(d, u);
                p.maint_down_bps = (d as u32 * m as u32 / 100) as u16;
                p.maint_up_bps = (u as u32 * m as u32 / 100) as u16;
                p.liquidity_bps = l.min(10_000 - d);
                p.basis_bps = b.min(10_000 - d - p.liquidity_bps);
                p
            };
            let o = make(*d, *u, *m, *l, *b);
            // Raise every shock and charge (keeping maint <= init and the add-on bound).
            let nd = (d + rd).min(10_000);
            let mut n = make(nd, (u + ru).min(50_000), (m + rm).min(100), l + rl, b + rb);
            n.maint_down_bps = n.maint_down_bps.max(o.maint_down_bps).min(n.init_down_bps);
            n.maint_up_bps = n.maint_up_bps.max(o.maint_up_bps).min(n.init_up_bps);
            n.liquidity_bps = n.liquidity_bps.max(o.liquidity_bps);
            n.basis_bps = n
                .basis_bps
                .max(o.basis_bps)
                .min(10_000 - n.init_down_bps - n.liquidity_bps.min(10_000 - n.init_down_bps));
            n.liquidity_bps = n.liquidity_bps.min(10_000 - n.init_down_bps);
            old.push(o);
            new.push(n);
        }
        (old, new)
    }

    proptest! {
        /// Governance's direction rule is sound: parameters that are `no_riskier_than` the current
        /// ones never give any portfolio (mixed signs, shared risk groups) more health of any type,
        /// so the guardian's changes and the admin's immediate ones can only ask more.
        #[test]
        fn no_riskier_parameters_never_raise_health(
            v in prop::collection::vec((0.001f64..1e4, -1e9f64..1e9, 0u16..4), 1..MAX_HEALTH_ASSETS),
            g in prop::collection::vec((0u16..=8000, 0u16..=20000, 0u16..=100, 0u16..500, 0u16..500), 4),
            raise in prop::collection::vec((0u16..3000, 0u16..10000, 0u16..50, 0u16..300, 0u16..300), 4),
        ) {
            let (old, new) = group_params(&g, &raise);
            let (mut h0, mut h1) = (HealthInput::default(), HealthInput::default());
            for (i, (price, x, gr)) in v.iter().enumerate() {
                let (o, n) = (&old[*gr as usize], &new[*gr as usize]);
                prop_assume!(o.validate().is_ok() && n.validate().is_ok());
                prop_assume!(n.no_riskier_than(o));
                h0.push(asset(i as u16, *gr, *price, o), spot(*x)).unwrap();
                h1.push(asset(i as u16, *gr, *price, n), spot(*x)).unwrap();
            }
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                prop_assert!(health(&h1, t).unwrap() <= health(&h0, t).unwrap(), "{t:?}");
            }
        }
    }

    #[test]
    fn the_direction_rules_refuse_every_single_loosening() {
        let mut p = params(2000, 2500);
        p.liquidity_bps = 100;
        p.basis_bps = 100;
        p.concentration_bps = 100;
        p.concentration_threshold = 1_000;
        assert!(p.no_riskier_than(&p));
        let looser = [
            RiskParams { init_down_bps: 1999, ..p },
            RiskParams { init_up_bps: 2499, ..p },
            RiskParams { maint_down_bps: 999, ..p },
            RiskParams { maint_up_bps: 1249, ..p },
            RiskParams { liquidity_bps: 99, ..p },
            RiskParams { basis_bps: 99, ..p },
            RiskParams { concentration_bps: 99, ..p },
            RiskParams { concentration_threshold: 1_001, ..p },
            RiskParams { liquidation_fee_bps: p.liquidation_fee_bps + 1, ..p },
            RiskParams { risk_group: 1, ..p },
        ];
        for l in looser {
            assert!(!l.no_riskier_than(&p), "{l:?}");
        }
        let l = crate::bank::BorrowLimits {
            borrow_cap: 100,
            net_borrow_limit: 10,
            min_borrow: 5,
            net_borrow_window_secs: 60,
            util_cap_bps: 9_000,
            reserved: 0,
        };
        assert!(l.no_riskier_than(&l));
        assert!(crate::bank::BorrowLimits { borrow_cap: 99, min_borrow: 6, net_borrow_window_secs: 61, ..l }
            .no_riskier_than(&l));
        for x in [
            crate::bank::BorrowLimits { borrow_cap: 101, ..l },
            crate::bank::BorrowLimits { net_borrow_limit: 11, ..l },
            crate::bank::BorrowLimits { min_borrow: 4, ..l },
            crate::bank::BorrowLimits { net_borrow_window_secs: 59, ..l },
            crate::bank::BorrowLimits { util_cap_bps: 9_001, ..l },
        ] {
            assert!(!x.no_riskier_than(&l), "{x:?}");
        }
        let off = crate::bank::OutflowLimitConfig::default();
        let on = crate::bank::OutflowLimitConfig { floor: 10, window_secs: 3_600, limit_bps: 100, reserved: 0 };
        assert!(on.no_riskier_than(&off) && !off.no_riskier_than(&on));
        for x in [
            crate::bank::OutflowLimitConfig { floor: 11, ..on },
            crate::bank::OutflowLimitConfig { window_secs: 3_599, ..on },
            crate::bank::OutflowLimitConfig { limit_bps: 101, ..on },
        ] {
            assert!(!x.no_riskier_than(&on), "{x:?}");
        }
    }

    /// Random portfolio strategy: (price, amount, group) per asset and (down, up) per group: members
    /// of a risk group share the group's shocks, as governance lists them.
    type Portfolio = (Vec<(f64, f64, u16)>, Vec<(u16, u16)>);

    fn portfolio(sign: i32) -> impl Strategy<Value = Portfolio> {
        (
            prop::collection::vec((0.001f64..1e4, 0.0f64..1e9, 0u16..4), 1..MAX_HEALTH_ASSETS),
            prop::collection::vec((0u16..=8000, 0u16..=20000), 4),
        )
            .prop_map(move |(v, g)| {
                let v = v.into_iter().map(|(p, x, gr)| (p, if sign < 0 { -x } else { x }, gr)).collect();
                (v, g)
            })
    }

    fn build((v, groups): &Portfolio, liq: u16) -> HealthInput {
        let mut h = HealthInput::default();
        for (i, (price, x, g)) in v.iter().enumerate() {
            let (d, u) = groups[*g as usize];
            let mut p = params(d, u);
            p.liquidity_bps = liq.min(10_000 - d);
            h.push(asset(i as u16, *g, *price, &p), spot(*x)).unwrap();
        }
        h
    }

    proptest! {
        #[test]
        fn health_monotone_in_prices_long_only(v in portfolio(1), k in 0usize..16, bump in 1.0f64..2.0, liq in 0u16..500) {
            let h0 = build(&v, liq);
            let mut h1 = h0.clone();
            let k = k % h1.len;
            h1.assets[k].oracle_price = Price::from_num(v.0[k].0 * bump);
            h1.assets[k].stable_price = h1.assets[k].oracle_price;
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                prop_assert!(health(&h1, t).unwrap() >= health(&h0, t).unwrap());
            }
        }

        #[test]
        fn health_monotone_in_prices_short_only(v in portfolio(-1), k in 0usize..16, bump in 1.0f64..2.0, liq in 0u16..500) {
            let h0 = build(&v, liq);
            let mut h1 = h0.clone();
            let k = k % h1.len;
            h1.assets[k].oracle_price = Price::from_num(v.0[k].0 * bump);
            h1.assets[k].stable_price = h1.assets[k].oracle_price;
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                prop_assert!(health(&h1, t).unwrap() <= health(&h0, t).unwrap());
            }
        }

        #[test]
        fn hedged_pair_in_one_group_carries_only_addons(price in 0.01f64..1e4, x in 0.0f64..1e9,
                d in 0u16..8000, u in 0u16..20000, liq in 0u16..1000, basis in 0u16..1000) {
            let mut p = params(d, u);
            p.liquidity_bps = liq;
            p.basis_bps = basis;
            let mut h = HealthInput::default();
            h.push(asset(3, 9, price, &p), spot(x)).unwrap();
            h.push(asset(4, 9, price, &p), spot(-x)).unwrap();
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                let c = health_components(&h, t).unwrap();
                // Rounding leaves at most a few units of the last place.
                prop_assert!(c.scenario_charge <= Fx::from_bits(1 << 8), "{:?}", c);
                prop_assert!(c.equity.abs() <= Fx::from_bits(1 << 8), "{:?}", c);
                let addon_only = -c.addon_charge;
                prop_assert!((c.health - addon_only).abs() <= Fx::from_bits(1 << 9), "{:?}", c);
            }
        }

        #[test]
        fn spot_only_equals_weighted_sum(v in prop::collection::vec(
                (0.001f64..1e4, -1e9f64..1e9, 0u16..=10000, 0u16..=30000), 1..MAX_HEALTH_ASSETS)) {
            let mut h = HealthInput::default();
            let mut expect_init = 0f64;
            let mut expect_maint = 0f64;
            let mut scale = 0f64;
            for (i, (price, x, d, u)) in v.iter().enumerate() {
                let p = params(*d, *u);
                h.push(asset(i as u16, i as u16, *price, &p), spot(*x)).unwrap();
                let pr = Price::from_num(*price).to_num::<f64>();
                let xr = Fx::from_num(*x).to_num::<f64>();
                let w = |down: u16, up: u16| if xr >= 0.0 { 1.0 - down as f64 / 1e4 } else { 1.0 + up as f64 / 1e4 };
                expect_init += xr * pr * w(p.init_down_bps, p.init_up_bps);
                expect_maint += xr * pr * w(p.maint_down_bps, p.maint_up_bps);
                scale += (xr * pr).abs();
            }
            let tol = 1e-9 * scale.max(1.0);
            let init = f(health(&h, HealthType::Init).unwrap());
            let maint = f(health(&h, HealthType::Maint).unwrap());
            prop_assert!((init - expect_init).abs() <= tol, "{} vs {}", init, expect_init);
            prop_assert!((maint - expect_maint).abs() <= tol, "{} vs {}", maint, expect_maint);
            // rounding is against the account
            prop_assert!(init <= expect_init + tol);
        }

        #[test]
        fn init_le_liqend_le_maint(v in prop::collection::vec(
                (0.001f64..1e4, 0.001f64..1e4, -1e9f64..1e9, 0u16..4, 0u16..300), 1..MAX_HEALTH_ASSETS),
                groups in prop::collection::vec((0u16..=10000, 0u16..=30000), 4)) {
            let mut h = HealthInput::default();
            for (i, (price, stable, x, g, liq)) in v.iter().enumerate() {
                let (d, u) = groups[*g as usize];
                let mut p = params(d, u);
                p.liquidity_bps = (*liq).min(10_000 - d);
                let mut a = asset(i as u16, *g, *price, &p);
                a.stable_price = Price::from_num(*stable);
                h.push(a, spot(*x)).unwrap();
            }
            let init = health(&h, HealthType::Init).unwrap();
            let end = health(&h, HealthType::LiquidationEnd).unwrap();
            let maint = health(&h, HealthType::Maint).unwrap();
            // Each type rounds its own products against the account; allow those last-place units.
            let gross: f64 = v.iter().map(|(p, s, x, ..)| x.abs() * p.max(*s)).sum();
            let tol = Fx::from_num(1e-13 * gross) + Fx::DELTA * 64;
            prop_assert!(init <= end + tol && end <= maint + tol, "{} {} {}", init, end, maint);
        }
    }

    proptest! {
        /// S2-02: health of every type is monotone in every deposit, with members of one risk group
        /// carrying different shocks.
        #[test]
        fn s2_02_health_is_monotone_in_every_deposit(
                v in prop::collection::vec((0.001f64..1e4, -1e9f64..1e9, 0u16..3, 0u16..=9000, 0u16..=20000), 1..MAX_HEALTH_ASSETS),
                k in 0usize..16, extra in 0.0f64..1e6) {
            let mut h0 = HealthInput::default();
            for (i, (price, x, g, d, u)) in v.iter().enumerate() {
                h0.push(asset(i as u16, *g, *price, &params(*d, *u)), spot(*x)).unwrap();
            }
            let k = k % h0.len;
            let mut h1 = h0.clone();
            h1.exposures[k].spot += Fx::from_num(extra);
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                prop_assert!(health(&h1, t).unwrap() >= health(&h0, t).unwrap(), "{:?}", t);
            }
        }
    }

    /// The engine before issue 11 (every product computed, both scenario sides of every group),
    /// kept as the reference the faster engine must equal bit for bit.
    #[allow(clippy::needless_range_loop)] // written as the engine was, indexes and all
    fn reference_health(input: &HealthInput, t: HealthType) -> RiskResult<(HealthComponents, GroupLosses)> {
        let n = input.len;
        let (mut equity, mut addons) = (Fx::ZERO, Fx::ZERO);
        let mut net_values = [Fx::ZERO; MAX_HEALTH_ASSETS];
        for i in 0..n {
            let (a, e) = (&input.assets[i], &input.exposures[i]);
            let net = add(e.spot, e.perp_base)?;
            let price = a.price_for(t, net);
            let spot_v = value(e.spot, price, Round::Down).or_overflow()?;
            let perp_v = value(e.perp_base, price, Round::Down).or_overflow()?;
            let net_value = add(spot_v, perp_v)?;
            let mut ad = mul(add(abs(spot_v)?, abs(perp_v)?)?, a.fr.liquidity, Round::Up).or_overflow()?;
            ad = add(ad, mul(abs(net_value)?, a.fr.basis, Round::Up).or_overflow()?)?;
            ad = add(ad, concentration_charge(a, net, price)?)?;
            if t == HealthType::Init && (e.perp_base != Fx::ZERO || e.perp_quote != Fx::ZERO) {
                ad = add(ad, pnl_above_cap(perp_v, e.perp_quote, a.init_pnl_cap)?)?;
            }
            equity = add(equity, net_value)?;
            addons = add(addons, ad)?;
            net_values[i] = net_value;
        }
        let mut losses = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
        let mut charges = Fx::ZERO;
        for i in 0..n {
            let g = input.assets[i].risk_group;
            if input.assets[..i].iter().any(|a| a.risk_group == g) {
                continue;
            }
            let (mut down, mut up) = (Fx::ZERO, Fx::ZERO);
            for j in i..n {
                if input.assets[j].risk_group != g || net_values[j] == Fx::ZERO {
                    continue;
                }
                let sh = input.assets[j].shocks(t);
                down = add(down, mul(net_values[j], sh.down, Round::Up).or_overflow()?)?;
                up = add(up, mul(net_values[j], sh.up, Round::Down).and_then(|x| x.checked_neg()).or_overflow()?)?;
            }
            charges = add(charges, down.max(up).max(Fx::ZERO))?;
            (losses[2 * i], losses[2 * i + 1]) = (down, up);
        }
        let health = equity.checked_sub(charges).and_then(|h| h.checked_sub(addons)).or_overflow()?;
        Ok((HealthComponents { equity, scenario_charge: charges, addon_charge: addons, health }, losses))
    }

    proptest! {
        /// Issue 11: the engine (products of zero skipped, one scenario side for one-sided groups)
        /// equals the reference bit for bit, components and group losses, for every health type,
        /// on mixed long/short, spot/perp portfolios sharing risk groups, zeros included.
        #[test]
        fn engine_equals_the_reference_bit_for_bit(
                v in prop::collection::vec((0.001f64..1e4, 0.001f64..1e4, -1e9f64..1e9, -1e7f64..1e7, 0u8..4, 0u16..4, 0u16..300, 0u16..300), 1..=MAX_HEALTH_ASSETS),
                groups in prop::collection::vec((0u16..=9000, 0u16..=20000), 4)) {
            let mut h = HealthInput::default();
            for (i, (price, stable, x, b, zero, g, liq, basis)) in v.iter().enumerate() {
                let (d, u) = groups[*g as usize];
                let mut p = params(d, u);
                p.liquidity_bps = if *zero == 3 { 0 } else { *liq };
                p.basis_bps = *basis;
                let mut a = asset(i as u16, *g, *price, &p);
                a.stable_price = Price::from_num(*stable);
                a.init_pnl_cap = Fx::from_num(1000);
                // Some entries with no spot, some with no perp, some empty.
                let spot = if *zero == 0 { Fx::ZERO } else { Fx::from_num(*x) };
                let base = if *zero == 1 || *zero == 3 { Fx::ZERO } else { Fx::from_num(*b) };
                let quote = if base == Fx::ZERO { Fx::ZERO } else { Fx::from_num(-*b * price) };
                h.push(a, Exposure { spot, perp_base: base, perp_quote: quote }).unwrap();
            }
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                let (want, want_losses) = reference_health(&h, t).unwrap();
                prop_assert_eq!(health_components(&h, t).unwrap(), want);
                let mut losses = [Fx::ZERO; 2 * MAX_HEALTH_ASSETS];
                prop_assert_eq!(health_with_group_losses(&h, t, Some(&mut losses)).unwrap(), want);
                prop_assert_eq!(losses, want_losses);
            }
        }
    }

    /// A one-sided group whose skipped side would overflow (a long of 2^77 quote with a 500% up
    /// shock, a short with a 500% down shock) is an overflow error, as when both sides were
    /// computed; just under the bound the skipped side is exact and both engines agree.
    #[test]
    fn skipped_group_side_that_would_overflow_is_an_error_as_before() {
        // A long whose up side overflows, a short whose down side overflows (500% shocks).
        let (up, down) = (params(100, 50_000), params(50_000, 100));
        let cases = [
            (&up, 1i128 << (77 + 48), true),
            (&up, 1i128 << (67 + 48), false),
            (&down, -(1i128 << (77 + 48)), true),
            (&down, -(1i128 << (67 + 48)), false),
        ];
        for (p, bits, fails) in cases {
            let mut h = HealthInput::default();
            let x = Exposure { spot: Fx::from_bits(bits), ..Default::default() };
            h.push(asset(0, 0, 1.0, p), x).unwrap();
            let want = reference_health(&h, HealthType::Init);
            assert_eq!(want.is_err(), fails);
            assert_eq!(health_components(&h, HealthType::Init).is_err(), fails);
            if let Ok((w, _)) = want {
                assert_eq!(health_components(&h, HealthType::Init).unwrap(), w);
            }
        }
    }

    proptest! {
        /// The step cache equals the full health, bit for bit, with any two entries changed.
        #[test]
        fn step_cache_equals_full_health(v in portfolio(1), shorts in prop::collection::vec(-1e9f64..1e9, 16),
                a in 0usize..16, b in 0usize..16, da in -1e9f64..1e9, db in -1e9f64..1e9) {
            let mut h0 = build(&v, 100);
            for (i, x) in shorts.iter().enumerate().take(h0.len) {
                if i % 3 == 0 { h0.exposures[i].spot = Fx::from_num(*x); }
            }
            let (a, b) = (a % h0.len, b % h0.len);
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                let cache = StepHealthCache::new(&h0, t, [a, b]).unwrap();
                let mut h1 = h0.clone();
                h1.exposures[a].spot += Fx::from_num(da);
                h1.exposures[b].spot += Fx::from_num(db);
                let full = health(&h1, t).unwrap();
                prop_assert_eq!(cache.health(&h1, None).unwrap(), full);
                prop_assert_eq!(cache.health(&h0, None).unwrap(), health(&h0, t).unwrap());
            }
        }
    }

    /// An account long `spot` units and `perp_base` in the perp opened at the oracle price (perp
    /// quote = -perp_base x price, held as a balance of the quote asset), plus 1,000 of quote.
    fn hedged(price: f64, size: f64, liq: u16, basis: u16, perp_base: f64) -> HealthInput {
        let mut p = params(2000, 2500);
        p.liquidity_bps = liq;
        p.basis_bps = basis;
        let mut h = HealthInput::default();
        // Perp cash is a balance of the quote asset (asset 0 here, a unit of account with no shock).
        h.push(asset(0, 0, 1.0, &params(0, 0)), spot(1_000.0 - perp_base * price)).unwrap();
        let e = Exposure {
            spot: Fx::from_num(size),
            perp_base: Fx::from_num(perp_base),
            perp_quote: Fx::from_num(-perp_base * price),
        };
        h.push(asset(1, 1, price, &p), e).unwrap();
        h
    }

    #[test]
    fn init_counts_positive_pnl_only_up_to_the_cap() {
        let p = params(2000, 2500);
        let mut a = asset(1, 1, 100.0, &p);
        a.init_pnl_cap = Fx::from_num(50);
        let mut h = HealthInput::default();
        // Long 10 perp bought at 90: PnL +100 at 100. The -900 of perp cash is a quote balance
        // (asset 0, no shocks), netting with a 900 deposit.
        h.push(asset(0, 0, 1.0, &params(0, 0)), spot(-900.0)).unwrap();
        h.push(a, Exposure { spot: Fx::ZERO, perp_base: Fx::from_num(10), perp_quote: Fx::from_num(-900) }).unwrap();
        let maint = health_components(&h, HealthType::Maint).unwrap();
        let init = health_components(&h, HealthType::Init).unwrap();
        assert_eq!(maint.equity, Fx::from_num(100));
        // Init: 100 equity - 20% down shock on 1000 = -100, then the 50 of PnL above the cap.
        assert!((f(init.health) - (100.0 - 200.0 - 50.0)).abs() < 1e-9, "{}", init.health);
        assert!(init.health < maint.health);
    }

    proptest! {
        /// Hedged spot + perp on one underlying carries only the add-ons: no scenario charge for
        /// the hedged asset, whatever the size, price and add-on rates.
        #[test]
        fn hedged_spot_and_perp_need_only_the_addons(price in 0.01f64..1e4, size in 0.0f64..1e7,
                liq in 0u16..500, basis in 0u16..500) {
            let h = hedged(price, size, liq, basis, -size);
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                let c = health_components(&h, t).unwrap();
                let alone = health_components(&hedged(price, 0.0, liq, basis, 0.0), t).unwrap();
                // Only the quote collateral's own charge remains in the scenario part (the two legs'
                // values round down separately, which can leave a last-place unit of net exposure).
                let extra = c.scenario_charge - alone.scenario_charge;
                prop_assert!(extra >= Fx::ZERO && extra <= Fx::DELTA * 4, "{}", extra);
                prop_assert_eq!(c.health, c.equity - c.scenario_charge - c.addon_charge);
                // Add-ons: liquidity on both legs (basis is zero on a zero net); each leg's value
                // rounds against the account, a few last-place units.
                let gross = 2.0 * size * price;
                let want = gross * liq as f64 / 10_000.0;
                prop_assert!((f(c.addon_charge) - want).abs() <= 1e-9 * gross.max(1.0) + 1e-9, "{} {}", c.addon_charge, want);
            }
        }

        /// Health is continuous across a position flip: trading through zero at the oracle price
        /// moves health by at most a small multiple of the traded value, from either side.
        #[test]
        fn health_is_continuous_across_a_flip(price in 0.01f64..1e4, spot_x in -1e5f64..1e5, eps in 1e-6f64..1.0) {
            for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
                let below = health(&hedged(price, spot_x, 100, 50, -eps), t).unwrap();
                let at = health(&hedged(price, spot_x, 100, 50, 0.0), t).unwrap();
                let above = health(&hedged(price, spot_x, 100, 50, eps), t).unwrap();
                // Shocks (25%), liquidity (1%) and basis (0.5%): under 2 x eps x price per side.
                let bound = Fx::from_num(2.0 * eps * price + 1e-6);
                prop_assert!((below - at).abs() <= bound && (above - at).abs() <= bound,
                    "{:?}: {} {} {}", t, below, at, above);
            }
        }
    }

    #[test]
    fn fractions_round_up() {
        assert!(bps_frac(3, Round::Up) * 10_000 >= Fx::from_num(3));
    }
}
