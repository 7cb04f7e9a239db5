//! Per-asset risk parameters, their bounds, and the fractions the health loop multiplies by.

use super::num::{bps_frac, Fx, Round, BPS};
use super::{RiskError, RiskResult};

/// Risk parameters of one asset as configured by governance, in basis points (10_000 = 100%)
/// and native token units: the one definition of the set. The program stores it in the Asset
/// account as is and takes it as an instruction argument (`list_asset`, `edit_asset`); with the
/// `anchor` feature it is an Anchor zero-copy type (and in the IDL), without it a plain `Pod`
/// struct of the same layout (32 bytes, asserted below).
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RiskConfig {
    /// Concentration threshold, native token units of |net exposure|.
    pub concentration_threshold: u64,
    /// Init scenario: price move down, bps. 10_000 gives the asset no collateral value.
    pub init_down_bps: u16,
    /// Init scenario: price move up, bps (liability side).
    pub init_up_bps: u16,
    /// Maint scenario: price move down, bps. At most `init_down_bps`.
    pub maint_down_bps: u16,
    /// Maint scenario: price move up, bps. At most `init_up_bps`.
    pub maint_up_bps: u16,
    /// Risk group. An asset is its own group when this equals its asset index.
    pub risk_group: u16,
    /// Basis charge on |exposure| value, bps, for assets that share a group with others.
    pub basis_bps: u16,
    /// Liquidity (close-out) charge on gross exposure value, bps.
    pub liquidity_bps: u16,
    /// Concentration charge rate on value above the threshold, bps.
    pub concentration_bps: u16,
    /// Liquidation fee paid to liquidators, bps.
    pub liquidation_fee_bps: u16,
    /// Reserved for upgrades (zero).
    pub reserved: [u8; 6],
}

const _: () = assert!(core::mem::size_of::<RiskConfig>() == 32);
const _: () = assert!(core::mem::align_of::<RiskConfig>() == 8);

/// The engine's name for [`RiskConfig`]: one type, stored, sent and computed with.
pub type RiskParams = RiskConfig;

/// Upper bound of any single shock or charge, bps.
pub const MAX_SHOCK_BPS: u16 = 10_000;
/// Upper bound of an up shock (liability side), bps: 500%.
pub const MAX_UP_SHOCK_BPS: u16 = 50_000;

impl RiskParams {
    /// Whether a depeg of `shock_bps` that the asset's price cannot see (a wrapped or pegged
    /// asset priced by its underlying's feed) is covered: both maint shocks and the basis charge
    /// (what a hedge against the underlying in the same risk group pays) are at least it.
    pub fn covers_depeg(&self, shock_bps: u16) -> bool {
        self.maint_down_bps >= shock_bps && self.maint_up_bps >= shock_bps && self.basis_bps >= shock_bps
    }

    /// Checks every bound. The rules, and why:
    /// * maint <= init for both shocks, so Init health <= Maint health;
    /// * down shocks <= 100%, up shocks <= 500%;
    /// * `init_down + basis + liquidity + concentration <= 100%`, so adding to a long position
    ///   never lowers health (health is monotone in prices and deposits never hurt);
    /// * the liquidation fee is below `1 - maint_down`, so seizing collateral improves health.
    pub fn validate(&self) -> RiskResult<()> {
        let p = self;
        if p.init_down_bps > MAX_SHOCK_BPS || p.maint_down_bps > p.init_down_bps {
            return Err(RiskError::InvalidParam("down shocks: need maint <= init <= 10000"));
        }
        if p.init_up_bps > MAX_UP_SHOCK_BPS || p.maint_up_bps > p.init_up_bps {
            return Err(RiskError::InvalidParam("up shocks: need maint <= init <= 50000"));
        }
        if p.maint_down_bps == 0 && p.init_down_bps < MAX_SHOCK_BPS && p.maint_up_bps == 0 {
            return Err(RiskError::InvalidParam("maint shocks must not both be zero"));
        }
        // Four u16 values: the sum fits u32.
        #[allow(clippy::arithmetic_side_effects)]
        let addons = p.init_down_bps as u32 + p.basis_bps as u32 + p.liquidity_bps as u32 + p.concentration_bps as u32;
        if addons > BPS {
            return Err(RiskError::InvalidParam("init_down + basis + liquidity + concentration must be <= 10000"));
        }
        if (p.liquidation_fee_bps as u32).saturating_add(p.maint_down_bps as u32) >= BPS
            && p.maint_down_bps < MAX_SHOCK_BPS
        {
            return Err(RiskError::InvalidParam("liquidation fee must be < 10000 - maint_down"));
        }
        Ok(())
    }

