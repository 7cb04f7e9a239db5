//! The Asset: one per underlying. Bank, oracle configuration, risk parameters; room for the perp
//! and option sides.

use anchor_lang::prelude::*;

use super::{Fx128, OptionMarket, Price128};
use crate::constants::MIN_DEPEG_SHOCK_BPS;
use crate::error::{BallastError, RiskResultExt};
use crate::oracle::validate_oracle_config;
use crate::risk::bank::{BankState, BorrowWindow, OutflowWindow};
use crate::risk::perp::{Funding, PerpParams};
use crate::risk::stable_price::{next_stable_price, STABLE_GROWTH_BOUNDS};
use crate::risk::{Fx, Price};

/// Highest rate of the interest curve, bps per year (1000%).
pub const MAX_INTEREST_RATE_BPS: u32 = 100_000;

/// How an asset's price is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OracleKind {
    /// Pyth pull oracle: a `PriceUpdateV2` account owned by the Pyth receiver program.
    PythPull = 0,
    /// Pyth legacy push oracle: a price account owned by the Pyth oracle program.
    PythLegacy = 1,
    /// Program-owned stub oracle. Readable only in builds with the `test-oracle` feature.
    Stub = 2,
    /// A Ballast `PriceAggregate`: the median of up to three sources with a quorum
    /// (docs/oracles.md).
    Aggregate = 3,
}

impl OracleKind {
    /// Decodes the stored byte.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(OracleKind::PythPull),
            1 => Some(OracleKind::PythLegacy),
            2 => Some(OracleKind::Stub),
            3 => Some(OracleKind::Aggregate),
            _ => None,
        }
    }
}

/// Oracle configuration of an asset (primary or fallback).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct OracleConfig {
    /// Oracle account address. `Pubkey::default()` for an unset fallback.
    pub address: Pubkey,
    /// Pyth feed id (pull oracles); zero for other kinds.
    pub feed_id: [u8; 32],
    /// Maximum age of a price, seconds since its publish time.
    pub max_age_secs: u32,
    /// Maximum confidence interval, bps of the price.
    pub max_conf_bps: u16,
    /// [`OracleKind`] as a byte.
    pub kind: u8,
    /// Reserved.
    pub reserved: u8,
}

impl OracleConfig {
    /// True when this config names an oracle.
    pub fn is_set(&self) -> bool {
        self.address != Pubkey::default()
    }
}

pub use crate::risk::bank::{BorrowLimitsConfig, OutflowLimitConfig};
pub use crate::risk::interest::InterestConfig;
pub use crate::risk::RiskConfig;

/// Lending state of the asset's bank.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BankStore {
    /// Native units per deposit share, I80F48 bits.
    pub deposit_index: Fx128,
    /// Native units per borrow share, I80F48 bits.
    pub borrow_index: Fx128,
    /// Sum of deposit shares, I80F48 bits.
    pub indexed_deposits: Fx128,
    /// Sum of borrow shares (positive), I80F48 bits.
    pub indexed_borrows: Fx128,
    /// Protocol fees accrued and not withdrawn, native units, I80F48 bits.
    pub protocol_fees: Fx128,
    /// Deposit cap, native units (u64::MAX: none).
    pub deposit_cap: u64,
    /// Last interest accrual, unix seconds.
    pub last_accrual_ts: i64,
    /// Start of the current net-borrow window, unix seconds.
    pub window_start_ts: i64,
    /// Net native units borrowed in the current window (repays subtract).
    pub window_net: i64,
    /// Borrow limits.
    pub limits: BorrowLimitsConfig,
}

impl BankStore {
    /// The pure engine's view.
    pub fn state(&self) -> BankState {
        BankState {
            deposit_index: self.deposit_index.fx(),
            borrow_index: self.borrow_index.fx(),
            indexed_deposits: self.indexed_deposits.fx(),
            indexed_borrows: self.indexed_borrows.fx(),
        }
    }
    /// Writes the pure engine's state back.
    pub fn set_state(&mut self, s: &BankState) {
        self.deposit_index = Fx128::from_fx(s.deposit_index);
        self.borrow_index = Fx128::from_fx(s.borrow_index);
        self.indexed_deposits = Fx128::from_fx(s.indexed_deposits);
        self.indexed_borrows = Fx128::from_fx(s.indexed_borrows);
    }
}

