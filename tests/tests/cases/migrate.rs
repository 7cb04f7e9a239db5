//! migrations/devnet.toml runs through the SDK against the embedded bank (dry run).

use ballast::state::{ASSET_FLAG_BORROWABLE, ASSET_FLAG_DEPOSITS_DISABLED};
use ballast_sdk::transport::{EmbeddedBank, Transport};
use ballast_sdk::{migrate, pda};

#[test]
fn migrate_dry_run_on_embedded_bank() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/devnet.toml")).unwrap();
    let cfg = migrate::parse(&text).unwrap();
    let mut bank = EmbeddedBank::new();
    let admin = bank.payer();
    migrate::install_dry_run_fixtures(&mut bank, &cfg).unwrap();
    assert!(cfg.timelock_secs > 0 && cfg.guardian.is_some(), "the config sets a guardian and a timelock");
    let group = migrate::run(&mut bank, &admin, &cfg).unwrap();
    let asset = |bank: &mut EmbeddedBank, i: u16| {
        ballast_sdk::decode::asset(&bank.get_account(&pda::asset(&group, i).0).unwrap().expect("asset listed")).unwrap()
    };
    let g = ballast_sdk::decode::group(&bank.get_account(&group).unwrap().unwrap()).unwrap();
    assert_eq!(g.timelock_secs, cfg.timelock_secs);
    assert_eq!(g.guardian.to_string(), *cfg.guardian.as_ref().unwrap());
    // Listed inert behind the timelock: deposits disabled, nothing borrowable, activation queued.
    for i in 0..cfg.assets.len() as u16 {
        let a = asset(&mut bank, i);
        assert_eq!(a.asset_index, i);
        assert_ne!(a.flags & ASSET_FLAG_DEPOSITS_DISABLED, 0);
        assert_eq!(a.flags & ASSET_FLAG_BORROWABLE, 0);
    }
    assert_eq!(g.num_proposals, cfg.assets.len() as u64);
    // Idempotent: a second run before the timelock lists and executes nothing.
    migrate::run(&mut bank, &admin, &cfg).unwrap();
    assert_eq!(asset(&mut bank, 0).flags & ASSET_FLAG_DEPOSITS_DISABLED, ASSET_FLAG_DEPOSITS_DISABLED);
    // After the timelock a run executes the activations: every asset has its configured flags.
    let now = bank.now().unwrap();
    bank.set_unix_timestamp(now + cfg.timelock_secs as i64).unwrap();
    migrate::run(&mut bank, &admin, &cfg).unwrap();
    for (i, c) in cfg.assets.iter().enumerate() {
        let a = asset(&mut bank, i as u16);
        assert_eq!(a.flags, c.params(i as u16).unwrap().flags, "asset {i} activated");
    }
    assert_eq!(migrate::execute_ready(&mut bank, &admin, &group).unwrap(), 0, "nothing left to execute");
}
