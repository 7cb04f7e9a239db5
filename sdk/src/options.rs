//! Options: instruction builders for `set_option_market`, `set_option_expiry`, `trade_option`,
//! signed option orders (`fill_option_order`, with their signing) and `liquidate_option`, the default market parameters, and position views. Health with options is
//! [`crate::health::compute`] itself: the program's loader builds the option book from the
//! Assets' option surfaces (docs/options.md).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use ballast::constants::{FREE_SLOT, QUOTE_ASSET_INDEX};
use ballast::instructions::OptionOrder;
use ballast::order::SignedOptionOrder;
use ballast::risk::options::grid::OptionRiskConfig;
use ballast::risk::options::smile::VolSmile;
use ballast::risk::Price;
use ballast::state::{MarginAccount, OptionMarketParams, OptionPosition, OPTION_FLAG_ENABLED};

use crate::ix::two_health_lists;
use crate::pda;
use crate::perp::{ed25519_verify, market, TradeParty};
use solana_sdk::signature::Keypair;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: ballast::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// Default option market parameters for a contract of `contract_size` base native units: strikes
/// from 20% to 500% of the price, premium band 5% of the price, fee 3 bps of the underlying's
/// notional, liquidation fee 5% of the taken options' value plus (shorts) their short-option minimum, smile changes of at most 10% per update, settlement the median of
/// at least 5 samples spaced 60 s apart over 30 minutes with confidence within 1%, the default
/// grid ([`OptionRiskConfig::DEFAULT`]), enabled.
pub fn default_params(contract_size: u64) -> OptionMarketParams {
    OptionMarketParams {
        contract_size,
        max_open_interest: 1_000_000_000,
        max_expiry_open_interest: 500_000_000,
        min_strike_bps: 2_000,
        max_strike_bps: 50_000,
        settle_window_secs: 1_800,
        settle_spacing_secs: 60,
        max_vol_change_bps: 1_000,
        price_band_bps: 500,
        taker_fee_bps: 3,
        liquidation_fee_bps: 500,
        settle_max_conf_bps: 100,
        settle_min_samples: 5,
        flags: OPTION_FLAG_ENABLED,
        risk: OptionRiskConfig::DEFAULT,
    }
}

/// A flat smile: `atm_vol_bps` at every strike (floor 1%) for `expiry`.
pub fn flat_smile(expiry: i64, atm_vol_bps: u32) -> VolSmile {
    VolSmile { expiry, atm_vol_bps, min_vol_bps: 100, skew_bps: 0, curvature_bps: 0 }
}

/// `set_option_market` (admin).
pub fn set_option_market(group: &Pubkey, admin: &Pubkey, asset_index: u16, params: OptionMarketParams) -> Instruction {
    build(
        ballast::accounts::SetOptionMarket {
            group: *group,
            authority: *admin,
            asset: pda::asset(group, asset_index).0,
        },
        ballast::instruction::SetOptionMarket { params },
    )
}

/// `set_option_expiry` (admin): lists `smile.expiry` in slot `slot`, or updates its smile.
pub fn set_option_expiry(group: &Pubkey, admin: &Pubkey, asset_index: u16, slot: u8, smile: VolSmile) -> Instruction {
    build(
        ballast::accounts::SetOptionExpiry { group: *group, admin: *admin, asset: pda::asset(group, asset_index).0 },
        ballast::instruction::SetOptionExpiry { slot, smile },
    )
}

/// An option order: `contracts` of (expiry, strike, kind) at `premium_per_contract` quote native
/// units. `strike` is quote native per base native.
pub fn order(expiry: i64, strike: Price, kind: u8, contracts: u64, premium_per_contract: u64) -> OptionOrder {
    OptionOrder { expiry, strike_bits: strike.to_bits(), kind, contracts, premium_per_contract }
}

