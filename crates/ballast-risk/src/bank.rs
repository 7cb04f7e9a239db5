//! Bank accounting on plain numbers: indexed positions, deposit and borrow indexes, totals.
//!
//! A token position is one signed number of index shares: positive shares are deposits valued at
//! the deposit index, negative shares are borrows valued at the borrow index. A position is never
//! both (catalogue MR-05). Every conversion rounds against the account: deposits credit shares
//! rounded down, withdrawals remove shares rounded up, balances are read rounded down.

use super::num::{div_wide, mul, to_u64_ceil, to_u64_floor, Fx, Round, FX_FRAC};
use super::{OrOverflow, RiskError, RiskResult};

/// The lending state of an asset's bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct BankState {
    /// Native units per deposit share (starts at 1).
    pub deposit_index: Fx,
    /// Native units per borrow share (starts at 1).
    pub borrow_index: Fx,
    /// Sum of all positive positions, in deposit shares.
    pub indexed_deposits: Fx,
    /// Sum of all negative positions, in borrow shares (stored positive).
    pub indexed_borrows: Fx,
}

impl Default for BankState {
    fn default() -> Self {
        BankState {
            deposit_index: Fx::ONE,
            borrow_index: Fx::ONE,
            indexed_deposits: Fx::ZERO,
            indexed_borrows: Fx::ZERO,
        }
    }
}

/// `a / b` for positive `b`, rounded down (towards minus infinity for positive `a`).
/// Used once per deposit or withdrawal, never inside health loops.
pub fn div_floor(a: Fx, b: Fx) -> RiskResult<Fx> {
    div(a, b, Round::Down)
}

/// `a / b` for positive `a` and `b`, rounded up.
pub fn div_ceil(a: Fx, b: Fx) -> RiskResult<Fx> {
    div(a, b, Round::Up)
}

fn div(a: Fx, b: Fx, round: Round) -> RiskResult<Fx> {
    if b <= Fx::ZERO || a < Fx::ZERO {
        return Err(RiskError::MathOverflow);
    }
    // (a << 48) / b with a 256-bit numerator, exactly (no bit-by-bit loop).
    let a = a.to_bits() as u128;
    let b = b.to_bits() as u128;
    let (mut q, rem) = div_wide(a >> (128 - FX_FRAC), a << FX_FRAC, b).or_overflow()?;
    if round == Round::Up && rem != 0 {
        q = q.checked_add(1).or_overflow()?;
    }
    i128::try_from(q).map(Fx::from_bits).map_err(|_| RiskError::MathOverflow)
}

/// What a deposit did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepositOutcome {
    /// Native units that repaid a borrow.
    pub repaid: u64,
    /// Native units that became a deposit.
    pub deposited: u64,
}

/// What a withdrawal did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithdrawOutcome {
    /// Native units taken from the deposit.
    pub from_deposit: u64,
    /// Native units borrowed.
    pub borrowed: u64,
}

impl BankState {
    /// Signed native balance of a position, rounded down (deposits down, borrows more negative).
    pub fn native(&self, position: Fx) -> RiskResult<Fx> {
        if position >= Fx::ZERO {
            mul(position, self.deposit_index, Round::Down).or_overflow()
        } else {
            mul(position, self.borrow_index, Round::Down).or_overflow()
        }
    }

    /// Whole native units a user may take out of a positive position.
    pub fn withdrawable(&self, position: Fx) -> RiskResult<u64> {
        if position <= Fx::ZERO {
            return Ok(0);
        }
        to_u64_floor(self.native(position)?).or_overflow()
    }

    /// Whole native units that repay a negative position in full.
    pub fn debt(&self, position: Fx) -> RiskResult<u64> {
        if position >= Fx::ZERO {
            return Ok(0);
        }
        let owed = mul(position.checked_neg().or_overflow()?, self.borrow_index, Round::Up).or_overflow()?;
        to_u64_ceil(owed).or_overflow()
    }

    /// Total deposits in native units (rounded up: used against caps).
    pub fn total_deposits(&self) -> RiskResult<Fx> {
        mul(self.indexed_deposits, self.deposit_index, Round::Up).or_overflow()
    }

    /// Total borrows in native units (rounded up).
    pub fn total_borrows(&self) -> RiskResult<Fx> {
        mul(self.indexed_borrows, self.borrow_index, Round::Up).or_overflow()
    }