    /// Governance's direction rule: true when `self` in place of `old` can only ask more of every
    /// account (no shock or charge lower, no higher concentration threshold) and moves no value
    /// (the same risk group and liquidation fee). Such a change applies at once and the guardian
    /// may make it; any other is queued behind the timelock (docs/governance.md).
    pub fn no_riskier_than(&self, old: &Self) -> bool {
        self.risk_group == old.risk_group
            && self.liquidation_fee_bps == old.liquidation_fee_bps
            && self.reserved == old.reserved
            && self.concentration_threshold <= old.concentration_threshold
            && self.init_down_bps >= old.init_down_bps
            && self.init_up_bps >= old.init_up_bps
            && self.maint_down_bps >= old.maint_down_bps
            && self.maint_up_bps >= old.maint_up_bps
            && self.basis_bps >= old.basis_bps
            && self.liquidity_bps >= old.liquidity_bps
            && self.concentration_bps >= old.concentration_bps
    }
}

/// Scenario shocks of one health type as fractions (rounded up: larger shocks are against the account).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct Shocks {
    /// Fractional price move down.
    pub down: Fx,
    /// Fractional price move up.
    pub up: Fx,
}

/// Precomputed fractions of an asset's parameters, built once per health computation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct RiskFractions {
    /// Init (and LiquidationEnd) shocks.
    pub init: Shocks,
    /// Maint shocks.
    pub maint: Shocks,
    /// Basis charge fraction.
    pub basis: Fx,
    /// Liquidity charge fraction.
    pub liquidity: Fx,
    /// Concentration charge fraction.
    pub concentration: Fx,
    /// Concentration threshold in native units.
    pub concentration_threshold: Fx,
}

impl RiskFractions {
    /// Converts basis points once, rounding every charge up.
    pub fn from_params(p: &RiskParams) -> Self {
        let up = |b: u16| bps_frac(b as u32, Round::Up);
        RiskFractions {
            init: Shocks { down: up(p.init_down_bps), up: up(p.init_up_bps) },
            maint: Shocks { down: up(p.maint_down_bps), up: up(p.maint_up_bps) },
            basis: up(p.basis_bps),
            liquidity: up(p.liquidity_bps),
            concentration: up(p.concentration_bps),
            concentration_threshold: Fx::from_num(p.concentration_threshold),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> RiskParams {
        RiskParams {
            init_down_bps: 2000,
            init_up_bps: 2000,
            maint_down_bps: 1000,
            maint_up_bps: 1000,
            risk_group: 1,
            basis_bps: 0,
            liquidity_bps: 50,
            concentration_bps: 0,
            concentration_threshold: u64::MAX,
            liquidation_fee_bps: 500,
            reserved: [0; 6],
        }
    }

    #[test]
    fn bounds() {
        assert!(ok().validate().is_ok());
        assert!(RiskParams { maint_down_bps: 3000, ..ok() }.validate().is_err());
        assert!(RiskParams { init_down_bps: 10_001, ..ok() }.validate().is_err());
        assert!(RiskParams { maint_up_bps: 3000, ..ok() }.validate().is_err());
        assert!(RiskParams { liquidity_bps: 9000, ..ok() }.validate().is_err());
        assert!(RiskParams { liquidation_fee_bps: 9000, ..ok() }.validate().is_err());
        // Untrusted asset: no collateral value at all.
        let untrusted = RiskParams { init_down_bps: 10_000, maint_down_bps: 10_000, liquidity_bps: 0, ..ok() };
        assert!(untrusted.validate().is_ok());
    }
}
