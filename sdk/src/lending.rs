//! Interest projections for integrators: utilization, rates and indexes at a given time, computed
//! with the program's own accrual code.

use ballast::risk::bank::BankState;
use ballast::risk::interest::SECS_PER_YEAR;
use ballast::risk::Fx;
use ballast::state::Asset;

use crate::{Result, SdkError};

/// Current rates of an asset, as fractions per year.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// Total borrows / total deposits.
    pub utilization: f64,
    /// Annual borrow rate from the curve.
    pub borrow_apr: f64,
    /// Annual rate depositors earn: borrow rate x utilization x (1 - protocol fee).
    pub deposit_apr: f64,
}

fn err(e: impl std::fmt::Debug) -> SdkError {
    SdkError::Program(format!("{e:?}"))
}

/// Bank state projected to `now` (what the program's next accrual would store, within one
/// MAX_ACCRUAL_SECS step).
pub fn project(asset: &Asset, now: i64) -> Result<BankState> {
    asset.projected_bank(now).map_err(err)
}

/// Utilization and rates at `now`.
pub fn rates(asset: &Asset, now: i64) -> Result<Rates> {
    let bank = project(asset, now)?;
    let u = bank.utilization().map_err(err)?;
    let p = asset.interest;
    let r = p.borrow_rate(u).map_err(err)?;
    let fee = p.fee_bps as f64 / 10_000.0;
    let (u, r) = (u.to_num::<f64>(), r.to_num::<f64>());
    Ok(Rates { utilization: u, borrow_apr: r, deposit_apr: r * u * (1.0 - fee) })
}

/// Debt of a borrow position after `secs` more seconds at the current rate (simple interest), in
/// native units: a projection for display, not what the program will charge to the unit.
pub fn projected_debt(asset: &Asset, position: Fx, now: i64, secs: i64) -> Result<f64> {
    let bank = project(asset, now)?;
    let debt = bank.debt(position).map_err(err)? as f64;
    let r = rates(asset, now)?.borrow_apr;
    Ok(debt * (1.0 + r * secs as f64 / SECS_PER_YEAR as f64))
}

/// Net native units that may still leave `asset`'s vault at `now` under its withdrawal rate limit
/// (`u64::MAX` while the limit is off): a withdrawal or borrow of at most this much passes it,
/// one more unit fails with WithdrawalRateLimited (the program's own computation,
/// `Asset::withdraw_room`). `health::...::max_withdraw` and `max_borrow` are health only: take
/// the smaller of the two.
pub fn withdraw_room(asset: &Asset, now: i64) -> Result<u64> {
    asset.withdraw_room(&project(asset, now)?, now).map_err(|e| SdkError::Program(e.to_string()))
}

/// True while `asset`'s price-deviation breaker stops withdrawals, borrows and trades in it at
/// the oracle price `oracle` (quote native per base native) at `now`: the program's own check,
/// `health_accounts::check_deviation_breaker` (docs/governance.md). Deposits and repays are never
/// stopped by it.
pub fn deviation_breaker_tripped(asset: &Asset, oracle: ballast::risk::Price, now: i64) -> bool {
    ballast::health_accounts::check_deviation_breaker(asset, oracle, now).is_err()
}
