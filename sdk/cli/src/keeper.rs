//! `ballast keeper`: the liquidation keeper over RPC (the same `ballast_sdk::keeper::Keeper` that
//! `simulate` runs on the embedded bank).

use std::path::PathBuf;
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use ballast_sdk::keeper::Keeper;
use ballast_sdk::transport::RpcTransport;
use ballast_sdk::{pda, Result, SdkError};
use solana_sdk::signature::Signer;

/// Options of `keeper`.
#[derive(clap::Args)]
pub struct Args {
    /// RPC URL of the cluster.
    #[arg(long)]
    pub url: String,
    /// Group address.
    #[arg(long)]
    pub group: String,
    /// Keypair owning the liquidator margin account and paying fees (Solana CLI JSON format);
    /// defaults to ~/.config/solana/id.json.
    #[arg(long)]
    pub keypair: Option<PathBuf>,
    /// Account number of the liquidator's margin account.
    #[arg(long, default_value_t = 0)]
    pub account_num: u32,
    /// Rounds per pass (a round scans every account once).
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
    /// Seconds between passes; 0 runs one pass and exits.
    #[arg(long, default_value_t = 0)]
    pub interval: u64,
}

/// Runs the keeper.
pub fn run(a: Args) -> Result<()> {
    let group = Pubkey::from_str(&a.group).map_err(|e| SdkError::Config(format!("group: {e}")))?;
    let path = a
        .keypair
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".config/solana/id.json"));
    let owner = crate::migrate::read_keypair(&path)?;
    let payer = owner.insecure_clone();
    let liqor = pda::margin_account(&group, &owner.pubkey(), a.account_num).0;
    let keeper = Keeper { group, liqor, owner, payer };
    let mut t = RpcTransport::new(&a.url);
    // One cache for the life of the keeper: reads are batched and each sweep knows which prices
    // moved since the last one.
    let mut cache = ballast_sdk::sweep::AccountCache::new(group);
    loop {
        let r = match keeper.run_with(&mut t, a.rounds, &mut cache) {
            Ok(r) => r,
            // A single run: its error is the command's. Looping: an RPC hiccup (a node behind,
            // a timeout) must not stop liquidations; the next run starts from the same cache.
            Err(e) if a.interval == 0 => return Err(e),
            Err(e) => {
                eprintln!("keeper run failed, retrying in {} s: {e}", a.interval);
                std::thread::sleep(std::time::Duration::from_secs(a.interval));
                continue;
            }
        };
        println!(
            "scanned {} accounts ({} evaluations, {:.0} accounts/s): {} liquidations, {} settlements, {} bankruptcies, {} refused, {} still liquidatable",
            r.scanned,
            r.evaluated,
            r.evals_per_sec(),
            r.liquidations,
            r.settlements,
            r.bankruptcies,
            r.refused.len(),
            r.still_liquidatable.len()
        );
        if a.interval == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(a.interval));
    }
}
