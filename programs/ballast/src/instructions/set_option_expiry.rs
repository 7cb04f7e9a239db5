//! `set_option_expiry`: the admin lists an expiry in a free slot of an underlying's option market
//! (or in a slot whose expiry has no open interest left), or updates a listed expiry's volatility
//! smile within the market's per-update change limit.

use anchor_lang::prelude::*;

use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, OptionExpirySet};
use crate::risk::options::smile::VolSmile;
use crate::state::*;

/// Least time between two smile updates of one underlying in a group with a timelock, seconds:
/// with the per-update limit `max_vol_change_bps`, this bounds how far the admin can move option
/// values before the guardian can react (gate `set_option_expiry`, set the market reduce-only).
pub const MIN_SMILE_UPDATE_SECS: i64 = 3_600;

/// Accounts of `set_option_expiry`.
#[derive(Accounts)]
pub struct SetOptionExpiry<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The underlying, with a configured option market.
    #[account(mut, has_one = group)]
    pub asset: AccountLoader<'info, Asset>,
}

/// Writes `smile` into expiry slot `slot`:
/// - same expiry as listed there: an update, before expiry only, each parameter within
///   `max_vol_change_bps` of the current one ([`VolSmile::check_update`]);
/// - otherwise: a listing, of a future expiry not listed elsewhere, in a slot that is free or
///   whose expiry has no open interest left (its settlement price and open interest reset).
///
/// In a group with a timelock, updates of this underlying's smiles are at least
/// [`MIN_SMILE_UPDATE_SECS`] apart (SmileUpdateTooSoon); listings are not limited.
pub fn handler(ctx: Context<SetOptionExpiry>, slot: u8, smile: VolSmile) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::SetOptionExpiry, &[])?;
    let now = Clock::get()?.unix_timestamp;
    let governed = ctx.accounts.group.load()?.timelock_secs > 0;
    let mut asset = ctx.accounts.asset.load_mut()?;
    let last = asset.smile_updated_ts;
    let listed = set_expiry(&mut asset.option, usize::from(slot), smile, now)?;
    if !listed {
        let next = last.checked_add(MIN_SMILE_UPDATE_SECS).ok_or(crate::error::BallastError::MathOverflow)?;
        require!(!governed || now >= next, BallastError::SmileUpdateTooSoon);
        asset.smile_updated_ts = now;
    }
    emit!(OptionExpirySet {
        header: EventHeader::now(ctx.accounts.group.key())?,
        asset_index: asset.asset_index,
        slot,
        smile,
        listed
    });
    Ok(())
}

/// The rule of [`handler`] on the market; returns true for a listing.
pub fn set_expiry(m: &mut OptionMarket, slot: usize, smile: VolSmile, now: i64) -> Result<bool> {
    require!(m.contract_size != 0 && slot < MAX_OPTION_EXPIRIES, BallastError::InvalidConfig);
    smile.validate().map_risk()?;
    let max_change = u32::from(m.max_vol_change_bps);
    let cur = &mut m.expiries[slot];
    if cur.smile.expiry == smile.expiry {
        require!(now < smile.expiry, BallastError::OptionSeriesInvalid);
        cur.smile.check_update(&smile, max_change).map_risk()?;
        cur.smile = smile;
        return Ok(false);
    }
    require!(smile.expiry > now, BallastError::InvalidConfig);
    require!(cur.open_interest == 0, BallastError::InvalidConfig);
    require!(m.expiry_slot(smile.expiry).is_none(), BallastError::InvalidConfig);
    let cur = &mut m.expiries[slot];
    *cur = OptionExpiry { smile, settlement_price: Price128::default(), open_interest: 0 };
    Ok(true)
}
