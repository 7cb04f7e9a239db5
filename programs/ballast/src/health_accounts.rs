//! The accounts a health check needs, in one canonical order, and the loader that turns them into
//! the risk engine's plain input. The SDK calls the same code on raw account bytes.
//!
//! Canonical order (`remaining_accounts` of every health-checked instruction): for each asset index
//! in [`MarginAccount::active_assets`] (ascending; the instruction's own asset included), the Asset
//! account then its primary oracle account. After those pairs, optionally, fallback oracle accounts
//! for assets whose primary is currently invalid, in the same ascending order. Anything missing,
//! duplicated, out of order, foreign or mismatched is rejected.
//!
//! Options: while reading each Asset, the loader keeps the option surface (contract size, grid
//! parameters, listed expiries' smiles and settlement prices) of every underlying the account holds
//! options on and of every extra asset with an option market; building the engine's input turns the
//! account's option slots into the engine's option book with them: each series' volatility from its
//! expiry's smile at the oracle, its seconds to expiry from the loader's `now`, and a settled
//! series' value as quote cash.

use anchor_lang::prelude::*;

use crate::constants::{FREE_SLOT, MAX_OPTION_POSITIONS, MAX_PERP_POSITIONS, MAX_TOKEN_POSITIONS, QUOTE_ASSET_INDEX};
use crate::error::{BallastError, RiskResultExt};
use crate::oracle::{is_price_invalid, read_oracle, OraclePrice};
use crate::risk::bank::BankState;
use crate::risk::options::grid::{OptionEntry, OptionRiskConfig};
use crate::risk::options::settle::settlement_value;
use crate::risk::options::smile::VolSmile;
use crate::risk::options::OptionKind;
use crate::risk::perp::PerpIndex;
use crate::risk::{AssetRisk, Exposure, Fx, HealthInput, Price, RiskFractions, MAX_HEALTH_ASSETS};
use crate::state::{load_pod, Asset, MarginAccount, OptionPosition, MAX_OPTION_EXPIRIES};

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

/// What health needs of one underlying's options (a copy of its Asset's option market).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Zeroable)]
pub struct OptionSurface {
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Base native units per contract.
    pub contract_size: u64,
    /// The grid's parameters.
    pub risk: OptionRiskConfig,
    /// Listed expiries' smiles (`expiry` 0: free slot).
    pub smiles: [VolSmile; MAX_OPTION_EXPIRIES],
    /// Settlement prices, quote native per base native (zero: not settled).
    pub settlement: [Price; MAX_OPTION_EXPIRIES],
}

impl OptionSurface {
    /// The surface of `asset`'s option market.
    pub fn of(asset: &Asset) -> Self {
        let m = &asset.option;
        OptionSurface {
            asset_index: asset.asset_index,
            contract_size: m.contract_size,
            risk: asset.option_risk,
            smiles: core::array::from_fn(|i| m.expiries[i].smile),
            settlement: core::array::from_fn(|i| m.expiries[i].settlement_price.price()),
        }
    }

    /// The expiry slot of a position's expiry; InvalidHealthAccounts when it is not listed (an
    /// expiry is only unlisted once no position is left in it).
    pub fn slot(&self, expiry: i64) -> Result<usize> {
        if expiry == 0 {
            return err!(BallastError::InvalidHealthAccounts);
        }
        self.smiles.iter().position(|s| s.expiry == expiry).ok_or_else(|| error!(BallastError::InvalidHealthAccounts))
    }
}

/// Most option surfaces one health check keeps: one per option slot and one per extra asset
/// (instructions pass at most two extras; `check_what_if` the underlyings of up to 8 hypothetical
/// trades and the quote asset, so that a what-if rolling every position to new underlyings fits).
/// Only what a check needs is allocated ([`OptionSurfaces`]).
pub const MAX_OPTION_SURFACES: usize = MAX_OPTION_POSITIONS + crate::transitions::option::MAX_WHAT_IF_TRADES + 1;

/// The option surfaces of one health check: allocated only for an account that holds or trades
/// options, with room for exactly the underlyings it holds options on plus the extras (the SBF
/// heap never frees; a reused buffer keeps its capacity).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionSurfaces {
    /// Entries.
    pub items: Vec<OptionSurface>,
}

