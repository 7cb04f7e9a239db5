//! The Group: the root of a Ballast deployment.

use anchor_lang::prelude::*;

/// A group of assets and margin accounts under one admin.
/// PDA: `[GROUP_SEED, creator, group_num (u32 LE)]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Group {
    /// Key that created the group (part of the PDA seeds).
    pub creator: Pubkey,
    /// Admin (meant to be a multisig): lists assets, edits parameters.
    pub admin: Pubkey,
    /// Guardian: may only reduce risk (pause, reduce-only, lower caps and weights, cancel a queued
    /// change; docs/governance.md).
    pub guardian: Pubkey,
    /// Group number chosen by the creator (part of the PDA seeds).
    pub group_num: u32,
    /// Number of listed assets; the next listing gets this index.
    pub num_assets: u16,
    /// Asset index of the quote asset (settles perps, options and insurance). Asset 0.
    pub quote_asset_index: u16,
    /// Canonical bump of the group PDA.
    pub bump: u8,
    /// Reserved for alignment.
    pub reserved0: [u8; 7],
    /// Bitmap of disabled instructions (bit n: `gate::Ix` n disabled; only gated instructions,
    /// `gate::POLICY`). The guardian and the admin set bits at once; clearing one is queued.
    pub ix_gate: u64,
    /// Delay before risk-increasing changes take effect, seconds.
    pub timelock_secs: u64,
    /// Margin accounts created in this group (counter).
    pub num_accounts: u64,
    /// Liquidation fee schedule and guards.
    pub liquidation: LiquidationConfig,
    /// The insurance fund.
    pub insurance: InsuranceFund,
    /// Domain of this group's signed orders (bytes 16..48 of the order message): a hash of the
    /// program id, the group, its creator and the slot and time of its creation, so that an order
    /// signed for a group on one cluster cannot be filled on another (S2-15).
    pub order_domain: [u8; 32],
    /// Largest value one liquidation step repays (token) or takes over (perp), quote native units
    /// (catalogue I-14, S2-21): a large account is liquidated in bounded steps.
    pub max_liquidation_step: u64,
    /// Listing admin: may list assets as the admin can (default key: none).
    pub listing_admin: Pubkey,
    /// Owner of the token accounts protocol fees and protocol insurance shares are paid to
    /// (`withdraw_fees`, `withdraw_protocol_insurance`); the admin at creation.
    pub fee_recipient: Pubkey,
    /// Proposals queued in this group (counter; the next proposal gets this number).
    pub num_proposals: u64,
    /// The panic pause runs until this time, unix seconds (0: never paused; `gate.rs`).
    pub panic_until: i64,
    /// Start of the current day of the panic-pause count, unix seconds.
    pub panic_day_start: i64,
    /// Panic pauses in the current row.
    pub panic_in_row: u8,
    /// Panic pauses in the current day.
    pub panic_today: u8,
    /// Reserved for alignment.
    pub reserved1: [u8; 6],
    /// Counts every change of the group's roles, gate, liquidation configuration and account
    /// freezes (governance: a queued change must find the count it was queued at).
    pub config_version: u64,
    /// Reserved for upgrades.
    pub reserved: [u8; 272],
}

/// The insurance fund: a quote-asset token vault, PDA `[INSURANCE_SEED, group]` (authority: the
/// quote Asset PDA), owned by stakers' shares and the protocol's shares.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct InsuranceFund {
    /// The vault (default key: the fund is not created yet).
    pub vault: Pubkey,
    /// Quote native units the fund holds by its own accounting (tokens sent to the vault directly
    /// are ignored, so nobody can inflate the share price: catalogue IB-08).
    pub value: u64,
    /// All shares.
    pub total_shares: u64,
    /// Shares owned by the protocol (from fees swept while no one staked, and admin deposits);
    /// only the admin withdraws them.
    pub protocol_shares: u64,
    /// Quote native units paid out to cover bankruptcies since creation (reporting).
    pub paid_out: u64,
    /// Seconds between an unstake request and its withdrawal.
    pub cooldown_secs: u32,
    /// Canonical bump of the vault PDA.
    pub vault_bump: u8,
    /// Reserved.
    pub reserved: [u8; 3],
}

impl InsuranceFund {
    /// Quote native units the fund can still pay toward a bankruptcy under a cap of `cap` when it
    /// has already paid `already_paid` for it: its value within the cap's room, nothing before the
    /// fund exists. The one rule `resolve_perp_bankruptcy`, `cover_bankrupt_debt` and the keeper use.
    pub fn can_pay(&self, cap: u64, already_paid: u64) -> u64 {
        if self.vault == Pubkey::default() {
            return 0;
        }
        self.value.min(cap.saturating_sub(already_paid))
    }

