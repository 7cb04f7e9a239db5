//! The largest liquidation: an account at the cap of 14 underlyings liquidated by a liquidator at
//! the cap too, with no underlying in common but the two traded. Built as a v0 transaction with
//! one address lookup table holding the group's assets and oracles, checked against 64 account
//! locks and 1,232 bytes, and executed. Also: the cap itself (a 15th underlying is refused).

use crate::harness::*;
use anchor_lang::prelude::Pubkey;
use ballast::constants::MAX_ACCOUNT_ASSETS;
use ballast::error::BallastError;
use ballast::risk::Fx;
use ballast::state::OracleKind;
use ballast_sdk::transport::Transport;
use ballast_sdk::{ix, pda};
use solana_address_lookup_table_interface::instruction as alt;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_sdk::message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_sdk::signature::Signer;
use solana_sdk::transaction::VersionedTransaction;

/// Packet size limit of a transaction.
const MAX_TX_BYTES: usize = 1_232;
/// Account locks one transaction may take.
const MAX_LOCKS: usize = 64;

#[test]
fn largest_liquidation_fits_one_transaction_with_a_lookup_table() {
    let mut env = Env::new();
    let n_assets = 2 * MAX_ACCOUNT_ASSETS - 2; // 26: shared A and L, 12 + 12 others
    env.list(6, 1.0, OracleKind::PythPull);
    for _ in 1..n_assets {
        env.list(6, 10.0, OracleKind::PythPull);
    }
    let lender = env.user(0);
    env.fund_and_deposit(&lender, 0, 1_000_000_000_000);
    // The liquidated account: deposits in assets 1..=13 and a USDC borrow: 14 underlyings.
    let liqee = env.user(1);
    for i in 1..MAX_ACCOUNT_ASSETS as u16 {
        env.fund_and_deposit(&liqee, i, 100_000_000);
    }
    // 13 x $1,000 x 0.8 / 1.25 = $8,320 of Init borrowing power; borrow close to it.
    env.borrow(&liqee, 0, 8_300_000_000).unwrap();
    // The liquidator: USDC, asset 1 and assets 14..=25: 14 underlyings, only 0 and 1 in common.
    let liqor = env.user(2);
    env.fund_and_deposit(&liqor, 0, 100_000_000_000);
    env.fund_and_deposit(&liqor, 1, 1_000_000);
    for i in (MAX_ACCOUNT_ASSETS as u16)..(n_assets as u16) {
        env.fund_and_deposit(&liqor, i, 1_000_000);
    }
    assert_eq!(env.margin_account(&liqee.account).active_assets(&[]).len, MAX_ACCOUNT_ASSETS);
    assert_eq!(env.margin_account(&liqor.account).active_assets(&[]).len, MAX_ACCOUNT_ASSETS);

    // The cap: a 15th underlying is refused.
    let extra = n_assets as u16 - 1;
    let a = env.assets[extra as usize].clone();
    env.mint_to(&a.mint, &a.token_program, &liqee.token(extra), 1_000);
    assert_code(env.deposit(&liqee, extra, 1_000), BallastError::TooManyAssets);

    // One lookup table with every Asset and oracle key of the group.
    let payer = env.payer.insecure_clone();
    let root = env.bank.block_on(env.bank.ctx.banks_client.get_root_slot()).unwrap();
    env.bank.ctx.warp_to_slot(root + 3).unwrap();
    let hashes: solana_sdk::slot_hashes::SlotHashes =
        env.bank.block_on(env.bank.ctx.banks_client.get_sysvar()).unwrap();
    let slot = hashes.first().map(|(s, _)| *s).expect("a recent slot");
    let (create, table) = alt::create_lookup_table(payer.pubkey(), payer.pubkey(), slot);
    env.send(&[create], &[]).unwrap();
    let mut keys: Vec<Pubkey> = Vec::new();
    for a in &env.assets {
        keys.push(pda::asset(&env.group, a.index).0);
        keys.push(a.oracle);
    }
    for chunk in keys.chunks(20) {
        let ext = alt::extend_lookup_table(table, payer.pubkey(), Some(payer.pubkey()), chunk.to_vec());
        env.send(&[ext], &[]).unwrap();
    }
    let now = env.now();
    let slot = env.bank.block_on(env.bank.ctx.banks_client.get_root_slot()).unwrap();
    env.bank.ctx.warp_to_slot(slot + 2).unwrap();

    // Assets 1..=13 fall 25% over an hour (stable prices follow): the account is liquidatable.
    env.set_time(now + 3_600);
    for i in 0..n_assets as u16 {
        env.set_price(
            i,
            if i == 0 {
                1.0
            } else if i < MAX_ACCOUNT_ASSETS as u16 {
                7.5
            } else {
                10.0
            },
        );
        let o = env.assets[i as usize].oracle;
        env.send(&[ix::refresh_asset(&env.group, i, &o)], &[]).unwrap();
    }
    let acc = env.margin_account(&liqee.account);
    let raw = env.health_raw(&liqee.account);
    let t = env.now();
    let before = ballast_sdk::health::compute_all(&env.group, &acc, &raw, t).unwrap();
    assert!(before[1].health < Fx::ZERO, "liquidatable: {}", before[1].health);

    let ee = env.health_keys(&liqee.account, None);
    let or = env.health_keys_with(&liqor.account, &[1, 0]);
    assert_eq!((ee.len(), or.len()), (28, 28));
    let liq = ix::liquidate_token(&parties(&env, &liqor, &liqee, &ee, &or), 1, 0, u64::MAX);
    let budget = solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000);
    let raw_table = env.bank.get_account(&table).unwrap().expect("lookup table");
    let addresses = AddressLookupTable::deserialize(raw_table.data.bytes()).unwrap().addresses.to_vec();
    let lookup = AddressLookupTableAccount { key: table, addresses };
    let blockhash = env.bank.block_on(env.bank.ctx.banks_client.get_latest_blockhash()).unwrap();
    let msg = v0::Message::try_compile(&payer.pubkey(), &[budget, liq], &[lookup], blockhash).unwrap();
    let locks = msg.account_keys.len()
        + msg.address_table_lookups.iter().map(|l| l.writable_indexes.len() + l.readonly_indexes.len()).sum::<usize>();
    let kp = liqor.kp.insecure_clone();
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(msg), &[&payer, &kp]).unwrap();
    let bytes = bincode_len(&tx);
    println!("largest liquidation: {locks} account locks, {bytes} bytes");
    assert!(locks <= MAX_LOCKS, "{locks} locks");
    assert!(bytes <= MAX_TX_BYTES, "{bytes} bytes");
    env.bank.block_on(env.bank.ctx.banks_client.process_transaction(tx)).expect("the largest liquidation executes");
    let acc = env.margin_account(&liqee.account);
    let raw = env.health_raw(&liqee.account);
    let after = ballast_sdk::health::compute_all(&env.group, &acc, &raw, t).unwrap();
    assert!(after[2].health > before[2].health);
}

