//! The options on an underlying (`Asset.option`, 256 bytes): the listed expiries with their
//! volatility smiles, settlement prices and open interest, and the market's parameters. Strikes are
//! free within a band around the price; a series is (underlying, expiry, strike, kind). See
//! docs/options.md.

use anchor_lang::prelude::*;

use super::Price128;
use crate::error::{BallastError, RiskResultExt};
use crate::risk::options::grid::OptionRiskConfig;
use crate::risk::options::settle::{SettlementRule, MAX_SAMPLES};
use crate::risk::options::smile::VolSmile;
use crate::risk::Price;

/// Most expiries listed at a time per underlying.
pub const MAX_OPTION_EXPIRIES: usize = 4;

/// Option market flag: trading enabled.
pub const OPTION_FLAG_ENABLED: u8 = 1;
/// Option market flag: reduce-only (trades may only shrink positions).
pub const OPTION_FLAG_REDUCE_ONLY: u8 = 2;

/// Largest trading or liquidation fee of the option market, bps.
pub const MAX_OPTION_FEE_BPS: u16 = 1_000;

/// One listed expiry.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OptionExpiry {
    /// The expiry's volatility smile; `smile.expiry` is the expiry in unix seconds (0: the slot is
    /// free).
    pub smile: VolSmile,
    /// Settlement price fixed by the settle crank, quote native per base native, I48F80 bits
    /// (zero: not settled yet).
    pub settlement_price: Price128,
    /// Open interest: contracts held long in this expiry (as many are held short).
    pub open_interest: u64,
}

/// The configurable parameters of an option market (the `set_option_market` argument).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionMarketParams {
    /// Base native units of the underlying per contract (fixed once set).
    pub contract_size: u64,
    /// Open-interest cap over all expiries, contracts (long side).
    pub max_open_interest: u64,
    /// Open-interest cap per expiry, contracts (long side).
    pub max_expiry_open_interest: u64,
    /// Lowest strike of a new series, bps of the oracle price (at least 100: 1%).
    pub min_strike_bps: u32,
    /// Highest strike of a new series, bps of the oracle price (at most 640,000: 64 times).
    pub max_strike_bps: u32,
    /// Settlement sampling window after expiry, seconds.
    pub settle_window_secs: u32,
    /// Least time between two counted settlement samples, seconds.
    pub settle_spacing_secs: u32,
    /// Largest change of a smile parameter per update, bps of volatility.
    pub max_vol_change_bps: u16,
    /// Largest distance of a trade's premium from the model value, bps of the underlying's price
    /// per unit.
    pub price_band_bps: u16,
    /// Fee each side of a trade pays, bps of the underlying's notional at the oracle.
    pub taker_fee_bps: u16,
    /// Fee a liquidated account pays the liquidator on option contracts taken over, bps of their
    /// model value plus, for shorts, their short-option minimum (with the group's ramp).
    pub liquidation_fee_bps: u16,
    /// Largest confidence of a settlement sample, bps of its price.
    pub settle_max_conf_bps: u16,
    /// Fewest valid samples that settle an expiry (1 to 16).
    pub settle_min_samples: u8,
    /// OPTION_FLAG_* bits.
    pub flags: u8,
    /// The grid's volatility shocks, extreme moves and short-option minimum.
    pub risk: OptionRiskConfig,
}

/// The options on one underlying.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OptionMarket {
    /// Listed expiries.
    pub expiries: [OptionExpiry; MAX_OPTION_EXPIRIES],
    /// Base native units of the underlying per contract (0: never configured).
    pub contract_size: u64,
    /// Open-interest cap over all expiries, contracts.
    pub max_open_interest: u64,
    /// Open-interest cap per expiry, contracts.
    pub max_expiry_open_interest: u64,
    /// Open interest over all expiries, contracts (long side).
    pub open_interest: u64,
    /// Lowest strike of a new series, bps of the oracle price.
    pub min_strike_bps: u32,
    /// Highest strike of a new series, bps of the oracle price.
    pub max_strike_bps: u32,
    /// Settlement sampling window after expiry, seconds.
    pub settle_window_secs: u32,
    /// Least time between two counted settlement samples, seconds.
    pub settle_spacing_secs: u32,
    /// Largest change of a smile parameter per update, bps of volatility.
    pub max_vol_change_bps: u16,
    /// Premium band around the model value, bps of the underlying's price per unit.
    pub price_band_bps: u16,
    /// Trading fee per side, bps of the underlying's notional.
    pub taker_fee_bps: u16,
    /// Liquidation fee, bps of the taken contracts' value plus (shorts) their short-option minimum.
    pub liquidation_fee_bps: u16,
    /// Largest confidence of a settlement sample, bps.
    pub settle_max_conf_bps: u16,
    /// Fewest valid settlement samples.
    pub settle_min_samples: u8,
    /// OPTION_FLAG_* bits.
    pub flags: u8,
    /// Reserved.
    pub reserved: [u8; 4],
}

const _: () = assert!(core::mem::size_of::<OptionExpiry>() == 48);
const _: () = assert!(core::mem::size_of::<OptionMarket>() == 256);
const _: () = assert!(core::mem::align_of::<OptionMarket>() == 8);

impl OptionMarket {
    /// True when trading is enabled.
    pub fn enabled(&self) -> bool {
        self.flags & OPTION_FLAG_ENABLED != 0
    }

    /// True when trades may only shrink positions.
    pub fn reduce_only(&self) -> bool {
        self.flags & OPTION_FLAG_REDUCE_ONLY != 0
    }

    /// The slot listing `expiry`, if any.
    pub fn expiry_slot(&self, expiry: i64) -> Option<usize> {
        if expiry == 0 {
            return None;
        }
        self.expiries.iter().position(|e| e.smile.expiry == expiry)
    }

