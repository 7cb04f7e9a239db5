//! The scenario grid: soundness against an independent f64 revaluation, the linear engine
//! unchanged without options, expiry at intrinsic value, the short-option minimum, extreme moves,
//! the volatility scaling, Greeks, errors, and the capital-efficiency table.

use super::super::efficiency::{self, Leg, PRICE, SIZE};
use super::*;
use crate::health::tests::{asset, params};
use crate::{health_components, Exposure};
use proptest::prelude::*;

fn ncdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Black-76 in f64 per unit; intrinsic when expired or at zero volatility.
fn bs(kind: OptionKind, f: f64, k: f64, vol: f64, seconds: i64) -> f64 {
    let years = seconds.max(0) as f64 / super::super::SECONDS_PER_YEAR as f64;
    let s = vol * years.sqrt();
    if s == 0.0 || f == 0.0 {
        return match kind {
            OptionKind::Call => (f - k).max(0.0),
            OptionKind::Put => (k - f).max(0.0),
        };
    }
    let d1 = (f / k).ln() / s + s / 2.0;
    let d2 = d1 - s;
    match kind {
        OptionKind::Call => f * ncdf(d1) - k * ncdf(d2),
        OptionKind::Put => k * ncdf(-d2) - f * ncdf(-d1),
    }
}

fn cfg() -> GridConfig {
    GridConfig::new(&OptionRiskConfig::DEFAULT).unwrap()
}

fn f(x: Fx) -> f64 {
    x.to_num::<f64>()
}

/// The worst loss of the options and linear exposures of one group over the 27 main scenarios,
/// revalued independently in f64 (the volatility scaling from its formula).
fn f64_worst_main_loss(input: &HealthInput, book: &OptionBook, group: u16, t: HealthType) -> f64 {
    let c = OptionRiskConfig::DEFAULT;
    let (vu, vd) = match t {
        HealthType::Maint => (c.maint_vol_up_bps, c.maint_vol_down_bps),
        _ => (c.init_vol_up_bps, c.init_vol_down_bps),
    };
    let (vu, vd, power) = (vu as f64 / 1e4, vd as f64 / 1e4, c.vol_power_bps as f64 / 1e4);
    let mut worst = 0f64;
    for side in [-1.0f64, 1.0] {
        for q in 0..=4 {
            let x = q as f64 / 4.0;
            for v in 0..3 {
                let mut loss = 0.0;
                for j in 0..input.len {
                    let a = &input.assets[j];
                    if a.risk_group != group {
                        continue;
                    }
                    let sh = a.shocks(t);
                    let mv = if side < 0.0 { -(x * f(sh.down)).min(1.0) } else { x * f(sh.up) };
                    let e = &input.exposures[j];
                    let price = a.price_for(t, e.spot + e.perp_base).to_num::<f64>();
                    loss -= (f(e.spot) + f(e.perp_base)) * price * mv;
                    for o in book.used().iter().filter(|o| o.entry == j) {
                        let fwd = a.oracle_price.to_num::<f64>();
                        let lam = (30.0 * 86_400.0 / (o.seconds.max(86_400) as f64)).powf(power);
                        let vol = f(o.vol);
                        let vol_s = [vol * (1.0 - vd * lam).max(0.0), vol, (vol * (1.0 + vu * lam)).min(10.0)][v];
                        let k = o.strike.to_num::<f64>();
                        let now = bs(o.kind, fwd, k, vol, o.seconds);
                        let after = bs(o.kind, fwd * (1.0 + mv), k, vol_s, o.seconds);
                        loss += f(o.size) * (now - after);
                    }
                }
                worst = worst.max(loss);
            }
        }
    }
    worst
}

#[test]
fn without_options_the_figure_is_the_linear_engine_bit_for_bit() {
    let p = params(2_000, 3_000);
    let mut input = HealthInput::new_boxed();
    input.push(asset(0, 0, 1.0, &p), Exposure { spot: Fx::from_num(-5_000), ..Default::default() }).unwrap();
    input
        .push(
            asset(1, 1, 150.0, &p),
            Exposure { spot: Fx::from_num(40), perp_base: Fx::from_num(-7), ..Default::default() },
        )
        .unwrap();
    for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
        let ph = portfolio_health(&input, &OptionBook::default(), t).unwrap();
        assert_eq!(ph.linear, health_components(&input, t).unwrap());
        assert_eq!(ph.health, ph.linear.health);
        assert_eq!((ph.option_equity, ph.grid_charges, ph.replaced_charges), (Fx::ZERO, Fx::ZERO, Fx::ZERO));
    }
}

#[test]
fn vol_scale_follows_its_formula() {
    let power = cfg().power;
    let scale = |secs: i64| vol_scale(secs, power).unwrap() as f64 / fixed::ONE as f64;
    assert!((scale(30 * 86_400) - 1.0).abs() < 1e-12);
    assert!((scale(86_400) - 30f64.powf(0.3)).abs() < 1e-12);
    // The floor: an hour scales like a day.
    assert_eq!(vol_scale(3_600, power).unwrap(), vol_scale(86_400, power).unwrap());
    let year = super::super::SECONDS_PER_YEAR;
    assert!((scale(year) - (30.0 * 86_400.0 / year as f64).powf(0.3)).abs() < 1e-12);
    assert_eq!(vol_scale(0, power).unwrap(), fixed::ONE);
}

#[test]
fn an_expired_option_is_margined_at_intrinsic_value_under_the_grid() {
    // A long call struck at 90% that expired unsettled: worth 10% of the price exactly, and
    // under the down scenarios it loses as the price falls (to zero once below the strike).
    let (input, mut book) = efficiency::build(&[Leg::Option(OptionKind::Call, 90, 0, SIZE)]).unwrap();
    book.positions[0].seconds = -60;
    let ph = portfolio_health(&input, &book, HealthType::Init).unwrap();
    assert_eq!(ph.option_equity, Fx::from(SIZE * PRICE / 10));
    // Worst: the 20% fall puts the strike above the price: the whole intrinsic value is lost.
    assert_eq!(ph.grid_charges, ph.option_equity);
    assert_eq!(ph.health, Fx::ZERO);
}

#[test]
fn a_far_out_of_the_money_short_pays_at_least_the_short_option_minimum() {
    let (input, book) = efficiency::build(&[Leg::Option(OptionKind::Call, 400, 7, -SIZE)]).unwrap();
    let ph = portfolio_health(&input, &book, HealthType::Init).unwrap();
    // 0.5% of 100 units at 150 = 75 quote native units, rounded up.
    let minimum = Fx::from(75);
    assert!(ph.grid_charges >= minimum && ph.grid_charges - minimum < Fx::from_num(1e-9), "{}", ph.grid_charges);
}