impl OptionSurfaces {
    /// The surface of an underlying.
    pub fn get(&self, asset_index: u16) -> Option<&OptionSurface> {
        self.items.iter().find(|s| s.asset_index == asset_index)
    }

    /// Adds a surface (TooManyPositions beyond [`MAX_OPTION_SURFACES`]).
    pub fn push(&mut self, s: OptionSurface) -> Result<()> {
        require!(self.items.len() < MAX_OPTION_SURFACES, BallastError::TooManyPositions);
        self.items.push(s);
        Ok(())
    }
}

/// All assets of one health check, in canonical order. About 5 KB: always boxed, allocated zeroed
/// on the heap.
#[derive(Debug, PartialEq, Eq, bytemuck::Zeroable)]
pub struct HealthAccounts {
    /// Number of entries.
    pub len: usize,
    /// Entries, ascending asset index.
    pub items: [LoadedAsset; MAX_HEALTH_ASSETS],
    /// The time the accounts were loaded at (options' seconds to expiry count from it).
    pub now: i64,
    /// Option surfaces of the underlyings the account holds options on and of the extra assets
    /// with an option market (`None`: none).
    pub options: Option<Box<OptionSurfaces>>,
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
        let surfaces = self.options.as_deref();
        fill_input_from(self.items[..self.len].iter(), account, input)?;
        fill_options(account, |ai| surfaces.and_then(|s| s.get(ai)), self.now, input)
    }

    /// Keeps `asset`'s option surface when the account holds options on it or `extra` names it
    /// and it has an option market (called by the loader for every asset it reads).
    pub fn keep_surface(&mut self, account: &MarginAccount, extra: &[u16], asset: &Asset) -> Result<()> {
        let ai = asset.asset_index;
        let held = account.options.iter().any(|o| o.asset_index == ai);
        if !(held || extra.contains(&ai) && asset.option.contract_size != 0) {
            return Ok(());
        }
        let surfaces = self.options.get_or_insert_with(|| {
            // Distinct underlyings held (at most 8) plus the extras neither held nor the quote
            // asset (which has no option market): the most this load keeps. Every 192-byte slot
            // counts on the SBF heap, which never frees (S2-05).
            let holds = |ai: u16| account.options.iter().any(|o| o.asset_index == ai);
            let held = account.options.iter().enumerate().filter(|(i, o)| {
                o.asset_index != FREE_SLOT && account.options[..*i].iter().all(|p| p.asset_index != o.asset_index)
            });
            let more = extra.iter().filter(|&&e| e != QUOTE_ASSET_INDEX && !holds(e));
            let room = held.count().saturating_add(more.count()).min(MAX_OPTION_SURFACES);
            Box::new(OptionSurfaces { items: Vec::with_capacity(room) })
        });
        if surfaces.get(ai).is_none() {
            surfaces.push(OptionSurface::of(asset))?;
        }
        Ok(())
    }
}

