//! `ballast metrics`: the figures design.md asks for, measured here (a benchmark, not a test).

use anchor_lang::prelude::Pubkey;
use ballast::constants::*;
use ballast::risk::{HealthType, MAX_HEALTH_ASSETS};
use ballast::state::*;
use ballast_sdk::{health, Result};

/// Builds one of the largest instructions' scenarios.
type Prepare = fn() -> Result<ballast_sdk::scenario::Prepared>;

/// Peak heap of the largest two-sided instructions, counted natively by the counting allocator
/// (S2-05): the program's own allocations (budget 24 KiB of the 32 KiB SBF heap) and the SBF
/// entrypoint's estimated account-info buffers.
fn heap() -> Result<()> {
    use ballast_sdk::heap::{entrypoint_bytes, measure, PROGRAM_HEAP_BUDGET};
    use ballast_sdk::scenario::{self, account_counts};
    let line = |name: &str, heap: usize, ix: &anchor_lang::solana_program::instruction::Instruction| {
        let (n, distinct) = account_counts(ix);
        let entry = entrypoint_bytes(n, distinct);
        println!(
            "  peak heap, {name}: {heap} B of the program (budget {PROGRAM_HEAP_BUDGET}) + ~{entry} B entrypoint = ~{} B of 32,768",
            heap + entry
        );
    };
    let cases: [(&str, Prepare); 10] = [
        ("liquidate_token, 14 + 14 underlyings", scenario::largest_liquidation),
        (
            "liquidate_token, 14 tokens + 8 perps + 8 options on 14 underlyings + 14",
            scenario::largest_liquidation_with_options,
        ),
        (
            "liquidate_token, 14 tokens + 8 perps + 8 options of both signs on the seized asset + 14",
            scenario::largest_liquidation_with_mixed_options,
        ),
        ("liquidate_option (2 contracts), the same account", scenario::largest_option_liquidation_with_mixed_options),
        ("fill_order, 14 + 14 underlyings", scenario::largest_fill),
        (
            "fill_option_order, 14 tokens + 8 perps + 8 options on 14 underlyings, both sides",
            scenario::largest_option_fill,
        ),
        (
            "fill_option_order, the same with 8 options of both signs on one underlying, both sides",
            scenario::largest_mixed_option_fill,
        ),
        (
            "fill_option_order, a book of both signs near its limit (the bound, then Init health) against one long put",
            scenario::near_limit_mixed_option_fill,
        ),
        ("block_trade, 14 + 14 underlyings", scenario::largest_block_trade),
        ("check_what_if with 8 hypothetical trades, 8 options on 14 underlyings", scenario::largest_what_if),
    ];
    for (name, prepare) in cases {
        let mut p = prepare()?;
        let ((r, h), ops) = counted(|| measure(|| p.run()));
        r?;
        line(name, h, p.main_ix());
        let accounts = p.ixs.iter().map(|ix| ix.accounts.len() as u64).sum::<u64>();
        println!(
            "  estimated compute, {name}: ~{} CU (limit 1,400,000; target < 700,000): {} 128-bit products \
             (+ {} with one and {} with two operands below 2^64), {} divisions, {} option valuations, \
             {} logarithms of price moves, {} per-asset health terms, {} health-account reads, {accounts} instruction accounts \
             (weights and method: docs/performance.md)",
            ops.estimated_cu(accounts),
            ops.wide_muls,
            ops.half_muls,
            ops.narrow_muls,
            ops.divs,
            ops.option_evals,
            ops.option_lns,
            ops.asset_terms,
            ops.account_loads
        );
        if name.starts_with("liquidate_token") {
            // The searches' bound instead of what this liquidation needed: every further candidate
            // costs one step evaluation (two entries and their groups, `weights::STEP_EVAL`).
            use ballast::risk::liquidation::{MAX_KINK_CANDIDATES, MAX_SEARCH_STEPS};
            let bound = (2 * (2 + MAX_SEARCH_STEPS) + MAX_KINK_CANDIDATES) as u64;
            let more = bound.saturating_sub(ops.step_evals);
            let worst = ops.estimated_cu(accounts) + more * ballast::risk::ops::weights::STEP_EVAL;
            println!(
                "  estimated compute, {name}, worst case of the searches ({bound} candidate evaluations instead of {}): ~{worst} CU",
                ops.step_evals
            );
        }
    }
    Ok(())
}

