//! `create_price_aggregate`: the admin creates a price aggregate of up to three sources. Its
//! sources and rule are fixed: pointing an asset at it is an oracle change (queued).

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::oracle::validate_oracle_config;
use crate::pda_init::{create_pda_account, write_discriminator};
use crate::state::*;

/// The sources and rule of an aggregate.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceAggregateParams {
    /// Up to three sources (unused: default), each a Pyth pull or legacy oracle (or a stub in test
    /// builds) with its own feed, age and confidence limits; distinct addresses.
    pub sources: [OracleConfig; MAX_PRICE_SOURCES],
    /// Fewest agreeing valid sources for a price (1 to the number of sources).
    pub quorum: u8,
    /// A source agrees when within this distance of the median, bps (1 to 10,000).
    pub max_divergence_bps: u16,
    /// Decimals of the assets it prices.
    pub decimals: u8,
}

impl PriceAggregateParams {
    /// Checks the bounds (InvalidConfig).
    pub fn validate(&self) -> Result<()> {
        let mut n = 0u8;
        for (i, s) in self.sources.iter().enumerate() {
            if !s.is_set() {
                require!(*s == OracleConfig::default(), BallastError::InvalidConfig);
                continue;
            }
            validate_oracle_config(s)?;
            require!(s.kind != OracleKind::Aggregate as u8, BallastError::InvalidConfig);
            require!(
                self.sources.iter().skip(i.saturating_add(1)).all(|o| o.address != s.address),
                BallastError::InvalidConfig
            );
            n = n.saturating_add(1);
        }
        require!(
            (1..=n).contains(&self.quorum) && (1..=10_000).contains(&self.max_divergence_bps) && self.decimals <= 18,
            BallastError::InvalidConfig
        );
        Ok(())
    }
}

/// Accounts of `create_price_aggregate`.
#[derive(Accounts)]
#[instruction(num: u64)]
pub struct CreatePriceAggregate<'info> {
    /// Group; its admin signs.
    #[account(constraint = group.load()?.admin == admin.key() @ BallastError::Unauthorized)]
    pub group: AccountLoader<'info, Group>,
    /// Group admin.
    pub admin: Signer<'info>,
    /// The new aggregate, PDA `[AGGREGATE_SEED, group, num]`.
    /// CHECK: address checked by the seeds; must be an empty system account.
    #[account(mut, seeds = [AGGREGATE_SEED, group.key().as_ref(), &num.to_le_bytes()], bump)]
    pub aggregate: UncheckedAccount<'info>,
    /// Pays rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Creates the aggregate with no price yet (invalid until its first crank finds a quorum).
pub fn handler(ctx: Context<CreatePriceAggregate>, num: u64, params: PriceAggregateParams) -> Result<()> {
    params.validate()?;
    let group_key = ctx.accounts.group.key();
    let info = ctx.accounts.aggregate.to_account_info();
    let n = num.to_le_bytes();
    let bump = [ctx.bumps.aggregate];
    let seeds: &[&[u8]] = &[AGGREGATE_SEED, group_key.as_ref(), &n, &bump];
    create_pda_account(&ctx.accounts.payer.to_account_info(), &info, PRICE_AGGREGATE_LEN, &crate::ID, seeds)?;
    write_discriminator::<PriceAggregate>(&info)?;
    let mut data = info.try_borrow_mut_data()?;
    let a: &mut PriceAggregate = bytemuck::from_bytes_mut(&mut data[8..PRICE_AGGREGATE_LEN]);
    a.group = group_key;
    a.sources = params.sources;
    a.num = num;
    a.quorum = params.quorum;
    a.max_divergence_bps = params.max_divergence_bps;
    a.decimals = params.decimals;
    a.bump = ctx.bumps.aggregate;
    Ok(())
}
