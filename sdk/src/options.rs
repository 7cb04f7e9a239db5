//! Options off chain: the engine's option book from a margin account's option slots, and health
//! with the scenario grid (`ballast::risk::options`), on the same loader and engine as
//! [`crate::health`].
//!
//! No instruction opens option positions yet (docs/options.md): these functions serve
//! `ballast metrics` and integrators preparing for options. Volatilities come from the caller
//! until the volatility surface is stored per asset.

use ballast::constants::FREE_SLOT;
use ballast::risk::options::grid::{OptionBook, OptionEntry};
use ballast::risk::options::OptionKind;
use ballast::risk::{Fx, HealthInput, Price};
use ballast::state::{MarginAccount, OptionPosition};

use crate::{Result, SdkError};

/// The option book of `account` at time `now` (seconds to expiry from its slots), each position's
/// underlying found in `input` and its volatility given by `vol`. Errors: an option on an asset
/// missing from `input`, or a kind other than 0 (call) or 1 (put).
pub fn option_book(
    account: &MarginAccount,
    input: &HealthInput,
    now: i64,
    vol: impl Fn(&OptionPosition) -> Fx,
) -> Result<OptionBook> {
    let mut book = OptionBook::default();
    for o in account.options.iter().filter(|o| o.asset_index != FREE_SLOT) {
        let entry = input.find(o.asset_index).ok_or_else(|| {
            SdkError::Program(format!("option on asset {} without its health accounts", o.asset_index))
        })?;
        let kind = match o.kind {
            0 => OptionKind::Call,
            1 => OptionKind::Put,
            k => return Err(SdkError::Program(format!("option kind {k}"))),
        };
        book.push(OptionEntry {
            entry,
            kind,
            strike: Price::from_bits(o.strike.bits()),
            seconds: o.expiry.saturating_sub(now),
            size: Fx::from(o.size),
            vol: vol(o),
        })
        .map_err(|e| SdkError::Program(format!("{e:?}")))?;
    }
    Ok(book)
}