/// Asset flag: deposits disabled.
pub const ASSET_FLAG_DEPOSITS_DISABLED: u8 = 1;
/// Asset flag: withdrawals disabled.
pub const ASSET_FLAG_WITHDRAWALS_DISABLED: u8 = 2;
/// Asset flag: the asset may be borrowed.
pub const ASSET_FLAG_BORROWABLE: u8 = 4;
/// Asset flag: liquidators may not seize this asset (catalogue LQ-15).
pub const ASSET_FLAG_NO_ASSET_LIQUIDATION: u8 = 8;
/// Asset flag: reduce-only. Positions in the asset may only shrink: a deposit only repays a
/// borrow (never becomes a deposit), nothing is borrowed (BORROWABLE must be clear with it);
/// withdrawals of deposits, repays and liquidations go on. Set at once by the guardian; cleared
/// only through the timelock.
pub const ASSET_FLAG_REDUCE_ONLY: u8 = 16;
/// Asset flag: force-close (delisting; catalogue LQ-14). Requires reduce-only (hence not
/// borrowable) and no collateral value (a 100% maint down shock): anyone may send the deposit of
/// an account that owes nothing back to its owner (`force_withdraw`, no seizure), and positions of
/// accounts that owe are liquidated as any other. Set and cleared only through the timelock.
pub const ASSET_FLAG_FORCE_CLOSE: u8 = 32;
/// Asset flag, set by the program only: the asset is priced by a source another asset of the group
/// used first (a wrapped or pegged asset on its underlying's feed; catalogue OR-12). It must carry
/// the depeg shock (`MIN_DEPEG_SHOCK_BPS`: maint down and up shocks, basis charge) and a deposit
/// cap and no perp or option market, so that a depeg its oracle cannot see loses at most the cap's
/// value beyond the shock. Set at a listing, an oracle change or `record_asset_sources` when a
/// source is another asset's; never cleared; an edit of `flags` keeps it as it is.
pub const ASSET_FLAG_PEGGED: u8 = 64;

/// One underlying. PDA: `[ASSET_SEED, group, asset_index (u16 LE)]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Asset {
    /// Group this asset belongs to.
    pub group: Pubkey,
    /// SPL Token or Token-2022 mint.
    pub mint: Pubkey,
    /// Vault token account PDA `[VAULT_SEED, asset]`, authority: this Asset PDA.
    pub vault: Pubkey,
    /// Token program owning mint and vault.
    pub token_program: Pubkey,
    /// Primary oracle.
    pub oracle: OracleConfig,
    /// Fallback oracle, used only when the primary is invalid (stale, unconfident, non-positive).
    pub fallback_oracle: OracleConfig,
    /// Display name, UTF-8, zero padded.
    pub name: [u8; 16],
    /// Index of this asset in its group.
    pub asset_index: u16,
    /// Mint decimals.
    pub decimals: u8,
    /// Canonical bump of the asset PDA.
    pub bump: u8,
    /// Canonical bump of the vault PDA.
    pub vault_bump: u8,
    /// ASSET_FLAG_* bits.
    pub flags: u8,
    /// For a risk group's leader (`risk.risk_group == asset_index`): how many other assets were
    /// listed into its group. While it has members its shocks cannot change (S2-02).
    pub group_members: u16,
    /// Risk parameters.
    pub risk: RiskConfig,
    /// Stable price, quote native per base native, I48F80 bits.
    pub stable_price: Price128,
    /// When the stable price was last updated, unix seconds.
    pub stable_updated_ts: i64,
    /// Publish time of the newest oracle price this asset has used, unix seconds.
    pub last_publish_time: i64,
    /// Largest stable-price move per hour, bps.
    pub stable_growth_bps_per_hour: u32,
    /// Reserved.
    pub reserved1: u32,
    /// Bank (lending) state.
    pub bank: BankStore,
    /// Interest curve.
    pub interest: InterestConfig,
    /// The perpetual market on this underlying (disabled unless PERP_FLAG_ENABLED).
    pub perp: PerpMarket,
    /// The options on this underlying (enabled on risk-group leaders only).
    pub option: OptionMarket,
    /// Perp fees owed to the insurance fund, quote native units, I80F48 bits. Only the quote asset
    /// accrues them; they are a claim on its vault, like `bank.protocol_fees`.
    pub insurance_fees: Fx128,
    /// Most the insurance fund pays toward one bankruptcy for a loss in this asset, quote native
    /// units: a token debt in the asset, or a perp loss in the asset's market (the per-market cap).
    /// It bounds everything the fund has paid for the account's bankruptcy so far
    /// (`MarginAccount.bankruptcy_insurance_paid`).
    pub insurance_cap: u64,
    /// Debt written off against this asset's depositors since listing, native units (reporting).
    pub socialized_loss: u64,
    /// The option grid's parameters for options on this underlying (volatility shocks, extreme
    /// moves, short-option minimum), set with the option market.
    pub option_risk: OptionRiskConfig,
    /// Withdrawal rate limit (a circuit breaker; off while `limit_bps` is 0).
    pub outflow_limit: OutflowLimitConfig,
    /// Start of the current withdrawal-limit window, unix seconds.
    pub outflow_start_ts: i64,
    /// Net native units out of the vault in that window (inflows subtract).
    pub outflow_net: i64,
    /// Deposits when that window started, native units (the limit's base).
    pub outflow_base: u64,
    /// Last update of a listed expiry's smile, unix seconds: in a group with a timelock the admin
    /// updates the smiles of this underlying at most once per `MIN_SMILE_UPDATE_SECS`.
    pub smile_updated_ts: i64,
    /// Price-deviation breaker, bps (0: off): while the oracle price is further than this from the
    /// stable price, withdrawals and borrows of this asset and trades in its markets are refused
    /// (PriceDeviationBreaker); deposits, repays and liquidations continue (catalogue OR-10).
    pub deviation_breaker_bps: u16,
    /// Reserved for alignment.
    pub reserved2: [u8; 6],
    /// The deviation breaker, once tripped at a refresh, holds until this time, unix seconds: a
    /// refresh that pulls the stable price toward a bad print cannot lift it in the same
    /// transaction (`BREAKER_HOLD_SECS`).
    pub breaker_until: i64,
    /// Counts every change of this asset's configuration (governance: a queued change must find
    /// the count it was queued at, so it never undoes a later change).
    pub config_version: u32,
    /// Reserved for alignment.
    pub reserved3: [u8; 4],
    /// Reserved for upgrades.
    pub reserved: [u8; 136],
}

