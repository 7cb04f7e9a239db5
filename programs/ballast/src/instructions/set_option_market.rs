//! `set_option_market`: the admin configures, enables, sets reduce-only or disables the options on
//! an underlying, with their grid parameters.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, OptionMarketSet};
use crate::state::*;

/// Accounts of `set_option_market`.
#[derive(Accounts)]
pub struct SetOptionMarket<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The underlying; must belong to the group, not be the quote asset and lead its risk group
    /// (the grid margins a group's options with one parameter set: its leader's).
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Validates and writes the configuration (the contract size is fixed once set). Not yet
/// timelocked: the governance issue queues changes that lower margin.
pub fn handler(ctx: Context<SetOptionMarket>, params: OptionMarketParams) -> Result<()> {
    let quote_index = ctx.accounts.group.load()?.quote_asset_index;
    let mut asset = ctx.accounts.asset.load_mut()?;
    require!(asset.asset_index != quote_index, BallastError::InvalidConfig);
    require!(asset.risk.risk_group == asset.asset_index, BallastError::InvalidConfig);
    asset.option.set_params(&params)?;
    asset.option_risk = params.risk;
    emit!(OptionMarketSet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index: asset.asset_index,
        params
    });
    Ok(())
}
