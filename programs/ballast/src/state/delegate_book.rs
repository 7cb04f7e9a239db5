//! A margin account's scoped delegates (docs/governance.md, "Delegates").

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;

/// Delegates one book holds.
pub const MAX_BOOK_DELEGATES: usize = 8;
/// Markets one delegate may be limited to (asset indexes), unless it has every market.
pub const MAX_DELEGATE_MARKETS: usize = 8;
/// Seconds of a cap day (UTC days: `unix time / 86,400`).
pub const DELEGATE_CAP_DAY_SECS: i64 = 86_400;

/// One delegate: who, for which instruction classes, in which markets, how much per day, until
/// when. An entry with the default key is free.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DelegateEntry {
    /// The delegate's key (default: free entry).
    pub key: Pubkey,
    /// The permission ends after this unix time, seconds (0: no expiry).
    pub expiry: i64,
    /// Most notional per UTC day, quote native units (`DELEGATE_NO_CAP`: no cap). What counts:
    /// docs/governance.md, "Delegates".
    pub daily_cap: u64,
    /// Notional used on `used_day`, quote native units.
    pub used: u64,
    /// The UTC day (`unix time / 86,400`) `used` counts.
    pub used_day: i64,
    /// The asset indexes of the markets it may act in (the first `market_count`), unless
    /// `all_markets`.
    pub markets: [u16; MAX_DELEGATE_MARKETS],
    /// DELEGATE_* scope bits.
    pub scope: u8,
    /// 1: every market (`markets` unused).
    pub all_markets: u8,
    /// Entries of `markets` in use.
    pub market_count: u8,
    /// Reserved.
    pub reserved: [u8; 5],
}

/// The scoped delegates of one margin account. PDA: `[DELEGATES_SEED, account]`. Created by the
/// owner's first `grant_delegate`, closed (rent back to the owner) when `revoke_delegate` removes
/// the last entry.
#[account(zero_copy)]
#[derive(Debug)]
pub struct DelegateBook {
    /// The margin account.
    pub account: Pubkey,
    /// Its group.
    pub group: Pubkey,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved0: [u8; 7],
    /// The delegates (free entries: default key).
    pub entries: [DelegateEntry; MAX_BOOK_DELEGATES],
    /// Reserved for upgrades.
    pub reserved: [u8; 64],
}

const _: () = assert!(core::mem::size_of::<DelegateEntry>() == 88);
const _: () = assert!(core::mem::align_of::<DelegateEntry>() == 8);
const _: () = assert!(core::mem::size_of::<DelegateBook>() == 840);
const _: () = assert!(core::mem::align_of::<DelegateBook>() == 8);
/// DelegateBook size on chain including the discriminator.
pub const DELEGATE_BOOK_LEN: usize = 8 + core::mem::size_of::<DelegateBook>();

/// What a signer wants to do: the DELEGATE_* bits it needs (all of them) and the markets (asset
/// indexes; `FREE_SLOT`: none) it acts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Act {
    /// DELEGATE_* bits, every one required.
    pub scope: u8,
    /// Markets acted in (`FREE_SLOT`: unused).
    pub markets: [u16; 2],
}

impl Act {
    /// An act of `scope` in one market (`FREE_SLOT`: none).
    pub const fn new(scope: u8, market: u16) -> Act {
        Act { scope, markets: [market, FREE_SLOT] }
    }
}

impl DelegateEntry {
    /// The account's single delegate of v0.1.0 (`MarginAccount.delegate`) as an entry: its scope
    /// bits, every market, no cap. `set_delegate` still sets it; the book is the scoped form.
    pub fn legacy(key: Pubkey, scope: u8, expiry: i64) -> DelegateEntry {
        DelegateEntry { key, expiry, daily_cap: DELEGATE_NO_CAP, scope, all_markets: 1, ..Default::default() }
    }

