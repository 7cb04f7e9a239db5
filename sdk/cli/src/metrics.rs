//! `ballast metrics`: the figures design.md asks for, measured here (a benchmark, not a test).

use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use ballast::constants::*;
use ballast::risk::{HealthType, MAX_HEALTH_ASSETS};
use ballast::state::*;
use ballast_sdk::decode::RawAccount;
use ballast_sdk::oracle_accounts::{pyth_pull, OracleQuote};
use ballast_sdk::{health, pda, Result};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

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
    let cases: [(&str, Prepare); 3] = [
        ("liquidate_token, 14 + 14 underlyings", scenario::largest_liquidation),
        ("fill_order, 14 + 14 underlyings", scenario::largest_fill),
        ("block_trade, 14 + 14 underlyings", scenario::largest_block_trade),
    ];
    for (name, prepare) in cases {
        let mut p = prepare()?;
        let before = ballast::risk::ops::snapshot();
        let (r, h) = measure(|| p.run());
        r?;
        let ops = ballast::risk::ops::snapshot().since(&before);
        line(name, h, p.main_ix());
        let accounts = p.ixs.iter().map(|ix| ix.accounts.len() as u64).sum::<u64>();
        println!(
            "  estimated compute, {name}: ~{} CU (limit 1,400,000; target < 700,000): {} 128-bit products, {} divisions, \
             {} bit-by-bit divisions, {} per-asset health terms, {} health-account reads, {accounts} instruction accounts \
             (weights and method: docs/performance.md)",
            ops.estimated_cu(accounts),
            ops.wide_muls,
            ops.divs,
            ops.bit_divs,
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
    /// Seconds to spend measuring health throughput.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
}

fn raw_of<T: bytemuck::Pod + Discriminator>(key: Pubkey, value: &T) -> RawAccount {
    let mut data = T::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(value));
    RawAccount::new(key, ballast::ID, 0, &data)
}

/// A margin account with a deposit in each of `n` assets, and its health accounts as raw bytes.
pub fn max_account(n: usize, now: i64) -> (Pubkey, Box<MarginAccount>, Vec<RawAccount>) {
    max_account_with_perps(n, 0, now)
}

/// A margin account with a deposit in each of `n` assets and a perp position in the first `perps`
/// of them (assets 1.., the quote asset 0 has no perp), and its health accounts as raw bytes.
pub fn max_account_with_perps(n: usize, perps: usize, now: i64) -> (Pubkey, Box<MarginAccount>, Vec<RawAccount>) {
    let group = Pubkey::new_unique();
    let mut acc: Box<MarginAccount> = Box::new(bytemuck::Zeroable::zeroed());
    acc.group = group;
    acc.init_slots();
    let mut raws = Vec::new();
    for i in 0..n {
        let idx = i as u16;
        acc.tokens[i].asset_index = idx;
        acc.tokens[i].indexed = Fx128::from_fx(ballast::risk::Fx::from_num(1_000_000_000u64 + i as u64));
        let oracle = Pubkey::new_unique();
        let feed = [i as u8 + 1; 32];
        let mut a: Asset = bytemuck::Zeroable::zeroed();
        a.group = group;
        a.asset_index = idx;
        a.decimals = 6;
        a.oracle = OracleConfig {
            address: oracle,
            feed_id: feed,
            max_age_secs: 60,
            max_conf_bps: 500,
            kind: OracleKind::PythPull as u8,
            reserved: 0,
        };
        a.risk = RiskConfig {
            concentration_threshold: u64::MAX,
            init_down_bps: 2_000,
            init_up_bps: 2_500,
            maint_down_bps: 1_000,
            maint_up_bps: 1_250,
            risk_group: idx,
            basis_bps: 0,
            liquidity_bps: 10,
            concentration_bps: 0,
            liquidation_fee_bps: 250,
            reserved: [0; 6],
        };
        a.bank.set_state(&ballast::risk::bank::BankState::default());
        if i >= 1 && i <= perps {
            a.perp.base_lot_size = 1_000;
            a.perp.flags = PERP_FLAG_ENABLED;
            a.perp.init_pnl_cap = 1_000_000;
            let slot = i - 1;
            acc.perps[slot].asset_index = idx;
            acc.perps[slot].base_lots = if i % 2 == 0 { 500_000 } else { -400_000 };
            acc.perps[slot].quote =
                Fx128::from_fx(ballast::risk::Fx::from_num(if i % 2 == 0 { -499_000_000i64 } else { 401_000_000 }));
        }
        a.stable_price = Price128::from_price(ballast::risk::Price::from_num(1));
        raws.push(raw_of(pda::asset(&group, idx).0, &a));
        let (owner, data) =
            pyth_pull(feed, OracleQuote::from_decimal(1.0 + i as f64, 10, now), VerificationLevel::Full);
        raws.push(RawAccount::new(oracle, owner, 0, &data));
    }
    (group, acc, raws)
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
    let (group, acc, raws) = max_account(n, now);
    println!("  health-check accounts, {n} token positions: {} (2 per underlying: Asset + oracle)", raws.len());
    let (_, _, raws14) = max_account(14, now);
    println!("  health-check accounts, 14 underlyings:      {} (target 2K + 2 = 30)", raws14.len());
    let (g14, a14, raws14p) = max_account_with_perps(14, MAX_PERP_POSITIONS, now);
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

    // Throughput: full path from raw bytes (decode, oracle parse and checks, engine), one core.
    let h = health::compute(&group, &acc, &raws, now, HealthType::Init)?;
    let start = Instant::now();
    let mut evals = 0u64;
    let mut sink = ballast::risk::Fx::ZERO;
    while start.elapsed().as_secs_f64() < a.seconds {
        for _ in 0..100 {
            let c = health::compute(&group, &acc, &raws, now, HealthType::Init)?;
            sink = sink.max(c.health);
            evals += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(sink, h.health);
    println!(
        "  off-chain health from raw bytes:            {:.0} evaluations/s on one core ({} positions each; target >= 50,000 for 32)",
        evals as f64 / secs,
        n
    );
    println!("  divisions by a variable per position in health: 0 (fractions precomputed per asset)");
    Ok(())
}
