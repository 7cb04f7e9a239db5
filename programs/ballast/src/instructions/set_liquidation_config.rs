//! `set_liquidation_config`: the admin sets the group's liquidation fee schedule and guards.

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
    /// Group; its admin signs.
    #[account(mut, has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
}

/// Validates and writes the configuration.
pub fn handler(ctx: Context<SetLiquidationConfig>, p: LiquidationConfigParams) -> Result<()> {
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
    let mut g = ctx.accounts.group.load_mut()?;
    g.liquidation = c;
    g.max_liquidation_step = p.max_step_value;
    emit!(crate::events::LiquidationConfigSet {
        header: crate::events::EventHeader::now(ctx.accounts.group.key())?,
        config: p
    });
    Ok(())
}
