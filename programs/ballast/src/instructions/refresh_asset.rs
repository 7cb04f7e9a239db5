//! `refresh_asset`: permissionless update; accrues interest, reads the asset's oracle and moves
//! its stable price, accrues perp funding (the permissionless funding update).

use anchor_lang::prelude::*;

use crate::events::{AssetRefreshed, EventHeader};
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::state::*;

/// Accounts of `refresh_asset`.
#[derive(Accounts)]
pub struct RefreshAsset<'info> {
    /// Asset to refresh.
    #[account(mut)]
    pub asset: AccountLoader<'info, Asset>,
    /// The asset's primary oracle.
    /// CHECK: key, owner, layout and price are checked by `read_oracle`.
    pub oracle: UncheckedAccount<'info>,
}

/// Accrues interest, then updates the stable price and the last used publish time.
pub fn handler(ctx: Context<RefreshAsset>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut asset = ctx.accounts.asset.load_mut()?;
    asset.accrue(now)?;
    let price = read_oracle_info(
        const { Priced::of(Action::RefreshAsset) },
        &asset.oracle,
        &ctx.accounts.oracle,
        asset.decimals,
        now,
    )?;
    asset.observe_price(price.price, price.publish_time, now)?;
    asset.perp.accrue_funding(now, price.price)?;
    emit!(AssetRefreshed {
        header: EventHeader::now(asset.group)?,
        asset_index: asset.asset_index,
        oracle_price_bits: price.price.to_bits(),
        stable_price_bits: asset.stable_price.bits(),
        publish_time: price.publish_time,
    });
    Ok(())
}