    /// Deposits `amount` native units into `position`: repays a borrow first, then deposits.
    pub fn deposit(&mut self, position: &mut Fx, amount: u64) -> RiskResult<DepositOutcome> {
        if amount == 0 {
            return Err(RiskError::ZeroAmount);
        }
        let mut out = DepositOutcome::default();
        let mut rest = amount;
        if *position < Fx::ZERO {
            let debt = self.debt(*position)?;
            if rest >= debt {
                self.indexed_borrows = self.indexed_borrows.checked_add(*position).or_overflow()?;
                *position = Fx::ZERO;
                out.repaid = debt;
                rest = rest.saturating_sub(debt);
            } else {
                // Partial repay removes shares rounded down: fewer shares removed, against the account.
                let shares = div_floor(Fx::from_num(rest), self.borrow_index)?;
                *position = position.checked_add(shares).or_overflow()?;
                self.indexed_borrows = self.indexed_borrows.checked_sub(shares).or_overflow()?;
                out.repaid = rest;
                rest = 0;
            }
        }
        if rest > 0 {
            let shares = div_floor(Fx::from_num(rest), self.deposit_index)?;
            *position = position.checked_add(shares).or_overflow()?;
            self.indexed_deposits = self.indexed_deposits.checked_add(shares).or_overflow()?;
            out.deposited = rest;
        }
        Ok(out)
    }

    /// Withdraws `amount` native units from `position`. Beyond the deposit it borrows when
    /// `allow_borrow`, and fails with [`RiskError::InsufficientBalance`] otherwise.
    pub fn withdraw(&mut self, position: &mut Fx, amount: u64, allow_borrow: bool) -> RiskResult<WithdrawOutcome> {
        if amount == 0 {
            return Err(RiskError::ZeroAmount);
        }
        let available = self.withdrawable(*position)?;
        let mut out = WithdrawOutcome::default();
        let mut rest = amount;
        if *position > Fx::ZERO {
            if rest >= available {
                // Everything: all shares go, including any fraction of a native unit.
                if rest > available && !allow_borrow {
                    return Err(RiskError::InsufficientBalance);
                }
                self.indexed_deposits = self.indexed_deposits.checked_sub(*position).or_overflow()?;
                *position = Fx::ZERO;
                out.from_deposit = available;
                rest = rest.saturating_sub(available);
            } else {
                let shares = div_ceil(Fx::from_num(rest), self.deposit_index)?.min(*position);
                *position = position.checked_sub(shares).or_overflow()?;
                self.indexed_deposits = self.indexed_deposits.checked_sub(shares).or_overflow()?;
                out.from_deposit = rest;
                rest = 0;
            }
        }
        if rest > 0 {
            if !allow_borrow {
                return Err(RiskError::InsufficientBalance);
            }
            let shares = div_ceil(Fx::from_num(rest), self.borrow_index)?;
            *position = position.checked_sub(shares).or_overflow()?;
            self.indexed_borrows = self.indexed_borrows.checked_add(shares).or_overflow()?;
            out.borrowed = rest;
        }
        Ok(out)
    }
}

/// What a bankruptcy step did to a borrow position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Socialized {
    /// Native units of debt removed from the position.
    pub debt_removed: u64,
    /// Native units taken from depositors through the deposit index (>= `debt_removed`).
    pub depositor_loss: Fx,
}

impl BankState {
    /// Removes a whole deposit `position` (dust swept when a bankruptcy is resolved) and returns its
    /// native value, rounded down: what the protocol is credited with, so the vault still covers
    /// every claim.
    pub fn remove_deposit(&mut self, position: &mut Fx) -> RiskResult<Fx> {
        if *position <= Fx::ZERO {
            return Err(RiskError::ZeroAmount);
        }
        let native = self.native(*position)?;
        self.indexed_deposits = self.indexed_deposits.checked_sub(*position).or_overflow()?;
        *position = Fx::ZERO;
        Ok(native)
    }