    /// The entry's shape: known scope bits (not none), borrow only with withdraw, a non-negative
    /// expiry, at most `MAX_DELEGATE_MARKETS` distinct markets or every market, a cap (InvalidConfig).
    pub fn validate(&self) -> Result<()> {
        let n = usize::from(self.market_count);
        let listed = self.markets.get(..n).ok_or(BallastError::InvalidConfig)?;
        let distinct = listed.iter().enumerate().all(|(i, m)| *m != FREE_SLOT && !listed[..i].contains(m));
        let markets_ok = if self.all_markets == 1 { n == 0 } else { self.all_markets == 0 && n > 0 && distinct };
        let borrow_ok = self.scope & DELEGATE_BORROW == 0 || self.scope & DELEGATE_WITHDRAW != 0;
        require!(
            self.key != Pubkey::default()
                && self.scope != 0
                && self.scope & !DELEGATE_ALL_SCOPES == 0
                && borrow_ok
                && self.expiry >= 0
                && markets_ok
                && self.daily_cap > 0
                && self.markets.get(n..).is_some_and(|rest| rest.iter().all(|m| *m == 0)),
            BallastError::InvalidConfig
        );
        Ok(())
    }

    /// Whether it may do `act` at `now`: every bit of its scope (Unauthorized), before its expiry
    /// (DelegateExpired), in its markets (DelegateMarketNotAllowed).
    pub fn permits(&self, act: &Act, now: i64) -> Result<()> {
        require!(self.key != Pubkey::default() && self.scope & act.scope == act.scope, BallastError::Unauthorized);
        require!(self.expiry == 0 || now <= self.expiry, BallastError::DelegateExpired);
        for m in act.markets.iter().filter(|m| **m != FREE_SLOT) {
            let listed = self.markets.get(..usize::from(self.market_count)).unwrap_or(&[]);
            require!(self.all_markets == 1 || listed.contains(m), BallastError::DelegateMarketNotAllowed);
        }
        Ok(())
    }

    /// Counts `notional` (quote native units) against the day's cap (DelegateCapExceeded past
    /// it). The count restarts on a later UTC day, never on an earlier one.
    pub fn charge(&mut self, notional: u64, now: i64) -> Result<()> {
        let day = now.div_euclid(DELEGATE_CAP_DAY_SECS);
        if day > self.used_day {
            (self.used_day, self.used) = (day, 0);
        }
        if self.daily_cap == DELEGATE_NO_CAP {
            self.used = self.used.saturating_add(notional);
            return Ok(());
        }
        let used = self.used.checked_add(notional).ok_or(BallastError::DelegateCapExceeded)?;
        require!(used <= self.daily_cap, BallastError::DelegateCapExceeded);
        self.used = used;
        Ok(())
    }
}

impl DelegateBook {
    /// The entry of `key`, if any.
    pub fn find(&self, key: &Pubkey) -> Option<usize> {
        if *key == Pubkey::default() {
            return None;
        }
        self.entries.iter().position(|e| e.key == *key)
    }

    /// Writes `entry` (validated): replaces the entry of its key (keeping the day's usage, so a
    /// re-grant does not reset the cap) or takes a free one (TooManyDelegates when none is).
    pub fn grant(&mut self, entry: DelegateEntry) -> Result<()> {
        entry.validate()?;
        let at = self.find(&entry.key);
        let i = at
            .or_else(|| self.entries.iter().position(|e| e.key == Pubkey::default()))
            .ok_or(BallastError::TooManyDelegates)?;
        let (used, used_day) = at.map_or((0, 0), |i| (self.entries[i].used, self.entries[i].used_day));
        self.entries[i] = DelegateEntry { used, used_day, ..entry };
        Ok(())
    }

