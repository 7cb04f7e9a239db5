//! The accounts a health check needs, in one canonical order, and the loader that turns them into
//! the risk engine's plain input. The SDK calls the same code on raw account bytes.
//!
//! Canonical order (`remaining_accounts` of every health-checked instruction): for each asset index
//! in [`MarginAccount::active_assets`] (ascending; the instruction's own asset included), the Asset
//! account then its primary oracle account. After those pairs, optionally, fallback oracle accounts
//! for assets whose primary is currently invalid, in the same ascending order. Anything missing,
//! duplicated, out of order, foreign or mismatched is rejected.

use anchor_lang::prelude::*;

use crate::constants::{MAX_PERP_POSITIONS, MAX_TOKEN_POSITIONS, QUOTE_ASSET_INDEX};
use crate::error::{BallastError, RiskResultExt};
use crate::oracle::{is_price_invalid, read_oracle, OraclePrice};
use crate::risk::bank::BankState;
use crate::risk::perp::PerpIndex;
use crate::risk::{AssetRisk, Exposure, Fx, HealthInput, Price, RiskFractions, MAX_HEALTH_ASSETS};
use crate::state::{load_pod, Asset, MarginAccount};

/// Largest `remaining_accounts` a health check can need: two per asset plus one fallback each.
pub const MAX_HEALTH_ACCOUNTS: usize = 3 * MAX_HEALTH_ASSETS;

/// Read access to a list of accounts: on chain `[AccountInfo]`, in the SDK raw bytes.
pub trait AccountReader {
    /// Number of accounts.
    fn count(&self) -> usize;
    /// Key of account `i`.
    fn key_at(&self, i: usize) -> Pubkey;
    /// Calls `f` with owner and data of account `i`.
    fn with_data<R>(&self, i: usize, f: impl FnOnce(&Pubkey, &[u8]) -> Result<R>) -> Result<R>;
}

impl AccountReader for [AccountInfo<'_>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn key_at(&self, i: usize) -> Pubkey {
        *self[i].key
    }
    fn with_data<R>(&self, i: usize, f: impl FnOnce(&Pubkey, &[u8]) -> Result<R>) -> Result<R> {
        let info = &self[i];
        let data = info.try_borrow_data()?;
        f(info.owner, &data)
    }
}

/// One loaded asset: what health needs, plus its bank state and the price that was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct LoadedAsset {
    /// Risk view (prices, fractions).
    pub risk: AssetRisk,
    /// Bank indexes and totals.
    pub bank: BankState,
    /// The validated oracle price.
    pub oracle: OraclePrice,
    /// Perp market view: native base units per lot (zero: no perp market).
    pub perp_lot_size: u64,
    /// Perp funding and socialized-loss indexes projected to now (what unsettled funding is
    /// valued with).
    pub perp_index: PerpIndex,
    /// The asset's liquidation fee, bps.
    pub liquidation_fee_bps: u32,
}

/// All assets of one health check, in canonical order. About 5 KB: always boxed, allocated zeroed
/// on the heap.
#[derive(Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct HealthAccounts {
    /// Number of entries.
    pub len: usize,
    /// Entries, ascending asset index.
    pub items: [LoadedAsset; MAX_HEALTH_ASSETS],
}

impl HealthAccounts {
    /// Entry of an asset index.
    pub fn get_mut(&mut self, asset_index: u16) -> Option<&mut LoadedAsset> {
        self.items[..self.len].iter_mut().find(|a| a.risk.asset_index == asset_index)
    }

    /// Entry of an asset index.
    pub fn get(&self, asset_index: u16) -> Option<&LoadedAsset> {
        self.items[..self.len].iter().find(|a| a.risk.asset_index == asset_index)
    }

    /// Builds the risk engine's input from the account's positions: token balances at the
    /// projected indexes; perp positions with their unsettled funding at the projected funding
    /// index. Perp cash (quote plus funding) is in quote-asset native units, so it is added to the
    /// quote asset's balance: it is valued at the quote asset's price and nets with quote deposits
    /// and borrows in the quote asset's risk group, exactly as it will after settlement.
    pub fn health_input(&self, account: &MarginAccount) -> Result<Box<HealthInput>> {
        let mut input = HealthInput::new_boxed();
        self.fill_input(account, &mut input)?;
        Ok(input)
    }

    /// Rebuilds `input` in place from the account's positions, as [`Self::health_input`] does:
    /// two-sided instructions reuse one allocation per side (the SBF heap never frees, S2-05).
    pub fn fill_input(&self, account: &MarginAccount, input: &mut HealthInput) -> Result<()> {
        fill_input_from(self.items[..self.len].iter(), account, input)
    }
}

