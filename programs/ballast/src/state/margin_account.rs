//! The MarginAccount: one trader's cross-margin account.

use anchor_lang::prelude::*;

use super::{Fx128, Price128};
use crate::constants::*;
use crate::risk::perp::{PerpIndex, PerpPos};
use crate::risk::Fx;

/// A token balance. Free when `asset_index == FREE_SLOT`.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct TokenPosition {
    /// Signed index shares, I80F48 bits: positive deposit shares, negative borrow shares.
    pub indexed: Fx128,
    /// Asset index, or FREE_SLOT.
    pub asset_index: u16,
    /// Reserved.
    pub reserved: [u8; 6],
}

/// A perpetual position. Free when `asset_index == FREE_SLOT`.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct PerpPosition {
    /// Base position in lots of the market's `base_lot_size` (long positive).
    pub base_lots: i64,
    /// Quote position, quote native units (a whole number), I80F48 bits: trade cash flows,
    /// realized PnL and settled funding, minus PnL settled into token balances.
    pub quote: Fx128,
    /// The market's index for the position's side at the last funding settlement (funding plus
    /// the socialized-loss index for a long or a flat position, funding minus it for a short;
    /// `risk::perp::PerpIndex::side`), I80F48 bits.
    pub funding_snapshot: Fx128,
    /// Funding paid since the slot opened, quote native units (negative: received). Reporting.
    pub funding_paid: i64,
    /// Asset index of the underlying, or FREE_SLOT.
    pub asset_index: u16,
    /// Reserved.
    pub reserved: [u8; 14],
}

impl PerpPosition {
    /// The pure position, with base in native units (`lots * base_lot_size`).
    pub fn pos(&self, base_lot_size: u64) -> crate::risk::RiskResult<PerpPos> {
        use crate::risk::OrOverflow;
        Ok(PerpPos {
            base: Fx::from_num(self.base_lots).checked_mul(Fx::from_num(base_lot_size)).or_overflow()?,
            quote: self.quote.fx(),
            funding_snapshot: self.funding_snapshot.fx(),
        })
    }
}

/// An option position (options issue). Free when `asset_index == FREE_SLOT`.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct OptionPosition {
    /// Strike, quote native per base native, I48F80 bits.
    pub strike: Price128,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Contracts (long positive; a contract is the market's `contract_size` base native units).
    pub size: i64,
    /// Asset index of the underlying, or FREE_SLOT.
    pub asset_index: u16,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Reserved.
    pub reserved: [u8; 5],
}

/// Account flag: being liquidated.
pub const ACCOUNT_FLAG_BEING_LIQUIDATED: u8 = 1;
/// Account flag: frozen by governance.
pub const ACCOUNT_FLAG_FROZEN: u8 = 2;
/// Account flag: the account has a delegate book (`grant_delegate` sets it, the revoke that
/// closes the book clears it). `close_account` is refused while it is set, so a book never
/// outlives its account (a re-created account at the same address would inherit it).
pub const ACCOUNT_FLAG_DELEGATE_BOOK: u8 = 4;

/// A cross-margin account. PDA: `[ACCOUNT_SEED, group, owner, account_num (u32 LE)]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct MarginAccount {
    /// Group.
    pub group: Pubkey,
    /// Owner: signs withdrawals and trades.
    pub owner: Pubkey,
    /// Delegate (`Pubkey::default()`: none).
    pub delegate: Pubkey,
    /// Delegate permission ends at this unix time (0: no expiry).
    pub delegate_expiry: i64,
    /// Account number chosen by the owner (part of the PDA seeds).
    pub account_num: u32,
    /// Canonical bump.
    pub bump: u8,
    /// ACCOUNT_FLAG_* bits.
    pub flags: u8,
    /// DELEGATE_* scope bits.
    pub delegate_scope: u8,
    /// Reserved.
    pub reserved0: u8,
    /// Token positions.
    pub tokens: [TokenPosition; MAX_TOKEN_POSITIONS],
    /// Perpetual positions.
    pub perps: [PerpPosition; MAX_PERP_POSITIONS],
    /// Option positions.
    pub options: [OptionPosition; MAX_OPTION_POSITIONS],
    /// When the current liquidation started (the fee ramps from here), unix seconds; 0: none.
    pub liquidation_start_ts: i64,
    /// When the last liquidation step of the current episode ran, unix seconds; 0: none. The episode
    /// lapses `LIQUIDATION_EPISODE_SECS` after it (S2-01).
    pub liquidation_last_ts: i64,
    /// Quote native units the insurance fund has paid towards this account's current bankruptcy; the
    /// asset's `insurance_cap` bounds this sum, whoever calls and however the calls are split
    /// (S2-10). Reset once the account owes nothing.
    pub bankruptcy_insurance_paid: u64,
    /// Reserved for upgrades.
    pub reserved: [u8; 104],
}