    /// Removes the entry of `key` (DelegateNotFound when it has none). Returns whether the book is
    /// now empty.
    pub fn revoke(&mut self, key: &Pubkey) -> Result<bool> {
        let i = self.find(key).ok_or(BallastError::DelegateNotFound)?;
        self.entries[i] = DelegateEntry::default();
        Ok(self.entries.iter().all(|e| e.key == Pubkey::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(scope: u8, markets: &[u16], cap: u64, expiry: i64) -> DelegateEntry {
        let mut e = DelegateEntry { key: Pubkey::new_unique(), expiry, daily_cap: cap, scope, ..Default::default() };
        if markets.is_empty() {
            e.all_markets = 1;
        }
        for (i, m) in markets.iter().enumerate() {
            e.markets[i] = *m;
        }
        e.market_count = u8::try_from(markets.len()).unwrap();
        e
    }

    #[test]
    fn validate_refuses_every_malformed_entry() {
        assert!(entry(DELEGATE_TRADE, &[], 1, 0).validate().is_ok());
        assert!(entry(DELEGATE_TRADE, &[1, 2], 1, 0).validate().is_ok());
        for bad in [
            entry(0, &[], 1, 0),
            entry(DELEGATE_BORROW, &[], 1, 0),
            entry(0x80, &[], 1, 0),
            entry(DELEGATE_TRADE, &[], 0, 0),
            entry(DELEGATE_TRADE, &[], 1, -1),
            entry(DELEGATE_TRADE, &[1, 1], 1, 0),
            entry(DELEGATE_TRADE, &[FREE_SLOT], 1, 0),
            DelegateEntry { all_markets: 1, ..entry(DELEGATE_TRADE, &[1], 1, 0) },
            DelegateEntry { market_count: 9, ..entry(DELEGATE_TRADE, &[1], 1, 0) },
            DelegateEntry { key: Pubkey::default(), ..entry(DELEGATE_TRADE, &[], 1, 0) },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let mut stray = entry(DELEGATE_TRADE, &[1], 1, 0);
        stray.markets[3] = 7;
        assert!(stray.validate().is_err());
    }

    #[test]
    fn the_cap_restarts_on_a_later_day_only() {
        let mut e = entry(DELEGATE_TRADE, &[], 100, 0);
        let day = 20_000 * DELEGATE_CAP_DAY_SECS;
        e.charge(60, day + 10).unwrap();
        assert!(e.charge(41, day + 20).is_err());
        assert_eq!(e.used, 60);
        e.charge(40, day + 30).unwrap();
        // An earlier clock (a jump back) keeps the count.
        assert!(e.charge(1, day - 5).is_err());
        e.charge(100, day + DELEGATE_CAP_DAY_SECS).unwrap();
        assert_eq!((e.used, e.used_day), (100, 20_001));
    }

    #[test]
    fn borrow_needs_withdraw_and_markets_are_each_checked() {
        let e = entry(DELEGATE_WITHDRAW, &[3], 1, 50);
        assert!(e.permits(&Act::new(DELEGATE_WITHDRAW, 3), 50).is_ok());
        assert!(e.permits(&Act::new(DELEGATE_WITHDRAW | DELEGATE_BORROW, 3), 50).is_err());
        assert!(e.permits(&Act::new(DELEGATE_WITHDRAW, 4), 50).is_err());
        assert!(e.permits(&Act::new(DELEGATE_WITHDRAW, 3), 51).is_err());
        assert!(e.permits(&Act { scope: DELEGATE_WITHDRAW, markets: [3, 4] }, 50).is_err());
    }

    #[test]
    fn a_book_holds_eight_and_a_regrant_keeps_the_days_usage() {
        let mut b: DelegateBook = bytemuck::Zeroable::zeroed();
        let mut keys = vec![];
        for _ in 0..MAX_BOOK_DELEGATES {
            let e = entry(DELEGATE_TRADE, &[], 10, 0);
            keys.push(e.key);
            b.grant(e).unwrap();
        }
        assert!(b.grant(entry(DELEGATE_TRADE, &[], 10, 0)).is_err());
        b.entries[0].charge(7, 86_400).unwrap();
        b.grant(DelegateEntry { key: keys[0], ..entry(DELEGATE_TRADE, &[], 20, 0) }).unwrap();
        assert_eq!((b.entries[0].used, b.entries[0].daily_cap), (7, 20));
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(b.revoke(k).unwrap(), i + 1 == MAX_BOOK_DELEGATES);
        }
        assert!(b.revoke(&keys[0]).is_err());
    }
}