/// Options of `metrics`.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds per round of each throughput measurement.
    #[arg(long, default_value_t = 0.5)]
    pub seconds: f64,
    /// Rounds of each throughput measurement (min, median and max are printed).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Accounts in the synthetic book swept on all cores.
    #[arg(long, default_value_t = 1_000_000)]
    pub book: usize,
}

/// A margin account with a deposit in each of `n` assets, and its health accounts as raw bytes.
pub fn max_account(n: usize, now: i64) -> (Pubkey, Box<MarginAccount>, Vec<ballast_sdk::decode::RawAccount>) {
    ballast_sdk::synthetic::account_with_perps(n, 0, now)
}

/// Prints the figures.
pub fn run(a: Args) -> Result<()> {
    let now = 1_700_000_000;
    println!("Ballast metrics (native build, this machine)");
    heap()?;
    println!("  MarginAccount size:                         {} bytes (target <= 2,560) for {} token + {} perp + {} option slots",
        MARGIN_ACCOUNT_LEN, MAX_TOKEN_POSITIONS, MAX_PERP_POSITIONS, MAX_OPTION_POSITIONS);
    println!("  Asset size:                                 {} bytes", 8 + core::mem::size_of::<Asset>());
    println!("  Group size:                                 {} bytes", 8 + core::mem::size_of::<Group>());
    let n = MAX_TOKEN_POSITIONS.min(MAX_HEALTH_ASSETS);
    let (_, _, raws) = max_account(n, now);
    println!("  health-check accounts, {n} token positions: {} (2 per underlying: Asset + oracle)", raws.len());
    let (_, _, raws14) = max_account(14, now);
    println!("  health-check accounts, 14 underlyings:      {} (target 2K + 2 = 30)", raws14.len());
    let (g14, a14, raws14p) = ballast_sdk::synthetic::account_with_perps(14, MAX_PERP_POSITIONS, now);
    health::compute(&g14, &a14, &raws14p, now, HealthType::Init)?;
    println!(
        "  health check, 14 tokens + 8 perps on 14 underlyings: {} remaining + 2 fixed = {} accounts (target 2 x 14 + 2 = 30; a token slot is one per underlying, so 16 tokens need 16)",
        raws14p.len(),
        raws14p.len() + 2
    );
    crate::tx_sizes::print(&raws14p)?;
    for k in [MAX_ACCOUNT_ASSETS, MAX_ACCOUNT_ASSETS + 1, MAX_ACCOUNT_ASSETS + 2] {
        let (locks, bytes) = crate::tx_sizes::largest_liquidation(k)?;
        println!(
            "  largest liquidation, {k} underlyings each (cap {MAX_ACCOUNT_ASSETS}): {locks} account locks (limit 64), {bytes} bytes v0 with one lookup table (limit 1,232)"
        );
    }

    per_position(now)?;
    options(now, &a)?;
    throughput(&a);
    Ok(())
}

/// The options issue's figures: the capital-efficiency table (Init requirements under Ballast's
/// grid against isolated margin per leg and a weighted sum with the same shocks), and the largest
/// account with options (14 tokens + 8 perps + 8 options on 14 underlyings): its estimated compute
/// and its off-chain throughput from raw bytes.
fn options(now: i64, a: &Args) -> Result<()> {
    use ballast::risk::options::efficiency::{table, PRICE, SIZE};
    use ballast_sdk::synthetic::{timing::full_path_options, with_options, Market, Shape};
    let rows = table().map_err(|e| ballast_sdk::SdkError::Program(format!("{e:?}")))?;
    println!(
        "Options: Init requirement, quote native units ({SIZE} units per leg at {PRICE}, 60% vol, shocks 20%, default option config; docs/risk-model.md)"
    );
    println!("  {:<36} {:>10} {:>14} {:>14} {:>12}", "portfolio", "Ballast", "(a) isolated", "(b) weighted", "vs (b)");
    for r in rows {
        let (b, i, w) = (r.ballast.to_num::<f64>(), r.isolated.to_num::<f64>(), r.weighted_sum.to_num::<f64>());
        let less = if w > 0.0 { format!("{:.0}% less", 100.0 * (1.0 - b / w)) } else { "-".into() };
        println!("  {:<36} {b:>10.2} {i:>14.2} {w:>14.2} {less:>12}", r.portfolio.name);
    }
    let m = Market::new(16, now);
    let mut acc = m.account(Shape { tokens: 14, perps: 8 }, 0);
    let raws = m.health_accounts(&acc);
    let linear = health_cu(&m.group, &acc, &raws, now)?;
    with_options(&mut acc, 8, now);
    let (r, ops) = counted(|| health::compute(&m.group, &acc, &raws, now, HealthType::Init));
    r?;
    let with = ops.estimated_cu(raws.len() as u64);
    println!(
        "  14 tokens + 8 perps + 8 options on 14 underlyings: Init health check ~{with} CU estimated ({} option valuations; the same account without options ~{linear} CU)",
        ops.option_evals
    );
    let f = full_path_options(a.rounds, a.seconds);
    println!("  same account, full path from raw bytes with the options grid: {f} evals/s per core (target >= 50,000)");
    Ok(())
}

