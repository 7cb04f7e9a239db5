//! `set_delegate`: the owner names, changes or removes a delegate: its instruction classes, markets,
//! daily notional cap and expiry (docs/governance.md, "Delegates").

use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::BallastError;
use crate::events::{DelegateSet, EventHeader};
use crate::state::*;

/// Accounts of `set_delegate`.
#[derive(Accounts)]
pub struct SetDelegate<'info> {
    /// Account whose delegates change.
    #[account(mut, has_one = owner)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Owner.
    pub owner: Signer<'info>,
}

/// Sets delegate `delegate`: `scope` DELEGATE_* bits (0 removes it), `expiry` unix seconds (0:
/// none), `markets` bitmap (`DELEGATE_ALL_MARKETS`: all), `daily_notional_cap` quote native units
/// (`DELEGATE_NO_CAP`: none). The default key removes every delegate. At most MAX_DELEGATES.
pub fn handler(
    ctx: Context<SetDelegate>,
    delegate: Pubkey,
    scope: u8,
    expiry: i64,
    markets: u64,
    daily_notional_cap: u64,
) -> Result<()> {
    require!(scope & !DELEGATE_ALL_SCOPES == 0 && expiry >= 0, BallastError::InvalidConfig);
    let mut a = ctx.accounts.account.load_mut()?;
    require!(delegate != a.owner, BallastError::InvalidConfig);
    a.set_delegate(Delegate { key: delegate, expiry, markets, daily_notional_cap, scope, ..Default::default() })?;
    emit!(DelegateSet {
        header: EventHeader::now(a.group)?,
        account: ctx.accounts.account.key(),
        delegate,
        scope,
        expiry,
        markets,
        daily_notional_cap,
    });
    Ok(())
}

impl MarginAccount {
    /// Writes delegate `d` (by key: an existing entry is replaced, its day's usage kept; scope 0
    /// removes it; the default key removes all), TooManyDelegates when no entry is free.
    pub fn set_delegate(&mut self, d: Delegate) -> Result<()> {
        if d.key == Pubkey::default() {
            self.delegates = [Delegate::default(); MAX_DELEGATES];
            return Ok(());
        }
        let at = self.delegates.iter().position(|e| e.key == d.key);
        if d.scope == 0 {
            if let Some(i) = at {
                self.delegates[i] = Delegate::default();
            }
            return Ok(());
        }
        let i = at
            .or_else(|| self.delegates.iter().position(|e| e.key == Pubkey::default()))
            .ok_or(BallastError::TooManyDelegates)?;
        let (used, day) = if at.is_some() { (self.delegates[i].used, self.delegates[i].day) } else { (0, 0) };
        self.delegates[i] = Delegate { used, day, ..d };
        Ok(())
    }

    /// Checks that `signer` may act on this account with the `scope` bit in `market` (an asset
    /// index; FREE_SLOT: no market): the owner always may; a delegate only within its scope
    /// (Unauthorized), before its expiry (DelegateExpired) and in its markets
    /// (DelegateMarketNotAllowed).
    pub fn authorize(&self, signer: &Pubkey, scope: u8, market: u16, now: i64) -> Result<()> {
        if *signer == self.owner {
            return Ok(());
        }
        let d = self
            .delegates
            .iter()
            .find(|d| d.key == *signer && *signer != Pubkey::default())
            .filter(|d| d.scope & scope != 0)
            .ok_or(BallastError::Unauthorized)?;
        require!(d.expiry == 0 || now <= d.expiry, BallastError::DelegateExpired);
        let allowed = market == FREE_SLOT
            || d.markets == DELEGATE_ALL_MARKETS
            || (market < 64 && d.markets & (1u64 << market) != 0);
        require!(allowed, BallastError::DelegateMarketNotAllowed);
        Ok(())
    }

    /// Counts `notional` quote native units against `signer`'s daily cap when it is a delegate
    /// (the owner has none): DelegateCapExceeded past it. The count restarts each UTC day.
    pub fn charge_delegate(&mut self, signer: &Pubkey, notional: u64, now: i64) -> Result<()> {
        if *signer == self.owner {
            return Ok(());
        }
        let day = now.div_euclid(86_400);
        let d = self.delegates.iter_mut().find(|d| d.key == *signer).ok_or(BallastError::Unauthorized)?;
        if d.day != day {
            (d.day, d.used) = (day, 0);
        }
        let used = d.used.checked_add(notional).ok_or(BallastError::DelegateCapExceeded)?;
        require!(
            d.daily_notional_cap == DELEGATE_NO_CAP || used <= d.daily_notional_cap,
            BallastError::DelegateCapExceeded
        );
        d.used = used;
        Ok(())
    }

    /// The trade rule of a delegate (DELEGATE_TRADE in `market`, within its cap for `notional`)
    /// and that it never trades against an account it owns (`counterparty_owner`,
    /// DelegateSelfDealing). The owner passes.
    pub fn authorize_trade(
        &mut self,
        signer: &Pubkey,
        market: u16,
        notional: u64,
        counterparty_owner: &Pubkey,
        now: i64,
    ) -> Result<()> {
        self.authorize(signer, DELEGATE_TRADE, market, now)?;
        require!(*signer == self.owner || signer != counterparty_owner, BallastError::DelegateSelfDealing);
        self.charge_delegate(signer, notional, now)
    }
}
