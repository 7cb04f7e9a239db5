//! migrations/devnet.toml runs through the SDK against the embedded bank (dry run).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast_sdk::oracle_accounts::{pyth_pull, OracleQuote};
use ballast_sdk::transport::{EmbeddedBank, Transport};
use ballast_sdk::{migrate, pda};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

#[test]
fn migrate_dry_run_on_embedded_bank() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/devnet.toml")).unwrap();
    let cfg = migrate::parse(&text).unwrap();
    let mut bank = EmbeddedBank::new();
    let now = bank.now().unwrap();
    let admin = bank.payer();
    for a in &cfg.assets {
        let mint: Pubkey = a.mint.parse().unwrap();
        let m = t22::state::Mint {
            mint_authority: Some(Pubkey::new_unique()).into(),
            supply: 0,
            decimals: 6,
            is_initialized: true,
            freeze_authority: if a.allow_freeze_authority { Some(Pubkey::new_unique()).into() } else { None.into() },
        };
        let mut data = vec![0u8; t22::state::Mint::LEN];
        t22::state::Mint::pack(m, &mut data).unwrap();
        bank.set_account(&mint, &anchor_spl::token::ID, 1_000_000_000, &data);
        let feed = a.params(0).unwrap().oracle.feed_id;
        let (owner, data) = pyth_pull(feed, OracleQuote::from_decimal(1.0, 10, now), VerificationLevel::Full);
        bank.set_account(&a.oracle.parse().unwrap(), &owner, 1_000_000, &data);
    }
    let group = migrate::run(&mut bank, &admin, &cfg).unwrap();
    for i in 0..cfg.assets.len() as u16 {
        let raw = bank.get_account(&pda::asset(&group, i).0).unwrap().expect("asset listed");
        assert_eq!(ballast_sdk::decode::asset(&raw).unwrap().asset_index, i);
    }
    // Idempotent: a second run lists nothing new and succeeds.
    migrate::run(&mut bank, &admin, &cfg).unwrap();
}
