//! Governance policy: who may make which parameter change, and when (docs/governance.md).
//!
//! - The **admin** (meant to be a multisig) applies at once a change that is no riskier than the
//!   current configuration (each parameter set's `no_riskier_than`); any other change must be
//!   queued with `propose_change` and is executed by anyone after the group's timelock, unless the
//!   group has no timelock (`timelock_secs` 0: a development group).
//! - The **guardian** applies only changes that are no riskier, and cancels queued changes.
//! - The **listing admin** lists assets as the admin does.
//! - Role changes and the timelock itself are always queued ([`GovChange::SetRoles`]).

use anchor_lang::prelude::*;

use crate::constants::MAX_TIMELOCK_SECS;
use crate::error::BallastError;
use crate::instructions::{EditAssetParams, LiquidationConfigParams};
use crate::state::*;

/// The roles and the timelock of a group, set together by a queued [`GovChange::SetRoles`].
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolesParams {
    /// Admin (not the default key).
    pub admin: Pubkey,
    /// Guardian (default key: none).
    pub guardian: Pubkey,
    /// Listing admin (default key: none).
    pub listing_admin: Pubkey,
    /// Owner of the token accounts protocol fees and protocol insurance are paid to (not the
    /// default key).
    pub fee_recipient: Pubkey,
    /// Delay of queued changes, seconds (at most 30 days).
    pub timelock_secs: u64,
}

/// A change that can be queued: the exact new values. Changes of an asset apply to the proposal's
/// target Asset.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq)]
pub enum GovChange {
    /// `edit_asset` of the target asset (boxed: it is the largest change).
    EditAsset(Box<EditAssetParams>),
    /// `set_perp_market` of the target asset.
    SetPerpMarket(PerpMarketParams),
    /// `set_option_market` of the target asset.
    SetOptionMarket(OptionMarketParams),
    /// `set_liquidation_config` of the group.
    SetLiquidationConfig(LiquidationConfigParams),
    /// The group's roles and timelock.
    SetRoles(RolesParams),
    /// The instruction gate, as a whole (clearing a bit re-enables an instruction: queued).
    SetIxGate(u64),
    /// Freezes or (queued) unfreezes the target margin account.
    SetAccountFrozen(bool),
}

/// What a change applies to: the group alone, an Asset, or a margin account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// The group.
    Group,
    /// An Asset of the group.
    Asset,
    /// A MarginAccount of the group.
    Account,
}

