//! The pure risk engine: health, scenario margining, stable prices and bank accounting.
//!
//! This crate depends on `fixed` and `bytemuck` only: no Anchor or Solana crate, so the compiler
//! checks the engine's purity and `cargo test -p ballast-risk` builds in seconds. The program
//! (which re-exports it as `ballast::risk`), the SDK and the keeper call the same functions, so
//! off-chain health equals on-chain health bit for bit.
//!
//! The engine runs on chain: every function is SBF-ready (no per-position heap allocation, no
//! recursion, no unbounded loops) and uses checked arithmetic only.

// S2-14: the `fixed` crate's `*`, `/` and `from_num` only debug-assert overflow and wrap in release
// (what `anchor build` deploys), and integer operators panic or wrap: the engine uses checked
// operations only, and truncating casts are refused. Exceptions are narrow and commented. Unit
// tests (cfg(test)) are exempt.
#![warn(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
#![warn(clippy::large_stack_frames)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation))]
#![warn(missing_docs)]

pub mod aggregate;
pub mod bank;
pub mod health;
pub mod interest;
pub mod liquidation;
pub mod num;
pub mod ops;
pub mod options;
pub mod params;
pub mod perp;
pub mod stable_price;

pub use health::*;
pub use num::{Fx, Price, Round};
pub use params::*;

/// Errors of the pure engine. The program maps each to one variant of its error enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiskError {
    /// A checked operation overflowed.
    MathOverflow,
    /// More distinct assets than a health computation supports.
    TooManyAssets,
    /// A risk or bank parameter is outside its bounds; the string names the parameter.
    InvalidParam(&'static str),
    /// An amount exceeds the position it is taken from.
    InsufficientBalance,
    /// A zero amount where a positive one is required.
    ZeroAmount,
    /// Total borrows would exceed the borrow cap.
    BorrowCapExceeded,
    /// Borrows would exceed the utilization cap of accounted deposits.
    UtilizationCapExceeded,
    /// Net borrows in the current window would exceed the limit.
    NetBorrowLimitExceeded,
    /// A borrow would leave a debt below the minimum borrow size.
    BorrowTooSmall,
    /// A trade price lies outside the band around the oracle.
    PriceOutsideBand,
    /// The market's settle limit for the current window is used up.
    SettleLimitReached,
    /// A liquidation step has nothing to take (no deposit, debt or position, or dust worth less
    /// than one unit of the liability).
    NothingToLiquidate,
    /// No liquidation amount raises the account's health.
    WorseHealth,
    /// The liquidator cannot carry even the smallest step (its Init health would fall below zero).
    LiquidatorHealth,
    /// The account's equity at oracle prices is not negative: it is not bankrupt.
    NotInsolvent,
    /// The account still holds something a liquidation can take.
    HasLiquidatablePositions,
    /// The account holds unsettled option positions: they are liquidated or settled before its
    /// bankruptcy is resolved.
    OptionsFirst,
    /// The asset's net outflow in the current window would exceed its withdrawal rate limit.
    WithdrawalRateLimited,
}

/// Result type of the pure engine.
pub type RiskResult<T> = Result<T, RiskError>;

/// Turns an `Option` from a checked operation into a [`RiskResult`].
pub trait OrOverflow<T> {
    /// `None` becomes [`RiskError::MathOverflow`].
    fn or_overflow(self) -> RiskResult<T>;
}

impl<T> OrOverflow<T> for Option<T> {
    #[inline]
    fn or_overflow(self) -> RiskResult<T> {
        self.ok_or(RiskError::MathOverflow)
    }
}
