//! Serialized sizes of the perp transactions (part of `ballast metrics`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::order::{SignedOptionOrder, SignedOrder, SIDE_SELL};
use ballast_sdk::decode::RawAccount;
use ballast_sdk::perp::{self as sp, TradeParty};
use ballast_sdk::Result;
use solana_sdk::hash::Hash;
use solana_sdk::message::{v0, AddressLookupTableAccount, Message, VersionedMessage};
use solana_sdk::signature::{Keypair, Signer};

/// Legacy transaction size: signature count (compact, one byte below 128), signatures, message.
fn tx_bytes(ixs: &[Instruction], payer: &Pubkey) -> (usize, usize) {
    let msg = Message::new(ixs, Some(payer));
    let sigs = msg.header.num_required_signatures as usize;
    (1 + 64 * sigs + msg.serialize().len(), msg.account_keys.len())
}

/// v0 transaction size with one address lookup table holding `table` (the group's assets and
/// oracles): signatures plus the versioned message.
fn tx_bytes_v0(ixs: &[Instruction], payer: &Pubkey, table: &[Pubkey]) -> Result<usize> {
    let alt = AddressLookupTableAccount { key: Pubkey::new_unique(), addresses: table.to_vec() };
    let msg = v0::Message::try_compile(payer, ixs, &[alt], Hash::default())
        .map_err(|e| ballast_sdk::SdkError::Program(e.to_string()))?;
    let sigs = msg.header.num_required_signatures as usize;
    Ok(1 + 64 * sigs + VersionedMessage::V0(msg).serialize().len())
}

fn party(authority: &Keypair, health: &[Pubkey]) -> TradeParty {
    TradeParty { account: Pubkey::new_unique(), authority: authority.pubkey(), health: health.to_vec() }
}

/// Locks and bytes of the liquidation of an account at `k` underlyings by a liquidator at `k`
/// underlyings sharing only the two traded ones, as a v0 transaction with one lookup table of the
/// group's assets and oracles and a compute-budget instruction (the shape the test executes).
pub fn largest_liquidation(k: usize) -> Result<(usize, usize)> {
    let group = Pubkey::new_unique();
    let n = 2 * k - 2;
    let keys: Vec<Pubkey> = (0..2 * n).map(|_| Pubkey::new_unique()).collect();
    let pair = |i: usize| [keys[2 * i], keys[2 * i + 1]];
    let liqee: Vec<Pubkey> = (0..k).flat_map(pair).collect();
    let liqor: Vec<Pubkey> = [0, 1].into_iter().chain(k..n).flat_map(pair).collect();
    let payer = Keypair::new();
    let liq = ballast_sdk::ix::liquidate_token(
        &ballast_sdk::ix::LiquidationParties {
            group,
            liqor: Pubkey::new_unique(),
            liqor_owner: payer.pubkey(),
            liqee: Pubkey::new_unique(),
            liqee_health: &liqee,
            liqor_health: &liqor,
        },
        1,
        0,
        u64::MAX,
    );
    let budget = solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000);
    let alt = AddressLookupTableAccount { key: Pubkey::new_unique(), addresses: keys };
    let msg = v0::Message::try_compile(&payer.pubkey(), &[budget, liq], &[alt], Hash::default())
        .map_err(|e| ballast_sdk::SdkError::Program(e.to_string()))?;
    let locks = msg.account_keys.len()
        + msg.address_table_lookups.iter().map(|l| l.writable_indexes.len() + l.readonly_indexes.len()).sum::<usize>();
    let sigs = msg.header.num_required_signatures as usize;
    Ok((locks, 1 + 64 * sigs + VersionedMessage::V0(msg).serialize().len()))
}

/// Prints the bytes and account keys of a block trade, a signed-order fill and a signed option
/// order fill, for two parties
/// each holding USDC and SOL (2 underlyings) and for two parties each at 14 underlyings.
pub fn print(raws14: &[RawAccount]) -> Result<()> {
    let keys: Vec<Pubkey> = raws14.iter().map(|r| r.key).collect();
    let group = Pubkey::new_unique();
    for (label, health) in [("2 underlyings each", &keys[..4]), ("14 underlyings each", &keys[..])] {
        let (a, b) = (Keypair::new(), Keypair::new());
        let (pa, pb) = (party(&a, health), party(&b, health));
        let block = sp::block_trade(&group, 1, 0, &pa, &pb, 10, 1_000_000);
        let (bytes, n) = tx_bytes(std::slice::from_ref(&block), &a.pubkey());
        let v0 = tx_bytes_v0(&[block], &a.pubkey(), &keys)?;
        println!("  block-trade transaction, {label}: {bytes} bytes legacy, {v0} bytes v0 with one lookup table of the group's assets and oracles; {n} account keys (limit 1,232 bytes, 64 locks)");
        let order = SignedOrder {
            account: pb.account,
            asset_index: 1,
            side: SIDE_SELL,
            size_lots: 10,
            limit_price_per_lot: 1_000_000,
            expiry: 1_700_000_000,
            nonce: 1,
            max_fee_bps: 5,
        };
        let sig = sp::sign_order(&b, &group, &[7; 32], &order);
        let ixs = sp::fill_order_ixs(&group, &[7; 32], 0, &order, &b.pubkey(), &sig, health, &pa, 10);
        let (bytes, n) = tx_bytes(&ixs, &a.pubkey());
        let v0 = tx_bytes_v0(&ixs, &a.pubkey(), &keys)?;
        println!("  signed-order transaction (ed25519 + fill), {label}: {bytes} bytes legacy, {v0} bytes v0 with the table; {n} account keys");
        let option = SignedOptionOrder {
            account: pb.account,
            asset_index: 1,
            side: SIDE_SELL,
            kind: 0,
            contracts: 10,
            premium_per_contract: 1_000_000,
            expiry: 1_700_000_000,
            nonce: 2,
            max_fee_bps: 5,
            series_expiry: 1_702_000_000,
            strike_bits: 100 << 80,
        };
        let sig = ballast_sdk::options::sign_option_order(&b, &group, &[7; 32], &option);
        let ixs =
            ballast_sdk::options::fill_option_order_ixs(&group, &[7; 32], &option, &b.pubkey(), &sig, health, &pa, 10);
        let (bytes, n) = tx_bytes(&ixs, &a.pubkey());
        let v0 = tx_bytes_v0(&ixs, &a.pubkey(), &keys)?;
        println!("  signed option order transaction (ed25519 + fill), {label}: {bytes} bytes legacy, {v0} bytes v0 with the table; {n} account keys");
    }
    Ok(())
}