    /// Removes up to `amount` native units of a borrow `position` that nobody will repay, and
    /// charges them to depositors by lowering the deposit index (catalogue I-8, I-9). The position
    /// loses shares rounded down (it keeps a hair more debt) and the index falls by the loss over
    /// indexed deposits rounded up, so depositors never lose less than the debt removed.
    pub fn socialize_loss(&mut self, position: &mut Fx, amount: u64) -> RiskResult<Socialized> {
        let debt = self.debt(*position)?;
        let amount = amount.min(debt);
        if amount == 0 {
            return Err(RiskError::ZeroAmount);
        }
        if self.indexed_deposits <= Fx::ZERO {
            return Err(RiskError::InsufficientBalance);
        }
        let shares = if amount == debt {
            position.checked_neg().or_overflow()?
        } else {
            div_floor(Fx::from_num(amount), self.borrow_index)?
        };
        *position = position.checked_add(shares).or_overflow()?;
        self.indexed_borrows = self.indexed_borrows.checked_sub(shares).or_overflow()?;
        let drop = div_ceil(Fx::from_num(amount), self.indexed_deposits)?;
        let index = self.deposit_index.checked_sub(drop).or_overflow()?;
        if index <= Fx::ZERO {
            return Err(RiskError::InsufficientBalance);
        }
        let before = self.total_deposits()?;
        self.deposit_index = index;
        let depositor_loss = before.checked_sub(self.total_deposits()?).or_overflow()?;
        Ok(Socialized { debt_removed: amount, depositor_loss })
    }
}

/// Borrow limits of an asset (native units, bps, seconds): the one definition of the set, stored
/// in the Asset account and sent by `list_asset` and `edit_asset` as is (see
/// [`crate::params::RiskConfig`] for the `anchor` feature).
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BorrowLimitsConfig {
    /// Total borrows at most this, native units.
    pub borrow_cap: u64,
    /// Net new borrows per window at most this, native units.
    pub net_borrow_limit: u64,
    /// A borrow position must be zero or at least this, native units.
    pub min_borrow: u64,
    /// Net-borrow window length, seconds (at least 1).
    pub net_borrow_window_secs: u32,
    /// Total borrows at most this share of total deposits, bps (accounted amounts, never the vault).
    pub util_cap_bps: u16,
    /// Reserved for upgrades (zero).
    pub reserved: u16,
}

const _: () = assert!(core::mem::size_of::<BorrowLimitsConfig>() == 32);

/// The engine's name for [`BorrowLimitsConfig`].
pub type BorrowLimits = BorrowLimitsConfig;

impl BorrowLimitsConfig {
    /// Governance's direction rule: true when `self` in place of `old` can only allow less
    /// borrowing: no higher cap, net limit or utilization cap, no lower minimum borrow, no shorter
    /// window.
    pub fn no_riskier_than(&self, old: &Self) -> bool {
        self.reserved == old.reserved
            && self.borrow_cap <= old.borrow_cap
            && self.net_borrow_limit <= old.net_borrow_limit
            && self.util_cap_bps <= old.util_cap_bps
            && self.min_borrow >= old.min_borrow
            && self.net_borrow_window_secs >= old.net_borrow_window_secs
    }
}

/// Net borrows in the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BorrowWindow {
    /// Window start, unix seconds.
    pub start_ts: i64,
    /// Net native units borrowed in the window (repays subtract).
    pub net: i64,
}

impl BorrowWindow {
    /// Records `delta` native units (borrow positive, repay negative) at `now`, starting a new
    /// window when the current one has ended. A positive delta must keep `net` within the limit.
    pub fn record(&mut self, l: &BorrowLimits, now: i64, delta: i64) -> RiskResult<()> {
        self.record_owed(l, now, delta)?;
        if delta > 0 && self.net > 0 && self.net as u64 > l.net_borrow_limit {
            return Err(RiskError::NetBorrowLimitExceeded);
        }
        Ok(())
    }

    /// Records `delta` like [`Self::record`] without enforcing the limit: borrows an account owes
    /// whatever the limits (perp fees, settled perp losses) still use up the window, so that user
    /// borrows after them are limited (S2-17).
    pub fn record_owed(&mut self, l: &BorrowLimits, now: i64, delta: i64) -> RiskResult<()> {
        if now.saturating_sub(self.start_ts) >= l.net_borrow_window_secs as i64 {
            self.start_ts = now;
            self.net = 0;
        }
        self.net = self.net.checked_add(delta).or_overflow()?;
        Ok(())
    }
}

