//! The canonical health-account list and off-chain health, computed by the program's own loader
//! and risk engine on raw account bytes: the same numbers, bit for bit.

use anchor_lang::prelude::Pubkey;
use ballast::health_accounts::{load_health_accounts, load_health_accounts_into, AccountReader, HealthAccounts};
use ballast::risk::liquidation::{max_size, Move};
use ballast::risk::{health_components, Fx, HealthComponents, HealthType};
use ballast::state::{Asset, MarginAccount};

use crate::decode::RawAccount;
use crate::{pda, Result, SdkError};

/// The oracle policy's proof for an off-chain health evaluation (`Action::CheckHealth`).
const HEALTH: ballast::oracle::Priced = ballast::oracle::Priced::of(ballast::oracle::Action::CheckHealth);

/// A list of raw accounts the program's loader can read.
pub struct RawList<'a>(pub &'a [RawAccount]);

impl AccountReader for RawList<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn key_at(&self, i: usize) -> Pubkey {
        self.0[i].key
    }
    fn with_data<R>(
        &self,
        i: usize,
        f: impl FnOnce(&Pubkey, &[u8]) -> anchor_lang::Result<R>,
    ) -> anchor_lang::Result<R> {
        f(&self.0[i].owner, self.0[i].data.bytes())
    }
}

/// Asset indexes of the health list of `account`, plus `extra` (the assets the instruction adds positions in).
pub fn health_asset_indexes(account: &MarginAccount, extra: &[u16]) -> Vec<u16> {
    account.active_assets(extra).as_slice().to_vec()
}

/// The canonical health-account keys: for each asset index ascending, the Asset PDA then the
/// oracle key returned by `oracle_of` (normally the asset's configured primary oracle).
pub fn health_account_keys(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    mut oracle_of: impl FnMut(u16) -> Pubkey,
) -> Vec<Pubkey> {
    let mut keys = Vec::new();
    for idx in health_asset_indexes(account, extra) {
        keys.push(pda::asset(group, idx).0);
        keys.push(oracle_of(idx));
    }
    keys
}

/// Same list, taking oracle keys from decoded assets.
pub fn health_account_keys_from_assets(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    assets: &[Asset],
) -> Vec<Pubkey> {
    health_account_keys(group, account, extra, |idx| {
        assets.iter().find(|a| a.asset_index == idx).map(|a| a.oracle.address).unwrap_or_default()
    })
}

/// The canonical health keys of `account` (plus `extra`) with fallback oracles appended, in
/// ascending asset order, for every asset whose primary oracle currently gives an unusable price
/// (stale, too uncertain, non-positive, out of range) and that has a fallback configured: what the
/// program accepts when a primary is down (S2-16). Reads the primary oracles through `t`.
pub fn health_account_keys_with_fallbacks(
    t: &mut dyn crate::transport::Transport,
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    assets: &[Asset],
    now: i64,
) -> Result<Vec<Pubkey>> {
    let mut keys = health_account_keys_from_assets(group, account, extra, assets);
    for idx in health_asset_indexes(account, extra) {
        let Some(a) = assets.iter().find(|a| a.asset_index == idx) else { continue };
        if !a.fallback_oracle.is_set() {
            continue;
        }
        let key = a.oracle.address;
        let invalid = match t.get_account(&key)? {
            Some(raw) => {
                match ballast::oracle::read_oracle(&a.oracle, &key, &raw.owner, raw.data.bytes(), a.decimals, now) {
                    Ok(_) => false,
                    Err(e) => ballast::oracle::is_price_invalid(&e),
                }
            }
            None => false,
        };
        if invalid {
            keys.push(a.fallback_oracle.address);
        }
    }
    Ok(keys)
}

