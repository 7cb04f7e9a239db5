//! `create_stub_oracle` (test-oracle builds only): the admin creates a program-owned price account.

// Anchor's generated `try_accounts` for this instruction's accounts (several `init` accounts)
// exceeds clippy's 4 KiB estimate in unoptimized builds; the exemption covers this module only,
// whose handler code is small. Check the real frame with an SBF toolchain.
#![allow(clippy::large_stack_frames)]

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::state::*;

/// Accounts of `create_stub_oracle`.
#[derive(Accounts)]
#[instruction(stub_num: u64)]
pub struct CreateStubOracle<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The stub oracle, PDA `[STUB_ORACLE_SEED, group, stub_num]`.
    #[account(
        init,
        payer = payer,
        space = STUB_ORACLE_LEN,
        seeds = [STUB_ORACLE_SEED, group.key().as_ref(), &stub_num.to_le_bytes()],
        bump
    )]
    pub oracle: AccountLoader<'info, StubOracle>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Creates the stub with no price (zero, which every read rejects as non-positive).
pub fn handler(ctx: Context<CreateStubOracle>, _stub_num: u64) -> Result<()> {
    let mut o = ctx.accounts.oracle.load_init()?;
    o.group = ctx.accounts.group.key();
    Ok(())
}
