//! Named constants shared by the program and the SDK: PDA seeds, limits, known program ids.

use anchor_lang::prelude::*;

/// Seed of the Group PDA: `[GROUP_SEED, creator, group_num (u32 LE)]`.
pub const GROUP_SEED: &[u8] = b"group";
/// Seed of an Asset PDA: `[ASSET_SEED, group, asset_index (u16 LE)]`.
pub const ASSET_SEED: &[u8] = b"asset";
/// Seed of an asset's token vault PDA: `[VAULT_SEED, asset]`. Its authority is the Asset PDA.
pub const VAULT_SEED: &[u8] = b"vault";
/// Seed of a MarginAccount PDA: `[ACCOUNT_SEED, group, owner, account_num (u32 LE)]`.
pub const ACCOUNT_SEED: &[u8] = b"account";
/// Seed of an InsuranceStake PDA: `[STAKE_SEED, group, owner]` (insurance issue).
pub const STAKE_SEED: &[u8] = b"stake";
/// Seed of an OptionSettlement PDA: `[OPTION_SETTLEMENT_SEED, asset, expiry (i64 LE)]`.
pub const OPTION_SETTLEMENT_SEED: &[u8] = b"option_settlement";
/// Seed of the insurance fund's quote-asset vault: `[INSURANCE_SEED, group]`.
pub const INSURANCE_SEED: &[u8] = b"insurance";
/// Shortest and longest unstake cooldown, seconds.
pub const UNSTAKE_COOLDOWN_BOUNDS: (u32, u32) = (60, 90 * 86_400);
/// Seed of a stub oracle PDA: `[STUB_ORACLE_SEED, group, stub_num (u64 LE)]` (test-oracle builds only).
pub const STUB_ORACLE_SEED: &[u8] = b"stub-oracle";

/// Token position slots per margin account.
pub const MAX_TOKEN_POSITIONS: usize = 16;
/// Perpetual position slots per margin account.
pub const MAX_PERP_POSITIONS: usize = 8;
/// Option position slots per margin account.
pub const MAX_OPTION_POSITIONS: usize = 8;
/// Distinct underlyings one margin account may have positions in. 14 is the largest number for
/// which the liquidation of a largest account by a largest liquidator (no underlying in common but
/// the two traded) fits 64 account locks and 1,232 bytes with one address lookup table
/// (`tests/…/largest_liquidation.rs` builds and executes exactly that transaction). The engine's
/// capacity (`MAX_HEALTH_ASSETS`, 16) leaves room for a liquidator's two extra assets.
pub const MAX_ACCOUNT_ASSETS: usize = 14;
/// Assets a group may list. Indexes are `0..MAX_ASSETS`; `u16::MAX` is the free-slot sentinel.
pub const MAX_ASSETS: u16 = 4096;
/// Asset index of a free position slot. Never a valid asset index (catalogue DS-05).
pub const FREE_SLOT: u16 = u16::MAX;

/// Asset index of every group's quote asset (listed first). Perp quote positions, fees and
/// settlements are in its native units, and health counts perp cash as a balance of it.
pub const QUOTE_ASSET_INDEX: u16 = 0;

/// Decimals of the quote unit every price is expressed in (USD with 6 decimals).
pub const QUOTE_DECIMALS: u8 = 6;
/// Longest group timelock, seconds (30 days).
pub const MAX_TIMELOCK_SECS: u64 = 30 * 86_400;
/// Oracle max age bounds, seconds.
pub const ORACLE_MAX_AGE_BOUNDS: (u32, u32) = (1, 3_600);
/// Oracle confidence bound: confidence / price at most this many bps (20%).
pub const ORACLE_MAX_CONF_BPS: u16 = 2_000;
/// A publish time at most this far in the future is accepted (clock skew), seconds.
pub const ORACLE_MAX_FUTURE_SECS: i64 = 60;