/// Health keys for several instructions on one account in one transaction. The program reads each
/// instruction's health list against the account as the instructions before it left it: a deposit
/// into an asset the account did not hold puts that asset in every later list, a whole withdrawal
/// or repayment takes it out. Record those changes in order and ask for each instruction's keys.
///
/// ```
/// use anchor_lang::prelude::Pubkey;
/// use ballast::state::{Asset, MarginAccount};
/// use ballast_sdk::health::KeyPlan;
///
/// let group = Pubkey::new_unique();
/// let mut account: Box<MarginAccount> = bytemuck::zeroed_box();
/// account.init_slots();
/// let assets: Vec<Asset> = vec![];
/// let mut plan = KeyPlan::new(&group, &account, &assets);
/// assert!(plan.keys(&[0]).len() == 2); // a withdrawal of asset 0 on its own
/// plan.opens(1).unwrap(); // an earlier deposit of asset 1 in the same transaction
/// assert!(plan.keys(&[0]).len() == 4); // the withdrawal's list now holds asset 1 as well
/// ```
pub struct KeyPlan<'a> {
    group: Pubkey,
    account: Box<MarginAccount>,
    assets: &'a [Asset],
}

impl<'a> KeyPlan<'a> {
    /// A plan starting from the account as it is (`assets`: the group's, for the oracle keys).
    pub fn new(group: &Pubkey, account: &MarginAccount, assets: &'a [Asset]) -> Self {
        let mut copy: Box<MarginAccount> = bytemuck::zeroed_box();
        *copy = *account;
        KeyPlan { group: *group, account: copy, assets }
    }

    /// An earlier instruction opens a token position in `asset` (a deposit, or a borrow of an
    /// asset the account does not hold). Fails as the program would when every slot is taken.
    pub fn opens(&mut self, asset: u16) -> Result<&mut Self> {
        self.account.token_slot_or_open(asset).map_err(|e| SdkError::Program(e.to_string()))?;
        Ok(self)
    }

    /// An earlier instruction closes the token position in `asset` (a whole withdrawal or
    /// repayment).
    pub fn closes(&mut self, asset: u16) -> &mut Self {
        if let Some(slot) = self.account.token_slot(asset) {
            self.account.tokens[slot].indexed = ballast::state::Fx128::default();
            self.account.release_token_slot_if_empty(slot);
        }
        self
    }

    /// The canonical health keys of the next instruction, which adds positions in `extra`.
    pub fn keys(&self, extra: &[u16]) -> Vec<Pubkey> {
        health_account_keys_from_assets(&self.group, &self.account, extra, self.assets)
    }
}

/// Loads the health accounts from raw accounts in canonical order, exactly as the program does.
pub fn load(
    group: &Pubkey,
    account: &MarginAccount,
    extra: &[u16],
    accounts: &[RawAccount],
    now: i64,
) -> Result<Box<HealthAccounts>> {
    load_health_accounts(HEALTH, group, account, extra, &RawList(accounts), now)
        .map_err(|e| SdkError::Program(e.to_string()))
}

/// The loader and engine buffers of [`with_input`], one pair per thread: loading and building
/// into them avoids allocating and zeroing about 9 KB per evaluation.
struct Scratch {
    loaded: Box<HealthAccounts>,
    input: Box<ballast::risk::HealthInput>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Option<Scratch>> = const { std::cell::RefCell::new(None) };
}

/// Loads `accounts` for `account` exactly as [`load`] does and builds the engine's input, then
/// calls `f` on it; the buffers are reused across calls on one thread.
fn with_input<T>(
    group: &Pubkey,
    account: &MarginAccount,
    accounts: &[RawAccount],
    now: i64,
    f: impl FnOnce(&ballast::risk::HealthInput) -> Result<T>,
) -> Result<T> {
    SCRATCH.with(|cell| {
        // A re-entrant call (none today) would find the buffers taken and allocate its own.
        let mut s = cell.borrow_mut().take().unwrap_or_else(|| Scratch {
            loaded: bytemuck::zeroed_box(),
            input: ballast::risk::HealthInput::new_boxed(),
        });
        let program = |e: anchor_lang::error::Error| SdkError::Program(e.to_string());
        let r = load_health_accounts_into(&mut s.loaded, HEALTH, group, account, &[], &RawList(accounts), now)
            .map_err(program)
            .and_then(|()| s.loaded.fill_input(account, &mut s.input).map_err(program))
            .and_then(|()| f(&s.input));
        *cell.borrow_mut() = Some(s);
        r
    })
}

