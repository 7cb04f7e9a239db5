//! The `ballast` binary: `simulate` (a market scenario on the embedded bank), `metrics` (account
//! sizes, health-check accounts, transaction sizes, off-chain health throughput), `migrate` and
//! `keeper`.

mod keeper;
mod metrics;
mod migrate;
mod sim_crash;
mod sim_options;
mod sim_perps;
mod simulate;
mod tx_sizes;

use clap::{Parser, Subcommand};

/// Counts the program's heap allocations while it runs on the embedded bank, for the peak-heap
/// figures of `ballast metrics` (S2-05); otherwise the system allocator, one thread-local check per
/// allocation.
#[global_allocator]
static ALLOC: ballast_sdk::heap::CountingAlloc = ballast_sdk::heap::CountingAlloc;

/// Ballast: cross-margin prime brokerage on Solana.
#[derive(Parser)]
#[command(name = "ballast", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs a market scenario on the embedded in-process bank (no network needed).
    Simulate(simulate::Args),
    /// Prints the measured figures: account sizes, health-check accounts, health evaluations/s.
    Metrics(metrics::Args),
    /// Bootstraps a group from a TOML config: a dry run on the embedded bank, or `--url` for a cluster.
    Migrate(migrate::Args),
    /// Liquidation keeper over RPC: liquidates, settles and resolves bankruptcies (simulate runs
    /// the same keeper on the embedded bank).
    Keeper(keeper::Args),
}

fn main() {
    // The embedded bank logs every instruction at debug level unless told otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Simulate(a) => simulate::run(a),
        Cmd::Metrics(a) => metrics::run(a),
        Cmd::Migrate(a) => migrate::run(a),
        Cmd::Keeper(a) => keeper::run(a),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
