//! `set_stub_oracle` (test-oracle builds only): the admin sets a stub price.

use anchor_lang::prelude::*;

use crate::events::{EventHeader, StubOracleSet};
use crate::state::*;

/// Accounts of `set_stub_oracle`.
#[derive(Accounts)]
pub struct SetStubOracle<'info> {
    /// Group; its admin must sign.
    #[account(has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The stub oracle of this group.
    #[account(mut, has_one = group)]
    pub oracle: AccountLoader<'info, StubOracle>,
}

/// Sets mantissa, confidence, exponent and publish time.
pub fn handler(ctx: Context<SetStubOracle>, price: i64, conf: u64, expo: i32, publish_time: i64) -> Result<()> {
    let mut o = ctx.accounts.oracle.load_mut()?;
    o.price = price;
    o.conf = conf;
    o.expo = expo;
    o.publish_time = publish_time;
    emit!(StubOracleSet { header: EventHeader::now(o.group)?, oracle: ctx.accounts.oracle.key(), price, expo });
    Ok(())
}