pub use crate::risk::options::grid::OptionRiskConfig;
pub use crate::risk::perp::{PerpMarketParams, PERP_FLAG_ENABLED, PERP_FLAG_REDUCE_ONLY};

/// A perpetual future on the asset, margined in the group's quote asset.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct PerpMarket {
    /// Cumulative funding, quote native per base native unit, I80F48 bits. Longs pay its increase.
    pub funding_index: Fx128,
    /// Exponential average of (fill price - oracle) / oracle, I80F48 bits.
    pub premium_ema: Fx128,
    /// Last funding accrual, unix seconds.
    pub funding_last_ts: i64,
    /// Last fill, unix seconds (weights the premium average).
    pub last_fill_ts: i64,
    /// Native base units per lot.
    pub base_lot_size: u64,
    /// Open interest: sum of long positions, lots.
    pub open_interest: u64,
    /// Open-interest cap, lots.
    pub max_open_interest: u64,
    /// Positive PnL settled per window, quote native units.
    pub settle_limit: u64,
    /// Start of the current settle window, unix seconds.
    pub settle_window_start: i64,
    /// PnL settled in the current window, quote native units.
    pub settle_window_used: u64,
    /// Positive unrealized PnL counted in Init health per account, quote native units.
    pub init_pnl_cap: u64,
    /// Fees charged since listing, quote native units (reporting).
    pub total_fees: u64,
    /// Settle window length, seconds.
    pub settle_window_secs: u32,
    /// Premium averaging window, seconds.
    pub funding_window_secs: u32,
    /// Funding rate clamp, bps per day.
    pub max_funding_bps_per_day: u16,
    /// Largest distance of a trade price from the oracle, bps.
    pub price_band_bps: u16,
    /// Taker fee (and both sides of a block trade), bps of notional.
    pub taker_fee_bps: u16,
    /// Maker fee of a signed order, bps of notional.
    pub maker_fee_bps: u16,
    /// Share of fees paid to the insurance fund, bps.
    pub insurance_fee_share_bps: u16,
    /// PERP_FLAG_* bits.
    pub flags: u8,
    /// Reserved.
    pub reserved0: [u8; 5],
    /// Cumulative socialized loss, quote native per base native unit, I80F48 bits: both sides pay
    /// its increase on the size of their position (perp bankruptcy, S2-22).
    pub loss_index: Fx128,
    /// Reserved for upgrades.
    pub reserved: [u8; 104],
}