/// Delegate scope bit: may trade (perps, options) for the account.
pub const DELEGATE_TRADE: u8 = 1;
/// Delegate scope bit: may withdraw deposits, only to token accounts owned by the account owner.
pub const DELEGATE_WITHDRAW: u8 = 2;
/// Delegate scope bit (book delegates; granted only with `DELEGATE_WITHDRAW`): may borrow, that is
/// withdraw with `allow_borrow`, only to token accounts owned by the account owner.
pub const DELEGATE_BORROW: u8 = 4;
/// Delegate scope bit (book delegates): may liquidate other accounts with this account as the
/// liquidator.
pub const DELEGATE_LIQUIDATE: u8 = 8;
/// Every delegate scope bit.
pub const DELEGATE_ALL_SCOPES: u8 = DELEGATE_TRADE | DELEGATE_WITHDRAW | DELEGATE_BORROW | DELEGATE_LIQUIDATE;
/// A delegate's daily notional cap meaning no cap.
pub const DELEGATE_NO_CAP: u64 = u64::MAX;
/// Seed of a price source's claim: `[FEED_CLAIM_SEED, group, identity]` (catalogue OR-12).
pub const FEED_CLAIM_SEED: &[u8] = b"feed";
/// Smallest depeg shock of an asset priced by a source another asset claimed first (a wrapped or
/// pegged asset on its underlying's feed), bps: its maint down and up shocks and its basis charge
/// are at least this, and it has a deposit cap (catalogue OR-12).
pub const MIN_DEPEG_SHOCK_BPS: u16 = 2_000;
/// Seed of a margin account's delegate book: `[DELEGATES_SEED, account]`.
pub const DELEGATES_SEED: &[u8] = b"delegates";

/// Pyth legacy (push) oracle program on Solana mainnet.
pub const PYTH_LEGACY_MAINNET: Pubkey = pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/// Pyth legacy (push) oracle program on Solana devnet.
pub const PYTH_LEGACY_DEVNET: Pubkey = pubkey!("gSbePebfvPy7tRqimPoVecS2UsBvYv46ynrzWocc92s");
/// Owner of Pyth pull `PriceUpdateV2` accounts (the Pyth receiver program).
pub const PYTH_RECEIVER: Pubkey = pyth_solana_receiver_sdk::ID;

/// Version written into every event header. 1: v0.1.0. 2: `AssetEdited` and `PerpMarketSet` carry
/// trailing fields (the new values), liquidations emit `TokenLiquidated` and `PerpLiquidated`
/// instead of `Liquidated`; a decoder tells the layouts apart by this byte.
pub const EVENT_VERSION: u8 = 2;

/// Seed of a price aggregate: `[AGGREGATE_SEED, group, num (u64 LE)]`.
pub const AGGREGATE_SEED: &[u8] = b"aggregate";

/// Seed of a governance proposal: `[PROPOSAL_SEED, group, num (u64 LE)]`.
pub const PROPOSAL_SEED: &[u8] = b"proposal";
/// Time after its timelock within which a queued change may be executed, seconds (14 days, as
/// Compound's timelock): a change nobody executed in time must be queued again.
pub const PROPOSAL_GRACE_SECS: i64 = 14 * 86_400;
/// Largest Borsh-encoded change a proposal stores, bytes.
pub const MAX_PROPOSAL_PAYLOAD: usize = 512;

/// Seed of a signed order's fill record: `[ORDER_SEED, maker account, nonce (u64 LE)]`.
pub const ORDER_SEED: &[u8] = b"order";
/// First bytes of every signed order message (domain separation).
pub const ORDER_DOMAIN: &[u8; 16] = b"BALLAST_ORDER_V1";
/// Domain prefix of every signed option order message (distinct from perp orders: one message can
/// never be read as the other).
pub const OPTION_ORDER_DOMAIN: &[u8; 16] = b"BALLAST_OPTION_1";
/// The ed25519 signature-verification precompile.
pub const ED25519_PROGRAM: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Seconds after an unstake request's cooldown during which it can be withdrawn (2 days); later the
/// request has expired and must be cancelled and made again (S2-11).
pub const UNSTAKE_WINDOW_SECS: i64 = 2 * 86_400;