/// Withdrawal rate limit of an asset (a circuit breaker, issue 13): the net outflow of a window
/// (withdrawals and borrows out of the vault, less deposits and repays into it) at most
/// `limit_bps` of the asset's deposits less borrows when the window started, or `floor` native
/// units if that is more. dYdX's anchors are 1% an hour and 10% a day of TVL. `limit_bps` 0: no
/// limit. Fixed windows: up to twice the limit can leave around a window's end.
#[cfg_attr(feature = "anchor", anchor_lang::zero_copy)]
#[cfg_attr(not(feature = "anchor"), derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable), repr(C))]
#[cfg_attr(feature = "anchor", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OutflowLimitConfig {
    /// Net outflow always allowed per window, native units.
    pub floor: u64,
    /// Window length, seconds (1 to 30 days when the limit is on).
    pub window_secs: u32,
    /// Net outflow per window at most this share of the deposits at the window's start, bps
    /// (0: no limit; at most 10,000).
    pub limit_bps: u16,
    /// Reserved for upgrades (zero).
    pub reserved: u16,
}

const _: () = assert!(core::mem::size_of::<OutflowLimitConfig>() == 16);

/// Longest withdrawal-limit window, seconds: 30 days.
pub const MAX_OUTFLOW_WINDOW_SECS: u32 = 30 * 86_400;

impl OutflowLimitConfig {
    /// Bounds: at most 100% per window, a window of a second to 30 days when on, reserved zero.
    pub fn validate(&self) -> RiskResult<()> {
        let on = self.limit_bps > 0;
        let window = 1..=MAX_OUTFLOW_WINDOW_SECS;
        if self.limit_bps > 10_000 || (on && !window.contains(&self.window_secs)) || self.reserved != 0 {
            return Err(RiskError::InvalidParam("withdrawal limit"));
        }
        Ok(())
    }

    /// Governance's direction rule: true when `self` in place of `old` can only let less leave: on,
    /// and (if `old` was on) no higher share, no higher floor and no shorter window.
    pub fn no_riskier_than(&self, old: &Self) -> bool {
        self.reserved == old.reserved
            && self.limit_bps > 0
            && (old.limit_bps == 0
                || (self.limit_bps <= old.limit_bps && self.floor <= old.floor && self.window_secs >= old.window_secs))
    }
}

/// Net outflow of an asset's vault in the current window of its [`OutflowLimitConfig`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutflowWindow {
    /// Window start, unix seconds.
    pub start_ts: i64,
    /// Net native units out of the vault in the window (inflows subtract).
    pub net: i64,
    /// Deposits when the window started, native units (the limit's base).
    pub base: u64,
}

impl OutflowWindow {
    /// Records `delta` native units (out of the vault positive, into it negative) at `now`,
    /// starting a new window, based on `deposits` (the asset's deposits before this change, native
    /// units), when the current one has ended. An outflow must keep `net` within the limit; an
    /// inflow is never refused. Nothing is recorded while the limit is off.
    pub fn record(&mut self, l: &OutflowLimitConfig, now: i64, deposits: u64, delta: i64) -> RiskResult<()> {
        if l.limit_bps == 0 {
            return Ok(());
        }
        *self = self.current(l, now, deposits);
        self.net = self.net.saturating_add(delta);
        if delta > 0 && self.net > 0 && self.net.unsigned_abs() > self.allowed(l)? {
            return Err(RiskError::WithdrawalRateLimited);
        }
        Ok(())
    }

    /// The window at `now`: this one, or a new one based on `deposits` when this one has ended.
    fn current(&self, l: &OutflowLimitConfig, now: i64, deposits: u64) -> OutflowWindow {
        if now.saturating_sub(self.start_ts) >= i64::from(l.window_secs) {
            OutflowWindow { start_ts: now, net: 0, base: deposits }
        } else {
            *self
        }
    }

    /// Net outflow still allowed at `now`, native units (`u64::MAX` while the limit is off): what
    /// [`Self::record`] accepts as one outflow, with `deposits` as there.
    pub fn room(&self, l: &OutflowLimitConfig, now: i64, deposits: u64) -> RiskResult<u64> {
        if l.limit_bps == 0 {
            return Ok(u64::MAX);
        }
        let w = self.current(l, now, deposits);
        let allowed = w.allowed(l)?;
        Ok(if w.net <= 0 {
            allowed.saturating_add(w.net.unsigned_abs())
        } else {
            allowed.saturating_sub(w.net.unsigned_abs())
        })
    }