#[test]
fn extreme_moves_charge_far_out_of_the_money_short_puts() {
    // A short put at 50%: the main grid (down 20%) barely moves it, the extreme move (down 60%)
    // puts it 10% in the money; counted at 33%.
    let legs = [Leg::Option(OptionKind::Put, 50, 30, -SIZE)];
    let (input, book) = efficiency::build(&legs).unwrap();
    let ph = portfolio_health(&input, &book, HealthType::Init).unwrap();
    let main = f64_worst_main_loss(&input, &book, 0, HealthType::Init);
    // At -60% and vol up (45% x 1 at 30 days): the put's value per unit in f64.
    let fwd = 0.4 * PRICE as f64;
    let extreme = 0.33
        * SIZE as f64
        * (bs(OptionKind::Put, fwd, 75.0, 0.6 * 1.45, 30 * 86_400)
            - bs(OptionKind::Put, 150.0, 75.0, 0.6, 30 * 86_400));
    assert!(extreme > 4.0 * main, "the fixture must exercise the extreme move: {extreme} vs {main}");
    assert!((f(ph.grid_charges) - extreme).abs() < 1e-6 * extreme, "{} vs {extreme}", ph.grid_charges);
}

#[test]
fn an_input_carrying_its_options_gives_the_portfolio_figure_everywhere() {
    // `health` and `health_components` (what every program path calls) read the input's own
    // option book and grid: the same figure as `portfolio_health`, equity including the options.
    let legs =
        [Leg::Spot(SIZE), Leg::Option(OptionKind::Put, 90, 30, SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)];
    let (mut input, book) = efficiency::build(&legs).unwrap();
    input.options = Some(Box::new(book));
    for t in [HealthType::Init, HealthType::Maint, HealthType::LiquidationEnd] {
        let ph = portfolio_health(&input, &book, t).unwrap();
        let c = health_components(&input, t).unwrap();
        assert_eq!(c.health, ph.health);
        assert_eq!(crate::health(&input, t).unwrap(), ph.health);
        assert_eq!(c.equity, ph.equity().unwrap());
        assert_eq!(c.equity.checked_sub(c.scenario_charge + c.addon_charge).unwrap(), c.health);
    }
    // Bankruptcy resolution refuses it: its options are liquidated or settled first.
    assert_eq!(crate::liquidation::bankrupt_dust(&input, 0, false, |_, _| 0), Err(crate::RiskError::OptionsFirst));
}

#[test]
fn the_grid_memo_reproduces_the_full_figure_and_reuses_only_untouched_groups() {
    use crate::health::health_components_memo;
    let legs =
        [Leg::Spot(SIZE), Leg::Option(OptionKind::Put, 90, 30, SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)];
    let (mut input, book) = efficiency::build(&legs).unwrap();
    input.options = Some(Box::new(book));
    let (end, maint) = (HealthType::LiquidationEnd, HealthType::Maint);
    let mut memo = GridMemo::default();
    let none = |_: u16| false;
    let all = |_: u16| true;
    // Filled by LiquidationEnd, read back by Maint: both equal the full evaluations.
    let e = health_components_memo(&input, end, Some(MemoUse::fill(&mut memo))).unwrap();
    assert_eq!(e, health_components(&input, end).unwrap());
    assert_eq!(memo.len, 1);
    let m = health_components_memo(&input, maint, Some(MemoUse::read(&mut memo, &all, &|_| Replay::No))).unwrap();
    assert_eq!(m, health_components(&input, maint).unwrap());
    // The group changes (the short call halves): reusing it would give the stale figure, so a
    // touched group is recomputed and equals the full evaluation.
    input.options.as_deref_mut().unwrap().positions[1].size = Fx::from(-SIZE / 2);
    let stale = health_components_memo(&input, end, Some(MemoUse::read(&mut memo, &all, &|_| Replay::No))).unwrap();
    let fresh = health_components_memo(&input, end, Some(MemoUse::read(&mut memo, &none, &|_| Replay::No))).unwrap();
    assert_eq!(fresh, health_components(&input, end).unwrap());
    assert_ne!(stale, fresh, "the memo was used");
    // Init never reads the memo.
    let i =
        health_components_memo(&input, HealthType::Init, Some(MemoUse::read(&mut memo, &all, &|_| Replay::Options)))
            .unwrap();
    assert_eq!(i, health_components(&input, HealthType::Init).unwrap());
}

#[test]
fn the_option_tape_replays_the_full_figure_bit_for_bit() {
    use crate::health::health_components_memo;
    let legs =
        [Leg::Spot(SIZE), Leg::Option(OptionKind::Put, 90, 30, SIZE), Leg::Option(OptionKind::Call, 110, 7, -SIZE)];
    let (mut input, book) = efficiency::build(&legs).unwrap();
    input.options = Some(Box::new(book));
    let (end, maint) = (HealthType::LiquidationEnd, HealthType::Maint);
    let group = input.assets[0].risk_group;
    let mut memo = GridMemo { tape: OptionTape::capture([Some(group), None]), ..Default::default() };
    health_components_memo(&input, end, Some(MemoUse::fill(&mut memo))).unwrap();
    // A mixed group: both sets, 31 scenarios each.
    assert_eq!(
        memo.tape.find(group).map(|(slot, r)| (r.kind, Some(memo.tape.group_losses[slot].len()))),
        Some((GroupKind::Mixed, Some(62)))
    );
    // A step moves the spot only: replayed, the figure is the full evaluation's, bit for bit.
    let (no, yes) = (|_: u16| false, |_: u16| Replay::Options);
    for spot in [SIZE / 2, 0, -SIZE] {
        input.exposures[0].spot = Fx::from(spot);
        for t in [end, maint] {
            let r = health_components_memo(&input, t, Some(MemoUse::read(&mut memo, &no, &yes)));
            assert_eq!(r.unwrap(), health_components(&input, t).unwrap(), "{spot} {t:?}");
        }
    }
    // The tape is what was used: with the call halved but replayed as unchanged, the figure is the
    // stale one; not replayed, the fresh one.
    input.options.as_deref_mut().unwrap().positions[1].size = Fx::from(-SIZE / 2);
    let stale = health_components_memo(&input, end, Some(MemoUse::read(&mut memo, &no, &yes))).unwrap();
    let fresh = health_components_memo(&input, end, Some(MemoUse::read(&mut memo, &no, &|_| Replay::No))).unwrap();
    assert_eq!(fresh, health_components(&input, end).unwrap());
    assert_ne!(stale, fresh, "the tape was used");
}