    /// The settlement rule of this market's expiries.
    pub fn settlement_rule(&self) -> SettlementRule {
        SettlementRule {
            window_secs: i64::from(self.settle_window_secs),
            min_samples: self.settle_min_samples,
            max_conf_bps: self.settle_max_conf_bps,
            min_spacing_secs: i64::from(self.settle_spacing_secs),
        }
    }

    /// The settlement price of the expiry in `slot` (None: not settled).
    pub fn settlement(&self, slot: usize) -> Option<Price> {
        let p = self.expiries.get(slot)?.settlement_price.price();
        (p > Price::ZERO).then_some(p)
    }

    /// The bounds of [`Self::set_params`] (the grid and settlement rule aside).
    fn accepts(&self, p: &OptionMarketParams) -> bool {
        p.contract_size > 0
            && (self.contract_size == 0 || self.contract_size == p.contract_size)
            && (100..=10_000).contains(&p.min_strike_bps)
            && (10_000..=640_000).contains(&p.max_strike_bps)
            && (1..=10_000).contains(&p.max_vol_change_bps)
            && (1..=10_000).contains(&p.price_band_bps)
            && p.taker_fee_bps <= MAX_OPTION_FEE_BPS
            && p.liquidation_fee_bps <= MAX_OPTION_FEE_BPS
            && usize::from(p.settle_min_samples) <= MAX_SAMPLES
            && p.flags & !(OPTION_FLAG_ENABLED | OPTION_FLAG_REDUCE_ONLY) == 0
    }

    /// Writes the parameters after checking them: the contract size is fixed once set; bounds as
    /// documented on [`OptionMarketParams`]; the grid parameters and the settlement rule valid.
    pub fn set_params(&mut self, p: &OptionMarketParams) -> Result<()> {
        require!(self.accepts(p), BallastError::InvalidConfig);
        crate::risk::options::grid::GridConfig::new(&p.risk).map_risk()?;
        self.contract_size = p.contract_size;
        self.max_open_interest = p.max_open_interest;
        self.max_expiry_open_interest = p.max_expiry_open_interest;
        self.min_strike_bps = p.min_strike_bps;
        self.max_strike_bps = p.max_strike_bps;
        self.settle_window_secs = p.settle_window_secs;
        self.settle_spacing_secs = p.settle_spacing_secs;
        self.max_vol_change_bps = p.max_vol_change_bps;
        self.price_band_bps = p.price_band_bps;
        self.taker_fee_bps = p.taker_fee_bps;
        self.liquidation_fee_bps = p.liquidation_fee_bps;
        self.settle_max_conf_bps = p.settle_max_conf_bps;
        self.settle_min_samples = p.settle_min_samples;
        self.flags = p.flags;
        self.settlement_rule().validate().map_risk()?;
        Ok(())
    }

    /// The configuration as set, with the grid parameters `risk` (stored beside the market).
    pub fn params(&self, risk: OptionRiskConfig) -> OptionMarketParams {
        OptionMarketParams {
            contract_size: self.contract_size,
            max_open_interest: self.max_open_interest,
            max_expiry_open_interest: self.max_expiry_open_interest,
            min_strike_bps: self.min_strike_bps,
            max_strike_bps: self.max_strike_bps,
            settle_window_secs: self.settle_window_secs,
            settle_spacing_secs: self.settle_spacing_secs,
            max_vol_change_bps: self.max_vol_change_bps,
            price_band_bps: self.price_band_bps,
            taker_fee_bps: self.taker_fee_bps,
            liquidation_fee_bps: self.liquidation_fee_bps,
            settle_max_conf_bps: self.settle_max_conf_bps,
            settle_min_samples: self.settle_min_samples,
            flags: self.flags,
            risk,
        }
    }
}

impl OptionMarketParams {
    /// Governance's direction rule: true when `self` in place of `old` can only allow less risk
    /// and moves no value: the same contract size, fees, settlement rule, enabled bit and grid
    /// parameters; no higher open-interest caps, no wider strike range, band or smile step;
    /// reduce-only may be set, never cleared. The grid parameters must stay: the grid values a
    /// group at points placed by its shocks, so larger shocks can miss a loss the old points
    /// found (raising health), and the short-option minimum is part of the liquidation fee's base.
    pub fn no_riskier_than(&self, old: &Self) -> bool {
        let (f, o) = (self.flags, old.flags);
        self.contract_size == old.contract_size
            && (self.taker_fee_bps, self.liquidation_fee_bps) == (old.taker_fee_bps, old.liquidation_fee_bps)
            && (self.settle_window_secs, self.settle_spacing_secs, self.settle_max_conf_bps, self.settle_min_samples)
                == (old.settle_window_secs, old.settle_spacing_secs, old.settle_max_conf_bps, old.settle_min_samples)
            && self.max_open_interest <= old.max_open_interest
            && self.max_expiry_open_interest <= old.max_expiry_open_interest
            && self.min_strike_bps >= old.min_strike_bps
            && self.max_strike_bps <= old.max_strike_bps
            && self.max_vol_change_bps <= old.max_vol_change_bps
            && self.price_band_bps <= old.price_band_bps
            && f & OPTION_FLAG_ENABLED == o & OPTION_FLAG_ENABLED
            && (o & OPTION_FLAG_REDUCE_ONLY == 0 || f & OPTION_FLAG_REDUCE_ONLY != 0)
            && f & !(OPTION_FLAG_ENABLED | OPTION_FLAG_REDUCE_ONLY)
                == o & !(OPTION_FLAG_ENABLED | OPTION_FLAG_REDUCE_ONLY)
            && self.risk == old.risk
    }
}