/// Builds the risk engine's input from loaded entries in canonical order (the one place positions
/// become exposures): token balances at the projected indexes; perp positions with their unsettled
/// funding at the projected funding index. Perp cash (quote plus funding) is in quote-asset native
/// units, so it is added to the quote asset's balance: it is valued at the quote asset's price and
/// nets with quote deposits and borrows in the quote asset's risk group, exactly as it will after
/// settlement. [`HealthAccounts::fill_input`] passes its own entries; an off-chain sweep passes
/// entries it loaded once for every account.
pub fn fill_input_from<'a>(
    entries: impl Iterator<Item = &'a LoadedAsset>,
    account: &MarginAccount,
    input: &mut HealthInput,
) -> Result<()> {
    input.len = 0;
    let mut perp_cash = Fx::ZERO;
    // The slots' asset indexes, compact: each entry's slot is found in them as `token_slot` and
    // `perp_slot` find it (the first match).
    let tokens: [u16; MAX_TOKEN_POSITIONS] = core::array::from_fn(|i| account.tokens[i].asset_index);
    let perps: [u16; MAX_PERP_POSITIONS] = core::array::from_fn(|i| account.perps[i].asset_index);
    for a in entries {
        let ai = a.risk.asset_index;
        let shares = tokens.iter().position(|&t| t == ai).map_or(Fx::ZERO, |s| account.tokens[s].indexed.fx());
        let spot = a.bank.native(shares).map_risk()?;
        let (perp_base, perp_quote) = match perps.iter().position(|&p| p == ai) {
            Some(slot) => perp_exposure(account, slot, a)?,
            None => (Fx::ZERO, Fx::ZERO),
        };
        perp_cash = perp_cash.checked_add(perp_quote).ok_or(BallastError::MathOverflow)?;
        input.push(a.risk, Exposure { spot, perp_base, perp_quote }).map_risk()?;
    }
    if perp_cash != Fx::ZERO {
        let q = input.find(QUOTE_ASSET_INDEX).ok_or(BallastError::InvalidHealthAccounts)?;
        let spot = input.exposures[q].spot.checked_add(perp_cash).ok_or(BallastError::MathOverflow)?;
        input.exposures[q].spot = spot;
    }
    Ok(())
}

/// (base in native units, quote with funding owed) of the account's perp position in `a`, in
/// perp slot `slot`.
fn perp_exposure(account: &MarginAccount, slot: usize, a: &LoadedAsset) -> Result<(Fx, Fx)> {
    let pos = account.perps[slot].pos(a.perp_lot_size).map_risk()?;
    let owed = pos.funding_owed(a.perp_index).map_risk()?;
    Ok((pos.base, pos.quote.checked_sub(owed).ok_or(BallastError::MathOverflow)?))
}

/// The risk view of an asset at a given oracle price.
pub fn asset_risk(asset: &Asset, oracle_price: Price) -> AssetRisk {
    AssetRisk {
        asset_index: asset.asset_index,
        risk_group: asset.risk.risk_group,
        oracle_price,
        stable_price: asset.stable_price.price(),
        fr: RiskFractions::from_params(&asset.risk),
        init_pnl_cap: Fx::from_num(asset.perp.init_pnl_cap),
    }
}

/// The price of `asset`: the primary oracle's (`primary`), or, when that price is unusable and the
/// asset has a fallback oracle, the fallback's (`read_fallback`, given the primary's error), marked
/// `from_fallback`. The one fallback rule of the loader and of the SDK's per-sweep price cache.
pub fn price_or_fallback(
    asset: &Asset,
    primary: Result<OraclePrice>,
    read_fallback: impl FnOnce(Error) -> Result<OraclePrice>,
) -> Result<OraclePrice> {
    match primary {
        Ok(p) => Ok(p),
        Err(e) if is_price_invalid(&e) && asset.fallback_oracle.is_set() => {
            let mut p = read_fallback(e)?;
            p.from_fallback = true;
            Ok(p)
        }
        Err(e) => Err(e),
    }
}

/// The Asset at a health-list position must be of the group and the expected index.
pub fn check_asset(group: &Pubkey, asset: &Asset, want: u16) -> Result<()> {
    if asset.group != *group || asset.asset_index != want {
        return err!(BallastError::InvalidHealthAccounts);
    }
    Ok(())
}

