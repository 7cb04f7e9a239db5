//! `ballast migrate`: runs a migration config through the SDK, on the embedded bank (dry run,
//! with fixture mints and oracles at the configured addresses) or against an RPC URL.

use std::path::PathBuf;

use ballast_sdk::transport::{EmbeddedBank, RpcTransport};
use ballast_sdk::{migrate, Result, SdkError};
use solana_sdk::signature::Keypair;

/// Options of `migrate`.
#[derive(clap::Args)]
pub struct Args {
    /// Config file.
    #[arg(long, default_value = "migrations/devnet.toml")]
    pub config: PathBuf,
    /// RPC URL; without it, a dry run on the embedded bank.
    #[arg(long)]
    pub url: Option<String>,
    /// Admin keypair file (Solana CLI JSON format); defaults to ~/.config/solana/id.json.
    #[arg(long)]
    pub keypair: Option<PathBuf>,
}

/// Reads a keypair file in the Solana CLI JSON format.
pub fn read_keypair(path: &PathBuf) -> Result<Keypair> {
    let text = std::fs::read_to_string(path).map_err(|e| SdkError::Config(format!("{}: {e}", path.display())))?;
    let bytes: Vec<u8> = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|b| b.trim().parse::<u8>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| SdkError::Config(format!("{}: {e}", path.display())))?;
    Keypair::try_from(&bytes[..]).map_err(|e| SdkError::Config(format!("{}: {e}", path.display())))
}

/// Runs the migration.
pub fn run(a: Args) -> Result<()> {
    let text =
        std::fs::read_to_string(&a.config).map_err(|e| SdkError::Config(format!("{}: {e}", a.config.display())))?;
    let cfg = migrate::parse(&text)?;
    let group = match a.url {
        None => {
            let mut bank = EmbeddedBank::new();
            let admin = bank.payer();
            migrate::install_dry_run_fixtures(&mut bank, &cfg)?;
            println!("dry run on the embedded bank (fixture mints and oracles at the configured addresses)");
            migrate::run(&mut bank, &admin, &cfg)?
        }
        Some(url) => {
            let path = a.keypair.unwrap_or_else(|| {
                PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".config/solana/id.json")
            });
            let admin = read_keypair(&path)?;
            let mut t = RpcTransport::new(&url);
            migrate::run(&mut t, &admin, &cfg)?
        }
    };
    println!("group {group}: {} assets listed or already present", cfg.assets.len());
    Ok(())
}