#[test]
fn the_option_tape_revalues_only_the_taken_option() {
    use crate::health::health_components_memo;
    let legs =
        [Leg::Spot(SIZE), Leg::Option(OptionKind::Put, 90, 30, SIZE), Leg::Option(OptionKind::Call, 110, 7, -SIZE)];
    let (mut input, book) = efficiency::build(&legs).unwrap();
    input.options = Some(Box::new(book));
    let end = HealthType::LiquidationEnd;
    let group = input.assets[0].risk_group;
    let mut memo = GridMemo { tape: OptionTape::capture([Some(group), None]), ..Default::default() };
    health_components_memo(&input, end, Some(MemoUse::fill(&mut memo))).unwrap();
    let o = input.options.as_deref().unwrap().positions[1];
    memo.record_option(&input, (input.assets[o.entry].asset_index, o.kind, o.strike, o.seconds)).unwrap();
    let (no, but) = (|_: u16| false, |_: u16| Replay::AllButTheRecordedOption);
    let with = |input: &HealthInput, memo: &mut GridMemo| {
        health_components_memo(input, end, Some(MemoUse::read(memo, &no, &but))).unwrap()
    };
    // Part of the short call taken over, cash paid: the full figure.
    input.options.as_deref_mut().unwrap().positions[1].size = Fx::from(-SIZE / 2);
    input.exposures[0].spot = Fx::from(SIZE - 7);
    assert_eq!(with(&input, &mut memo), health_components(&input, end).unwrap());
    // The other options come from the tape: the put changed behind its back gives a stale figure.
    input.options.as_deref_mut().unwrap().positions[0].size = Fx::from(SIZE / 2);
    assert_ne!(with(&input, &mut memo), health_components(&input, end).unwrap(), "the tape was used");
    input.options.as_deref_mut().unwrap().positions[0].size = Fx::from(SIZE);
    // All of the call taken over: the slot is gone and the group is long now (replayed over the
    // recorded scenarios of both signs, which a long group's worst loss equals to the bit).
    input.options.as_deref_mut().unwrap().len = 1;
    assert_eq!(GroupKind::of_group(&input, input.options.as_deref().unwrap(), group), GroupKind::Long);
    assert_eq!(with(&input, &mut memo), health_components(&input, end).unwrap());
}

#[test]
fn collar_worked_example_of_the_docs() {
    // docs/risk-model.md: 100 units at 150, long 90% put, short 110% call, 30 days, 60% vol.
    let legs =
        [Leg::Spot(SIZE), Leg::Option(OptionKind::Put, 90, 30, SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)];
    let (input, book) = efficiency::build(&legs).unwrap();
    let ph = portfolio_health(&input, &book, HealthType::Init).unwrap();
    let worst = f64_worst_main_loss(&input, &book, 0, HealthType::Init);
    let req = f(ph.requirement().unwrap());
    // The requirement is the grid's worst loss (no add-ons, no extreme move binds), within the
    // valuation error term (3 x 2^-30 of the forward per unit under Init, about 1e-7 of 15,000).
    assert!((req - worst).abs() < 1e-7 * 15_000.0, "{req} vs {worst}");
    // Spot alone needs 3,000 (20% of 15,000); the collar caps the loss near 10% plus the premium.
    assert!(req < 1_700.0 && req > 1_000.0, "{req}");
    // The linear two-point charge it replaces is the spot's 3,000 (the shock rounded up by 2^-48).
    assert!((f(ph.replaced_charges) - 3_000.0).abs() < 1e-9, "{}", ph.replaced_charges);
}

fn naked_spot(rows: &[efficiency::Row]) -> Fx {
    rows.iter().find(|r| r.portfolio.name == "naked long spot").unwrap().ballast
}

#[test]
fn capital_efficiency_table_hedges_need_half_the_weighted_sum() {
    let rows = efficiency::table().unwrap();
    for r in &rows {
        let (b, a, w) = (f(r.ballast), f(r.isolated), f(r.weighted_sum));
        eprintln!("{:<36} ballast {b:>10.2} isolated {a:>10.2} weighted {w:>10.2}", r.portfolio.name);
        assert!(b <= a + 1e-9, "{}: never above isolated margin", r.portfolio.name);
    }
    let get = |name: &str| rows.iter().find(|r| r.portfolio.name.starts_with(name)).unwrap();
    let hedged = ["spot + short perp", "covered call, ATM", "collar", "calendar"];
    for name in hedged {
        let r = get(name);
        assert!(f(r.ballast) <= 0.5 * f(r.weighted_sum), "{name}: {} vs {}", r.ballast, r.weighted_sum);
    }
    for r in &rows {
        assert!(r.ballast <= r.weighted_sum, "{}: never above the weighted sum", r.portfolio.name);
        assert_eq!(r.portfolio.hedged, hedged.iter().any(|n| r.portfolio.name.starts_with(n)), "{}", r.portfolio.name);
    }
    // An out-of-the-money covered call's downside is the spot's (only the premium offsets it, and
    // the extreme move counts the whole portfolio as SPAN does): it needs less than the spot
    // alone, and more than the at-the-money one, not half the weighted sum.
    let (atm, otm) = (get("covered call, ATM"), get("covered call, OTM"));
    assert!(otm.ballast < naked_spot(&rows) && atm.ballast < otm.ballast);
    // The naked spot is charged alike by all three.
    let naked = get("naked");
    assert_eq!(naked.ballast, naked.isolated);
    assert_eq!(naked.ballast, naked.weighted_sum);
}

#[test]
fn errors_are_specific() {
    let (input, mut book) = efficiency::build(&[Leg::Option(OptionKind::Call, 100, 30, SIZE)]).unwrap();
    book.positions[0].entry = 3;
    assert_eq!(portfolio_health(&input, &book, HealthType::Init), Err(RiskError::InvalidParam("option entry")));
    book.positions[0].entry = 0;
    book.positions[0].strike = Price::ZERO;
    assert_eq!(portfolio_health(&input, &book, HealthType::Init), Err(RiskError::InvalidParam("strike")));
    book.positions[0].strike = Price::from_num(PRICE);
    book.positions[0].vol = Fx::from(11);
    assert_eq!(portfolio_health(&input, &book, HealthType::Init), Err(RiskError::InvalidParam("vol")));
    let bad = OptionRiskConfig { maint_vol_up_bps: 5_000, ..OptionRiskConfig::DEFAULT };
    assert!(matches!(GridConfig::new(&bad), Err(RiskError::InvalidParam(_))));
    let bad = OptionRiskConfig { extreme_multiple: 0, ..OptionRiskConfig::DEFAULT };
    assert!(matches!(GridConfig::new(&bad), Err(RiskError::InvalidParam(_))));
    let bad = OptionRiskConfig { extreme_weight_bps: 3_400, ..OptionRiskConfig::DEFAULT };
    assert!(matches!(GridConfig::new(&bad), Err(RiskError::InvalidParam(_))));
    let mut full = OptionBook::default();
    for _ in 0..MAX_OPTION_POSITIONS {
        full.push(book.positions[0]).unwrap();
    }
    assert_eq!(full.push(book.positions[0]), Err(RiskError::TooManyAssets));
}

