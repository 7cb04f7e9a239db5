//! Shared price sources (catalogue OR-12, docs/oracles.md "Shared price sources").
//!
//! Each price source of a group has a claim (`FeedClaim`, PDA `[FEED_CLAIM_SEED, group,
//! identity]`) naming the first asset it priced. A listing or an oracle change passes the claim of
//! each of the asset's sources (the primary, an aggregate's own sources, the fallback) among its
//! remaining accounts, found by address: [`classify`] tells whether any is another asset's (the
//! asset is then pegged and must carry the depeg shock, `Asset::validate_config`); [`record`]
//! writes the asset into the claims still free. An identity is a Pyth pull feed id (two update
//! accounts of one feed are one source) or another source's account address.

use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

use crate::constants::{FEED_CLAIM_SEED, FREE_SLOT};
use crate::error::BallastError;
use crate::state::{load_pod, Asset, FeedClaim, OracleConfig, OracleKind, PriceAggregate, MAX_PRICE_SOURCES};

/// Most sources an asset has: a primary and a fallback, each an aggregate of three at most.
pub const MAX_ASSET_SOURCES: usize = 2 * MAX_PRICE_SOURCES;

/// The identity of a configured source (None: unset).
pub fn identity(cfg: &OracleConfig) -> Option<[u8; 32]> {
    if !cfg.is_set() {
        return None;
    }
    Some(if cfg.kind == OracleKind::PythPull as u8 { cfg.feed_id } else { cfg.address.to_bytes() })
}

/// The claim address of `identity` in `group`.
pub fn claim_address(group: &Pubkey, identity: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[FEED_CLAIM_SEED, group.as_ref(), identity], &crate::ID).0
}

/// Which of an asset's sources a check covers: a listing all of them, an edit the ones it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sources {
    /// The primary (an aggregate's own sources when it is one).
    pub primary: bool,
    /// The fallback.
    pub fallback: bool,
}

/// The identities of `asset`'s sources in `which`: the primary's, then the fallback's, each
/// expanded into its own sources when it is an aggregate ([`config_identities`]). Unused entries:
/// None.
pub fn asset_identities(
    asset: &Asset,
    which: Sources,
    accounts: &[AccountInfo],
    oracle: Option<&AccountInfo>,
) -> Result<[Option<[u8; 32]>; MAX_ASSET_SOURCES]> {
    let mut out = [None; MAX_ASSET_SOURCES];
    let (first, second) = out.split_at_mut(MAX_PRICE_SOURCES);
    if which.primary {
        first.copy_from_slice(&config_identities(&asset.group, &asset.oracle, accounts, oracle)?);
    }
    if which.fallback {
        second.copy_from_slice(&config_identities(&asset.group, &asset.fallback_oracle, accounts, oracle)?);
    }
    Ok(out)
}

/// The identities one oracle configuration stands for: its own, or an aggregate's sources (the
/// aggregate's account found in `accounts` or as `oracle`, and of `group`: FeedClaimMissing
/// otherwise, so no asset is ever priced by another group's aggregate).
fn config_identities(
    group: &Pubkey,
    cfg: &OracleConfig,
    accounts: &[AccountInfo],
    oracle: Option<&AccountInfo>,
) -> Result<[Option<[u8; 32]>; MAX_PRICE_SOURCES]> {
    let mut out = [None; MAX_PRICE_SOURCES];
    if cfg.kind != OracleKind::Aggregate as u8 {
        out[0] = identity(cfg);
        return Ok(out);
    }
    let is_it = |a: &&AccountInfo| *a.key == cfg.address;
    let sources = match accounts.iter().find(is_it) {
        Some(info) => aggregate_sources(group, info)?,
        None => aggregate_sources(group, oracle.filter(is_it).ok_or(BallastError::FeedClaimMissing)?)?,
    };
    for (o, s) in out.iter_mut().zip(sources.iter()) {
        *o = identity(s);
    }
    Ok(out)
}

/// The sources of the aggregate in `info`, an aggregate of `group`.
fn aggregate_sources(group: &Pubkey, info: &AccountInfo) -> Result<[OracleConfig; MAX_PRICE_SOURCES]> {
    require!(*info.owner == crate::ID, BallastError::FeedClaimMissing);
    let data = info.try_borrow_data()?;
    let a = load_pod::<PriceAggregate>(info.owner, &data)?;
    require_keys_eq!(a.group, *group, BallastError::FeedClaimMissing);
    Ok(a.sources)
}

/// The claim of `identity` among `accounts` (FeedClaimMissing when absent or not a claim of
/// `group`).
fn find_claim<'a, 'info>(
    group: &Pubkey,
    identity: &[u8; 32],
    accounts: &'a [AccountInfo<'info>],
) -> Result<&'a AccountInfo<'info>> {
    let address = claim_address(group, identity);
    let info = accounts.iter().find(|a| *a.key == address).ok_or(BallastError::FeedClaimMissing)?;
    let data = info.try_borrow_data()?;
    require!(
        *info.owner == crate::ID && data.len() >= 8 && data[..8] == *FeedClaim::DISCRIMINATOR,
        BallastError::FeedClaimMissing
    );
    Ok(info)
}

/// Whether any of `asset`'s sources in `which` was claimed by another asset (a claim still free
/// counts as this asset's). Reads only: what a queued change is validated with.
pub fn classify(asset: &Asset, which: Sources, accounts: &[AccountInfo], oracle: Option<&AccountInfo>) -> Result<bool> {
    let mut pegged = false;
    for id in asset_identities(asset, which, accounts, oracle)?.iter().flatten() {
        let info = find_claim(&asset.group, id, accounts)?;
        let data = info.try_borrow_data()?;
        let c: &FeedClaim = load_pod(info.owner, &data)?;
        pegged |= c.asset_index != FREE_SLOT && c.asset_index != asset.asset_index;
    }
    Ok(pegged)
}

/// Sets `ASSET_FLAG_PEGGED` when a source in `which` is another asset's ([`classify`]). Never
/// clears it: an asset once priced by another's source stays pegged (its other sources are not
/// re-read on an edit).
pub fn mark(asset: &mut Asset, which: Sources, accounts: &[AccountInfo], oracle: Option<&AccountInfo>) -> Result<()> {
    if classify(asset, which, accounts, oracle)? {
        asset.flags |= crate::state::ASSET_FLAG_PEGGED;
    }
    Ok(())
}

/// Writes `asset` into each claim of its sources in `which` that is still free (which must be
/// writable: FeedClaimMissing otherwise). Called by whatever stores a listing or an oracle change.
pub fn record(asset: &Asset, which: Sources, accounts: &[AccountInfo], oracle: Option<&AccountInfo>) -> Result<()> {
    for id in asset_identities(asset, which, accounts, oracle)?.iter().flatten() {
        let info = find_claim(&asset.group, id, accounts)?;
        let mut data = info.try_borrow_mut_data()?;
        let c: &mut FeedClaim = crate::state::load_pod_mut(info.owner, &mut data)?;
        if c.asset_index == FREE_SLOT {
            require!(info.is_writable, BallastError::FeedClaimMissing);
            c.asset_index = asset.asset_index;
        }
    }
    Ok(())
}