const _: () = assert!(core::mem::size_of::<TokenPosition>() == 24);
const _: () = assert!(core::mem::size_of::<PerpPosition>() == 64);
const _: () = assert!(core::mem::size_of::<OptionPosition>() == 40);
const _: () = assert!(core::mem::size_of::<MarginAccount>() == 1456);
const _: () = assert!(core::mem::align_of::<MarginAccount>() == 8);
/// MarginAccount size on chain including the 8-byte discriminator (design target <= 2,560).
pub const MARGIN_ACCOUNT_LEN: usize = 8 + core::mem::size_of::<MarginAccount>();
const _: () = assert!(MARGIN_ACCOUNT_LEN <= 2_560);

impl MarginAccount {
    /// Marks every slot free. Called once at creation (a zeroed slot would name asset 0).
    pub fn init_slots(&mut self) {
        for t in self.tokens.iter_mut() {
            t.asset_index = FREE_SLOT;
        }
        for p in self.perps.iter_mut() {
            p.asset_index = FREE_SLOT;
        }
        for o in self.options.iter_mut() {
            o.asset_index = FREE_SLOT;
        }
    }

    /// A liquidation episode is running: the account is flagged and its last step is at most
    /// `LIQUIDATION_EPISODE_SECS` old. Only then does LiquidationEnd health < 0 keep it liquidatable.
    pub fn liquidation_episode_active(&self, now: i64) -> bool {
        crate::risk::liquidation::episode_active(
            self.flags & ACCOUNT_FLAG_BEING_LIQUIDATED != 0,
            self.liquidation_last_ts,
            now,
        )
    }

    /// Ends the liquidation episode: flag cleared, times reset.
    pub fn end_liquidation_episode(&mut self) {
        self.flags &= !ACCOUNT_FLAG_BEING_LIQUIDATED;
        self.liquidation_start_ts = 0;
        self.liquidation_last_ts = 0;
    }

    /// Once the account owes nothing (no token debt and no perp position, whose unsettled loss a
    /// perp bankruptcy may still be resolving), the fund's payments towards its last bankruptcy stop
    /// counting against the next one. A deposit into a bankrupt account therefore cannot reset the
    /// cap while a perp loss is being resolved.
    pub fn clear_bankruptcy_if_debt_free(&mut self) {
        if self.tokens.iter().all(|t| t.asset_index == FREE_SLOT || t.indexed.fx() >= Fx::ZERO)
            && self.perps.iter().all(|p| p.asset_index == FREE_SLOT)
        {
            self.bankruptcy_insurance_paid = 0;
        }
    }

    /// Slot of the token position in `asset_index`.
    pub fn token_slot(&self, asset_index: u16) -> Option<usize> {
        self.tokens.iter().position(|t| t.asset_index == asset_index)
    }

    /// Token shares in `asset_index` (zero when there is no position).
    pub fn token_indexed(&self, asset_index: u16) -> Fx {
        self.token_slot(asset_index).map(|i| self.tokens[i].indexed.fx()).unwrap_or(Fx::ZERO)
    }