const _: () = assert!(core::mem::size_of::<OracleConfig>() == 72);
const _: () = assert!(core::mem::size_of::<RiskConfig>() == 32);
const _: () = assert!(core::mem::size_of::<InterestConfig>() == 32);
const _: () = assert!(core::mem::size_of::<BankStore>() == 144);
const _: () = assert!(core::mem::size_of::<BorrowLimitsConfig>() == 32);
const _: () = assert!(core::mem::size_of::<PerpMarket>() == 256);
const _: () = assert!(core::mem::align_of::<PerpMarket>() == 8);
const _: () = assert!(core::mem::size_of::<Asset>() == 1312);
/// Asset size on chain including the 8-byte discriminator.
pub const ASSET_LEN: usize = 8 + core::mem::size_of::<Asset>();
const _: () = assert!(core::mem::align_of::<Asset>() == 8);

impl PerpMarket {
    /// True when trading is enabled.
    pub fn enabled(&self) -> bool {
        self.flags & PERP_FLAG_ENABLED != 0
    }

    /// The configurable parameters.
    pub fn params(&self) -> PerpParams {
        PerpParams {
            base_lot_size: self.base_lot_size,
            price_band_bps: self.price_band_bps,
            taker_fee_bps: self.taker_fee_bps,
            maker_fee_bps: self.maker_fee_bps,
            insurance_fee_share_bps: self.insurance_fee_share_bps,
            max_open_interest: self.max_open_interest,
            max_funding_bps_per_day: self.max_funding_bps_per_day,
            funding_window_secs: self.funding_window_secs,
            settle_limit: self.settle_limit,
            settle_window_secs: self.settle_window_secs,
            init_pnl_cap: self.init_pnl_cap,
            flags: self.flags,
        }
    }

    /// Writes the configuration (validated afterwards with the whole asset).
    pub fn set_params(&mut self, p: &PerpMarketParams) {
        self.base_lot_size = p.base_lot_size;
        self.price_band_bps = p.price_band_bps;
        self.taker_fee_bps = p.taker_fee_bps;
        self.maker_fee_bps = p.maker_fee_bps;
        self.insurance_fee_share_bps = p.insurance_fee_share_bps;
        self.max_open_interest = p.max_open_interest;
        self.max_funding_bps_per_day = p.max_funding_bps_per_day;
        self.funding_window_secs = p.funding_window_secs;
        self.settle_limit = p.settle_limit;
        self.settle_window_secs = p.settle_window_secs;
        self.init_pnl_cap = p.init_pnl_cap;
        self.flags = p.flags;
    }

    /// Funding state.
    pub fn funding(&self) -> Funding {
        Funding {
            index: self.funding_index.fx(),
            loss_index: self.loss_index.fx(),
            premium_ema: self.premium_ema.fx(),
            last_ts: self.funding_last_ts,
        }
    }

    /// Writes the funding state.
    pub fn set_funding(&mut self, f: &Funding) {
        self.funding_index = Fx128::from_fx(f.index);
        self.loss_index = Fx128::from_fx(f.loss_index);
        self.premium_ema = Fx128::from_fx(f.premium_ema);
        self.funding_last_ts = f.last_ts;
    }

    /// Funding projected to `now` at `oracle` without writing it (what health uses). A disabled
    /// market's index does not move.
    pub fn projected_funding(&self, now: i64, oracle: Price) -> Result<Funding> {
        let mut f = self.funding();
        if self.enabled() {
            f.accrue(now, oracle, self.params().max_rate()).map_risk()?;
        }
        Ok(f)
    }

    /// Checks the configuration of a configured market against the asset's maint shocks (an
    /// unconfigured market must be all zero flags).
    #[inline(never)]
    pub fn validate(&self, maint_down_bps: u16, maint_up_bps: u16) -> Result<()> {
        if self.flags == 0 && self.base_lot_size == 0 {
            return Ok(());
        }
        self.params().validate(maint_down_bps, maint_up_bps).map_risk()?;
        require!(self.flags & !(PERP_FLAG_ENABLED | PERP_FLAG_REDUCE_ONLY) == 0, BallastError::InvalidConfig);
        Ok(())
    }