/// Serialized size of a versioned transaction: compact signature count, signatures, message.
fn bincode_len(tx: &VersionedTransaction) -> usize {
    1 + 64 * tx.signatures.len() + tx.message.serialize().len()
}

/// The largest liquidation of an account holding options (issue 12): 13 tokens, a USDC borrow,
/// 8 perps and 8 short puts on 14 underlyings, liquidated by an account at 14 underlyings, in one
/// v0 transaction with one lookup table, within 64 locks and 1,232 bytes; the token step (sized on
/// linear health) must raise the full health with the option grid.
#[test]
fn largest_liquidation_with_perps_and_options_fits_one_transaction() {
    let mut p = ballast_sdk::scenario::largest_liquidation_with_options().unwrap();
    let liqee = p.main_ix().accounts[3].pubkey; // group, liqor, liqor_authority, liqee
    let acc = ballast_sdk::decode::margin_account(&p.scenario.bank.get_account(&liqee).unwrap().unwrap()).unwrap();
    let tokens = acc.tokens.iter().filter(|t| t.asset_index != u16::MAX).count();
    let perps = acc.perps.iter().filter(|t| t.asset_index != u16::MAX).count();
    let options = acc.options.iter().filter(|t| t.asset_index != u16::MAX).count();
    assert_eq!((tokens, perps, options), (MAX_ACCOUNT_ASSETS, 8, 8), "30 positions");
    assert_eq!(acc.active_assets(&[]).len, MAX_ACCOUNT_ASSETS);
    let payer = p.scenario.payer.insecure_clone();
    let mut all = vec![solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000)];
    all.extend(p.ixs.iter().cloned());
    let msg =
        v0::Message::try_compile(&payer.pubkey(), &all, std::slice::from_ref(&p.table), Default::default()).unwrap();
    let locks = msg.account_keys.len()
        + msg.address_table_lookups.iter().map(|l| l.writable_indexes.len() + l.readonly_indexes.len()).sum::<usize>();
    let signers: Vec<&solana_sdk::signature::Keypair> = std::iter::once(&payer).chain(p.signers.iter()).collect();
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(msg), &signers).unwrap();
    let bytes = bincode_len(&tx);
    println!("largest liquidation with options: {locks} account locks, {bytes} bytes");
    assert!(locks <= MAX_LOCKS && bytes <= MAX_TX_BYTES, "{locks} locks, {bytes} bytes");
    p.run().expect("the largest liquidation with options executes");
}

