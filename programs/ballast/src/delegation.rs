//! Who signs for a margin account, and what a delegate's signature counts against its cap
//! (docs/governance.md, "Delegates").
//!
//! A signer is the account's owner; or its v0.1.0 delegate (`MarginAccount.delegate`, set by
//! `set_delegate`: its scope bits, every market, no cap); or a delegate of its book
//! (`DelegateBook`, PDA `[DELEGATES_SEED, account]`). A book delegate's transaction passes the
//! book, writable, at the front of `remaining_accounts` (before any health accounts), one book per
//! acting account signed by a book delegate, in the order the instruction lists those accounts.
//! The owner's and the v0.1.0 delegate's transactions pass none, so their account lists are
//! unchanged. What an owner may do, and its errors, do not depend on any of this.

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::risk::num::value;
use crate::risk::{Fx, Price, Round};
use crate::state::{Act, DelegateBook, DelegateEntry, MarginAccount};

/// Who signed for an account.
pub enum Authority<'info> {
    /// The owner: no scope, no cap.
    Owner,
    /// The v0.1.0 delegate: its scope bits, every market, no cap.
    Legacy,
    /// A delegate of the account's book: entry `slot`.
    Book {
        /// The account's book.
        book: AccountLoader<'info, DelegateBook>,
        /// The signer's entry.
        slot: usize,
    },
}

/// Checks that `signer` may do `act` on `account` at `now`: the owner always may; a delegate
/// within its scope (Unauthorized), expiry (DelegateExpired) and markets
/// (DelegateMarketNotAllowed). A signer that is neither the owner nor the v0.1.0 delegate takes
/// the next account of `books` as the account's book (Unauthorized when it is not that book or
/// has no entry for the signer; DelegateBookReadOnly when not writable).
#[inline(never)]
pub fn authorize<'info>(
    account: &AccountLoader<'info, MarginAccount>,
    signer: &Pubkey,
    act: Act,
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<Authority<'info>> {
    let a = account.load()?;
    if *signer == a.owner {
        return Ok(Authority::Owner);
    }
    if a.delegate != Pubkey::default() && *signer == a.delegate {
        DelegateEntry::legacy(a.delegate, a.delegate_scope, a.delegate_expiry).permits(&act, now)?;
        return Ok(Authority::Legacy);
    }
    let (first, rest) = books.split_first().ok_or(BallastError::Unauthorized)?;
    let book = AccountLoader::<DelegateBook>::try_from(first).map_err(|_| error!(BallastError::Unauthorized))?;
    let slot = {
        let b = book.load()?;
        require_keys_eq!(b.account, account.key(), BallastError::Unauthorized);
        let slot = b.find(signer).ok_or(BallastError::Unauthorized)?;
        b.entries[slot].permits(&act, now)?;
        slot
    };
    require!(first.is_writable, BallastError::DelegateBookReadOnly);
    *books = rest;
    Ok(Authority::Book { book, slot })
}

impl Authority<'_> {
    /// Whether a delegate signed.
    pub fn is_delegate(&self) -> bool {
        !matches!(self, Authority::Owner)
    }

    /// A delegate never deals with an account its own key owns (DelegateSelfDealing): by key only,
    /// so the cap is what bounds what a delegate can move (docs/governance.md).
    pub fn check_counterparty(&self, signer: &Pubkey, counterparty_owner: &Pubkey) -> Result<()> {
        require!(!self.is_delegate() || signer != counterparty_owner, BallastError::DelegateSelfDealing);
        Ok(())
    }

    /// Counts the act's notional (quote native units; computed only for a book delegate) against
    /// the delegate's daily cap (DelegateCapExceeded past it).
    pub fn charge(&self, notional: impl FnOnce() -> Result<u64>, now: i64) -> Result<()> {
        if let Authority::Book { book, slot } = self {
            let n = notional()?;
            let mut b = book.load_mut()?;
            b.entries.get_mut(*slot).ok_or(BallastError::Unauthorized)?.charge(n, now)?;
        }
        Ok(())
    }
}

/// The trade rule on both accounts of a trade (block trade, option trade, signed-order fill):
/// each signer may trade its account in `market` ([`authorize`]), and a delegate never trades
/// against an account it owns. Books are taken from `books` in the order `a`, `b`.
#[inline(never)]
pub fn authorize_trade_pair<'info>(
    (a, a_signer): (&AccountLoader<'info, MarginAccount>, &Pubkey),
    (b, b_signer): (&AccountLoader<'info, MarginAccount>, &Pubkey),
    market: u16,
    books: &mut &'info [AccountInfo<'info>],
    now: i64,
) -> Result<[Authority<'info>; 2]> {
    let act = Act::new(DELEGATE_TRADE, market);
    let (a_owner, b_owner) = (a.load()?.owner, b.load()?.owner);
    let first = authorize(a, a_signer, act, books, now)?;
    first.check_counterparty(a_signer, &b_owner)?;
    let second = authorize(b, b_signer, act, books, now)?;
    second.check_counterparty(b_signer, &a_owner)?;
    Ok([first, second])
}

/// Quote native units (rounded up) of `amount` native units at `price`.
pub fn value_up(amount: u64, price: Price) -> Result<u64> {
    let v = value(Fx::from_num(amount), price, Round::Up).ok_or(BallastError::MathOverflow)?;
    Ok(v.checked_ceil().and_then(|c| c.checked_to_num::<u64>()).ok_or(BallastError::MathOverflow)?)
}

/// What a perp trade of `lots` at `price_per_lot` counts: the larger of its price and its value
/// at the oracle (`lot_size` base native units per lot), quote native units.
pub fn perp_notional(lots: u64, price_per_lot: u64, lot_size: u64, oracle: Price) -> Result<u64> {
    let at_price = lots.checked_mul(price_per_lot).ok_or(BallastError::MathOverflow)?;
    let base = lots.checked_mul(lot_size).ok_or(BallastError::MathOverflow)?;
    Ok(at_price.max(value_up(base, oracle)?))
}

/// What an option trade of `contracts` (each `contract_size` base native units) struck at
/// `strike` counts: the underlying at the larger of strike and oracle, plus `premium` (the
/// premium or cash paid, quote native units). Counting at the strike alone would let a delegate
/// buy deep in-the-money calls or low-strike puts far past its cap.
pub fn option_notional(contracts: u64, contract_size: u64, strike: Price, oracle: Price, premium: u64) -> Result<u64> {
    let base = contracts.checked_mul(contract_size).ok_or(BallastError::MathOverflow)?;
    let underlying = value_up(base, strike.max(oracle))?;
    Ok(underlying.checked_add(premium).ok_or(BallastError::MathOverflow)?)
}

/// [`Authority::charge`] on each signer of an act (both sides of a trade count its notional).
pub fn charge_all(auths: &[Authority], notional: impl Fn() -> Result<u64>, now: i64) -> Result<()> {
    for a in auths {
        a.charge(&notional, now)?;
    }
    Ok(())
}