/// `trade_option`: `buyer` buys from `seller`; both authorities sign. Each party's health keys must
/// include the underlying and the quote asset as extras.
pub fn trade_option(
    group: &Pubkey,
    asset_index: u16,
    buyer: &TradeParty,
    seller: &TradeParty,
    order: OptionOrder,
) -> Instruction {
    let remaining = two_health_lists(&buyer.health, &seller.health);
    let mut metas = ballast::accounts::TradeOption {
        market: market(group, asset_index, QUOTE_ASSET_INDEX),
        buyer: buyer.account,
        buyer_authority: buyer.authority,
        seller: seller.account,
        seller_authority: seller.authority,
    }
    .to_account_metas(None);
    metas.extend_from_slice(&remaining);
    let data = ballast::instruction::TradeOption { order, buyer_health_accounts: buyer.health.len() as u8 };
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// Signs `order` with the maker's key (the account owner or its trade delegate). The signed bytes
/// are `order.message(group, domain)` (174 bytes, docs/options.md "Signed option orders");
/// `domain` is the group's [`crate::perp::order_domain`].
pub fn sign_option_order(maker: &Keypair, group: &Pubkey, domain: &[u8; 32], order: &SignedOptionOrder) -> [u8; 64] {
    crate::perp::sign_bytes(maker, &order.message(group, domain))
}

/// `fill_option_order` alone (without the ed25519 instruction): `taker` fills `fill_contracts` of
/// `order`. `maker_health` / `taker` health keys: canonical, with the underlying and the quote
/// asset as extras.
pub fn fill_option_order(
    group: &Pubkey,
    order: &SignedOptionOrder,
    maker_health: &[Pubkey],
    taker: &TradeParty,
    fill_contracts: u64,
) -> Instruction {
    let mut metas = ballast::accounts::FillOptionOrder {
        market: market(group, order.asset_index, QUOTE_ASSET_INDEX),
        maker: order.account,
        taker: taker.account,
        taker_authority: taker.authority,
        order_record: pda::order_record(&order.account, order.nonce).0,
        instructions: solana_sdk::sysvar::instructions::ID,
        system_program: system_program::ID,
    }
    .to_account_metas(None);
    metas.extend_from_slice(&two_health_lists(maker_health, &taker.health));
    let data = ballast::instruction::FillOptionOrder {
        order: *order,
        fill_contracts,
        maker_health_accounts: maker_health.len() as u8,
    };
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// The two instructions that fill a signed option order, in order: the ed25519 verification of
/// the maker's signature, then `fill_option_order`.
#[allow(clippy::too_many_arguments)]
pub fn fill_option_order_ixs(
    group: &Pubkey,
    domain: &[u8; 32],
    order: &SignedOptionOrder,
    maker_signer: &Pubkey,
    signature: &[u8; 64],
    maker_health: &[Pubkey],
    taker: &TradeParty,
    fill_contracts: u64,
) -> [Instruction; 2] {
    [
        ed25519_verify(maker_signer, signature, &order.message(group, domain)),
        fill_option_order(group, order, maker_health, taker, fill_contracts),
    ]
}

/// `liquidate_option`: takes over up to `contracts` of the liquidated account's option in `slot`.
pub fn liquidate_option(p: &crate::ix::LiquidationParties, asset_index: u16, slot: u8, contracts: u64) -> Instruction {
    let (remaining, liqee_health_accounts) = p.remaining();
    let mut metas = ballast::accounts::LiquidateOption {
        market: market(&p.group, asset_index, QUOTE_ASSET_INDEX),
        liqor: p.liqor,
        liqor_authority: p.liqor_owner,
        liqee: p.liqee,
    }
    .to_account_metas(None);
    metas.extend_from_slice(&remaining);
    let data = ballast::instruction::LiquidateOption { slot, contracts, liqee_health_accounts };
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// `record_option_sample` (permissionless settle crank): records the underlying's oracle price for
/// `expiry`; the first call creates the settlement record (`cranker` pays rent).
pub fn record_option_sample(
    group: &Pubkey,
    asset_index: u16,
    oracle: &Pubkey,
    cranker: &Pubkey,
    expiry: i64,
) -> Instruction {
    build(
        ballast::accounts::RecordOptionSample {
            cranker: *cranker,
            asset: pda::asset(group, asset_index).0,
            oracle: *oracle,
            settlement: pda::option_settlement(group, asset_index, expiry).0,
            system_program: anchor_lang::system_program::ID,
        },
        ballast::instruction::RecordOptionSample { expiry },
    )
}

/// `settle_option_expiry` (permissionless): fixes `expiry`'s settlement price once its window closed.
pub fn settle_option_expiry(group: &Pubkey, asset_index: u16, expiry: i64) -> Instruction {
    build(
        ballast::accounts::SettleOptionExpiry {
            asset: pda::asset(group, asset_index).0,
            settlement: pda::option_settlement(group, asset_index, expiry).0,
        },
        ballast::instruction::SettleOptionExpiry { expiry },
    )
}

/// `settle_option_position` (permissionless): settles `account`'s option in `slot` of `expiry`.
pub fn settle_option_position(
    group: &Pubkey,
    asset_index: u16,
    account: &Pubkey,
    expiry: i64,
    slot: u8,
) -> Instruction {
    build(
        ballast::accounts::SettleOptionPosition {
            market: market(group, asset_index, QUOTE_ASSET_INDEX),
            settlement: pda::option_settlement(group, asset_index, expiry).0,
            account: *account,
        },
        ballast::instruction::SettleOptionPosition { expiry, slot },
    )
}

/// The account's used option slots: (slot, position).
pub fn positions(account: &MarginAccount) -> Vec<(usize, OptionPosition)> {
    account.options.iter().enumerate().filter(|(_, o)| o.asset_index != FREE_SLOT).map(|(i, o)| (i, *o)).collect()
}

/// The slot a liquidator takes first: a short option if the account holds any (the program
/// refuses longs before shorts), else its first long.
pub fn liquidation_slot(account: &MarginAccount) -> Option<usize> {
    let used = positions(account);
    used.iter().find(|(_, o)| o.size < 0).or_else(|| used.first()).map(|(i, _)| *i)
}

/// The most contracts of `liqee`'s option in `slot` one `liquidate_option` step may take: the
/// program accepts `k` contracts when `k` is 1 or LiquidationEnd health after `k - 1` is still
/// negative (unless the account is closed out), so this is the fewest contracts that bring it to 0
/// (all of them if none do), found by bisection on the program's own
/// [`end_after_take_over`](ballast::transitions::option::end_after_take_over). `fee_bps`: the
/// step's fee with its ramp (`LiquidationConfig::schedule().fee_bps`). `raws`: the liquidated
/// account's health accounts in canonical order.
pub fn liquidation_contracts(
    group: &Pubkey,
    liqee: &MarginAccount,
    raws: &[crate::decode::RawAccount],
    now: i64,
    slot: usize,
    fee_bps: u32,
) -> crate::Result<u64> {
    plan_option_liquidation(group, liqee, raws, now, slot, fee_bps).map(|(n, _)| n)
}

/// [`liquidation_contracts`] with the account's LiquidationEnd health after taking that many
/// contracts (what the program requires to rise).
pub fn plan_option_liquidation(
    group: &Pubkey,
    liqee: &MarginAccount,
    raws: &[crate::decode::RawAccount],
    now: i64,
    slot: usize,
    fee_bps: u32,
) -> crate::Result<(u64, ballast::risk::Fx)> {
    use ballast::transitions::option::{end_after_take_over, Series, TakeOverPrice};
    let program = |e: anchor_lang::error::Error| crate::SdkError::Program(e.to_string());
    let o = liqee.options.get(slot).filter(|o| o.asset_index != FREE_SLOT && o.size != 0);
    let o = o.ok_or_else(|| crate::SdkError::Program(format!("option slot {slot} is empty")))?;
    let loaded = crate::health::load(group, liqee, &[], raws, now)?;
    let surface = loaded.options.as_deref().and_then(|s| s.get(o.asset_index)).copied();
    let surface = surface.ok_or_else(|| crate::SdkError::Program("no option surface".into()))?;
    let entry = loaded.get(o.asset_index).ok_or_else(|| crate::SdkError::Program("no underlying".into()))?.risk;
    let series = Series { asset_index: o.asset_index, expiry: o.expiry, strike: o.strike.price(), kind: o.kind };
    let long = o.size > 0;
    let price = TakeOverPrice { surface: &surface, series: &series, long, entry: &entry, fee_bps, now };
    let end = |k: u64| -> crate::Result<ballast::risk::Fx> {
        let mut input = loaded.health_input(liqee).map_err(program)?;
        let (cash, _) = price.cash(k).map_err(program)?;
        end_after_take_over(&mut input, &price, k, cash, QUOTE_ASSET_INDEX, None).map_err(program)
    };
    let held = o.size.unsigned_abs();
    let all = end(held)?;
    if all < ballast::risk::Fx::ZERO {
        return Ok((held, all));
    }
    // end(lo) < 0 <= end(hi); the answer is the first k with end(k) >= 0.
    let (mut lo, mut hi) = (0u64, held);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if end(mid)? < ballast::risk::Fx::ZERO {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((hi, end(hi)?))
}

/// Black-76 per unit of the underlying in f64, for quoting premiums off chain (a maker's quote must
/// fall inside the program's band around its fixed-point model value; this is within about 1e-7 of
/// it). `years`: time to expiry; `vol`: annual volatility, fraction.
pub fn reference_price(call: bool, forward: f64, strike: f64, vol: f64, years: f64) -> f64 {
    let s = vol * years.max(1e-12).sqrt();
    let d1 = (forward / strike).ln() / s + s / 2.0;
    let d2 = d1 - s;
    if call {
        forward * norm_cdf(d1) - strike * norm_cdf(d2)
    } else {
        strike * norm_cdf(-d2) - forward * norm_cdf(-d1)
    }
}

/// The standard normal CDF by the Abramowitz-Stegun 7.1.26 erfc (|error| < 1.5e-7).
fn norm_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let erfc = t
        * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
        * (-z * z).exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// A what-if request: hypothetical option trades (applied first, to a copy of the account), then
/// price moves (bps per asset, oracle and stable) and a relative move of every option's
/// volatility (bps).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhatIf {
    /// Hypothetical option trades (at most 8).
    pub trades: Vec<ballast::transitions::option::WhatIfTrade>,
    /// Price moves per asset.
    pub moves: Vec<ballast::transitions::option::PriceMove>,
    /// Relative move of every option's volatility, bps.
    pub vol_move_bps: i32,
}

impl WhatIf {
    /// The assets the health accounts must add for the trades (their underlyings and the quote
    /// asset `quote_asset_index`): pass them as `extra` to the health-key builders.
    pub fn extra(&self, quote_asset_index: u16) -> Vec<u16> {
        let (extra, n) = ballast::transitions::option::what_if_extra(&self.trades, quote_asset_index);
        extra[..n].to_vec()
    }
}

/// `check_what_if`: asserts that `account`'s Init and Maint health after `w` are at least the
/// minimums (I80F48 bits). `health`: the account's canonical health keys with [`WhatIf::extra`].
pub fn check_what_if(
    group: &Pubkey,
    account: &Pubkey,
    w: &WhatIf,
    (min_init_bits, min_maint_bits): (i128, i128),
    health: &[Pubkey],
) -> Instruction {
    let mut metas = ballast::accounts::CheckWhatIf { group: *group, account: *account }.to_account_metas(None);
    metas.extend(health.iter().map(|k| anchor_lang::prelude::AccountMeta::new_readonly(*k, false)));
    let data = ballast::instruction::CheckWhatIf {
        moves: w.moves.clone(),
        vol_move_bps: w.vol_move_bps,
        min_init_bits,
        min_maint_bits,
        trades: w.trades.clone(),
    };
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// The what-if of `check_what_if` off chain, bit-identical: Init and Maint health after `w`
/// ([`what_if_report`]'s health).
pub fn what_if(
    group: &Pubkey,
    quote_asset_index: u16,
    account: &MarginAccount,
    raws: &[crate::decode::RawAccount],
    now: i64,
    w: &WhatIf,
) -> crate::Result<ballast::risk::options::grid::WhatIfHealth> {
    Ok(what_if_report(group, quote_asset_index, account, raws, now, w)?.health)
}

/// The whole report of `check_what_if` off chain, bit-identical (its `encode()` is the
/// instruction's return data, which `WhatIfReport::decode` reads back): health after `w` and the
/// account's Greeks on every underlying it then holds options on. The program's
/// `what_if_traded_input` and `what_if_report` on raw accounts (canonical order, with
/// [`WhatIf::extra`]).
pub fn what_if_report(
    group: &Pubkey,
    quote_asset_index: u16,
    account: &MarginAccount,
    raws: &[crate::decode::RawAccount],
    now: i64,
    w: &WhatIf,
) -> crate::Result<Box<ballast::risk::options::grid::WhatIfReport>> {
    use ballast::transitions::option as o;
    let program = |e: anchor_lang::error::Error| crate::SdkError::Program(e.to_string());
    let accounts = crate::health::RawList(raws);
    let input =
        o::what_if_traded_input(group, account, &w.trades, quote_asset_index, &accounts, now).map_err(program)?;
    o::what_if_report(&input, &w.moves, w.vol_move_bps).map_err(program)
}