/// The health of the largest accounts with options (14 tokens, a USDC borrow, 8 perps and 8
/// options on 14 underlyings, after the fall that makes them liquidatable; the options one per
/// underlying, then all 8 of both signs on one): the SDK's Init, Maint and LiquidationEnd figures
/// are the program's to the bit. `check_health` accepts each as the minimum and refuses one unit
/// of the last place more.
#[test]
fn the_largest_option_accounts_sdk_health_is_the_programs_to_the_bit() {
    use ballast::risk::HealthType;
    type Prepare = fn() -> ballast_sdk::Result<ballast_sdk::scenario::Prepared>;
    let cases: [Prepare; 2] = [
        ballast_sdk::scenario::largest_liquidation_with_options,
        ballast_sdk::scenario::largest_liquidation_with_mixed_options,
    ];
    for prepare in cases {
        let p = prepare().unwrap();
        let liqee = p.ixs.last().unwrap().accounts[3].pubkey; // group, liqor, liqor_authority, liqee
        let (mut s, table) = (p.scenario, p.table);
        let acc = ballast_sdk::decode::margin_account(&s.bank.get_account(&liqee).unwrap().unwrap()).unwrap();
        assert_eq!(acc.options.iter().filter(|o| o.asset_index != u16::MAX).count(), 8);
        let keys = s.health_keys(&liqee, &[]).unwrap();
        let raws: Vec<_> = keys.iter().map(|k| s.bank.get_account(k).unwrap().unwrap()).collect();
        let now = s.bank.now().unwrap();
        // 30 health accounts: a v0 transaction with the group's lookup table, as a client sends it.
        for (t, code) in [(HealthType::Init, 0u8), (HealthType::Maint, 1), (HealthType::LiquidationEnd, 2)] {
            let h = ballast_sdk::health::compute(&s.group, &acc, &raws, now, t).unwrap().health;
            let ok = ix::check_health(&s.group, &liqee, code, h.to_bits(), &keys);
            s.send_v0(&[ok], &[], &table)
                .unwrap_or_else(|e| panic!("{t:?}: the program's health is below the SDK's: {e}"));
            let above = ix::check_health(&s.group, &liqee, code, h.to_bits() + 1, &keys);
            let err = s.send_v0(&[above], &[], &table).unwrap_err().to_string();
            let code = u32::from(BallastError::HealthBelowMinimum);
            assert!(err.contains(&format!("Custom({code})")), "{t:?}: {err}");
        }
    }
}
