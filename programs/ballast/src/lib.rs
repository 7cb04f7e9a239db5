//! Ballast: a cross-margin prime brokerage on Solana.
//!
//! One margin account per trader holds collateral, borrows, perps and options; a portfolio risk
//! engine ([`risk`]) margins them together. See docs/ for the protocol documentation.

#![allow(unexpected_cfgs)]
#![allow(clippy::result_large_err)]
#![warn(clippy::large_stack_frames)]
// S2-14: the `fixed` crate's `*`, `/` and `from_num` only debug-assert overflow and wrap in release
// (what `anchor build` deploys), and integer operators panic or wrap: program code uses checked
// operations only, and truncating casts are refused. Exceptions are narrow and commented. Unit
// tests (cfg(test)) are exempt.
#![warn(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation))]

use anchor_lang::prelude::*;

pub mod constants;
pub mod delegation;
pub mod error;
pub mod events;
pub mod feed_claims;
pub mod gate;
pub mod governance;
pub mod health_accounts;
pub mod instructions;
pub mod oracle;
pub mod order;
pub mod pda_init;
pub mod shared;
pub mod state;
pub mod token;
pub mod transitions;

/// The pure risk engine (crate `ballast-risk`, no Anchor or Solana dependency).
pub use ballast_risk as risk;

// Anchor's generated `accounts` module names each instruction's client accounts as
// `crate::__client_accounts_*`: the glob import puts them at the crate root.
#[allow(unused_imports)]
use instructions::*;
#[allow(unused_imports)]
use shared::*;

declare_id!("3tfEkPsD98rzfgvUgPsg5nC3bfBMVUWibKNbrhwKXh3k");

mod anchor_program;
#[cfg(feature = "cpi")]
pub use anchor_program::cpi;
pub use anchor_program::{accounts, ballast, entry, instruction, program};
