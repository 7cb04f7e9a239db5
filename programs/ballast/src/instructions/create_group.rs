//! `create_group`: creates a Group PDA whose admin is the creator.

// Anchor's generated `try_accounts` for this instruction's accounts (several `init` accounts)
// exceeds clippy's 4 KiB estimate in unoptimized builds; the exemption covers this module only,
// whose handler code is small. Check the real frame with an SBF toolchain.
#![allow(clippy::large_stack_frames)]

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{EventHeader, GroupCreated};
use crate::state::{Group, DEFAULT_LIQUIDATION_CONFIG, DEFAULT_MAX_LIQUIDATION_STEP};

/// Accounts of `create_group`.
#[derive(Accounts)]
#[instruction(group_num: u32)]
pub struct CreateGroup<'info> {
    /// Creator and first admin.
    pub creator: Signer<'info>,
    /// The new group, PDA `[GROUP_SEED, creator, group_num]`.
    #[account(
        init,
        payer = payer,
        space = crate::state::GROUP_LEN,
        seeds = [GROUP_SEED, creator.key().as_ref(), &group_num.to_le_bytes()],
        bump
    )]
    pub group: AccountLoader<'info, Group>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Creates the group. `timelock_secs` is at most MAX_TIMELOCK_SECS.
pub fn handler(ctx: Context<CreateGroup>, group_num: u32, guardian: Pubkey, timelock_secs: u64) -> Result<()> {
    require!(timelock_secs <= MAX_TIMELOCK_SECS, BallastError::InvalidConfig);
    let mut g = ctx.accounts.group.load_init()?;
    g.creator = ctx.accounts.creator.key();
    g.admin = ctx.accounts.creator.key();
    g.guardian = guardian;
    g.fee_recipient = g.admin;
    g.group_num = group_num;
    g.bump = ctx.bumps.group;
    g.timelock_secs = timelock_secs;
    g.quote_asset_index = QUOTE_ASSET_INDEX;
    g.liquidation = DEFAULT_LIQUIDATION_CONFIG;
    g.max_liquidation_step = DEFAULT_MAX_LIQUIDATION_STEP;
    let clock = Clock::get()?;
    let group_key = ctx.accounts.group.key();
    g.order_domain = solana_sha256_hasher::hashv(&[
        b"ballast-order-domain",
        crate::ID.as_ref(),
        group_key.as_ref(),
        g.creator.as_ref(),
        &clock.slot.to_le_bytes(),
        &clock.unix_timestamp.to_le_bytes(),
    ])
    .to_bytes();
    emit!(GroupCreated {
        header: EventHeader::now(ctx.accounts.group.key())?,
        admin: g.admin,
        guardian,
        group_num,
        timelock_secs,
    });
    Ok(())
}
