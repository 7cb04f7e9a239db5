//! The capital-efficiency comparison of the options issue: the Init requirement of standard
//! portfolios under Ballast's grid, against (a) isolated margin per leg and (b) a weighted-sum
//! engine with the same shocks. `ballast metrics` prints [`table`]; the tests and
//! docs/risk-model.md use the same rows. Off-chain only: the builders below allocate fixture
//! inputs freely (their frames exceed the SBF budget, which no program path calls).
//!
//! Fixture: one underlying at 150 quote native per base native (init shocks 20% down and up,
//! maint 10%, no add-ons), 100 base units per leg, implied volatility 60% flat, the default
//! [`OptionRiskConfig`]. Requirements are in quote native units.
//!
//! * **Ballast:** `equity - health` of the whole portfolio under [`portfolio_health`] (Init).
//! * **(a) isolated margin per leg:** each leg in its own account: a spot or perp leg its value
//!   times its shock, a short option its own grid requirement, a long option its full premium (an
//!   isolated long option backs nothing).
//! * **(b) weighted sum with the same shocks (Mango/Drift style):** one account, every position
//!   charged on its own with no netting between positions: the sum of each leg's own requirement
//!   under the same scenarios (a long option keeps its value net of its own worst loss as
//!   collateral). Neither Mango v4 nor Drift v2 margins options; this is what their per-position
//!   weighting gives with Ballast's shocks.

use super::grid::{portfolio_health, OptionBook, OptionEntry};
use super::OptionKind;
use crate::health::{AssetRisk, Exposure, HealthInput, HealthType};
use crate::num::{bps_frac, Fx, Price, Round};
use crate::params::{RiskFractions, RiskParams};
use crate::{OrOverflow, RiskResult};

/// Price of the fixture's underlying, quote native per base native.
pub const PRICE: i64 = 150;
/// Size of every leg, base native units.
pub const SIZE: i64 = 100;
const DAY: i64 = 86_400;

/// One leg of a portfolio.
#[derive(Clone, Copy, Debug)]
pub enum Leg {
    /// Spot balance, base native units (negative: a borrow).
    Spot(i64),
    /// Perp base position, base native units.
    Perp(i64),
    /// An option: kind, strike as a percentage of the price, days to expiry, size (long positive).
    Option(OptionKind, i64, i64, i64),
}

/// A named portfolio of legs.
#[derive(Clone, Copy, Debug)]
pub struct Portfolio {
    /// Name, as printed.
    pub name: &'static str,
    /// Whether the legs hedge each other's price risk (the issue's "at least 50% less than the
    /// weighted sum" applies).
    pub hedged: bool,
    /// Up to three legs.
    pub legs: &'static [Leg],
}

/// The six portfolios, the covered call at two strikes.
pub const PORTFOLIOS: [Portfolio; 7] = [
    Portfolio { name: "naked long spot", hedged: false, legs: &[Leg::Spot(SIZE)] },
    Portfolio { name: "spot + short perp", hedged: true, legs: &[Leg::Spot(SIZE), Leg::Perp(-SIZE)] },
    Portfolio {
        name: "covered call, ATM (100%, 30d)",
        // The call's premium and delta (about half the spot's) offset the fall.
        hedged: true,
        legs: &[Leg::Spot(SIZE), Leg::Option(OptionKind::Call, 100, 30, -SIZE)],
    },
    Portfolio {
        name: "covered call, OTM (110%, 30d)",
        // Its downside is the spot's: only the premium offsets it.
        hedged: false,
        legs: &[Leg::Spot(SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)],
    },
    Portfolio {
        name: "collar (90% put, 110% call, 30d)",
        hedged: true,
        legs: &[
            Leg::Spot(SIZE),
            Leg::Option(OptionKind::Put, 90, 30, SIZE),
            Leg::Option(OptionKind::Call, 110, 30, -SIZE),
        ],
    },
    Portfolio {
        name: "short straddle (100%, 30d)",
        hedged: false,
        legs: &[Leg::Option(OptionKind::Call, 100, 30, -SIZE), Leg::Option(OptionKind::Put, 100, 30, -SIZE)],
    },
    Portfolio {
        name: "calendar (short 7d, long 60d call)",
        hedged: true,
        legs: &[Leg::Option(OptionKind::Call, 100, 7, -SIZE), Leg::Option(OptionKind::Call, 100, 60, SIZE)],
    },
];