    /// Net outflow the window allows, native units.
    pub fn allowed(&self, l: &OutflowLimitConfig) -> RiskResult<u64> {
        let share = u128::from(self.base).checked_mul(u128::from(l.limit_bps)).or_overflow()? / 10_000;
        Ok(u64::try_from(share).unwrap_or(u64::MAX).max(l.floor))
    }
}

impl BankState {
    /// Checks the bank after a borrow left `position` (the borrower's shares): cap, utilization
    /// cap against accounted deposits, and minimum borrow size.
    pub fn check_borrow(&self, l: &BorrowLimits, position: Fx) -> RiskResult<()> {
        let borrows = self.total_borrows()?;
        if borrows > Fx::from_num(l.borrow_cap) {
            return Err(RiskError::BorrowCapExceeded);
        }
        let cap = mul(self.total_deposits()?, super::num::bps_frac(l.util_cap_bps as u32, Round::Down), Round::Down)
            .or_overflow()?;
        if borrows > cap {
            return Err(RiskError::UtilizationCapExceeded);
        }
        if position < Fx::ZERO && self.debt(position)? < l.min_borrow {
            return Err(RiskError::BorrowTooSmall);
        }
        Ok(())
    }
}

#[cfg(test)]
mod outflow_tests {
    use super::*;

    const L: OutflowLimitConfig = OutflowLimitConfig { floor: 50, window_secs: 100, limit_bps: 1_000, reserved: 0 };

    #[test]
    fn outflow_within_the_window_share_or_the_floor_and_inflows_make_room() {
        let mut w = OutflowWindow::default();
        // Opens at t = 1,000 on deposits of 10,000: 1,000 may leave.
        w.record(&L, 1_000, 10_000, 600).unwrap();
        w.record(&L, 1_050, 99_999, 400).unwrap();
        assert_eq!(w, OutflowWindow { start_ts: 1_000, net: 1_000, base: 10_000 });
        let before = w;
        assert_eq!(w.record(&L, 1_099, 10_000, 1), Err(RiskError::WithdrawalRateLimited));
        w = before;
        // An inflow is never refused, whatever the count, and makes room.
        w.record(&L, 1_099, 10_000, -300).unwrap();
        w.record(&L, 1_099, 10_000, 300).unwrap();
        // The next window starts from the deposits then; the floor holds for a small pool.
        w.record(&L, 1_100, 200, 50).unwrap();
        assert_eq!(w, OutflowWindow { start_ts: 1_100, net: 50, base: 200 });
        assert_eq!(w.record(&L, 1_101, 200, 1), Err(RiskError::WithdrawalRateLimited));
        // The room is exactly what one outflow may take.
        let room = w.room(&L, 1_101, 200).unwrap();
        assert_eq!(room, 0);
        let mut fresh = OutflowWindow::default();
        assert_eq!(fresh.room(&L, 5_000, 10_000).unwrap(), 1_000);
        fresh.record(&L, 5_000, 10_000, -250).unwrap();
        let room = fresh.room(&L, 5_001, 10_000).unwrap();
        assert_eq!(room, 1_250);
        let mut ok = fresh;
        ok.record(&L, 5_001, 10_000, room as i64).unwrap();
        assert_eq!(fresh.record(&L, 5_001, 10_000, room as i64 + 1), Err(RiskError::WithdrawalRateLimited));
        // Off: nothing is recorded or refused.
        let mut off = OutflowWindow::default();
        off.record(&OutflowLimitConfig::default(), 5, 0, i64::MAX).unwrap();
        assert_eq!(off, OutflowWindow::default());
    }

    #[test]
    fn outflow_limit_bounds() {
        assert!(L.validate().is_ok());
        assert!(OutflowLimitConfig::default().validate().is_ok());
        for bad in [
            OutflowLimitConfig { limit_bps: 10_001, ..L },
            OutflowLimitConfig { window_secs: 0, ..L },
            OutflowLimitConfig { window_secs: MAX_OUTFLOW_WINDOW_SECS + 1, ..L },
            OutflowLimitConfig { reserved: 1, ..L },
        ] {
            assert_eq!(bad.validate(), Err(RiskError::InvalidParam("withdrawal limit")));
        }
    }
}

