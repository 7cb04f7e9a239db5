//! `record_option_sample`: permissionless settle crank. Records the underlying's oracle price as a
//! settlement sample of an expiry (catalogue PX-05); the first call creates the expiry's
//! settlement record (the signer pays rent).

use anchor_lang::prelude::*;

use crate::constants::OPTION_SETTLEMENT_SEED;
use crate::error::BallastError;
use crate::events::{EventHeader, OptionSampleRecorded};
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;
use crate::transitions::option::record_sample;

/// Accounts of `record_option_sample`.
#[derive(Accounts)]
#[instruction(expiry: i64)]
pub struct RecordOptionSample<'info> {
    /// Anyone; pays the settlement record's rent on the first call.
    #[account(mut)]
    pub cranker: Signer<'info>,
    /// The underlying.
    pub asset: AccountLoader<'info, Asset>,
    /// The underlying's primary oracle.
    /// CHECK: key, owner, layout and price are checked by `read_oracle`.
    pub oracle: UncheckedAccount<'info>,
    /// Settlement record, PDA `[OPTION_SETTLEMENT_SEED, asset, expiry]`; created by the first call.
    /// CHECK: address checked by the seeds; created or loaded by the handler.
    #[account(mut, seeds = [OPTION_SETTLEMENT_SEED, asset.key().as_ref(), &expiry.to_le_bytes()], bump)]
    pub settlement: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Reads the oracle (every validity check) and records its price for `expiry`
/// ([`record_sample`]: inside the window, spaced, at most 16).
pub fn handler(ctx: Context<RecordOptionSample>, expiry: i64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let asset = ctx.accounts.asset.load()?;
    let price = read_oracle_info(
        const { Priced::of(Action::RefreshAsset) },
        &asset.oracle,
        &ctx.accounts.oracle,
        asset.decimals,
        now,
    )?;
    let info = ctx.accounts.settlement.to_account_info();
    if info.data_is_empty() {
        require!(asset.option.expiry_slot(expiry).is_some(), BallastError::OptionSeriesInvalid);
        let key = ctx.accounts.asset.key();
        let e = expiry.to_le_bytes();
        let bump = [ctx.bumps.settlement];
        let seeds: &[&[u8]] = &[OPTION_SETTLEMENT_SEED, key.as_ref(), &e, &bump];
        create_pda_account(&ctx.accounts.cranker.to_account_info(), &info, OPTION_SETTLEMENT_LEN, &crate::ID, seeds)?;
        write_discriminator::<OptionSettlement>(&info)?;
        let mut data = info.try_borrow_mut_data()?;
        let st: &mut OptionSettlement = bytemuck::from_bytes_mut(&mut data[8..OPTION_SETTLEMENT_LEN]);
        st.asset = key;
        st.expiry = expiry;
        st.bump = ctx.bumps.settlement;
    }
    let mut data = info.try_borrow_mut_data()?;
    let st: &mut OptionSettlement = load_settlement(&mut data)?;
    let count = record_sample(&asset.option, st, &price)?;
    emit!(OptionSampleRecorded {
        header: EventHeader::now(asset.group)?,
        asset_index: asset.asset_index,
        expiry,
        publish_time: price.publish_time,
        price_bits: price.price.to_bits(),
        count,
    });
    Ok(())
}

/// The settlement record in a program-owned account's data (discriminator checked).
pub fn load_settlement(data: &mut [u8]) -> Result<&mut OptionSettlement> {
    use anchor_lang::Discriminator;
    require!(data.get(..8) == Some(OptionSettlement::DISCRIMINATOR), BallastError::OptionSettlementNotReady);
    let body = data.get_mut(8..OPTION_SETTLEMENT_LEN).ok_or(BallastError::OptionSettlementNotReady)?;
    bytemuck::try_from_bytes_mut(body).map_err(|_| error!(BallastError::OptionSettlementNotReady))
}