/// The fixture's risk parameters (20% / 10% shocks, no add-ons).
pub fn fixture_params() -> RiskParams {
    RiskParams {
        init_down_bps: 2_000,
        init_up_bps: 2_000,
        maint_down_bps: 1_000,
        maint_up_bps: 1_000,
        risk_group: 0,
        liquidation_fee_bps: 500,
        concentration_threshold: u64::MAX,
        ..Default::default()
    }
}

fn underlying() -> AssetRisk {
    AssetRisk {
        asset_index: 0,
        risk_group: 0,
        oracle_price: Price::from_num(PRICE),
        stable_price: Price::from_num(PRICE),
        fr: RiskFractions::from_params(&fixture_params()),
        init_pnl_cap: Fx::ZERO,
    }
}

/// Implied volatility of every series of the fixture: 60%.
pub fn vol() -> Fx {
    bps_frac(6_000, Round::Down)
}

/// The health input and option book of `legs` (the underlying at entry 0).
#[allow(clippy::large_stack_frames)] // off-chain fixture (module doc)
pub fn build(legs: &[Leg]) -> RiskResult<(Box<HealthInput>, OptionBook)> {
    let mut e = Exposure::default();
    let mut book = OptionBook::default();
    for leg in legs {
        match *leg {
            Leg::Spot(x) => e.spot = e.spot.checked_add(Fx::from(x)).or_overflow()?,
            Leg::Perp(x) => e.perp_base = e.perp_base.checked_add(Fx::from(x)).or_overflow()?,
            Leg::Option(kind, pct, days, size) => book.push(OptionEntry {
                entry: 0,
                kind,
                strike: Price::from_num(PRICE.checked_mul(pct).or_overflow()?).checked_div_int(100).or_overflow()?,
                seconds: days.checked_mul(DAY).or_overflow()?,
                size: Fx::from(size),
                vol: vol(),
                risk: super::grid::OptionRiskConfig::DEFAULT,
            })?,
        }
    }
    let mut input = HealthInput::new_boxed();
    input.push(underlying(), e)?;
    Ok((input, book))
}

/// Ballast's Init requirement of `legs`, quote native units.
#[allow(clippy::large_stack_frames)] // off-chain fixture (module doc)
pub fn ballast_requirement(legs: &[Leg]) -> RiskResult<Fx> {
    let (input, book) = build(legs)?;
    portfolio_health(&input, &book, HealthType::Init)?.requirement()
}

/// (a): the isolated requirement of one leg (see the module doc).
#[allow(clippy::large_stack_frames)] // off-chain fixture (module doc)
pub fn isolated_requirement(leg: Leg) -> RiskResult<Fx> {
    match leg {
        Leg::Option(_, _, _, size) if size > 0 => {
            let (input, book) = build(&[leg])?;
            Ok(portfolio_health(&input, &book, HealthType::Init)?.option_equity)
        }
        _ => ballast_requirement(&[leg]),
    }
}

/// One row of the table, quote native units.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The portfolio.
    pub portfolio: Portfolio,
    /// Ballast's Init requirement.
    pub ballast: Fx,
    /// (a) isolated margin per leg.
    pub isolated: Fx,
    /// (b) weighted sum with the same shocks.
    pub weighted_sum: Fx,
}

/// The table of the portfolios under the default option configuration.
#[allow(clippy::large_stack_frames)] // off-chain fixture (module doc)
pub fn table() -> RiskResult<[Row; PORTFOLIOS.len()]> {
    let mut rows = [Row { portfolio: PORTFOLIOS[0], ballast: Fx::ZERO, isolated: Fx::ZERO, weighted_sum: Fx::ZERO };
        PORTFOLIOS.len()];
    for (row, p) in rows.iter_mut().zip(PORTFOLIOS) {
        let (mut isolated, mut weighted_sum) = (Fx::ZERO, Fx::ZERO);
        for &leg in p.legs {
            isolated = isolated.checked_add(isolated_requirement(leg)?).or_overflow()?;
            weighted_sum = weighted_sum.checked_add(ballast_requirement(&[leg])?).or_overflow()?;
        }
        *row = Row { portfolio: p, ballast: ballast_requirement(p.legs)?, isolated, weighted_sum };
    }
    Ok(rows)
}
