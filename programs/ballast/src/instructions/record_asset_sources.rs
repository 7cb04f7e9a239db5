//! `record_asset_sources`: anyone records an asset's current price sources in their claims (the
//! backfill of assets listed before claims existed; catalogue OR-12, `crate::feed_claims`).

use anchor_lang::prelude::*;

use crate::events::{AssetSourcesRecorded, EventHeader};
use crate::feed_claims::Sources;
use crate::state::*;

/// Accounts of `record_asset_sources`. Remaining accounts: the claims of every source of the asset
/// (an aggregate's account and its sources' claims for an aggregate primary or fallback).
#[derive(Accounts)]
pub struct RecordAssetSources<'info> {
    /// The asset.
    #[account(mut)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Marks the asset pegged when a source is another asset's (it must then carry the depeg shock:
/// CrossAssetOracle otherwise, and nothing changes), and writes it into the claims still free.
/// Run it for every asset listed before the upgrade that brought claims, in index order (the
/// underlyings first); `ballast_sdk::migrate::run` does.
pub fn handler(ctx: Context<RecordAssetSources>) -> Result<()> {
    let all = Sources { primary: true, fallback: true };
    let mut asset = ctx.accounts.asset.load_mut()?;
    crate::feed_claims::mark(&mut asset, all, ctx.remaining_accounts, None)?;
    asset.validate_config()?;
    crate::feed_claims::record(&asset, all, ctx.remaining_accounts, None)?;
    emit!(AssetSourcesRecorded {
        header: EventHeader::now(asset.group)?,
        asset_index: asset.asset_index,
        pegged: asset.flags & ASSET_FLAG_PEGGED != 0,
    });
    Ok(())
}
