//! `edit_asset`: the admin changes an asset's parameters (validated as at listing).

use anchor_lang::prelude::*;

use crate::events::{AssetEdited, EventHeader};
use crate::state::*;

/// Fields to change; `None` keeps the current value.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq)]
pub struct EditAssetParams {
    /// Display name.
    pub name: Option<[u8; 16]>,
    /// Primary oracle.
    pub oracle: Option<OracleConfig>,
    /// Fallback oracle (address default: none).
    pub fallback_oracle: Option<OracleConfig>,
    /// Risk parameters.
    pub risk: Option<RiskConfig>,
    /// Interest curve.
    pub interest: Option<InterestConfig>,
    /// Largest stable-price move per hour, bps.
    pub stable_growth_bps_per_hour: Option<u32>,
    /// Deposit cap, native units.
    pub deposit_cap: Option<u64>,
    /// Borrow limits.
    pub limits: Option<BorrowLimitsConfig>,
    /// ASSET_FLAG_* bits.
    pub flags: Option<u8>,
    /// Most the insurance fund pays per bankruptcy step of a debt in this asset, quote native units.
    pub insurance_cap: Option<u64>,
}

/// Accounts of `edit_asset`.
#[derive(Accounts)]
pub struct EditAsset<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// Asset to edit; must belong to the group.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Applies the changes and validates the whole resulting configuration.
pub fn handler(ctx: Context<EditAsset>, params: EditAssetParams) -> Result<()> {
    let mut asset = ctx.accounts.asset.load_mut()?;
    let p = params;
    if let Some(v) = p.name {
        asset.name = v;
    }
    if let Some(v) = p.oracle {
        asset.oracle = v;
    }
    if let Some(v) = p.fallback_oracle {
        asset.fallback_oracle = v;
    }
    if let Some(v) = p.risk {
        asset.risk = v;
    }
    if let Some(v) = p.interest {
        asset.interest = v;
    }
    if let Some(v) = p.stable_growth_bps_per_hour {
        asset.stable_growth_bps_per_hour = v;
    }
    if let Some(v) = p.deposit_cap {
        asset.bank.deposit_cap = v;
    }
    if let Some(v) = p.limits {
        asset.bank.limits = v;
    }
    if let Some(v) = p.flags {
        asset.flags = v;
    }
    if let Some(v) = p.insurance_cap {
        asset.insurance_cap = v;
    }
    // A failure here aborts the transaction, so no partial edit is ever stored.
    asset.validate_config()?;
    emit!(AssetEdited {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset: ctx.accounts.asset.key(),
        asset_index: asset.asset_index,
    });
    Ok(())
}
