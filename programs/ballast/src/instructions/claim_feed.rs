//! `claim_feed`: anyone creates the (free) claim of a price source, so that a listing or an oracle
//! change can record which asset first used it (catalogue OR-12, `crate::feed_claims`).

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;

/// Accounts of `claim_feed`.
#[derive(Accounts)]
#[instruction(identity: [u8; 32])]
pub struct ClaimFeed<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// The claim, PDA `[FEED_CLAIM_SEED, group, identity]`; left as it is when it exists.
    /// CHECK: address checked by the seeds; created by the handler when empty.
    #[account(mut, seeds = [FEED_CLAIM_SEED, group.key().as_ref(), identity.as_ref()], bump)]
    pub claim: UncheckedAccount<'info>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Creates the free claim of `identity` (a Pyth pull feed id, or another source's account
/// address); does nothing when it already exists, so a listing transaction can always start
/// with it.
pub fn handler(ctx: Context<ClaimFeed>, identity: [u8; 32]) -> Result<()> {
    let info = ctx.accounts.claim.to_account_info();
    if *info.owner == crate::ID {
        return Ok(());
    }
    let group = ctx.accounts.group.key();
    let bump = [ctx.bumps.claim];
    let seeds: &[&[u8]] = &[FEED_CLAIM_SEED, group.as_ref(), &identity, &bump];
    create_pda_account(&ctx.accounts.payer.to_account_info(), &info, FEED_CLAIM_LEN, &crate::ID, seeds)?;
    write_discriminator::<FeedClaim>(&info)?;
    let mut data = info.try_borrow_mut_data()?;
    let c: &mut FeedClaim = bytemuck::from_bytes_mut(&mut data[8..FEED_CLAIM_LEN]);
    (c.group, c.identity, c.asset_index, c.bump) = (group, identity, FREE_SLOT, ctx.bumps.claim);
    Ok(())
}