#[cfg(test)]
mod socialize_tests {
    use super::*;

    #[test]
    fn socialized_loss_lowers_the_deposit_index_by_at_least_the_debt() {
        let mut b = BankState { deposit_index: Fx::ONE, borrow_index: Fx::ONE, ..Default::default() };
        let (mut lender, mut bankrupt) = (Fx::ZERO, Fx::ZERO);
        b.deposit(&mut lender, 1_000_000).unwrap();
        b.withdraw(&mut bankrupt, 300_001, true).unwrap();
        let claims_before = b.total_deposits().unwrap();
        let s = b.socialize_loss(&mut bankrupt, 100_000).unwrap();
        assert_eq!(s.debt_removed, 100_000);
        assert!(s.depositor_loss >= Fx::from_num(100_000));
        assert!(claims_before - b.total_deposits().unwrap() >= Fx::from_num(100_000));
        let rest = b.socialize_loss(&mut bankrupt, u64::MAX).unwrap();
        assert_eq!(rest.debt_removed, 200_001);
        assert_eq!(bankrupt, Fx::ZERO, "no debt left");
        assert_eq!(b.indexed_borrows, Fx::ZERO);
        assert!(b.total_deposits().unwrap() <= Fx::from_num(1_000_000 - 300_001), "I-8: depositors bear the loss");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bank(idx: f64) -> BankState {
        BankState { deposit_index: Fx::from_num(idx), borrow_index: Fx::from_num(idx * 1.1), ..Default::default() }
    }

    #[test]
    fn deposit_then_withdraw_all() {
        let mut b = bank(1.0);
        let mut pos = Fx::ZERO;
        b.deposit(&mut pos, 1000).unwrap();
        assert_eq!(b.withdrawable(pos).unwrap(), 1000);
        let out = b.withdraw(&mut pos, 1000, false).unwrap();
        assert_eq!(out.from_deposit, 1000);
        assert_eq!(pos, Fx::ZERO);
        assert_eq!(b.indexed_deposits, Fx::ZERO);
    }

    #[test]
    fn withdraw_beyond_deposit_without_borrowing_fails() {
        let mut b = bank(1.0);
        let mut pos = Fx::ZERO;
        b.deposit(&mut pos, 10).unwrap();
        let before = (b, pos);
        assert_eq!(b.withdraw(&mut pos, 11, false), Err(RiskError::InsufficientBalance));
        assert_eq!((b, pos), before);
        assert_eq!(b.withdraw(&mut pos, 0, false), Err(RiskError::ZeroAmount));
    }

    #[test]
    fn borrow_and_repay_in_full_leaves_no_dust() {
        let mut b = bank(1.3);
        let mut pos = Fx::ZERO;
        b.withdraw(&mut pos, 777, true).unwrap();
        assert!(pos < Fx::ZERO);
        let debt = b.debt(pos).unwrap();
        assert!(debt >= 777);
        let out = b.deposit(&mut pos, debt + 5).unwrap();
        assert_eq!(out.repaid, debt);
        assert_eq!(out.deposited, 5);
        assert_eq!(b.indexed_borrows, Fx::ZERO);
    }

    proptest! {
        /// MR-01 / MR-02 / I-15 on plain numbers: many small steps never return more than was put in.
        #[test]
        fn small_steps_never_profit(idx in 1.0f64..3.0, dep in 1u64..1_000_000, steps in 1usize..200) {
            let mut b = bank(idx);
            let mut pos = Fx::ZERO;
            let mut deposited = 0u64;
            for _ in 0..steps {
                b.deposit(&mut pos, 1).unwrap();
                deposited += 1;
            }
            b.deposit(&mut pos, dep).unwrap();
            deposited += dep;
            let mut received = 0u64;
            for _ in 0..steps {
                if b.withdraw(&mut pos, 1, false).is_ok() { received += 1; }
            }
            received += b.withdrawable(pos).unwrap();
            prop_assert!(received <= deposited);
        }
    }

    /// One step of a random lending sequence over four accounts.
    #[derive(Clone, Debug)]
    enum Op {
        Deposit(usize, u64),
        Withdraw(usize, u64, bool),
        RepayAll(usize),
        Accrue(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..4, 1u64..1_000_000_000).prop_map(|(i, a)| Op::Deposit(i, a)),
            (0usize..4, 1u64..1_000_000_000, any::<bool>()).prop_map(|(i, a, b)| Op::Withdraw(i, a, b)),
            (0usize..4).prop_map(Op::RepayAll),
            (0i64..4_000).prop_map(Op::Accrue),
        ]
    }

