//! `edit_asset`: the admin or the guardian changes an asset's parameters (validated as at
//! listing): at once when the change is no riskier, otherwise only through the timelock.

use anchor_lang::prelude::*;

use crate::error::BallastError;
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
    /// Withdrawal rate limit (`limit_bps` 0: off). The current window's count is kept, unless
    /// the limit was off (a new window then starts at the next flow).
    pub withdraw_limit: Option<OutflowLimitConfig>,
    /// Price-deviation breaker, bps of the stable price (0: off; at most 10,000).
    pub deviation_breaker_bps: Option<u16>,
}

impl EditAssetParams {
    /// Whether it changes a price source (the primary or the fallback oracle): such an edit passes
    /// the sources' claims (`crate::feed_claims`).
    pub fn changes_sources(&self) -> bool {
        self.oracle.is_some() || self.fallback_oracle.is_some()
    }

    /// The sources it changes.
    pub fn sources(&self) -> crate::feed_claims::Sources {
        crate::feed_claims::Sources { primary: self.oracle.is_some(), fallback: self.fallback_oracle.is_some() }
    }

    /// Governance's direction rule (docs/governance.md): true when every field set either keeps
    /// its value or moves the safe way: risk parameters (only of an asset without options: the
    /// option grid's points move with the shocks), borrow limits and the withdrawal limit by their
    /// own rules, a lower deposit cap, deposits or withdrawals disabled, reduce-only set, or
    /// borrowing turned off (no other flag change), the deviation breaker turned on or tightened; the name is
    /// free; oracles, interest, the stable-price
    /// speed and the insurance cap move value or prices and must stay as they are.
    pub fn no_riskier_than(&self, a: &Asset) -> bool {
        let flags_ok = self.flags.is_none_or(|f| {
            // The pegged bit is the program's: an edit keeps it whatever it sends.
            let f = (f & !ASSET_FLAG_PEGGED) | (a.flags & ASSET_FLAG_PEGGED);
            let (set, cleared) = (f & !a.flags, a.flags & !f);
            set & !(ASSET_FLAG_DEPOSITS_DISABLED | ASSET_FLAG_WITHDRAWALS_DISABLED | ASSET_FLAG_REDUCE_ONLY) == 0
                && cleared & !ASSET_FLAG_BORROWABLE == 0
        });
        same(&self.oracle, &a.oracle)
            && same(&self.fallback_oracle, &a.fallback_oracle)
            && same(&self.interest, &a.interest)
            && same(&self.stable_growth_bps_per_hour, &a.stable_growth_bps_per_hour)
            && same(&self.insurance_cap, &a.insurance_cap)
            && self.risk.is_none_or(|r| r == a.risk || (a.option.contract_size == 0 && r.no_riskier_than(&a.risk)))
            && self.deposit_cap.is_none_or(|c| c <= a.bank.deposit_cap)
            && self.limits.is_none_or(|l| l.no_riskier_than(&a.bank.limits))
            && self.withdraw_limit.is_none_or(|l| l == a.outflow_limit || l.no_riskier_than(&a.outflow_limit))
            && self.deviation_breaker_bps.is_none_or(|b| {
                let cur = a.deviation_breaker_bps;
                b == cur || (b > 0 && (cur == 0 || b < cur))
            })
            && flags_ok
    }
}

/// True when an edit leaves the field as it is (`None`, or the current value).
fn same<T: PartialEq>(new: &Option<T>, old: &T) -> bool {
    new.as_ref().is_none_or(|v| v == old)
}

/// Accounts of `edit_asset`. Remaining accounts: when the edit sets the risk parameters of an asset
/// that belongs to another asset's risk group, that group leader's Asset (its shocks must match).
#[derive(Accounts)]
pub struct EditAsset<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The admin, or the guardian for a change that is no riskier
    /// ([`EditAssetParams::no_riskier_than`]).
    pub authority: Signer<'info>,
    /// Asset to edit; must belong to the group.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// S2-02: a risk group is fixed at listing, and one set of shocks holds for all its members: the
/// group cannot change, a member keeps its leader's shocks (the leader is the first remaining
/// account), and a leader with members keeps its own.
#[inline(never)]
fn set_risk(asset: &mut Asset, v: RiskConfig, remaining: &[AccountInfo]) -> Result<()> {
    let old = asset.risk;
    require!(v.risk_group == old.risk_group, BallastError::InvalidConfig);
    let shocks = |r: &RiskConfig| (r.init_down_bps, r.init_up_bps, r.maint_down_bps, r.maint_up_bps);
    if asset.group_members > 0 {
        require!(shocks(&v) == shocks(&old), BallastError::InvalidConfig);
    }
    asset.risk = v;
    if v.risk_group != asset.asset_index {
        let leader = remaining.first().ok_or(BallastError::InvalidConfig)?;
        let data = leader.try_borrow_data()?;
        asset.check_group(Some(load_pod::<Asset>(leader.owner, &data)?))?;
    }
    Ok(())
}

/// Applies the changes to `asset` and validates the whole resulting configuration: the one
/// transition of `edit_asset` and of an executed [`crate::governance::GovChange::EditAsset`].
pub fn apply_edit(asset: &mut Asset, p: &EditAssetParams, remaining: &[AccountInfo]) -> Result<()> {
    if let Some(v) = p.name {
        asset.name = v;
    }
    if let Some(v) = p.oracle {
        asset.oracle = v;
    }
    if let Some(v) = p.fallback_oracle {
        asset.fallback_oracle = v;
    }
    if p.changes_sources() {
        crate::feed_claims::mark(asset, p.sources(), remaining, None)?;
    }
    if let Some(v) = p.risk {
        set_risk(asset, v, remaining)?;
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
        // ASSET_FLAG_PEGGED is the program's: an edit keeps it as it is.
        asset.flags = (v & !ASSET_FLAG_PEGGED) | (asset.flags & ASSET_FLAG_PEGGED);
    }
    if let Some(v) = p.insurance_cap {
        asset.insurance_cap = v;
    }
    if let Some(v) = p.withdraw_limit {
        // Turned on: no window carries over from before it was off (nothing was recorded then).
        if asset.outflow_limit.limit_bps == 0 && v.limit_bps > 0 {
            (asset.outflow_start_ts, asset.outflow_net, asset.outflow_base) = (0, 0, 0);
        }
        asset.outflow_limit = v;
    }
    if let Some(v) = p.deviation_breaker_bps {
        asset.deviation_breaker_bps = v;
    }
    asset.config_version = asset.config_version.wrapping_add(1);
    // A failure here aborts the transaction, so no partial edit is ever stored.
    asset.validate_config()
}

/// Authorizes ([`crate::governance::authorize_direct`]), applies and records the edit.
pub fn handler(ctx: Context<EditAsset>, params: EditAssetParams) -> Result<()> {
    let mut asset = ctx.accounts.asset.load_mut()?;
    crate::governance::authorize_direct(
        &*ctx.accounts.group.load()?,
        ctx.accounts.authority.key,
        params.no_riskier_than(&asset),
    )?;
    apply_edit(&mut asset, &params, ctx.remaining_accounts)?;
    if params.changes_sources() {
        crate::feed_claims::record(&asset, params.sources(), ctx.remaining_accounts, None)?;
    }
    emit!(AssetEdited {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset: ctx.accounts.asset.key(),
        asset_index: asset.asset_index,
        changes: params,
    });
    Ok(())
}
