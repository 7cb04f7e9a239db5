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
    /// Fewest agreeing valid sources for a price: a majority of the sources (2 of 2 or 3, 1 of 1).
    pub quorum: u8,
    /// A source agrees when within this distance of the median, bps (1 to 2,000).
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
            // Distinct accounts, and distinct Pyth feeds: one feed in two accounts is one source.
            require!(
                self.sources.iter().skip(i.saturating_add(1)).all(|o| {
                    o.address != s.address
                        && !(o.kind == OracleKind::PythPull as u8 && s.kind == o.kind && o.feed_id == s.feed_id)
                }),
                BallastError::InvalidConfig
            );
            n = n.saturating_add(1);
        }
        let majority = n.checked_div(2).unwrap_or(0).saturating_add(1);
        require!(
            (majority..=n).contains(&self.quorum)
                && (1..=MAX_AGGREGATE_DIVERGENCE_BPS).contains(&self.max_divergence_bps)
                && self.decimals <= 18,
            BallastError::InvalidConfig
        );
        Ok(())
    }
}

/// Widest divergence bound of an aggregate, bps (20%).
pub const MAX_AGGREGATE_DIVERGENCE_BPS: u16 = 2_000;

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

/// Creates the aggregate with no price yet (invalid until its first crank finds a quorum), usable
/// by assets from now plus the group's timelock.
pub fn handler(ctx: Context<CreatePriceAggregate>, num: u64, params: PriceAggregateParams) -> Result<()> {
    params.validate()?;
    let timelock = i64::try_from(ctx.accounts.group.load()?.timelock_secs).map_err(|_| BallastError::MathOverflow)?;
    let usable_from = Clock::get()?.unix_timestamp.checked_add(timelock).ok_or(BallastError::MathOverflow)?;
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
    a.usable_from = usable_from;
    Ok(())
}