/// Health of type `t` with components, from raw accounts in canonical order.
pub fn compute(
    group: &Pubkey,
    account: &MarginAccount,
    accounts: &[RawAccount],
    now: i64,
    t: HealthType,
) -> Result<HealthComponents> {
    with_input(group, account, accounts, now, |input| {
        health_components(input, t).map_err(|e| SdkError::Program(format!("{e:?}")))
    })
}

/// Init, Maint and LiquidationEnd health at once.
pub fn compute_all(
    group: &Pubkey,
    account: &MarginAccount,
    accounts: &[RawAccount],
    now: i64,
) -> Result<[HealthComponents; 3]> {
    with_input(group, account, accounts, now, |input| {
        let h = |t| health_components(input, t).map_err(|e| SdkError::Program(format!("{e:?}")));
        Ok([h(HealthType::Init)?, h(HealthType::Maint)?, h(HealthType::LiquidationEnd)?])
    })
}

/// An account read through a transport with everything its health needs: the one-call entry point
/// for clients ([`fetch`]). Health and the largest actions are computed by the program's own
/// loader and engine on these bytes.
pub struct Fetched {
    /// The margin account's address.
    pub key: Pubkey,
    /// The margin account.
    pub account: Box<MarginAccount>,
    /// Its health accounts in canonical order (fallback oracles where a primary is down).
    pub keys: Vec<Pubkey>,
    /// The loaded health accounts (prices checked, interest and funding projected to `now`).
    pub loaded: Box<HealthAccounts>,
    /// The clock the view was loaded at, unix seconds.
    pub now: i64,
}

/// Reads the margin account `key` of `group`, its Assets and oracles (plus those of `extra`, the
/// assets an instruction would add) through `t`, and loads them as the program would now.
pub fn fetch(t: &mut dyn crate::transport::Transport, group: &Pubkey, key: &Pubkey, extra: &[u16]) -> Result<Fetched> {
    use crate::transport::require_account;
    let now = t.now()?;
    let account = crate::decode::margin_account(&require_account(t, key)?)?;
    let g = crate::decode::group(&require_account(t, group)?)?;
    let assets: Vec<Asset> = (0..g.num_assets)
        .map(|i| crate::decode::asset(&require_account(t, &pda::asset(group, i).0)?))
        .collect::<Result<_>>()?;
    let keys = health_account_keys_with_fallbacks(t, group, &account, extra, &assets, now)?;
    let raws: Vec<RawAccount> = keys.iter().map(|k| require_account(t, k)).collect::<Result<_>>()?;
    let loaded = load(group, &account, extra, &raws, now)?;
    Ok(Fetched { key: *key, account, keys, loaded, now })
}

fn risk_err(e: ballast::risk::RiskError) -> SdkError {
    SdkError::Program(format!("{e:?}"))
}

/// Largest size the solvers try: large enough for any real balance, small enough that no
/// product of it overflows.
const MAX_SOLVE: u64 = 1 << 60;

impl Fetched {
    /// Health of type `t` with its components.
    pub fn health(&self, t: HealthType) -> Result<HealthComponents> {
        let input = self.loaded.health_input(&self.account).map_err(|e| SdkError::Program(e.to_string()))?;
        health_components(&input, t).map_err(risk_err)
    }