    /// Shares worth `amount` at the current share price, rounded down (against the staker). Fails
    /// with InsuranceFundEmpty when shares exist but the fund holds nothing (catalogue IB-07).
    pub fn shares_for(&self, amount: u64) -> Result<u64> {
        if self.total_shares == 0 {
            return Ok(amount);
        }
        require!(self.value > 0, crate::error::BallastError::InsuranceFundEmpty);
        Ok(crate::risk::perp::mul_div_floor(amount, self.total_shares, self.value))
    }

    /// Burns `shares` paid out with `pay` (at most their value). Value left once no share remains
    /// (gains during the last staker's cooldown) becomes protocol shares, one per native unit, so
    /// the next staker cannot capture it (S2-18).
    pub fn burn(&mut self, shares: u64, pay: u64) {
        self.total_shares = self.total_shares.saturating_sub(shares);
        self.value = self.value.saturating_sub(pay);
        self.adopt_orphan_value();
    }

    /// Value the fund holds while no share exists becomes protocol shares, one per native unit:
    /// revenue swept in while nobody stakes, or value left after the last staker leaves.
    pub fn adopt_orphan_value(&mut self) {
        if self.total_shares == 0 && self.value > 0 {
            self.total_shares = self.value;
            self.protocol_shares = self.value;
        }
    }

    /// Value of `shares`, rounded down (against the staker).
    pub fn value_of(&self, shares: u64) -> u64 {
        if self.total_shares == 0 {
            return 0;
        }
        crate::risk::perp::mul_div_floor(shares, self.value, self.total_shares)
    }
}

const _: () = assert!(core::mem::size_of::<InsuranceFund>() == 72);

/// Liquidation fee schedule and guards of a group (`set_liquidation_config`, admin).
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct LiquidationConfig {
    /// Accounts whose gross position value is below this are closed out in one call instead of
    /// stopping at LiquidationEnd health 0, quote native units.
    pub close_out_value: u64,
    /// Extra liquidation fee per hour an account stays liquidatable, bps.
    pub fee_ramp_bps_per_hour: u32,
    /// Cap of the extra fee, bps.
    pub fee_ramp_cap_bps: u32,
    /// Share of every liquidation fee paid to the insurance fund, bps.
    pub insurance_share_bps: u16,
    /// Largest distance of an oracle price from the stable price at which liquidation proceeds, bps.
    pub max_stable_deviation_bps: u16,
    /// Reserved.
    pub reserved: [u8; 4],
}

/// Default per-step liquidation bound of a new group: $1,000,000.
pub const DEFAULT_MAX_LIQUIDATION_STEP: u64 = crate::risk::liquidation::DEFAULT_MAX_STEP_VALUE;

/// Default liquidation configuration of a new group: $10 close-out, +0.5%/h up to +5%, 20% to the
/// insurance fund, 20% largest oracle/stable deviation.
pub const DEFAULT_LIQUIDATION_CONFIG: LiquidationConfig = LiquidationConfig {
    close_out_value: 10_000_000,
    fee_ramp_bps_per_hour: 50,
    fee_ramp_cap_bps: 500,
    insurance_share_bps: 2_000,
    max_stable_deviation_bps: 2_000,
    reserved: [0; 4],
};

impl LiquidationConfig {
    /// Checks the bounds: ramp cap <= 50%, shares and deviation <= 100%, deviation > 0.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.fee_ramp_cap_bps <= 5_000
                && self.insurance_share_bps <= 10_000
                && (1..=10_000).contains(&self.max_stable_deviation_bps)
                && self.reserved == [0; 4],
            crate::error::BallastError::InvalidConfig
        );
        Ok(())
    }

    /// The pure fee schedule.
    pub fn schedule(&self) -> crate::risk::liquidation::FeeSchedule {
        crate::risk::liquidation::FeeSchedule {
            ramp_bps_per_hour: self.fee_ramp_bps_per_hour,
            ramp_cap_bps: self.fee_ramp_cap_bps,
            insurance_share_bps: self.insurance_share_bps,
        }
    }
}

const _: () = assert!(core::mem::size_of::<LiquidationConfig>() == 24);
const _: () = assert!(core::mem::size_of::<Group>() == 648);
/// Group size on chain including the 8-byte discriminator.
pub const GROUP_LEN: usize = 8 + core::mem::size_of::<Group>();
const _: () = assert!(core::mem::align_of::<Group>() == 8);
