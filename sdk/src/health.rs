//! The canonical health-account list and off-chain health, computed by the program's own loader
//! and risk engine on raw account bytes: the same numbers, bit for bit.

use anchor_lang::prelude::Pubkey;
use ballast::health_accounts::{load_health_accounts, AccountReader, HealthAccounts};
use ballast::risk::{health_components, HealthComponents, HealthType};
use ballast::state::{Asset, MarginAccount};

use crate::decode::RawAccount;
use crate::{pda, Result, SdkError};

/// A list of raw accounts the program's loader can read.
pub struct RawList<'a>(pub &'a [RawAccount]);

impl AccountReader for RawList<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn key_at(&self, i: usize) -> Pubkey {
        self.0[i].key
    }
    fn with_data<R>(
        &self,
        i: usize,
        f: impl FnOnce(&Pubkey, &[u8]) -> anchor_lang::Result<R>,
    ) -> anchor_lang::Result<R> {
        f(&self.0[i].owner, self.0[i].data.bytes())
    }
}

/// Asset indexes of the health list of `account`, plus `extra` (the assets the instruction adds positions in).
pub fn health_asset_indexes(account: &MarginAccount, extra: &[u16]) -> Vec<u16> {
    account.active_assets(extra).as_slice().to_vec()
}

/// The canonical health-account keys: for each asset index ascending, the Asset PDA then the
/// oracle key returned by `oracle_of` (normally the asset's configured primary oracle).
pub fn health_account_keys(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    mut oracle_of: impl FnMut(u16) -> Pubkey,
) -> Vec<Pubkey> {
    let mut keys = Vec::new();
    for idx in health_asset_indexes(account, extra) {
        keys.push(pda::asset(group, idx).0);
        keys.push(oracle_of(idx));
    }
    keys
}

/// Same list, taking oracle keys from decoded assets.
pub fn health_account_keys_from_assets(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    assets: &[Asset],
) -> Vec<Pubkey> {
    health_account_keys(group, account, extra, |idx| {
        assets.iter().find(|a| a.asset_index == idx).map(|a| a.oracle.address).unwrap_or_default()
    })
}

/// The canonical health keys of `account` (plus `extra`) with fallback oracles appended, in
/// ascending asset order, for every asset whose primary oracle currently gives an unusable price
/// (stale, too uncertain, non-positive, out of range) and that has a fallback configured: what the
/// program accepts when a primary is down (S2-16). Reads the primary oracles through `t`.
pub fn health_account_keys_with_fallbacks(
    t: &mut dyn crate::transport::Transport,
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    assets: &[Asset],
    now: i64,
) -> Result<Vec<Pubkey>> {
    let mut keys = health_account_keys_from_assets(group, account, extra, assets);
    for idx in health_asset_indexes(account, extra) {
        let Some(a) = assets.iter().find(|a| a.asset_index == idx) else { continue };
        if !a.fallback_oracle.is_set() {
            continue;
        }
        let key = a.oracle.address;
        let invalid = match t.get_account(&key)? {
            Some(raw) => {
                match ballast::oracle::read_oracle(&a.oracle, &key, &raw.owner, raw.data.bytes(), a.decimals, now) {
                    Ok(_) => false,
                    Err(e) => ballast::oracle::is_price_invalid(&e),
                }
            }
            None => false,
        };
        if invalid {
            keys.push(a.fallback_oracle.address);
        }
    }
    Ok(keys)
}

/// Loads the health accounts from raw accounts in canonical order, exactly as the program does.
pub fn load(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    accounts: &[RawAccount],
    now: i64,
) -> Result<Box<HealthAccounts>> {
    load_health_accounts(group, account, extra, &RawList(accounts), now).map_err(|e| SdkError::Program(e.to_string()))
}

/// Health of type `t` with components, from raw accounts in canonical order.
pub fn compute(
    group: &Pubkey,
    account: &MarginAccount,
    accounts: &[RawAccount],
    now: i64,
    t: HealthType,
) -> Result<HealthComponents> {
    let loaded = load(group, account, &[], accounts, now)?;
    let input = loaded.health_input(account).map_err(|e| SdkError::Program(e.to_string()))?;
    health_components(&input, t).map_err(|e| SdkError::Program(format!("{e:?}")))
}

/// Init, Maint and LiquidationEnd health at once.
pub fn compute_all(
    group: &Pubkey,
    account: &MarginAccount,
    accounts: &[RawAccount],
    now: i64,
) -> Result<[HealthComponents; 3]> {
    let loaded = load(group, account, &[], accounts, now)?;
    let input = loaded.health_input(account).map_err(|e| SdkError::Program(e.to_string()))?;
    let h = |t| health_components(&input, t).map_err(|e| SdkError::Program(format!("{e:?}")));
    Ok([h(HealthType::Init)?, h(HealthType::Maint)?, h(HealthType::LiquidationEnd)?])
}