/// The what-if report: health as `what_if`, Greeks as `account_greeks` of the stressed input, on
/// the option underlyings only (a cash entry without options is not listed), and its bytes read
/// back to the same report; anything but exactly such bytes is refused.
#[test]
fn what_if_report_lists_the_option_underlyings_and_round_trips() {
    let legs = [Leg::Spot(SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)];
    let (under, book) = efficiency::build(&legs).unwrap();
    let mut input = HealthInput::new_boxed();
    input.push(under.assets[0], under.exposures[0]).unwrap();
    let cash = AssetRisk {
        asset_index: 9,
        risk_group: 9,
        oracle_price: Price::ONE,
        stable_price: Price::ONE,
        ..Default::default()
    };
    input.push(cash, Exposure { spot: Fx::from(5_000), ..Default::default() }).unwrap();
    let mut shock = WhatIfShock::default();
    shock.price_moves[0] = Fx::from_num(-0.2);
    shock.vol_move = Fx::from_num(0.3);
    let (mut moved, mut moved_book) = (HealthInput::new_boxed(), OptionBook::default());
    let mut r = WhatIfReport::default();
    what_if_report(&input, &book, &shock, &mut moved, &mut moved_book, &mut r).unwrap();
    let (mut again, mut again_book) = (HealthInput::new_boxed(), OptionBook::default());
    assert_eq!(r.health, what_if(&input, &book, &shock, &mut again, &mut again_book).unwrap());
    let mut all = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
    account_greeks(&moved, &moved_book, &mut all).unwrap();
    assert_eq!((r.len, r.greeks[0]), (1, (under.assets[0].asset_index, all[0])));
    // After the fall the short call is further out of the money: the delta is nearer the spot's.
    let mut unmoved = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
    account_greeks(&input, &book, &mut unmoved).unwrap();
    assert!(all[0].delta > unmoved[0].delta && all[0].delta < Fx::from(SIZE));
    let bytes = r.encode();
    let used = bytes.len();
    assert_eq!(used, 33 + WHAT_IF_ENTRY_BYTES);
    assert_eq!(WhatIfReport::decode(&bytes), Some(r));
    assert_eq!(WhatIfReport::decode(&bytes[..used - 1]), None);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(WhatIfReport::decode(&longer), None);
    // More entries than option positions, with the bytes to match: refused.
    let mut bad = vec![0u8; 33 + 9 * WHAT_IF_ENTRY_BYTES];
    bad[..used].copy_from_slice(&bytes);
    bad[32] = 9;
    assert_eq!(WhatIfReport::decode(&bad), None);
    // Eight option underlyings: the largest report fits Solana's return data.
    let mut full = r;
    full.len = MAX_OPTION_POSITIONS;
    let bytes = full.encode();
    assert_eq!(bytes.len(), WHAT_IF_MAX_BYTES);
    assert_eq!(WhatIfReport::decode(&bytes), Some(full));
}

