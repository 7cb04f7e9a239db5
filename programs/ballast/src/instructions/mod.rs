//! One module per instruction: accounts, validation and a thin handler.
//! Every module names its entry point `handler`; lib.rs calls each by its full path.
#![allow(ambiguous_glob_reexports)]

pub mod asset_vault;
pub mod block_trade;
pub mod cancel_order;
pub mod check_health;
pub mod close_account;
pub mod create_account;
pub mod create_group;
#[cfg(feature = "test-oracle")]
pub mod create_stub_oracle;
pub mod deposit;
pub mod edit_asset;
pub mod fill_order;
pub mod liquidate_perp;
pub mod liquidate_token;
pub mod liquidation;
pub mod list_asset;
pub mod perp_clearing;
pub mod refresh_asset;
pub mod repay;
pub mod set_delegate;
pub mod set_perp_market;
pub mod settle_pnl;
#[cfg(feature = "test-oracle")]
pub mod set_stub_oracle;
pub mod withdraw;
pub mod withdraw_fees;

pub use asset_vault::*;
pub use block_trade::*;
pub use cancel_order::*;
pub use check_health::*;
pub use close_account::*;
pub use create_account::*;
pub use create_group::*;
#[cfg(feature = "test-oracle")]
pub use create_stub_oracle::*;
pub use deposit::*;
pub use edit_asset::*;
pub use fill_order::*;
pub use liquidate_perp::*;
pub use liquidate_token::*;
pub use liquidation::*;
pub use list_asset::*;
pub use perp_clearing::*;
pub use refresh_asset::*;
pub use repay::*;
pub use set_delegate::*;
pub use set_perp_market::*;
pub use settle_pnl::*;
#[cfg(feature = "test-oracle")]
pub use set_stub_oracle::*;
pub use withdraw::*;
pub use withdraw_fees::*;
