//! `set_liquidation_config`: the admin sets the group's liquidation fee schedule and guards. Every
//! change decides who pays: in a group with a timelock it is queued (`propose_change`).

use anchor_lang::prelude::*;

use crate::state::*;

/// Liquidation configuration (units as in [`LiquidationConfig`]).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationConfigParams {
    /// Gross position value below which an account is closed out in one call, quote native units.
    pub close_out_value: u64,
    /// Extra fee per hour liquidatable, bps.
    pub fee_ramp_bps_per_hour: u32,
    /// Cap of the extra fee, bps (at most 5,000).
    pub fee_ramp_cap_bps: u32,
    /// Share of every liquidation fee paid to the insurance fund, bps.
    pub insurance_share_bps: u16,
    /// Largest oracle distance from the stable price at which liquidation proceeds, bps (1..=10,000).
    pub max_stable_deviation_bps: u16,
    /// Largest value one liquidation step repays or takes over, quote native units (> 0).
    pub max_step_value: u64,
}

/// Accounts of `set_liquidation_config`.
#[derive(Accounts)]
pub struct SetLiquidationConfig<'info> {
    /// Group.
    #[account(mut)]
    pub group: AccountLoader<'info, Group>,
    /// The admin (the guardian only for a change to the same values).
    pub authority: Signer<'info>,
}

/// Validates and writes the configuration: the one transition of `set_liquidation_config` and of
/// an executed queued change.
pub fn apply_liquidation_config(g: &mut Group, p: &LiquidationConfigParams) -> Result<()> {
    let c = LiquidationConfig {
        close_out_value: p.close_out_value,
        fee_ramp_bps_per_hour: p.fee_ramp_bps_per_hour,
        fee_ramp_cap_bps: p.fee_ramp_cap_bps,
        insurance_share_bps: p.insurance_share_bps,
        max_stable_deviation_bps: p.max_stable_deviation_bps,
        reserved: [0; 4],
    };
    c.validate()?;
    require!(p.max_step_value > 0, crate::error::BallastError::InvalidConfig);
    g.liquidation = c;
    g.max_liquidation_step = p.max_step_value;
    g.config_version = g.config_version.wrapping_add(1);
    Ok(())
}

impl LiquidationConfigParams {
    /// The group's current configuration.
    pub fn of(g: &Group) -> Self {
        let c = &g.liquidation;
        LiquidationConfigParams {
            close_out_value: c.close_out_value,
            fee_ramp_bps_per_hour: c.fee_ramp_bps_per_hour,
            fee_ramp_cap_bps: c.fee_ramp_cap_bps,
            insurance_share_bps: c.insurance_share_bps,
            max_stable_deviation_bps: c.max_stable_deviation_bps,
            max_step_value: g.max_liquidation_step,
        }
    }
}

/// Authorizes ([`crate::governance::authorize_direct`]: only an unchanged configuration counts as
/// no riskier), applies and records the configuration.
pub fn handler(ctx: Context<SetLiquidationConfig>, p: LiquidationConfigParams) -> Result<()> {
    let mut g = ctx.accounts.group.load_mut()?;
    crate::governance::authorize_direct(&g, ctx.accounts.authority.key, p == LiquidationConfigParams::of(&g))?;
    apply_liquidation_config(&mut g, &p)?;
    emit!(crate::events::LiquidationConfigSet {
        header: crate::events::EventHeader::now(ctx.accounts.group.key())?,
        config: p
    });
    Ok(())
}
