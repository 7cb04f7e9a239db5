//! `set_option_market`: the admin configures, enables, sets reduce-only or disables the options on
//! an underlying, with their grid parameters; the guardian may set them reduce-only, lower caps or
//! raise shocks. Riskier changes go through the timelock.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, OptionMarketSet};
use crate::state::*;

/// Accounts of `set_option_market`.
#[derive(Accounts)]
pub struct SetOptionMarket<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The admin, or the guardian for a change that is no riskier
    /// ([`OptionMarketParams::no_riskier_than`]).
    pub authority: Signer<'info>,
    /// The underlying; must belong to the group, not be the quote asset and lead its risk group
    /// (the grid margins a group's options with one parameter set: its leader's).
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Validates and writes the configuration (the contract size is fixed once set): the one
/// transition of `set_option_market` and of an executed queued change.
pub fn apply_option_market(asset: &mut Asset, quote_index: u16, params: &OptionMarketParams) -> Result<()> {
    require!(asset.asset_index != quote_index, BallastError::InvalidConfig);
    require!(asset.risk.risk_group == asset.asset_index, BallastError::InvalidConfig);
    asset.option.set_params(params)?;
    asset.option_risk = params.risk;
    asset.config_version = asset.config_version.wrapping_add(1);
    Ok(())
}

/// Authorizes ([`crate::governance::authorize_direct`]), applies and records the configuration.
pub fn handler(ctx: Context<SetOptionMarket>, params: OptionMarketParams) -> Result<()> {
    let group = ctx.accounts.group.load()?;
    let mut asset = ctx.accounts.asset.load_mut()?;
    let current = asset.option.params(asset.option_risk);
    crate::governance::authorize_direct(&group, ctx.accounts.authority.key, params.no_riskier_than(&current))?;
    apply_option_market(&mut asset, group.quote_asset_index, &params)?;
    emit!(OptionMarketSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index: asset.asset_index,
        params
    });
    Ok(())
}
