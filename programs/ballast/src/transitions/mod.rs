//! State transitions: every change of value to a [`MarginAccount`](crate::state::MarginAccount),
//! an [`Asset`](crate::state::Asset)'s bank or perp market, or the insurance fund.
//!
//! Each transition is a function over plain structs (the zero-copy account structs are plain
//! `Pod` data, borrowed `&mut` from their loaders by the handler): no `AccountLoader`, no CPI, no
//! sysvar, no `Clock` (time is an argument), no health check. That makes every transition unit-
//! and property-testable without a bank (see the tests of each module and `tests.rs`), and gives
//! the options, governance and router work a place to add theirs.
//!
//! The layering (docs/architecture.md):
//! - `ballast_risk` (crate, re-exported as [`crate::risk`]): the pure engine; no Anchor, no Solana;
//! - [`crate::state`]: account layouts and field-level accessors;
//! - `transitions` (this module): value-moving changes of state, over `state` types and `risk` math;
//! - [`crate::instructions`]: handlers that load, validate, call one or more transitions, run the
//!   health rule, store and emit. Token transfers (CPI) stay in the handler: a transition returns
//!   the amount the handler moves.
//!
//! A transition fails with a specific [`BallastError`](crate::error::BallastError) and may leave
//! its arguments partly modified when it fails: the handler's transaction then fails as a whole
//! and Solana discards every change, so the caller never stores the result of a failed transition.

pub mod bankruptcy;
pub mod insurance;
pub mod liquidation;
pub mod option;
pub mod perp;
pub mod token;

#[cfg(test)]
mod tests;

use crate::error::BallastError;
use crate::risk::Fx;
use crate::state::{Fx128, MarginAccount};
use anchor_lang::prelude::Result;

/// Whether a token update may open a slot the account does not hold yet.
#[derive(Clone, Copy, Debug)]
pub enum Slot {
    /// The position must exist (fails with the given error otherwise).
    Existing(BallastError),
    /// A free slot is taken when the account holds no position in the asset.
    OpenIfMissing,
}

/// The one read-modify-write of a token position: reads the account's indexed position in
/// `asset_index` (shares, signed), lets `f` change it, stores it and frees the slot when it is empty.
pub fn update_token<T>(
    account: &mut MarginAccount,
    asset_index: u16,
    slot: Slot,
    f: impl FnOnce(&mut Fx) -> Result<T>,
) -> Result<T> {
    let s = match (account.token_slot(asset_index), slot) {
        (Some(s), _) => s,
        (None, Slot::OpenIfMissing) => account.token_slot_or_open(asset_index)?,
        (None, Slot::Existing(e)) => return Err(e.into()),
    };
    let mut position = account.tokens[s].indexed.fx();
    let out = f(&mut position)?;
    account.tokens[s].indexed = Fx128::from_fx(position);
    account.release_token_slot_if_empty(s);
    Ok(out)
}