    /// The largest `withdraw` of `asset_index`, native units, after which Init health stays at
    /// least `target` (quote native units; 0 is the program's rule). Beyond the deposit it borrows
    /// when `allow_borrow` is set. Health only: the asset's borrow cap, utilization cap,
    /// net-borrow window, minimum borrow and the vault's tokens may allow less (the program checks
    /// them; `decode::asset` has them).
    pub fn max_withdraw(&self, asset_index: u16, allow_borrow: bool, target: Fx) -> Result<u64> {
        let mut input = self.loaded.health_input(&self.account).map_err(|e| SdkError::Program(e.to_string()))?;
        let entry = input
            .find(asset_index)
            .ok_or_else(|| SdkError::Program(format!("asset {asset_index} not in the health list")))?;
        let bank = self.loaded.get(asset_index).ok_or_else(|| SdkError::Program("asset not loaded".into()))?.bank;
        let position = self.account.token_indexed(asset_index);
        let before = bank.native(position).map_err(risk_err)?;
        let deposit = bank.withdrawable(position).map_err(risk_err)?;
        let cap = if allow_borrow { MAX_SOLVE } else { deposit };
        // The exact balance after withdrawing x (shares rounded as the program rounds them).
        let moves = |x: u64| -> ballast::risk::RiskResult<[Move; 2]> {
            if x == 0 {
                return Ok([Move { entry, ..Move::default() }; 2]);
            }
            let (mut b, mut pos) = (bank, position);
            b.withdraw(&mut pos, x, x > deposit)?;
            let spot = b.native(pos)?.checked_sub(before).ok_or(ballast::risk::RiskError::MathOverflow)?;
            Ok([Move { entry, spot, ..Move::default() }, Move { entry, ..Move::default() }])
        };
        max_size(&mut input, HealthType::Init, target, [entry, entry], cap, &moves).map_err(risk_err)
    }

    /// The largest new borrow of `asset_index` (beyond the deposit), native units, for a target Init
    /// health: [`Self::max_withdraw`] with borrowing less what the deposit covers.
    pub fn max_borrow(&self, asset_index: u16, target: Fx) -> Result<u64> {
        let bank = self.loaded.get(asset_index).ok_or_else(|| SdkError::Program("asset not loaded".into()))?.bank;
        let deposit = bank.withdrawable(self.account.token_indexed(asset_index)).map_err(risk_err)?;
        Ok(self.max_withdraw(asset_index, true, target)?.saturating_sub(deposit))
    }

    /// The largest perp trade in market `asset_index`, lots, bought when `buy`, at `price_per_lot`
    /// (quote native units) with a fee of `fee_bps`, after which Init health stays at least
    /// `target`. The account's health list must hold the perp asset and the quote asset (fetch
    /// with `extra = [asset_index, quote]`). Health only: open-interest caps and the price band
    /// may allow less.
    pub fn max_perp_trade(
        &self,
        asset_index: u16,
        buy: bool,
        price_per_lot: u64,
        fee_bps: u16,
        target: Fx,
    ) -> Result<u64> {
        let mut input = self.loaded.health_input(&self.account).map_err(|e| SdkError::Program(e.to_string()))?;
        let missing = |i: u16| SdkError::Program(format!("asset {i} not in the health list"));
        let q = ballast::constants::QUOTE_ASSET_INDEX;
        let (i, qi) =
            (input.find(asset_index).ok_or_else(|| missing(asset_index))?, input.find(q).ok_or_else(|| missing(q))?);
        let lot = self.loaded.get(asset_index).ok_or_else(|| missing(asset_index))?.perp_lot_size;
        if price_per_lot == 0 || lot == 0 {
            return Err(SdkError::Program("no price or no perp market".into()));
        }
        let cap = (MAX_SOLVE / price_per_lot).min(MAX_SOLVE / lot);
        let overflow = ballast::risk::RiskError::MathOverflow;
        let moves = |x: u64| -> ballast::risk::RiskResult<[Move; 2]> {
            let cost = ballast::risk::perp::notional(x, price_per_lot)?;
            let fee = Fx::from_num(ballast::risk::perp::fee(cost, fee_bps)?);
            let (base, cash) = (Fx::from_num(x).checked_mul(Fx::from_num(lot)).ok_or(overflow)?, Fx::from_num(cost));
            let (base, cash) = if buy { (base, -cash) } else { (-base, cash) };
            Ok([
                Move { entry: i, perp_base: base, perp_quote: cash, ..Move::default() },
                Move { entry: qi, spot: cash.checked_sub(fee).ok_or(overflow)?, ..Move::default() },
            ])
        };
        max_size(&mut input, HealthType::Init, target, [i, qi], cap, &moves).map_err(risk_err)
    }
}
