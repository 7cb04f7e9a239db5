//! `set_perp_market`: the admin enables, configures, pauses (reduce-only) or disables the perp
//! market of an asset; the guardian may set it reduce-only or lower its caps. Riskier changes go
//! through the timelock.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, PerpMarketSet};
use crate::state::*;

/// Accounts of `set_perp_market`.
#[derive(Accounts)]
pub struct SetPerpMarket<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The admin, or the guardian for a change that is no riskier
    /// ([`PerpMarketParams::no_riskier_than`]).
    pub authority: Signer<'info>,
    /// The asset; must belong to the group and not be the quote asset.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Writes the configuration and validates the whole asset: the one transition of
/// `set_perp_market` and of an executed queued change. The first configuration starts the
/// funding, fill and settle clocks at `now`.
pub fn apply_perp_market(asset: &mut Asset, quote_index: u16, params: &PerpMarketParams, now: i64) -> Result<()> {
    require!(asset.asset_index != quote_index, BallastError::InvalidConfig);
    let first = asset.perp.base_lot_size == 0;
    require!(first || asset.perp.base_lot_size == params.base_lot_size, BallastError::InvalidConfig);
    asset.perp.set_params(params);
    asset.config_version = asset.config_version.wrapping_add(1);
    if first {
        crate::transitions::perp::start_market_clocks(&mut asset.perp, now);
    }
    // A failure here aborts the transaction, so no partial configuration is ever stored.
    asset.validate_config()
}

/// Authorizes ([`crate::governance::authorize_direct`]), applies and records the configuration.
pub fn handler(ctx: Context<SetPerpMarket>, params: PerpMarketParams) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let group = ctx.accounts.group.load()?;
    let mut asset = ctx.accounts.asset.load_mut()?;
    crate::governance::authorize_direct(
        &group,
        ctx.accounts.authority.key,
        params.no_riskier_than(&asset.perp.params()),
    )?;
    apply_perp_market(&mut asset, group.quote_asset_index, &params, now)?;
    emit!(PerpMarketSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index: asset.asset_index,
        base_lot_size: params.base_lot_size,
        flags: params.flags,
        params,
    });
    Ok(())
}