    /// Sorted, duplicate-free asset indexes in which the account has any position, plus `extra`,
    /// plus the quote asset when any perp or option position is open.
    /// This is the canonical health-account order: for each index, its Asset, then its oracle.
    pub fn active_assets(&self, extra: &[u16]) -> ActiveAssets {
        let mut out = ActiveAssets::default();
        // Perp cash, option premiums and settled option values are quote balances for health.
        if self.perps.iter().any(|p| p.asset_index != FREE_SLOT)
            || self.options.iter().any(|o| o.asset_index != FREE_SLOT)
        {
            out.insert(QUOTE_ASSET_INDEX);
        }
        let tokens = self.tokens.iter().map(|t| t.asset_index);
        let perps = self.perps.iter().map(|p| p.asset_index);
        let options = self.options.iter().map(|o| o.asset_index);
        for idx in tokens.chain(perps).chain(options).chain(extra.iter().copied()) {
            if idx != FREE_SLOT {
                out.insert(idx);
            }
        }
        out
    }

    /// Finds or opens the token slot for `asset_index`. Fails when every slot is in use or the
    /// account would exceed MAX_ACCOUNT_ASSETS distinct assets.
    pub fn token_slot_or_open(&mut self, asset_index: u16) -> Result<usize> {
        if let Some(i) = self.token_slot(asset_index) {
            return Ok(i);
        }
        if self.active_assets(&[asset_index]).len > MAX_ACCOUNT_ASSETS {
            return err!(crate::error::BallastError::TooManyAssets);
        }
        let i = self
            .tokens
            .iter()
            .position(|t| t.asset_index == FREE_SLOT)
            .ok_or(crate::error::BallastError::TooManyPositions)?;
        self.tokens[i] = TokenPosition { indexed: Fx128::default(), asset_index, reserved: [0; 6] };
        Ok(i)
    }

    /// Frees a token slot whose shares are zero.
    pub fn release_token_slot_if_empty(&mut self, slot: usize) {
        if self.tokens[slot].indexed.bits() == 0 {
            self.tokens[slot].asset_index = FREE_SLOT;
        }
    }

    /// Slot of the perp position in `asset_index`.
    pub fn perp_slot(&self, asset_index: u16) -> Option<usize> {
        self.perps.iter().position(|p| p.asset_index == asset_index)
    }

    /// Finds or opens the perp slot for `asset_index` with the market's current indexes.
    /// Fails when every slot is in use or the account would exceed MAX_ACCOUNT_ASSETS assets.
    pub fn perp_slot_or_open(&mut self, asset_index: u16, index: PerpIndex) -> Result<usize> {
        if let Some(i) = self.perp_slot(asset_index) {
            return Ok(i);
        }
        if self.active_assets(&[asset_index]).len > MAX_ACCOUNT_ASSETS {
            return err!(crate::error::BallastError::TooManyAssets);
        }
        let i = self
            .perps
            .iter()
            .position(|p| p.asset_index == FREE_SLOT)
            .ok_or(crate::error::BallastError::TooManyPositions)?;
        self.perps[i] = PerpPosition {
            base_lots: 0,
            quote: Fx128::default(),
            // A flat position settles against the long side's index (`PerpIndex::side`); a trade
            // that makes it short re-bases it.
            funding_snapshot: Fx128::from_fx(
                index.funding.checked_add(index.loss).ok_or(crate::error::BallastError::MathOverflow)?,
            ),
            funding_paid: 0,
            asset_index,
            reserved: [0; 14],
        };
        Ok(i)
    }

    /// Frees a perp slot with no base and no quote left.
    pub fn release_perp_slot_if_empty(&mut self, slot: usize) {
        if self.perps[slot].base_lots == 0 && self.perps[slot].quote.bits() == 0 {
            self.perps[slot].asset_index = FREE_SLOT;
        }
    }

    /// Slot of the option position in series (`asset_index`, `expiry`, `strike`, `kind`).
    pub fn option_slot(&self, asset_index: u16, expiry: i64, strike: Price128, kind: u8) -> Option<usize> {
        self.options
            .iter()
            .position(|o| o.asset_index == asset_index && o.expiry == expiry && o.strike == strike && o.kind == kind)
    }

