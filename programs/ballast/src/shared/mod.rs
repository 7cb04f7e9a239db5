//! Helpers shared by several instruction handlers (not instructions themselves): the asset vault
//! and insurance vault account groups with their transfers, perp clearing (`block_trade` and
//! `fill_order`), the start, planning and finish of a liquidation (both liquidation
//! instructions and the keeper), and the bankruptcy predicates (the bankruptcy instructions and the
//! keeper).
//! They load and validate accounts and call transitions; they never change an account's value
//! themselves (docs/architecture.md).

pub mod asset_vault;
pub mod bankruptcy;
pub mod insurance_vault;
pub mod liquidation;
pub mod perp_clearing;

pub use asset_vault::*;
pub use bankruptcy::*;
pub use insurance_vault::*;
pub use liquidation::*;
pub use perp_clearing::*;
