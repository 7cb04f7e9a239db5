//! `set_perp_market`: the admin enables, configures, pauses (reduce-only) or disables the perp
//! market of an asset.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, PerpMarketSet};
use crate::state::*;

/// Accounts of `set_perp_market`.
#[derive(Accounts)]
pub struct SetPerpMarket<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The asset; must belong to the group and not be the quote asset.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Writes the configuration and validates the whole asset. The first configuration starts the
/// funding, fill and settle clocks at now.
pub fn handler(ctx: Context<SetPerpMarket>, params: PerpMarketParams) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let quote_index = ctx.accounts.group.load()?.quote_asset_index;
    let mut asset = ctx.accounts.asset.load_mut()?;
    require!(asset.asset_index != quote_index, BallastError::InvalidConfig);
    let first = asset.perp.base_lot_size == 0;
    require!(first || asset.perp.base_lot_size == params.base_lot_size, BallastError::InvalidConfig);
    asset.perp.set_params(&params);
    if first {
        crate::transitions::perp::start_market_clocks(&mut asset.perp, now);
    }
    // A failure here aborts the transaction, so no partial configuration is ever stored.
    asset.validate_config()?;
    emit!(PerpMarketSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index: asset.asset_index,
        base_lot_size: params.base_lot_size,
        flags: params.flags,
        params,
    });
    Ok(())
}