    /// Finds or opens the option slot of a series. Fails when every slot is in use
    /// (TooManyPositions) or the account would exceed MAX_ACCOUNT_ASSETS assets.
    pub fn option_slot_or_open(&mut self, asset_index: u16, expiry: i64, strike: Price128, kind: u8) -> Result<usize> {
        if let Some(i) = self.option_slot(asset_index, expiry, strike, kind) {
            return Ok(i);
        }
        if self.active_assets(&[asset_index, QUOTE_ASSET_INDEX]).len > MAX_ACCOUNT_ASSETS {
            return err!(crate::error::BallastError::TooManyAssets);
        }
        let i = self
            .options
            .iter()
            .position(|o| o.asset_index == FREE_SLOT)
            .ok_or(crate::error::BallastError::TooManyPositions)?;
        self.options[i] = OptionPosition { strike, expiry, size: 0, asset_index, kind, reserved: [0; 5] };
        Ok(i)
    }

    /// Frees an option slot with no contracts left.
    pub fn release_option_slot_if_empty(&mut self, slot: usize) {
        if self.options[slot].size == 0 {
            self.options[slot].asset_index = FREE_SLOT;
        }
    }

    /// True when the account owes nothing and carries no derivative: no borrow (negative token
    /// position), no perp slot and no option slot. Only such an account's deposit can leave
    /// without a health check and without touching any creditor (`force_withdraw`).
    pub fn has_no_liabilities(&self) -> bool {
        self.tokens.iter().all(|t| t.asset_index == FREE_SLOT || t.indexed.fx() >= crate::risk::Fx::ZERO)
            && self.perps.iter().all(|p| p.asset_index == FREE_SLOT)
            && self.options.iter().all(|o| o.asset_index == FREE_SLOT)
    }

    /// True when the account holds no position at all.
    pub fn is_empty(&self) -> bool {
        self.tokens.iter().all(|t| t.asset_index == FREE_SLOT)
            && self.perps.iter().all(|p| p.asset_index == FREE_SLOT)
            && self.options.iter().all(|o| o.asset_index == FREE_SLOT)
    }
}

/// A sorted set of asset indexes, without heap allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveAssets {
    /// Number of entries.
    pub len: usize,
    /// Sorted ascending; entries past `len` are unused.
    pub items: [u16; MAX_TOKEN_POSITIONS + MAX_PERP_POSITIONS + MAX_OPTION_POSITIONS + 2],
}

impl Default for ActiveAssets {
    fn default() -> Self {
        ActiveAssets { len: 0, items: [FREE_SLOT; MAX_TOKEN_POSITIONS + MAX_PERP_POSITIONS + MAX_OPTION_POSITIONS + 2] }
    }
}

impl ActiveAssets {
    /// Inserts keeping order; duplicates are ignored.
    pub fn insert(&mut self, idx: u16) {
        if self.len == self.items.len() {
            return; // unreachable: capacity is every slot plus two extras
        }
        let s = &self.items[..self.len];
        if s.last().is_none_or(|&last| idx > last) {
            // Ascending input (token slots usually are): append without a search.
            self.items[self.len] = idx;
            #[allow(clippy::arithmetic_side_effects)] // len < items.len(), checked above
            {
                self.len += 1;
            }
            return;
        }
        if let Err(pos) = s.binary_search(&idx) {
            // len < items.len() (checked above), so pos + 1 and len + 1 stay in bounds.
            #[allow(clippy::arithmetic_side_effects)]
            {
                self.items.copy_within(pos..self.len, pos + 1);
                self.items[pos] = idx;
                self.len += 1;
            }
        }
    }
    /// The used entries.
    pub fn as_slice(&self) -> &[u16] {
        &self.items[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Issue 11: inserting in any order (ascending runs take the append path) gives the
        /// sorted, duplicate-free list.
        #[test]
        fn active_assets_are_sorted_and_unique(idx in prop::collection::vec(0u16..40, 0..34), ascending in any::<bool>()) {
            let mut idx = idx;
            if ascending {
                idx.sort();
            }
            let mut a = ActiveAssets::default();
            for &i in &idx {
                a.insert(i);
            }
            let mut want = idx.clone();
            want.sort();
            want.dedup();
            prop_assert_eq!(a.as_slice(), &want[..]);
        }
    }
}
