//! migrations/devnet.toml runs through the SDK against the embedded bank (dry run).

use ballast_sdk::transport::{EmbeddedBank, Transport};
use ballast_sdk::{migrate, pda};

#[test]
fn migrate_dry_run_on_embedded_bank() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/devnet.toml")).unwrap();
    let cfg = migrate::parse(&text).unwrap();
    let mut bank = EmbeddedBank::new();
    let admin = bank.payer();
    migrate::install_dry_run_fixtures(&mut bank, &cfg).unwrap();
    let group = migrate::run(&mut bank, &admin, &cfg).unwrap();
    for i in 0..cfg.assets.len() as u16 {
        let raw = bank.get_account(&pda::asset(&group, i).0).unwrap().expect("asset listed");
        assert_eq!(ballast_sdk::decode::asset(&raw).unwrap().asset_index, i);
    }
    // Idempotent: a second run lists nothing new and succeeds.
    migrate::run(&mut bank, &admin, &cfg).unwrap();
}
