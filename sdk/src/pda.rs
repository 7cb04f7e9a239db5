//! Program-derived addresses, from the program's seed constants.

use anchor_lang::prelude::Pubkey;
use ballast::constants::*;

/// Group PDA and bump.
pub fn group(creator: &Pubkey, group_num: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[GROUP_SEED, creator.as_ref(), &group_num.to_le_bytes()], &ballast::ID)
}

/// Asset PDA and bump. Derived once per (group, index) in a process and remembered: every health
/// key list names one Asset per position, and `find_program_address` costs about 8 µs (issue 11).
/// The memo holds 35 bytes per asset ever asked for.
pub fn asset(group: &Pubkey, asset_index: u16) -> (Pubkey, u8) {
    use std::collections::HashMap;
    use std::sync::{OnceLock, RwLock};
    type Memo = RwLock<HashMap<(Pubkey, u16), (Pubkey, u8)>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let id = (*group, asset_index);
    if let Some(hit) = memo.read().ok().and_then(|m| m.get(&id).copied()) {
        return hit;
    }
    let derived = Pubkey::find_program_address(&[ASSET_SEED, group.as_ref(), &asset_index.to_le_bytes()], &ballast::ID);
    if let Ok(mut m) = memo.write() {
        m.insert(id, derived);
    }
    derived
}

/// Vault PDA of an asset and bump.
pub fn vault(asset: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, asset.as_ref()], &ballast::ID)
}

/// MarginAccount PDA and bump.
pub fn margin_account(group: &Pubkey, owner: &Pubkey, account_num: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[ACCOUNT_SEED, group.as_ref(), owner.as_ref(), &account_num.to_le_bytes()],
        &ballast::ID,
    )
}

/// The SPL associated token account program.
pub const ASSOCIATED_TOKEN_PROGRAM: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// Associated token account of `owner` for `mint` under `token_program` (SPL Token or Token-2022).
pub fn associated_token(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[owner.as_ref(), token_program.as_ref(), mint.as_ref()], &ASSOCIATED_TOKEN_PROGRAM).0
}

/// InsuranceStake PDA and bump.
pub fn stake(group: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[STAKE_SEED, group.as_ref(), owner.as_ref()], &ballast::ID)
}

/// Stub oracle PDA and bump (test-oracle builds of the program only).
pub fn stub_oracle(group: &Pubkey, stub_num: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[STUB_ORACLE_SEED, group.as_ref(), &stub_num.to_le_bytes()], &ballast::ID)
}

/// The insurance fund's vault PDA and bump.
pub fn insurance_vault(group: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[INSURANCE_SEED, group.as_ref()], &ballast::ID)
}

/// Price aggregate PDA of a group's aggregate `num`, and bump.
pub fn price_aggregate(group: &Pubkey, num: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[AGGREGATE_SEED, group.as_ref(), &num.to_le_bytes()], &ballast::ID)
}

/// Governance proposal PDA of a group's proposal `num`, and bump.
pub fn proposal(group: &Pubkey, num: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[PROPOSAL_SEED, group.as_ref(), &num.to_le_bytes()], &ballast::ID)
}

/// Claim PDA of a price source's identity (a Pyth pull feed id, or another source's address) in a
/// group, and bump (`ballast::feed_claims`).
pub fn feed_claim(group: &Pubkey, identity: &[u8; 32]) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[ballast::constants::FEED_CLAIM_SEED, group.as_ref(), identity], &ballast::ID)
}

/// Delegate book PDA of a margin account (`[DELEGATES_SEED, account]`), and bump.
pub fn delegate_book(account: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[ballast::constants::DELEGATES_SEED, account.as_ref()], &ballast::ID)
}

/// Fill record PDA of a signed order's nonce and bump.
pub fn order_record(account: &Pubkey, nonce: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[ORDER_SEED, account.as_ref(), &nonce.to_le_bytes()], &ballast::ID)
}

/// Settlement record PDA of an expiry of an underlying's options, and bump.
pub fn option_settlement(group: &Pubkey, asset_index: u16, expiry: i64) -> (Pubkey, u8) {
    let asset = asset(group, asset_index).0;
    Pubkey::find_program_address(
        &[ballast::constants::OPTION_SETTLEMENT_SEED, asset.as_ref(), &expiry.to_le_bytes()],
        &ballast::ID,
    )
}

/// Seed bytes as the runtime hashes them (concatenated, no delimiters), per account type.
pub fn seed_preimages(a: &Pubkey, b: &Pubkey, n: u32, i: u16, s: u64) -> [Vec<u8>; 8] {
    let cat = |parts: &[&[u8]]| parts.concat();
    [
        cat(&[GROUP_SEED, a.as_ref(), &n.to_le_bytes()]),
        cat(&[ASSET_SEED, a.as_ref(), &i.to_le_bytes()]),
        cat(&[VAULT_SEED, a.as_ref()]),
        cat(&[ACCOUNT_SEED, a.as_ref(), b.as_ref(), &n.to_le_bytes()]),
        cat(&[STAKE_SEED, a.as_ref(), b.as_ref()]),
        cat(&[STUB_ORACLE_SEED, a.as_ref(), &s.to_le_bytes()]),
        cat(&[ORDER_SEED, a.as_ref(), &s.to_le_bytes()]),
        cat(&[INSURANCE_SEED, a.as_ref()]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// AV-11: no PDA of one account type can equal a PDA of another: the runtime hashes the
        /// concatenated seeds, so it suffices that no two types' seed byte strings can be equal,
        /// whatever keys and numbers an attacker picks (distinct prefixes, fixed-width seeds).
        #[test]
        fn av_11_no_pda_collisions(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), c in any::<[u8; 32]>(),
                d in any::<[u8; 32]>(), n in any::<u32>(), m in any::<u32>(), i in any::<u16>(), j in any::<u16>(),
                s in any::<u64>(), t in any::<u64>()) {
            let x = seed_preimages(&Pubkey::new_from_array(a), &Pubkey::new_from_array(b), n, i, s);
            let y = seed_preimages(&Pubkey::new_from_array(c), &Pubkey::new_from_array(d), m, j, t);
            for (p, xp) in x.iter().enumerate() {
                for (q, yq) in y.iter().enumerate() {
                    if p != q {
                        prop_assert_ne!(xp, yq);
                    }
                }
            }
        }
    }

    #[test]
    fn av_11_prefixes_are_not_prefixes_of_each_other() {
        let all = [
            GROUP_SEED,
            ASSET_SEED,
            VAULT_SEED,
            ACCOUNT_SEED,
            STAKE_SEED,
            STUB_ORACLE_SEED,
            ORDER_SEED,
            INSURANCE_SEED,
        ];
        for (i, x) in all.iter().enumerate() {
            for (j, y) in all.iter().enumerate() {
                if i != j {
                    assert!(!y.starts_with(x), "{:?} is a prefix of {:?}", x, y);
                }
            }
        }
        let k = Pubkey::new_unique();
        assert_ne!(group(&k, 0).0, stake(&k, &k).0);
    }
}