/// A checked Asset (`group` and index `want`) at a validated price, its bank indexes and perp
/// funding projected to `now`: one entry of a health check. Borrows are valued with the interest
/// owed so far.
pub fn loaded_asset(group: &Pubkey, asset: &Asset, want: u16, price: OraclePrice, now: i64) -> Result<LoadedAsset> {
    check_asset(group, asset, want)?;
    let bank = asset.projected_bank(now)?;
    let funding = asset.perp.projected_funding(now, price.price)?;
    Ok(LoadedAsset {
        risk: asset_risk(asset, price.price),
        bank,
        oracle: price,
        perp_lot_size: asset.perp.base_lot_size,
        perp_index: funding.indexes(),
        liquidation_fee_bps: asset.risk.liquidation_fee_bps as u32,
    })
}

/// Loads the `i`-th pair of the list (asset index `want`), using the next trailing account as its
/// fallback oracle when the primary price is unusable.
#[inline(never)]
#[allow(clippy::arithmetic_side_effects)] // account indexes: i < 16, lists < 48 accounts
fn load_one<R: AccountReader + ?Sized>(
    group: &Pubkey,
    accounts: &R,
    i: usize,
    want: u16,
    next_fallback: &mut usize,
    now: i64,
) -> Result<LoadedAsset> {
    let total = accounts.count();
    crate::risk::ops::account_load(2);
    let oracle_i = 2 * i + 1;
    let oracle_key = accounts.key_at(oracle_i);
    accounts.with_data(2 * i, |owner, data| {
        let asset: &Asset = load_pod(owner, data)?;
        check_asset(group, asset, want)?;
        let primary = accounts.with_data(oracle_i, |o_owner, o_data| {
            read_oracle(&asset.oracle, &oracle_key, o_owner, o_data, asset.decimals, now)
        });
        let price = price_or_fallback(asset, primary, |e| {
            // The next trailing account must be this asset's fallback.
            if *next_fallback >= total || accounts.key_at(*next_fallback) != asset.fallback_oracle.address {
                return Err(e);
            }
            let fb_key = accounts.key_at(*next_fallback);
            let p = accounts.with_data(*next_fallback, |f_owner, f_data| {
                read_oracle(&asset.fallback_oracle, &fb_key, f_owner, f_data, asset.decimals, now)
            })?;
            *next_fallback += 1;
            Ok(p)
        })?;
        loaded_asset(group, asset, want, price, now)
    })
}

/// Loads the health accounts of `account` (plus `extra`, the assets the instruction adds a
/// position in) from `accounts`, checking canonical order, ownership, group, oracle keys and prices.
/// `priced` is the oracle policy's proof that the action reads prices
/// ([`crate::oracle::Priced`]).
pub fn load_health_accounts<R: AccountReader + ?Sized>(
    priced: crate::oracle::Priced,
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    accounts: &R,
    now: i64,
) -> Result<Box<HealthAccounts>> {
    let mut out: Box<HealthAccounts> = bytemuck::zeroed_box();
    load_health_accounts_into(&mut out, priced, group, account, extra, accounts, now)?;
    Ok(out)
}

/// [`load_health_accounts`] into an existing `out` (what it calls; an off-chain caller can reuse
/// one buffer): `out.len` is 0 on failure.
#[allow(clippy::arithmetic_side_effects)] // account counts: n <= 16, lists < 48 accounts
pub fn load_health_accounts_into<R: AccountReader + ?Sized>(
    out: &mut HealthAccounts,
    _priced: crate::oracle::Priced,
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    accounts: &R,
    now: i64,
) -> Result<()> {
    out.len = 0;
    let required = account.active_assets(extra);
    let n = required.len;
    if n > MAX_HEALTH_ASSETS {
        return err!(BallastError::TooManyAssets);
    }
    let total = accounts.count();
    // DS-08: reject oversized lists before reading any account.
    if total > MAX_HEALTH_ACCOUNTS {
        return err!(BallastError::TooManyHealthAccounts);
    }
    if total < 2 * n || total > 3 * n {
        return err!(BallastError::InvalidHealthAccounts);
    }
    let mut next_fallback = 2 * n;
    for (i, &want) in required.as_slice().iter().enumerate() {
        match load_one(group, accounts, i, want, &mut next_fallback, now) {
            Ok(item) => out.items[i] = item,
            Err(e) => {
                out.len = 0;
                return Err(e);
            }
        }
        out.len = i + 1;
    }
    // Every trailing account must have been used as a fallback.
    if next_fallback != total {
        out.len = 0;
        return err!(BallastError::InvalidHealthAccounts);
    }
    Ok(())
}