    /// Records a fill: open interest changes by `delta` lots (a rise must stay within `max`) and
    /// `fees` join the fee total. Returns the open interest after.
    pub fn record_fill(&mut self, delta: i64, fees: u64, max: u64) -> Result<u64> {
        let oi =
            (self.open_interest as i64).checked_add(delta).filter(|x| *x >= 0).ok_or(BallastError::MathOverflow)?;
        require!(delta <= 0 || oi as u64 <= max, BallastError::MaxOpenInterest);
        self.open_interest = oi as u64;
        self.total_fees = self.total_fees.saturating_add(fees);
        Ok(self.open_interest)
    }

    /// Accrues funding up to `now` at `oracle` (at most one hour per call).
    pub fn accrue_funding(&mut self, now: i64, oracle: Price) -> Result<Funding> {
        let f = self.projected_funding(now, oracle)?;
        self.set_funding(&f);
        Ok(f)
    }
}

/// The withdrawal limit's base of a new window: deposits less borrows of `bank`, native units.
/// Never an error of its own (an inflow must not fail): an unrepresentable base is 0.
fn outflow_base(bank: &BankState) -> u64 {
    bank.total_deposits()
        .ok()
        .zip(bank.total_borrows().ok())
        .and_then(|(d, b)| d.checked_sub(b))
        .and_then(|x| x.max(Fx::ZERO).checked_to_num::<u64>())
        .unwrap_or(0)
}

/// Largest liquidation fee of a force-closed asset, bps (10%).
pub const MAX_FORCE_CLOSE_FEE_BPS: u16 = 1_000;

/// How long a deviation breaker tripped at a refresh holds, seconds (15 minutes).
pub const BREAKER_HOLD_SECS: i64 = 900;

impl Asset {
    /// Risk-group rule (S2-02): every member of a group carries exactly the group leader's shocks,
    /// so a group is margined with one set of shocks whoever deposits what. `leader` is the asset
    /// whose index is this asset's `risk_group` (None when the asset leads its own group).
    pub fn check_group(&self, leader: Option<&Asset>) -> Result<()> {
        let g = self.risk.risk_group;
        if g == self.asset_index {
            return Ok(());
        }
        let l = leader.ok_or(BallastError::InvalidConfig)?;
        let (a, b) = (&self.risk, &l.risk);
        require!(
            l.group == self.group
                && l.asset_index == g
                && b.risk_group == g
                && (a.init_down_bps, a.init_up_bps, a.maint_down_bps, a.maint_up_bps)
                    == (b.init_down_bps, b.init_up_bps, b.maint_down_bps, b.maint_up_bps),
            BallastError::InvalidConfig
        );
        Ok(())
    }

    /// Reduce-only needs no borrowing; force-close needs reduce-only, no collateral value and a
    /// liquidation fee of at most `MAX_FORCE_CLOSE_FEE_BPS` (the usual fee bound does not apply
    /// at a 100% shock) (InvalidConfig).
    #[inline(never)]
    fn validate_force_close(&self) -> Result<()> {
        let f = self.flags;
        // Reduce-only lends nothing (every borrowing path reads BORROWABLE alone).
        require!(f & ASSET_FLAG_REDUCE_ONLY == 0 || f & ASSET_FLAG_BORROWABLE == 0, BallastError::InvalidConfig);
        require!(
            f & ASSET_FLAG_FORCE_CLOSE == 0
                || (f & ASSET_FLAG_REDUCE_ONLY != 0
                    && self.risk.maint_down_bps >= crate::risk::params::MAX_SHOCK_BPS
                    && self.risk.liquidation_fee_bps <= MAX_FORCE_CLOSE_FEE_BPS),
            BallastError::InvalidConfig
        );
        Ok(())
    }

    /// The oracle pair's bounds: the primary, and a fallback that is unset (all zero) or valid and
    /// distinct; an aggregate primary takes no fallback (no single feed replaces its quorum).
    #[inline(never)]
    fn validate_oracles(&self) -> Result<()> {
        validate_oracle_config(&self.oracle)?;
        require!(
            self.oracle.kind != OracleKind::Aggregate as u8 || !self.fallback_oracle.is_set(),
            BallastError::InvalidConfig
        );
        if self.fallback_oracle.is_set() {
            validate_oracle_config(&self.fallback_oracle)?;
            require!(self.fallback_oracle.address != self.oracle.address, BallastError::InvalidConfig);
        } else {
            require!(self.fallback_oracle == OracleConfig::default(), BallastError::InvalidConfig);
        }
        Ok(())
    }

