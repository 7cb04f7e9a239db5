//! `settle_option_expiry`: permissionless. Once the settlement window has closed, fixes the
//! expiry's settlement price by the documented rule (the median of the valid spaced samples,
//! catalogue PX-05).

use anchor_lang::prelude::*;

use crate::constants::OPTION_SETTLEMENT_SEED;
use crate::events::{EventHeader, OptionExpirySettled};
use crate::state::*;
use crate::transitions::option::fix_settlement;

/// Accounts of `settle_option_expiry`.
#[derive(Accounts)]
#[instruction(expiry: i64)]
pub struct SettleOptionExpiry<'info> {
    /// The underlying.
    #[account(mut)]
    pub asset: AccountLoader<'info, Asset>,
    /// The expiry's settlement record.
    #[account(seeds = [OPTION_SETTLEMENT_SEED, asset.key().as_ref(), &expiry.to_le_bytes()], bump = settlement.load()?.bump)]
    pub settlement: AccountLoader<'info, OptionSettlement>,
}

/// Fixes the settlement price ([`fix_settlement`]).
pub fn handler(ctx: Context<SettleOptionExpiry>, expiry: i64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut asset = ctx.accounts.asset.load_mut()?;
    let st = ctx.accounts.settlement.load()?;
    let price = fix_settlement(&mut asset.option, &st, now)?;
    emit!(OptionExpirySettled {
        header: EventHeader::now(asset.group)?,
        asset_index: asset.asset_index,
        expiry,
        price_bits: price.to_bits(),
        samples: st.count,
    });
    Ok(())
}
