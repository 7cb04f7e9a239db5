//! `update_price_aggregate`: the permissionless crank that aggregates an aggregate's sources.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::events::{EventHeader, PriceAggregated};
use crate::oracle::{read_oracle_info, Action, Priced};
use crate::risk::aggregate::{aggregate, SourcePrice};
use crate::state::*;

/// Accounts of `update_price_aggregate`. Remaining accounts: the aggregate's set sources, in
/// order.
#[derive(Accounts)]
pub struct UpdatePriceAggregate<'info> {
    /// The aggregate.
    #[account(mut)]
    pub aggregate: AccountLoader<'info, PriceAggregate>,
}

/// Reads every source (a wrong account fails; any other failure of a source makes it invalid),
/// aggregates
/// them (`risk::aggregate`: the median of the valid sources no older than the last aggregate,
/// a quorum agreeing within the divergence bound) and stores the result, or marks the aggregate
/// invalid when there is no quorum.
pub fn handler(ctx: Context<UpdatePriceAggregate>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut a = ctx.accounts.aggregate.load_mut()?;
    let mut prices: [Option<SourcePrice>; MAX_PRICE_SOURCES] = [None; MAX_PRICE_SOURCES];
    let mut next = ctx.remaining_accounts.iter();
    for (slot, cfg) in prices.iter_mut().zip(a.sources.iter()) {
        if !cfg.is_set() {
            continue;
        }
        let info = next.next().ok_or(BallastError::UnexpectedOracle)?;
        // The right account is required; anything else wrong with it (closed, reassigned, an
        // unusable or malformed price) makes the source invalid, never the crank impossible.
        require!(*info.key == cfg.address, BallastError::UnexpectedOracle);
        if let Ok(p) = read_oracle_info(const { Priced::of(Action::RefreshAsset) }, cfg, info, a.decimals, now) {
            *slot = Some(SourcePrice { price: p.price, conf_bps: p.conf_bps, publish_time: p.publish_time });
        }
    }
    a.updated_ts = now;
    match aggregate(&prices, a.quorum, a.max_divergence_bps, a.publish_time) {
        Some(g) => {
            a.price = Price128::from_price(g.price);
            a.conf_bps = g.conf_bps;
            a.publish_time = g.publish_time;
            a.agreeing = g.agreeing;
            a.valid = 1;
        }
        None => {
            a.valid = 0;
            a.agreeing = 0;
        }
    }
    emit!(PriceAggregated {
        header: EventHeader::now(a.group)?,
        aggregate: ctx.accounts.aggregate.key(),
        valid: a.valid == 1,
        price_bits: a.price.bits(),
        conf_bps: a.conf_bps,
        publish_time: a.publish_time,
        agreeing: a.agreeing,
    });
    Ok(())
}