    /// Checks every configurable field against its bounds (catalogue AG-06). Called by listing
    /// and by every edit on the resulting configuration.
    pub fn validate_config(&self) -> Result<()> {
        self.validate_oracles()?;
        self.validate_force_close()?;
        self.risk.validate().map_risk()?;
        let (lo, hi) = STABLE_GROWTH_BOUNDS;
        require!((lo..=hi).contains(&self.stable_growth_bps_per_hour), BallastError::InvalidConfig);
        self.interest.validate(MAX_INTEREST_RATE_BPS).map_risk()?;
        let l = &self.bank.limits;
        require!(
            l.util_cap_bps <= 10_000 && l.net_borrow_window_secs >= 1 && l.reserved == 0,
            BallastError::InvalidConfig
        );
        let known = ASSET_FLAG_DEPOSITS_DISABLED
            | ASSET_FLAG_WITHDRAWALS_DISABLED
            | ASSET_FLAG_BORROWABLE
            | ASSET_FLAG_NO_ASSET_LIQUIDATION
            | ASSET_FLAG_REDUCE_ONLY
            | ASSET_FLAG_FORCE_CLOSE
            | ASSET_FLAG_PEGGED;
        require!(self.flags & !known == 0, BallastError::InvalidConfig);
        // A pegged asset: the depeg shock, a cap, and no perp or option market of its own (a hedge
        // with its own derivative nets its spot and would bypass the shock).
        require!(
            self.flags & ASSET_FLAG_PEGGED == 0
                || (self.risk.covers_depeg(MIN_DEPEG_SHOCK_BPS)
                    && self.bank.deposit_cap != u64::MAX
                    && self.perp.base_lot_size == 0
                    && self.option.contract_size == 0),
            BallastError::CrossAssetOracle
        );
        self.outflow_limit.validate().map_risk()?;
        require!(self.deviation_breaker_bps <= 10_000 && self.reserved2 == [0; 6], BallastError::InvalidConfig);
        require!(self.name.iter().all(|b| *b == 0 || b.is_ascii_graphic() || *b == b' '), BallastError::InvalidConfig);
        self.perp.validate(self.risk.maint_down_bps, self.risk.maint_up_bps)
    }

    /// Accrues interest up to `now` (at most MAX_ACCRUAL_SECS per call; a longer gap is not
    /// charged beyond that) and adds the protocol's share to `protocol_fees`.
    pub fn accrue(&mut self, now: i64) -> Result<crate::risk::interest::Accrual> {
        let mut bank = self.bank.state();
        let a = bank.accrue(&self.interest, now.saturating_sub(self.bank.last_accrual_ts)).map_risk()?;
        self.bank.set_state(&bank);
        let fees = self.bank.protocol_fees.fx().checked_add(a.fee).ok_or(BallastError::MathOverflow)?;
        self.bank.protocol_fees = Fx128::from_fx(fees);
        self.bank.last_accrual_ts = self.bank.last_accrual_ts.max(now);
        Ok(a)
    }

    /// The bank state projected to `now` without writing it (what health uses).
    pub fn projected_bank(&self, now: i64) -> Result<BankState> {
        let mut bank = self.bank.state();
        bank.accrue(&self.interest, now.saturating_sub(self.bank.last_accrual_ts)).map_risk()?;
        Ok(bank)
    }

    /// Records `borrowed` (positive) or `repaid` (negative) native units in the net-borrow window
    /// at `now`; a borrow must stay within the window's limit.
    pub fn record_net_borrow(&mut self, now: i64, delta: u64, repaid: bool) -> Result<()> {
        let delta = i64::try_from(delta).map_err(|_| BallastError::MathOverflow)?;
        let mut w = BorrowWindow { start_ts: self.bank.window_start_ts, net: self.bank.window_net };
        // delta is in [0, i64::MAX]: its negation fits.
        #[allow(clippy::arithmetic_side_effects)]
        let signed = if repaid { -delta } else { delta };
        w.record(&self.bank.limits, now, signed).map_risk()?;
        self.bank.window_start_ts = w.start_ts;
        self.bank.window_net = w.net;
        Ok(())
    }