/// The target account of a change, loaded.
pub enum Target<'a> {
    /// No target account.
    Group,
    /// An Asset.
    Asset(&'a mut Asset),
    /// A MarginAccount.
    Account(&'a mut MarginAccount),
}

impl GovChange {
    /// An asset edit.
    pub fn edit(p: EditAssetParams) -> Self {
        GovChange::EditAsset(Box::new(p))
    }

    /// The kind of account the change applies to (the proposal names it).
    pub fn target_kind(&self) -> TargetKind {
        match self {
            GovChange::EditAsset(_) | GovChange::SetPerpMarket(_) | GovChange::SetOptionMarket(_) => TargetKind::Asset,
            GovChange::SetAccountFrozen(_) => TargetKind::Account,
            GovChange::SetLiquidationConfig(_) | GovChange::SetRoles(_) | GovChange::SetIxGate(_) => TargetKind::Group,
        }
    }
}

/// The one authorization rule of the direct parameter instructions (`edit_asset`,
/// `set_perp_market`, `set_option_market`, `set_liquidation_config`): `no_riskier` is the
/// parameter set's direction rule on the change. The admin makes a riskier change only in a group
/// without timelock (TimelockRequired otherwise: queue it); the guardian never does
/// (GuardianCannotIncreaseRisk); anyone else is refused (Unauthorized).
pub fn authorize_direct(group: &Group, signer: &Pubkey, no_riskier: bool) -> Result<()> {
    if *signer == group.admin {
        require!(no_riskier || group.timelock_secs == 0, BallastError::TimelockRequired);
        return Ok(());
    }
    require!(*signer == group.guardian && *signer != Pubkey::default(), BallastError::Unauthorized);
    require!(no_riskier, BallastError::GuardianCannotIncreaseRisk);
    Ok(())
}

/// Who lists, and what: the admin or the listing admin; a listing that gives the asset value or
/// lets it be borrowed (not `inert`) only in a group without timelock (TimelockRequired: list it
/// inert and queue the change that activates it).
pub fn authorize_listing(group: &Group, signer: &Pubkey, inert: bool) -> Result<()> {
    let listing_admin = group.listing_admin != Pubkey::default() && *signer == group.listing_admin;
    require!(*signer == group.admin || listing_admin, BallastError::Unauthorized);
    require!(inert || group.timelock_secs == 0, BallastError::TimelockRequired);
    Ok(())
}

/// True when a token account owned by `owner` may receive protocol fees or protocol insurance:
/// the group's fee recipient, which is never the default key (a group upgraded in place has none
/// until a queued `SetRoles` sets it).
pub fn pays_fee_recipient(owner: &Pubkey, group: &Group) -> bool {
    group.fee_recipient != Pubkey::default() && *owner == group.fee_recipient
}

/// Either role that may cancel a queued change: the admin or the guardian.
pub fn authorize_cancel(group: &Group, signer: &Pubkey) -> Result<()> {
    let guardian = group.guardian != Pubkey::default() && *signer == group.guardian;
    require!(*signer == group.admin || guardian, BallastError::Unauthorized);
    Ok(())
}

/// Shortest timelock of a group that has one: a governed group cannot be turned back into a
/// setup group (1 hour).
pub const MIN_GOVERNED_TIMELOCK_SECS: u64 = 3_600;

/// Validates and writes the roles. A group with a timelock keeps one of at least an hour and a
/// guardian.
pub fn apply_roles(group: &mut Group, r: &RolesParams) -> Result<()> {
    require!(
        r.admin != Pubkey::default() && r.fee_recipient != Pubkey::default() && r.timelock_secs <= MAX_TIMELOCK_SECS,
        BallastError::InvalidConfig
    );
    require!(
        group.timelock_secs == 0 || (r.timelock_secs >= MIN_GOVERNED_TIMELOCK_SECS && r.guardian != Pubkey::default()),
        BallastError::InvalidConfig
    );
    group.admin = r.admin;
    group.guardian = r.guardian;
    group.listing_admin = r.listing_admin;
    group.fee_recipient = r.fee_recipient;
    group.timelock_secs = r.timelock_secs;
    group.config_version = group.config_version.wrapping_add(1);
    Ok(())
}

/// SHA-256 of what `change` replaces on `group` and `target`, as they stand: the fields of an
/// asset an edit can set, a market's parameters, the liquidation configuration, the roles, the
/// gate, an account's frozen flag, with the target's configuration count (the asset's, else the
/// group's), so that a value changed and changed back still counts as changed. Stored at
/// queueing and required unchanged at execution.
pub fn base_hash(group: &Group, target: &Target, change: &GovChange) -> Result<[u8; 32]> {
    use bytemuck::bytes_of;
    let version = match target {
        Target::Asset(a) => u64::from(a.config_version),
        _ => group.config_version,
    }
    .to_le_bytes();
    let h = |parts: &[&[u8]]| {
        let mut all: [&[u8]; 16] = [&[]; 16];
        all[0] = &version;
        for (slot, p) in all[1..].iter_mut().zip(parts) {
            *slot = p;
        }
        solana_sha256_hasher::hashv(&all[..=parts.len().min(15)]).to_bytes()
    };
    let ser = |v: &dyn Fn() -> core::result::Result<Vec<u8>, std::io::Error>| {
        v().map_err(|_| error!(BallastError::InvalidConfig))
    };
    Ok(match (change, target) {
        (GovChange::EditAsset(_), Target::Asset(a)) => h(&[
            &a.name,
            bytes_of(&a.oracle),
            bytes_of(&a.fallback_oracle),
            bytes_of(&a.risk),
            bytes_of(&a.interest),
            &a.stable_growth_bps_per_hour.to_le_bytes(),
            &a.bank.deposit_cap.to_le_bytes(),
            bytes_of(&a.bank.limits),
            &[a.flags],
            &a.insurance_cap.to_le_bytes(),
            bytes_of(&a.outflow_limit),
            &a.deviation_breaker_bps.to_le_bytes(),
        ]),
        (GovChange::SetPerpMarket(_), Target::Asset(a)) => h(&[&ser(&|| borsh::to_vec(&a.perp.params()))?]),
        (GovChange::SetOptionMarket(_), Target::Asset(a)) => {
            h(&[&ser(&|| borsh::to_vec(&a.option.params(a.option_risk)))?])
        }
        (GovChange::SetLiquidationConfig(_), Target::Group) => {
            h(&[&ser(&|| borsh::to_vec(&LiquidationConfigParams::of(group)))?])
        }
        (GovChange::SetRoles(_), Target::Group) => h(&[
            group.admin.as_ref(),
            group.guardian.as_ref(),
            group.listing_admin.as_ref(),
            group.fee_recipient.as_ref(),
            &group.timelock_secs.to_le_bytes(),
        ]),
        (GovChange::SetIxGate(_), Target::Group) => h(&[&group.ix_gate.to_le_bytes()]),
        (GovChange::SetAccountFrozen(_), Target::Account(a)) => h(&[&[a.flags & ACCOUNT_FLAG_FROZEN]]),
        _ => return err!(BallastError::ProposalMismatch),
    })
}

/// Validates and writes the instruction gate: only gated instructions' bits (`gate::POLICY`).
pub fn apply_ix_gate(group: &mut Group, gate: u64) -> Result<()> {
    require!(gate & !crate::gate::GATEABLE_BITS == 0, BallastError::InvalidConfig);
    group.ix_gate = gate;
    group.config_version = group.config_version.wrapping_add(1);
    Ok(())
}

/// Sets or clears an account's frozen flag (a change of the group's configuration count).
pub fn apply_frozen(group: &mut Group, account: &mut MarginAccount, frozen: bool) {
    if frozen {
        account.flags |= ACCOUNT_FLAG_FROZEN;
    } else {
        account.flags &= !ACCOUNT_FLAG_FROZEN;
    }
    group.config_version = group.config_version.wrapping_add(1);
}

/// Applies `change` with the same transition as its direct instruction: to the `target` and
/// `group`. `remaining` holds the risk-group leader of an edit that sets a member's risk
/// parameters. Validates the whole resulting configuration; the caller applies it to copies to
/// validate at queueing, to the accounts at execution.
pub fn apply_change(
    group: &mut Group,
    target: Target,
    change: &GovChange,
    remaining: &[AccountInfo],
    now: i64,
) -> Result<()> {
    let quote = group.quote_asset_index;
    match (change, target) {
        (GovChange::EditAsset(p), Target::Asset(a)) => crate::instructions::edit_asset::apply_edit(a, p, remaining),
        (GovChange::SetPerpMarket(p), Target::Asset(a)) => {
            crate::instructions::set_perp_market::apply_perp_market(a, quote, p, now)
        }
        (GovChange::SetOptionMarket(p), Target::Asset(a)) => {
            crate::instructions::set_option_market::apply_option_market(a, quote, p)
        }
        (GovChange::SetLiquidationConfig(p), Target::Group) => {
            crate::instructions::set_liquidation_config::apply_liquidation_config(group, p)
        }
        (GovChange::SetRoles(r), Target::Group) => apply_roles(group, r),
        (GovChange::SetIxGate(g), Target::Group) => apply_ix_gate(group, *g),
        (GovChange::SetAccountFrozen(f), Target::Account(a)) => {
            apply_frozen(group, a, *f);
            Ok(())
        }
        _ => err!(BallastError::ProposalMismatch),
    }
}
