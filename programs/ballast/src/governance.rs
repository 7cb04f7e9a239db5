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

/// Either role that may cancel a queued change: the admin or the guardian.
pub fn authorize_cancel(group: &Group, signer: &Pubkey) -> Result<()> {
    let guardian = group.guardian != Pubkey::default() && *signer == group.guardian;
    require!(*signer == group.admin || guardian, BallastError::Unauthorized);
    Ok(())
}

/// Validates and writes the roles.
pub fn apply_roles(group: &mut Group, r: &RolesParams) -> Result<()> {
    require!(
        r.admin != Pubkey::default() && r.fee_recipient != Pubkey::default() && r.timelock_secs <= MAX_TIMELOCK_SECS,
        BallastError::InvalidConfig
    );
    group.admin = r.admin;
    group.guardian = r.guardian;
    group.listing_admin = r.listing_admin;
    group.fee_recipient = r.fee_recipient;
    group.timelock_secs = r.timelock_secs;
    Ok(())
}

/// Validates and writes the instruction gate: only gated instructions' bits (`gate::POLICY`).
pub fn apply_ix_gate(group: &mut Group, gate: u64) -> Result<()> {
    require!(gate & !crate::gate::GATEABLE_BITS == 0, BallastError::InvalidConfig);
    group.ix_gate = gate;
    Ok(())
}

/// Sets or clears an account's frozen flag.
pub fn apply_frozen(account: &mut MarginAccount, frozen: bool) {
    if frozen {
        account.flags |= ACCOUNT_FLAG_FROZEN;
    } else {
        account.flags &= !ACCOUNT_FLAG_FROZEN;
    }
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
            apply_frozen(a, *f);
            Ok(())
        }
        _ => err!(BallastError::ProposalMismatch),
    }
}