    /// Records `amount` native units leaving the vault (`inflow` false: a withdrawal or borrow) or
    /// entering it (a deposit or repay) in the withdrawal-limit window at `now`; an outflow must
    /// stay within the limit (WithdrawalRateLimited), an inflow never fails. The window's base is
    /// the deposits less the borrows as the bank stands before the change (`bank`, already
    /// accrued): what the vault holds for depositors, which a borrow-and-redeposit loop does not
    /// move.
    pub fn record_outflow(&mut self, bank: &BankState, now: i64, amount: u64, inflow: bool) -> Result<()> {
        if self.outflow_limit.limit_bps == 0 || amount == 0 {
            return Ok(());
        }
        let deposits = outflow_base(bank);
        let delta = i64::try_from(amount).unwrap_or(i64::MAX);
        // delta is in [0, i64::MAX]: its negation fits.
        #[allow(clippy::arithmetic_side_effects)]
        let signed = if inflow { -delta } else { delta };
        let mut w = OutflowWindow { start_ts: self.outflow_start_ts, net: self.outflow_net, base: self.outflow_base };
        w.record(&self.outflow_limit, now, deposits, signed).map_risk()?;
        (self.outflow_start_ts, self.outflow_net, self.outflow_base) = (w.start_ts, w.net, w.base);
        Ok(())
    }

    /// Net native units that may still leave the vault at `now` under the withdrawal rate limit
    /// (`u64::MAX` while it is off), `bank` projected to `now`: a `withdraw` of at most this much
    /// passes the limit (the SDK's `lending::withdraw_room`).
    pub fn withdraw_room(&self, bank: &BankState, now: i64) -> Result<u64> {
        let w = OutflowWindow { start_ts: self.outflow_start_ts, net: self.outflow_net, base: self.outflow_base };
        w.room(&self.outflow_limit, now, outflow_base(bank)).map_risk()
    }

    /// Records `borrowed` native units that accounts owe whatever the limits (perp fees and settled
    /// perp losses beyond a quote deposit) in the net-borrow window, without enforcing its limit:
    /// later user borrows see them (S2-17).
    pub fn record_owed_borrow(&mut self, now: i64, borrowed: u64) -> Result<()> {
        if borrowed == 0 {
            return Ok(());
        }
        let delta = i64::try_from(borrowed).map_err(|_| BallastError::MathOverflow)?;
        let mut w = BorrowWindow { start_ts: self.bank.window_start_ts, net: self.bank.window_net };
        w.record_owed(&self.bank.limits, now, delta).map_risk()?;
        self.bank.window_start_ts = w.start_ts;
        self.bank.window_net = w.net;
        Ok(())
    }

    /// Records an oracle observation: moves the stable price within its growth bound and keeps the
    /// newest publish time.
    pub fn observe_price(&mut self, oracle: Price, publish_time: i64, now: i64) -> Result<()> {
        // The deviation breaker latches on the stable price before it moves (catalogue OR-10).
        let bps = self.deviation_breaker_bps;
        if bps > 0 && crate::risk::liquidation::deviates(oracle, self.stable_price.price(), bps) {
            self.breaker_until = now.checked_add(BREAKER_HOLD_SECS).ok_or(BallastError::MathOverflow)?;
        }
        let next = next_stable_price(
            self.stable_price.price(),
            self.stable_updated_ts,
            oracle,
            now,
            self.stable_growth_bps_per_hour,
        )
        .map_risk()?;
        self.stable_price = Price128::from_price(next);
        self.stable_updated_ts = now;
        self.last_publish_time = self.last_publish_time.max(publish_time);
        Ok(())
    }

    /// Credits perp `fees` (quote native units, already debited from traders' balances in this
    /// quote asset): the insurance share to `insurance_fees`, the rest to `bank.protocol_fees`.
    pub fn add_perp_fees(&mut self, fees: u64, insurance_share_bps: u16) -> Result<()> {
        let (to_insurance, to_protocol) = crate::risk::perp::split_fee(fees, insurance_share_bps);
        let p = self.bank.protocol_fees.fx().checked_add(crate::risk::Fx::from_num(to_protocol));
        self.bank.protocol_fees = Fx128::from_fx(p.ok_or(BallastError::MathOverflow)?);
        let i = self.insurance_fees.fx().checked_add(crate::risk::Fx::from_num(to_insurance));
        self.insurance_fees = Fx128::from_fx(i.ok_or(BallastError::MathOverflow)?);
        Ok(())
    }

    /// Display name as a string.
    pub fn name(&self) -> &str {
        let end = self.name.iter().position(|b| *b == 0).unwrap_or(self.name.len());
        core::str::from_utf8(&self.name[..end]).unwrap_or("?")
    }
}