    fn curve() -> super::super::interest::InterestParams {
        super::super::interest::test_curve()
    }

    /// Runs `ops`, checking I-1, I-3, I-9 and I-10 after every step; returns per-account net
    /// tokens put in (in - out) and the final state.
    fn run(ops: &[Op], with_time: bool) -> Result<([i128; 4], [Fx; 4], BankState), TestCaseError> {
        let mut b = BankState::default();
        let mut pos = [Fx::ZERO; 4];
        let mut net_in = [0i128; 4];
        let mut vault: i128 = 0;
        let mut fees = Fx::ZERO;
        for op in ops {
            let (di, bi) = (b.deposit_index, b.borrow_index);
            match *op {
                Op::Deposit(i, a) => {
                    b.deposit(&mut pos[i], a).unwrap();
                    vault += a as i128;
                    net_in[i] += a as i128;
                }
                Op::Withdraw(i, a, borrow) => {
                    // Lending rule of the program: borrows stay within accounted deposits.
                    let mut trial = b;
                    let mut p = pos[i];
                    if trial.withdraw(&mut p, a, borrow).is_ok()
                        && trial.total_borrows().unwrap() <= trial.total_deposits().unwrap()
                        && (a as i128) <= vault
                    {
                        b = trial;
                        pos[i] = p;
                        vault -= a as i128;
                        net_in[i] -= a as i128;
                    }
                }
                Op::RepayAll(i) => {
                    let d = b.debt(pos[i]).unwrap();
                    if d > 0 {
                        b.deposit(&mut pos[i], d).unwrap();
                        vault += d as i128;
                        net_in[i] += d as i128;
                        prop_assert_eq!(pos[i], Fx::ZERO, "full repay leaves no dust");
                    }
                }
                Op::Accrue(dt) => {
                    if with_time {
                        fees += b.accrue(&curve(), dt).unwrap().fee;
                    }
                }
            }
            // I-9: indexes never decrease.
            prop_assert!(b.deposit_index >= di && b.borrow_index >= bi);
            // I-3: positions sum to the totals, exactly.
            let dep: Fx = pos.iter().filter(|p| **p > Fx::ZERO).copied().sum();
            let bor: Fx = pos.iter().filter(|p| **p < Fx::ZERO).map(|p| -*p).sum();
            prop_assert_eq!(dep, b.indexed_deposits);
            prop_assert_eq!(bor, b.indexed_borrows);
            // I-10: totals never negative.
            prop_assert!(b.indexed_deposits >= Fx::ZERO && b.indexed_borrows >= Fx::ZERO);
            // I-1: the vault plus what borrowers owe covers what depositors can take plus fees.
            let claims: i128 = pos.iter().map(|p| b.withdrawable(*p).unwrap() as i128).sum();
            let debts: i128 = pos.iter().map(|p| b.debt(*p).unwrap() as i128).sum();
            let fee_units = fees.to_num::<f64>().floor() as i128;
            prop_assert!(
                vault + debts + 4 >= claims + fee_units,
                "vault {} debts {} claims {} fees {}",
                vault,
                debts,
                claims,
                fee_units
            );
        }
        Ok((net_in, pos, b))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// I-1, I-3, I-9, I-10 over random deposit / withdraw / borrow / repay / accrual sequences.
        #[test]
        fn lending_sequences_keep_the_ledger(ops in prop::collection::vec(op(), 1..60)) {
            run(&ops, true)?;
        }

        /// I-15: with no time passing, no account ends with a claim worth more than it put in.
        #[test]
        fn lending_sequences_never_profit_without_interest(ops in prop::collection::vec(op(), 1..60)) {
            let (net_in, pos, b) = run(&ops, false)?;
            for i in 0..4 {
                let claim = b.withdrawable(pos[i]).unwrap() as i128 - b.debt(pos[i]).unwrap() as i128;
                prop_assert!(claim <= net_in[i], "account {}: claim {} > put in {}", i, claim, net_in[i]);
            }
        }
    }
}