/// Adds the account's option slots to `input` (after [`fill_input_from`] built its entries): each
/// unsettled series becomes an option-book entry (its volatility from its expiry's smile at the
/// underlying's oracle price, its seconds to expiry from `now`, its size in base native units); a
/// settled series' value at its settlement price ([`settlement_value`], against the holder) is
/// quote cash, as it will be once the position is settled. `surface` gives an underlying's option
/// surface. The book is written in place into `input.options` (allocated the first time).
pub fn fill_options<'s>(
    account: &MarginAccount,
    surface: impl Fn(u16) -> Option<&'s OptionSurface>,
    now: i64,
    input: &mut HealthInput,
) -> Result<()> {
    if let Some(b) = input.options.as_deref_mut() {
        b.len = 0;
    }
    let mut cash = Fx::ZERO;
    for o in account.options.iter().filter(|o| o.asset_index != FREE_SLOT) {
        let s = surface(o.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
        let entry = input.find(o.asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
        let (e, settled) = option_entry(o, s, entry, &input.assets[entry], now)?;
        match settled {
            Some(v) => cash = cash.checked_add(v).ok_or(BallastError::MathOverflow)?,
            None => input.options.get_or_insert_with(bytemuck::zeroed_box).push(e).map_risk()?,
        }
    }
    if cash != Fx::ZERO {
        let q = input.find(QUOTE_ASSET_INDEX).ok_or(BallastError::InvalidHealthAccounts)?;
        input.exposures[q].spot = input.exposures[q].spot.checked_add(cash).ok_or(BallastError::MathOverflow)?;
    }
    Ok(())
}

/// The engine's entry of option slot `o` on input entry `entry` (asset `a`), or its settled value
/// when its expiry has a settlement price.
pub fn option_entry(
    o: &OptionPosition,
    s: &OptionSurface,
    entry: usize,
    a: &AssetRisk,
    now: i64,
) -> Result<(OptionEntry, Option<Fx>)> {
    let slot = s.slot(o.expiry)?;
    let kind = OptionKind::from_u8(o.kind).ok_or(BallastError::InvalidHealthAccounts)?;
    let strike = o.strike.price();
    let size = Fx::from_num(o.size).checked_mul(Fx::from_num(s.contract_size)).ok_or(BallastError::MathOverflow)?;
    let settle = s.settlement[slot];
    if settle > Price::ZERO {
        let v = settlement_value(kind, strike, settle, size).map_risk()?;
        return Ok((OptionEntry { entry, kind, strike, seconds: 0, size, vol: Fx::ZERO, risk: s.risk }, Some(v)));
    }
    let vol = s.smiles[slot].vol(a.oracle_price, strike).map_risk()?;
    let seconds = o.expiry.checked_sub(now).ok_or(BallastError::MathOverflow)?;
    Ok((OptionEntry { entry, kind, strike, seconds, size, vol, risk: s.risk }, None))
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

/// The price-deviation breaker (catalogue OR-10): PriceDeviationBreaker while `oracle` is further
/// from the asset's stable price than `Asset.deviation_breaker_bps` (0: off), and until
/// `Asset.breaker_until` once a refresh found it tripped.
pub fn check_deviation_breaker(asset: &Asset, oracle: crate::risk::Price, now: i64) -> Result<()> {
    check_breaker_parts((asset.deviation_breaker_bps, asset.breaker_until), oracle, asset.stable_price.price(), now)
}

/// [`check_deviation_breaker`] on its parts: a breaker of `bps` (0: off) held until `until`, the
/// oracle and stable prices.
fn check_breaker_parts(
    (bps, until): (u16, i64),
    oracle: crate::risk::Price,
    stable: crate::risk::Price,
    now: i64,
) -> Result<()> {
    require!(
        bps == 0 || (now >= until && !crate::risk::liquidation::deviates(oracle, stable, bps)),
        BallastError::PriceDeviationBreaker
    );
    Ok(())
}

/// True when the action's own assets (`extra`) pass the deviation breaker: withdrawals and borrows
/// (Action::Withdraw) and trades (Action::Trade) add risk in them. The per-action rule lives here,
/// in the loader, beside the oracle policy.
fn breaker_applies(priced: crate::oracle::Priced, extra: &[u16], want: u16) -> bool {
    use crate::oracle::Action;
    matches!(priced.action(), Action::Withdraw | Action::Trade) && extra.contains(&want)
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
    keep: &mut dyn FnMut(&Asset) -> Result<()>,
) -> Result<LoadedAsset> {
    let total = accounts.count();
    crate::risk::ops::account_load(2);
    let oracle_i = 2 * i + 1;
    let oracle_key = accounts.key_at(oracle_i);
    accounts.with_data(2 * i, |owner, data| {
        let asset: &Asset = load_pod(owner, data)?;
        check_asset(group, asset, want)?;
        keep(asset)?;
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
    priced: crate::oracle::Priced,
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    accounts: &R,
    now: i64,
) -> Result<()> {
    out.len = 0;
    out.now = now;
    if let Some(s) = out.options.as_deref_mut() {
        s.items.clear();
    }
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
        let loaded = {
            let mut keep = |asset: &Asset| out.keep_surface(account, extra, asset);
            let mut breaker = (0, 0);
            let mut keep = |asset: &Asset| {
                breaker = (asset.deviation_breaker_bps, asset.breaker_until);
                keep(asset)
            };
            load_one(group, accounts, i, want, &mut next_fallback, now, &mut keep).and_then(|item| {
                if breaker_applies(priced, extra, want) {
                    check_breaker_parts(breaker, item.risk.oracle_price, item.risk.stable_price, now)?;
                }
                Ok(item)
            })
        };
        match loaded {
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