#[test]
fn greeks_of_a_covered_call_net_the_spot() {
    let legs = [Leg::Spot(SIZE), Leg::Option(OptionKind::Call, 110, 30, -SIZE)];
    let (input, book) = efficiency::build(&legs).unwrap();
    let mut all = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
    account_greeks(&input, &book, &mut all).unwrap();
    let g = all[0];
    let years = 30.0 * 86_400.0 / super::super::SECONDS_PER_YEAR as f64;
    let s = 0.6 * years.sqrt();
    let d1 = (1.0f64 / 1.1).ln() / s + s / 2.0;
    let pdf = (-d1 * d1 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    assert!((f(g.delta) - SIZE as f64 * (1.0 - ncdf(d1))).abs() < 1e-9);
    assert!((f(g.gamma) + SIZE as f64 * pdf / s).abs() < 1e-9);
    assert!((f(g.vega) + SIZE as f64 * 150.0 * pdf * years.sqrt()).abs() < 1e-7);
    assert!(f(g.theta) > 0.0, "a short option earns time decay");
}

#[test]
fn px_06_a_short_option_premium_cannot_be_withdrawn_after_an_adverse_move() {
    // Quote cash (entry 0, no shocks) of 3,000 holds the premium of 100 short calls at 100% of
    // 150, 30 days, 60% vol, plus collateral.
    let (under, mut book) = efficiency::build(&[Leg::Option(OptionKind::Call, 100, 30, -SIZE)]).unwrap();
    let quote = AssetRisk {
        asset_index: 1,
        risk_group: 1,
        oracle_price: Price::ONE,
        stable_price: Price::ONE,
        ..Default::default()
    };
    let cash = |x: Fx| Exposure { spot: x, ..Default::default() };
    let premium = -portfolio_health(&under, &book, HealthType::Init).unwrap().option_equity;
    let collateral = Fx::from(1_500);
    let account = |c: Fx| {
        let mut input = HealthInput::new_boxed();
        input.push(under.assets[0], under.exposures[0]).unwrap();
        input.push(quote, cash(c)).unwrap();
        input
    };
    let before = account(premium + collateral);
    let h = |i: &HealthInput, b: &OptionBook| portfolio_health(i, b, HealthType::Init).unwrap().health;
    // The short is margined on its worst scenario, not on the premium received.
    assert!(h(&before, &book) < collateral);
    // The price rises 10% and volatility 20%: the what-if the program would report.
    let mut shock = WhatIfShock::default();
    shock.price_moves[0] = Fx::from_num(0.1);
    shock.vol_move = Fx::from_num(0.2);
    let (mut moved, mut moved_book) = (HealthInput::new_boxed(), OptionBook::default());
    let w = what_if(&before, &book, &shock, &mut moved, &mut moved_book).unwrap();
    assert!(w.init < h(&before, &book) && w.maint >= w.init);
    // Withdrawing the premium after the move: Init health below zero and not a risk-reducing
    // action, so the health rule refuses it (the program's check_health applies the same rule).
    let mut after = moved.clone();
    after.exposures[1] = cash(collateral);
    let post = h(&after, &moved_book);
    assert!(post < Fx::ZERO, "{post}");
    assert!(!crate::passes_health_rule(post, None));
    // The what-if is the same figure as moving the account by hand: prices up 10%, vol x 1.2.
    let mut by_hand = HealthInput::new_boxed();
    let mut a = under.assets[0];
    a.oracle_price = Price::from_num(165);
    a.stable_price = Price::from_num(165);
    by_hand.push(a, under.exposures[0]).unwrap();
    by_hand.push(quote, cash(premium + collateral)).unwrap();
    book.positions[0].vol = efficiency::vol() * Fx::from_num(1.2);
    assert!((f(w.init) - f(h(&by_hand, &book))).abs() < 1e-9, "{} vs {}", w.init, h(&by_hand, &book));
    assert!((moved.assets[0].oracle_price.to_num::<f64>() - 165.0).abs() < 1e-12);
}

#[test]
fn init_revalues_over_the_maint_scenarios_too() {
    // A one-day long straddle struck at 92.5% (audit finding of the review): its loss peaks at
    // the -7.5% move, a Maint point (quarters of 10%) between two Init points (quarters of 20%).
    let p = params(2_000, 2_500);
    let mut input = HealthInput::new_boxed();
    input.push(asset(0, 0, 100.0, &p), Exposure::default()).unwrap();
    let mut book = OptionBook::default();
    for kind in [OptionKind::Call, OptionKind::Put] {
        let o = OptionEntry {
            entry: 0,
            kind,
            strike: Price::from_num(92.5),
            seconds: 86_400,
            size: Fx::from(100),
            vol: Fx::from_num(0.2),
            risk: OptionRiskConfig::DEFAULT,
        };
        book.push(o).unwrap();
    }
    let [init, liq_end, maint] = [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint]
        .map(|t| portfolio_health(&input, &book, t).unwrap());
    assert!(init.health <= liq_end.health && liq_end.health <= maint.health);
    assert!(init.grid_charges >= maint.grid_charges);
    // The Maint grid sees the straddle lose most of its value at -7.5%.
    assert!(f(maint.grid_charges) > 0.9 * f(maint.option_equity), "{} of {}", maint.grid_charges, maint.option_equity);
}

#[test]
fn or_09_init_values_an_option_at_the_stable_price_for_its_delta() {
    // A deep in-the-money long call behaves like spot: after a one-slot spike of the oracle to
    // 1,500 (stable still 150) Init values it at the stable price, as it would the spot.
    let p = params(2_000, 2_500);
    let mut a = asset(0, 0, 1_500.0, &p);
    a.stable_price = Price::from_num(150);
    let mut input = HealthInput::new_boxed();
    input.push(a, Exposure::default()).unwrap();
    let mut book = OptionBook::default();
    book.push(OptionEntry {
        entry: 0,
        kind: OptionKind::Call,
        strike: Price::ONE,
        seconds: 30 * 86_400,
        size: Fx::from(100),
        vol: Fx::from_num(0.6),
        risk: OptionRiskConfig::DEFAULT,
    })
    .unwrap();
    let init = portfolio_health(&input, &book, HealthType::Init).unwrap();
    // Within the grid's error term (3 x 2^-30 of the forward per unit under Init).
    assert!((f(init.option_equity) - 14_900.0).abs() < 1e-3, "{}", init.option_equity);
    let maint = portfolio_health(&input, &book, HealthType::Maint).unwrap();
    assert!((f(maint.option_equity) - 149_900.0).abs() < 1e-3, "{}", maint.option_equity);
    // A short call is the other way round: Init values the liability at the higher price.
    book.positions[0].size = Fx::from(-100);
    let short = portfolio_health(&input, &book, HealthType::Init).unwrap();
    assert!((f(short.option_equity) + 149_900.0).abs() < 1e-3, "{}", short.option_equity);
}

#[test]
fn a_collapsed_underlying_keeps_health_a_number_and_the_account_liquidatable() {
    // The underlying fell from 150 to 2 under a short call struck at 150 (75 times the price):
    // priced by the grid's formula, worth next to nothing; and to 0.005 (30,000 times): valued at
    // the bound F (N(d1) + error). Health is a number either way, so the account stays
    // liquidatable on its quote debt.
    let p = params(2_000, 2_500);
    for price in [2.0, 0.005] {
        let mut input = HealthInput::new_boxed();
        input.push(asset(0, 0, price, &p), Exposure::default()).unwrap();
        input.push(asset(1, 1, 1.0, &params(0, 0)), Exposure { spot: Fx::from(-10), ..Default::default() }).unwrap();
        let mut book = OptionBook::default();
        let o = OptionEntry {
            entry: 0,
            kind: OptionKind::Call,
            strike: Price::from_num(150),
            seconds: 30 * 86_400,
            size: Fx::from(-100),
            vol: Fx::from_num(0.6),
            risk: OptionRiskConfig::DEFAULT,
        };
        book.push(o).unwrap();
        let maint = portfolio_health(&input, &book, HealthType::Maint).unwrap();
        assert!(
            maint.option_equity <= Fx::ZERO && maint.option_equity > Fx::from_num(-0.001),
            "{}",
            maint.option_equity
        );
        assert!(maint.health < Fx::ZERO);
        book.positions[0].size = Fx::from(100);
        let long = portfolio_health(&input, &book, HealthType::Maint).unwrap();
        assert!(long.option_equity >= Fx::ZERO && long.option_equity < Fx::from_num(0.001));
        if price < 0.01 {
            assert_eq!(long.option_equity, Fx::ZERO, "beyond 2^14 times the price a long call is valued at 0");
        }
        let mut g = [UnderlyingGreeks::default(); MAX_HEALTH_ASSETS];
        account_greeks(&input, &book, &mut g).unwrap();
        assert!(g[0].delta.abs() < Fx::from_num(1e-6));
    }
}

fn kind_of(b: bool) -> OptionKind {
    if b {
        OptionKind::Call
    } else {
        OptionKind::Put
    }
}

/// An option on `input`'s entry `entry` struck at `pct`% of its oracle price, `seconds` to expiry,
/// `vol_pct`% volatility, the default grid configuration.
fn option_on(
    input: &HealthInput,
    entry: usize,
    (call, pct): (bool, u32),
    seconds: i64,
    size: i64,
    vol_pct: u32,
) -> OptionEntry {
    let fwd = input.assets[entry].oracle_price;
    OptionEntry {
        entry,
        kind: kind_of(call),
        strike: fwd.checked_mul_int(i128::from(pct)).unwrap().checked_div_int(100).unwrap(),
        seconds,
        size: Fx::from(size),
        vol: Fx::from_num(vol_pct as f64 / 100.0),
        risk: OptionRiskConfig::DEFAULT,
    }
}

/// The property tests' three underlyings with spot and perp exposures: entries 0 (at 150) and 2 (a
/// liquid-staked twin at 160, the leader's shocks) are risk group 0, entry 1 (at 0.25) group 1.
fn three_entries(spots: &[i64], perps: &[i64]) -> Box<HealthInput> {
    let p = params(2_000, 2_500);
    let mut input = HealthInput::new_boxed();
    for (j, (index, group, price)) in [(0, 0, 150.0), (1, 1, 0.25), (2, 0, 160.0)].into_iter().enumerate() {
        let e = Exposure { spot: Fx::from(spots[j]), perp_base: Fx::from(perps[j]), ..Default::default() };
        input.push(asset(index, group, price, &p), e).unwrap();
    }
    input
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The soundness bound of the issue: over random portfolios of spot, perps and up to six
    /// options on three underlyings (two of them one risk group), some expiring within hours,
    /// the requirement is never below the worst loss over the main grid of Init and of Maint
    /// (revalued independently in f64), and Init <= LiquidationEnd <= Maint.
    #[test]
    fn requirement_is_never_below_the_worst_grid_loss(
        spots in prop::collection::vec(-1_000i64..1_000, 3),
        perps in prop::collection::vec(-1_000i64..1_000, 3),
        opts in prop::collection::vec((0usize..3, any::<bool>(), 40u32..250, 0i64..400, -500i64..500, 10u32..250, any::<bool>()), 0..6),
    ) {
        let input = three_entries(&spots, &perps);
        let mut book = OptionBook::default();
        let mut gross = 0.0;
        for &(entry, call, pct, days, size, vol, short_dated) in &opts {
            let seconds = if short_dated { (days % 48) * 1_800 + 600 } else { days * 86_400 + 3_600 };
            book.push(option_on(&input, entry, (call, pct), seconds, size, vol)).unwrap();
            gross += size.unsigned_abs() as f64 * input.assets[entry].oracle_price.to_num::<f64>() * pct as f64 / 100.0;
        }
        for j in 0..3 {
            gross += (spots[j].unsigned_abs() + perps[j].unsigned_abs()) as f64 * input.assets[j].oracle_price.to_num::<f64>();
        }
        let [init, liq_end, maint] = [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint]
            .map(|t| portfolio_health(&input, &book, t).unwrap());
        prop_assert!(init.health <= liq_end.health && liq_end.health <= maint.health);
        // The grid's valuations are within 3 x 2^-30 of the forward per unit (Init): 1e-8 of the
        // gross notional bounds the f64 reference's disagreement with room to spare.
        let tol = 1e-8 * gross + 1e-9;
        for (t, h) in [(HealthType::Init, &init), (HealthType::Maint, &maint)] {
            let worst: f64 = (0..2).map(|g| f64_worst_main_loss(&input, &book, g, t)).sum();
            let req = f(h.requirement().unwrap());
            prop_assert!(req >= worst - tol, "{:?}: requirement {} below worst loss {}", t, req, worst);
        }
        let init_worst: f64 = (0..2).map(|g| f64_worst_main_loss(&input, &book, g, HealthType::Maint)).sum();
        prop_assert!(f(init.requirement().unwrap()) >= init_worst - tol, "Init covers the Maint grid");
    }

    /// A group whose options are all long is revalued at vol down only (flat at the extremes):
    /// its worst loss is the one over every scenario, bit for bit (the value rises with
    /// volatility). A group whose options are all short is revalued at vol up, at the no-move
    /// point and at the ends only: its worst loss is within twice the error term of every
    /// scenario's (its loss is convex on each side) and never above it. For every health type,
    /// with linear members (a second member of the group with its own shocks), strikes from 20%
    /// to 500%, hours to a year and stable prices apart from the oracle.
    #[test]
    fn a_one_direction_group_needs_fewer_scenarios(
        short in any::<bool>(),
        stable in 50u32..200,
        spots in prop::collection::vec(-1_000i64..1_000, 2),
        perp in -1_000i64..1_000,
        opts in prop::collection::vec((any::<bool>(), 20u32..500, 0i64..8_800, 1i64..500, 5u32..300), 1..8),
    ) {
        let p = params(2_000, 2_500);
        let mut input = HealthInput::new_boxed();
        let mut a = asset(0, 0, 150.0, &p);
        a.stable_price = Price::from_num(150.0 * stable as f64 / 100.0);
        input.push(a, Exposure { spot: Fx::from(spots[0]), perp_base: Fx::from(perp), ..Default::default() }).unwrap();
        // A twin in the same group with other shocks.
        input.push(asset(1, 0, 160.0, &params(1_000, 4_000)), Exposure { spot: Fx::from(spots[1]), ..Default::default() }).unwrap();
        let mut book = OptionBook::default();
        let mut error = 0.0;
        for &(call, pct, hours, size, vol) in &opts {
            book.push(OptionEntry {
                entry: 0,
                kind: kind_of(call),
                strike: Price::from_num(150.0 * pct as f64 / 100.0),
                seconds: hours * 3_600 + 60,
                size: Fx::from(if short { -size } else { size }),
                vol: Fx::from_num(vol as f64 / 100.0),
                risk: OptionRiskConfig::DEFAULT,
            }).unwrap();
            // 3 x 2^-30 of the forward (at most 300 at the highest stable price and +20%, plus
            // the strike) per unit, both ends of a loss.
            error += 2.0 * 3.0 * size as f64 * (400.0 + 750.0) / (1u64 << 30) as f64;
        }
        let own = GroupKind::of_group(&input, &book, 0);
        prop_assert_eq!(own, if short { GroupKind::Short } else { GroupKind::Long });
        for t in [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint] {
            let fewer = group_parts_using(&input, &book, &cfg(), t, 0, own).unwrap();
            let all = group_parts_using(&input, &book, &cfg(), t, 0, GroupKind::Mixed).unwrap();
            if short {
                for (a, b) in [(fewer.maint_worst, all.maint_worst), (fewer.wide_worst.unwrap_or_default(), all.wide_worst.unwrap_or_default())] {
                    prop_assert!(a <= b && f(b) - f(a) <= error + 1e-9, "{:?}: {} against {}", t, a, b);
                }
                prop_assert_eq!((fewer.option_equity, fewer.short_minimum), (all.option_equity, all.short_minimum));
            } else {
                prop_assert_eq!(fewer, all, "{:?}", t);
            }
        }
    }

    /// The option tape (a liquidation's revaluation after a step that moves linear exposures
    /// only): over random portfolios of spot, perps and up to six options on three underlyings
    /// (two of them one risk group), with both groups recorded, new spot and perp exposures give
    /// LiquidationEnd and Maint figures equal to the full evaluation's, bit for bit; then one
    /// option recorded alone and resized (a take-over) gives the full figure too.
    #[test]
    fn the_option_tape_replays_random_portfolios_bit_for_bit(
        spots in prop::collection::vec(-1_000i64..1_000, 3),
        perps in prop::collection::vec(-1_000i64..1_000, 3),
        after in prop::collection::vec(-1_000i64..1_000, 3),
        opts in prop::collection::vec((0usize..3, any::<bool>(), 40u32..250, 0i64..400, -500i64..500, 10u32..250), 1..7),
        taken in 0usize..7,
        new_size in -500i64..500,
    ) {
        use crate::health::health_components_memo;
        let mut input = three_entries(&spots, &perps);
        let mut book = OptionBook::default();
        for &(entry, call, pct, days, size, vol) in &opts {
            let entry = if entry == 2 { 0 } else { entry }; // options on group leaders
            book.push(option_on(&input, entry, (call, pct), days * 86_400 + 3_600, size, vol)).unwrap();
        }
        input.options = Some(Box::new(book));
        let mut memo = GridMemo { tape: OptionTape::capture([Some(0), Some(1)]), ..Default::default() };
        let before = health_components_memo(&input, HealthType::LiquidationEnd, Some(MemoUse::fill(&mut memo))).unwrap();
        prop_assert_eq!(before, health_components(&input, HealthType::LiquidationEnd).unwrap());
        for (j, &a) in after.iter().enumerate() {
            input.exposures[j].spot = Fx::from(a);
        }
        let (no, yes) = (|_: u16| false, |_: u16| Replay::Options);
        for t in [HealthType::LiquidationEnd, HealthType::Maint] {
            let r = health_components_memo(&input, t, Some(MemoUse::read(&mut memo, &no, &yes))).unwrap();
            prop_assert_eq!(r, health_components(&input, t).unwrap(), "{:?}", t);
        }
        // A take-over of one option (recorded alone first): any new size, zero included (the
        // group's kind may change: then it is valued in full), gives the full figure.
        let j = taken % opts.len();
        let o = input.options.as_deref().unwrap().positions[j];
        memo.record_option(&input, (input.assets[o.entry].asset_index, o.kind, o.strike, o.seconds)).unwrap();
        input.options.as_deref_mut().unwrap().positions[j].size = Fx::from(new_size);
        let but = |_: u16| Replay::AllButTheRecordedOption;
        let r = health_components_memo(&input, HealthType::LiquidationEnd, Some(MemoUse::read(&mut memo, &no, &but))).unwrap();
        prop_assert_eq!(r, health_components(&input, HealthType::LiquidationEnd).unwrap());
    }

    /// Init <= LiquidationEnd <= Maint with stable prices apart from the oracle (the Init forward
    /// guard and the short-option minimum at the higher price), strikes from 1% to 5,000% of the
    /// price (beyond 64 times it in the down scenarios), short and long, hours to a year.
    #[test]
    fn init_is_at_most_liquidation_end_at_most_maint_with_stable_prices(
        stable in prop::collection::vec(50u32..200, 2),
        spots in prop::collection::vec(-1_000i64..1_000, 2),
        opts in prop::collection::vec((0usize..2, any::<bool>(), 1u32..5_000, 0i64..8_800, -500i64..500, 5u32..300), 1..8),
    ) {
        let p = params(2_000, 2_500);
        let mut input = HealthInput::new_boxed();
        for (j, price) in [150.0, 0.25].into_iter().enumerate() {
            let mut a = asset(j as u16, j as u16, price, &p);
            a.stable_price = Price::from_num(price * stable[j] as f64 / 100.0);
            input.push(a, Exposure { spot: Fx::from(spots[j]), ..Default::default() }).unwrap();
        }
        let mut book = OptionBook::default();
        for &(entry, call, pct, hours, size, vol) in &opts {
            book.push(option_on(&input, entry, (call, pct), hours * 3_600 + 60, size, vol)).unwrap();
        }
        let [init, liq_end, maint] = [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint]
            .map(|t| portfolio_health(&input, &book, t).unwrap());
        prop_assert!(init.health <= liq_end.health, "init {} > liquidation end {}", init.health, liq_end.health);
        prop_assert!(liq_end.health <= maint.health, "liquidation end {} > maint {}", liq_end.health, maint.health);
    }
}

/// The bound tests' input: entry 0 (at 150, stable apart) leads group 0 with a twin, entry 2 (at
/// 160, other shocks, spot and perp), entry 1 (at 0.25) is group 1, entry 3 a riskless quote
/// asset holding `cash`.
fn bound_input(down: u16, up: u16, stable: &[u32], spots: &[i64], perp: i64, cash: Fx) -> Box<HealthInput> {
    let mut input = HealthInput::new_boxed();
    let p = params(down, up);
    for (j, (group, price)) in [(0u16, 150.0), (1, 0.25)].into_iter().enumerate() {
        let mut a = asset(j as u16, group, price, &p);
        a.stable_price = Price::from_num(price * stable[j] as f64 / 100.0);
        let perp_base = if j == 0 { Fx::from(perp) } else { Fx::ZERO };
        input.push(a, Exposure { spot: Fx::from(spots[j]), perp_base, ..Default::default() }).unwrap();
    }
    let twin = asset(2, 0, 160.0, &params(down / 2, up.saturating_mul(2)));
    input.push(twin, Exposure { spot: Fx::from(spots[2]), perp_base: Fx::from(-perp), ..Default::default() }).unwrap();
    input.push(asset(3, 3, 1.0, &params(0, 0)), Exposure { spot: cash, ..Default::default() }).unwrap();
    input
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// `portfolio_health_bound` never exceeds the health, for every health type: random shocks
    /// (down 5% to 100%, up 5% to 500%), stable prices apart from the oracle, a twin member in the
    /// options' group, strikes from 1/32 to 2^15 times the price (across the grid's moneyness
    /// edge), volatilities up to 1,000%, expiries to three years; the options' value now is the
    /// same. Then the quote cash is set so that Init health is within one unit of the last place
    /// of zero: `init_health_for_rule` is at most Init health and >= 0 exactly when it is.
    #[test]
    fn the_bound_is_never_above_the_health_and_decides_the_rule_alike(
        (down, up) in (500u16..=10_000, 500u16..=50_000),
        stable in prop::collection::vec(50u32..200, 2),
        spots in prop::collection::vec(-1_000i64..1_000, 3),
        perp in -1_000i64..1_000,
        opts in prop::collection::vec((0usize..2, any::<bool>(), 0u32..41, 0i64..26_300, -500i64..500, 5u32..1_000), 2..8),
        eps in -1i128..=1,
    ) {
        let input = bound_input(down, up, &stable, &spots, perp, Fx::ZERO);
        let mut book = OptionBook::default();
        for &(entry, call, e, hours, size, vol) in &opts {
            // Strike 2^(e/2 - 5) times the price: 1/32 to 2^15.
            let k = input.assets[entry].oracle_price.to_num::<f64>() * 2f64.powf(e as f64 / 2.0 - 5.0);
            book.push(OptionEntry {
                entry,
                kind: kind_of(call),
                strike: Price::from_num(k),
                seconds: hours * 3_600 + 60,
                size: Fx::from(size),
                vol: Fx::from_num(vol as f64 / 100.0),
                risk: OptionRiskConfig::DEFAULT,
            }).unwrap();
        }
        for t in [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint] {
            let exact = portfolio_health(&input, &book, t).unwrap();
            let bound = portfolio_health_bound(&input, &book, t).unwrap();
            prop_assert!(bound.health <= exact.health, "{t:?}: bound {} > health {}", bound.health, exact.health);
            prop_assert_eq!(bound.option_equity, exact.option_equity);
            if !has_group_of_both_signs(&input, &book) {
                prop_assert_eq!(bound, exact);
            }
        }
        // Init health moved to within an ulp of zero through the riskless cash.
        let init = portfolio_health(&input, &book, HealthType::Init).unwrap().health;
        let cash = Fx::from_bits(eps).checked_sub(init).unwrap();
        let mut input = bound_input(down, up, &stable, &spots, perp, cash);
        input.options = Some(Box::new(book));
        let init = crate::health(&input, HealthType::Init).unwrap();
        prop_assert!(init.to_bits().abs() <= 2, "near zero: {init}");
        let rule = crate::init_health_for_rule(&input).unwrap();
        prop_assert!(rule <= init);
        prop_assert_eq!(rule >= Fx::ZERO, init >= Fx::ZERO);
    }
}

/// A short call whose strike is just under 2^14 times the price, at 300% volatility for a year,
/// with 10% shocks: a 10% fall carries the strike across the grid's moneyness edge, where the
/// short's value jumps from the formula to its bound, so its loss is not convex in the step. The
/// group is revalued in every scenario (not the short-only ends), and the bound computes it
/// exactly even with a long option beside it.
#[test]
fn px_11_a_short_across_the_moneyness_edge_is_revalued_in_every_scenario() {
    let mut input = HealthInput::new_boxed();
    input.push(asset(0, 0, 150.0, &params(1_000, 1_000)), Exposure::default()).unwrap();
    let short = OptionEntry {
        entry: 0,
        kind: OptionKind::Call,
        strike: Price::from_num(150.0 * 16_220.0),
        seconds: 365 * 86_400,
        size: Fx::from(-100),
        vol: Fx::from(3),
        risk: OptionRiskConfig::DEFAULT,
    };
    let mut book = OptionBook::default();
    book.push(short).unwrap();
    assert!(shorts_reach_the_edge(&input, &book, 0));
    assert_eq!(GroupKind::of_group(&input, &book, 0), GroupKind::Mixed);
    let cfg = group_config(&input, &book, 0).unwrap();
    let all = group_parts_using(&input, &book, &cfg, HealthType::Init, 0, GroupKind::Mixed).unwrap();
    let ends = group_parts_using(&input, &book, &cfg, HealthType::Init, 0, GroupKind::Short).unwrap();
    // The ends-only selection would miss the interior peak.
    assert!(ends.wide_worst < all.wide_worst, "{:?} {:?}", ends.wide_worst, all.wide_worst);
    // With a long put beside it, the bound is the grid's own figure for the group.
    book.push(OptionEntry { kind: OptionKind::Put, strike: Price::from_num(150.0), size: Fx::from(1), ..short })
        .unwrap();
    for t in [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint] {
        assert_eq!(portfolio_health_bound(&input, &book, t).unwrap(), portfolio_health(&input, &book, t).unwrap());
    }
    // A strike well inside the edge keeps the short-only selection.
    let mut inside = OptionBook::default();
    inside.push(OptionEntry { strike: Price::from_num(150.0 * 1_000.0), ..short }).unwrap();
    assert_eq!(GroupKind::of_group(&input, &inside, 0), GroupKind::Short);
}

/// A collar (spot, long put, short call: one group of both signs): the bound is looser than the
/// health by about the short call's own charge; with ample equity it settles the rule, and with a
/// USDC borrow that leaves Init health between 0 and that looseness the rule reads Init health
/// itself.
#[test]
fn the_bound_of_a_collar_is_looser_and_the_rule_falls_back_to_the_health() {
    let (input, book) = efficiency::build(&[
        Leg::Spot(SIZE),
        Leg::Option(OptionKind::Put, 90, 30, SIZE),
        Leg::Option(OptionKind::Call, 110, 30, -SIZE),
    ])
    .unwrap();
    assert!(has_group_of_both_signs(&input, &book));
    let exact = portfolio_health(&input, &book, HealthType::Init).unwrap();
    let bound = portfolio_health_bound(&input, &book, HealthType::Init).unwrap();
    let (req, loose) = (exact.requirement().unwrap(), bound.requirement().unwrap());
    assert!(loose > req * Fx::from(2), "the bound is loose: {loose} against {req}");
    let rule_with_borrow = |borrow: i64| {
        let mut x = input.clone();
        x.push(asset(1, 1, 1.0, &params(2_000, 2_500)), Exposure { spot: Fx::from(-borrow), ..Default::default() })
            .unwrap();
        x.options = Some(Box::new(book));
        (crate::health(&x, HealthType::Init).unwrap(), crate::init_health_for_rule(&x).unwrap())
    };
    // Ample: the bound settles it.
    let (init, rule) = rule_with_borrow(0);
    assert!(rule >= Fx::ZERO && rule < init, "{rule} {init}");
    // Borrow until the bound no longer passes: Init health is still positive there, and the rule
    // reads it.
    let (init, rule) = (0..200)
        .map(|k| rule_with_borrow(k * 100))
        .find(|&(init, rule)| rule == init)
        .expect("a borrow where the bound fails");
    assert!(init >= Fx::ZERO, "the exact health still passes at the first borrow the bound refuses: {init}");
    assert_eq!(rule, init);
}

/// An underlying fallen 2^15-fold or more below an option's strike (a put struck at 6,400% of the
/// price, the widest strike band, after a 99.8% fall; any put after a 99.997% one): health stays a
/// number, for every health type, so the account stays liquidatable. Until issue 12's review the
/// capped moneyness was one past `i64` and every such book failed with MathOverflow.
#[test]
fn px_10_health_stays_a_number_after_a_collapse_past_2_15_times_the_strike() {
    for ratio in [32_767.0, 32_768.0, 40_000.0, 1e6, 1e9] {
        for (kind, size) in
            [(OptionKind::Put, -1i64), (OptionKind::Put, 1), (OptionKind::Call, -1), (OptionKind::Call, 1)]
        {
            let mut input = HealthInput::new_boxed();
            input.push(asset(0, 0, 150.0, &params(500, 500)), Exposure::default()).unwrap();
            let mut book = OptionBook::default();
            let strike = Price::from_num(150.0 * ratio);
            let o = OptionEntry {
                entry: 0,
                kind,
                strike,
                seconds: 86_400,
                size: Fx::from(size),
                vol: Fx::from_num(0.6),
                risk: OptionRiskConfig::DEFAULT,
            };
            book.push(o).unwrap();
            let [init, liq_end, maint] = [HealthType::Init, HealthType::LiquidationEnd, HealthType::Maint].map(|t| {
                portfolio_health(&input, &book, t).unwrap_or_else(|e| panic!("{ratio} {kind:?} {size}: {e:?}")).health
            });
            assert!(init <= liq_end && liq_end <= maint, "{ratio} {kind:?} {size}: {init} {liq_end} {maint}");
            if kind == OptionKind::Put && size < 0 {
                // The short put owes at least its intrinsic value.
                let intrinsic = Fx::from_num(150.0 * ratio - 150.0);
                assert!(maint <= -intrinsic, "{ratio}: {maint} against {intrinsic}");
            }
        }
    }
}
