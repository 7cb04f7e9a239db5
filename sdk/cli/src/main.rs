//! The `ballast` binary: `simulate` (a market scenario on the embedded bank) and `metrics`
//! (account sizes, health-check accounts, off-chain health throughput).

mod metrics;
mod simulate;

use clap::{Parser, Subcommand};

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
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Simulate(a) => simulate::run(a),
        Cmd::Metrics(a) => metrics::run(a),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