/// Estimated compute units of one Init health check of `acc` (the program's loader and engine on
/// its health accounts `raws`, counted operations weighted as in docs/performance.md, plus the
/// remaining accounts' entrypoint cost).
fn health_cu(group: &Pubkey, acc: &MarginAccount, raws: &[ballast_sdk::decode::RawAccount], now: i64) -> Result<u64> {
    let (r, ops) = counted(|| health::compute(group, acc, raws, now, HealthType::Init));
    r?;
    Ok(ops.estimated_cu(raws.len() as u64))
}

/// Runs `f` with the engine's operation counters on; its result and the operations it counted.
fn counted<T>(f: impl FnOnce() -> T) -> (T, ballast::risk::ops::OpCounts) {
    use ballast::risk::ops;
    ops::set_counting(true);
    let before = ops::snapshot();
    let r = f();
    let counts = ops::snapshot().since(&before);
    ops::set_counting(false);
    (r, counts)
}

/// Estimated on-chain cost per position of a health check (issue 11): the marginal cost of token
/// positions (16 against 8 tokens), of perp positions on underlyings the account already holds
/// (14 tokens + 8 perps against 14 tokens) and of perp positions on new underlyings (quote + 8
/// perps against quote only, each adding an Asset and an oracle to read).
fn per_position(now: i64) -> Result<()> {
    use ballast_sdk::synthetic::{Market, Shape};
    let m = Market::new(16, now);
    let cu = |tokens: usize, perps: usize| -> Result<u64> {
        let acc = m.account(Shape { tokens, perps }, 0);
        health_cu(&m.group, &acc, &m.health_accounts(&acc), now)
    };
    let (t8, t16, t14, t14p8, q, qp8) = (cu(8, 0)?, cu(16, 0)?, cu(14, 0)?, cu(14, 8)?, cu(1, 0)?, cu(1, 8)?);
    println!("  estimated compute of an Init health check: 8 tokens ~{t8} CU, 16 tokens ~{t16} CU, 14 tokens + 8 perps ~{t14p8} CU");
    println!(
        "  estimated compute per position of a health check: token ~{} CU (target <= 1,000; Mango v4 asserts < 3,350), \
         perp on a held underlying ~{} CU, perp on a new underlying ~{} CU (target <= 1,500; Mango v4 asserts < 4,800)",
        (t16 - t8) / 8,
        (t14p8 - t14) / 8,
        (qp8 - q) / 8
    );
    Ok(())
}

/// Off-chain throughput per shape (issue 11), min / median / max over `a.rounds` rounds.
fn throughput(a: &Args) {
    use ballast_sdk::synthetic::timing::{full_path, million, sweep_core};
    use ballast_sdk::synthetic::SHAPES;
    println!("Off-chain health throughput, one core unless said (docs/performance.md says what each loop includes)");
    for shape in SHAPES {
        let f = full_path(shape, a.rounds, a.seconds);
        let s = sweep_core(shape, a.rounds, a.seconds);
        println!(
            "  {:<20} full path from raw bytes: {f} evals/s; sweep, oracles and assets cached: {s} accounts/s",
            shape.label()
        );
    }
    let (secs, workers) = million(a.book, a.rounds);
    println!(
        "  sweep of {} accounts of mixed shapes on {workers} workers (price book included): {secs} s",
        ballast_sdk::synthetic::timing::group(a.book as u64)
    );
}
