//! The instruction gate, the panic pause and frozen accounts: the one pause policy of every
//! instruction (docs/governance.md, "Pause policy", is this table).
//!
//! Every handler whose row has a "yes" calls [`enter`] first ([`check`] on the group,
//! [`check_frozen`] on the accounts that act): nothing else decides whether an instruction may run.

use anchor_lang::prelude::*;

use crate::error::BallastError;
use crate::state::{Group, MarginAccount, ACCOUNT_FLAG_FROZEN};

/// Every instruction; its value is its bit in `Group.ix_gate`. Append only.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ix {
    /// `create_group`.
    CreateGroup = 0,
    /// `list_asset`.
    ListAsset,
    /// `edit_asset`.
    EditAsset,
    /// `refresh_asset`.
    RefreshAsset,
    /// `create_account`.
    CreateAccount,
    /// `close_account`.
    CloseAccount,
    /// `set_delegate`.
    SetDelegate,
    /// `deposit`.
    Deposit,
    /// `withdraw`.
    Withdraw,
    /// `repay`.
    Repay,
    /// `withdraw_fees`.
    WithdrawFees,
    /// `check_health`.
    CheckHealth,
    /// `check_what_if`.
    CheckWhatIf,
    /// `set_perp_market`.
    SetPerpMarket,
    /// `block_trade`.
    BlockTrade,
    /// `fill_order`.
    FillOrder,
    /// `cancel_order`.
    CancelOrder,
    /// `settle_pnl`.
    SettlePnl,
    /// `set_liquidation_config`.
    SetLiquidationConfig,
    /// `liquidate_token`.
    LiquidateToken,
    /// `liquidate_perp`.
    LiquidatePerp,
    /// `set_option_market`.
    SetOptionMarket,
    /// `set_option_expiry`.
    SetOptionExpiry,
    /// `trade_option`.
    TradeOption,
    /// `fill_option_order`.
    FillOptionOrder,
    /// `liquidate_option`.
    LiquidateOption,
    /// `record_option_sample`.
    RecordOptionSample,
    /// `settle_option_expiry`.
    SettleOptionExpiry,
    /// `settle_option_position`.
    SettleOptionPosition,
    /// `create_insurance_fund`.
    CreateInsuranceFund,
    /// `stake`.
    Stake,
    /// `request_unstake`.
    RequestUnstake,
    /// `cancel_unstake`.
    CancelUnstake,
    /// `withdraw_unstake`.
    WithdrawUnstake,
    /// `sweep_insurance_fees`.
    SweepInsuranceFees,
    /// `withdraw_protocol_insurance`.
    WithdrawProtocolInsurance,
    /// `resolve_bankruptcy`.
    ResolveBankruptcy,
    /// `resolve_perp_bankruptcy`.
    ResolvePerpBankruptcy,
    /// `cover_bankrupt_debt`.
    CoverBankruptDebt,
    /// `propose_change`.
    ProposeChange,
    /// `cancel_change`.
    CancelChange,
    /// `execute_change`.
    ExecuteChange,
    /// `set_ix_gate`.
    SetIxGate,
    /// `panic_pause`.
    PanicPause,
    /// `freeze_account`.
    FreezeAccount,
    /// `create_stub_oracle` (test builds).
    CreateStubOracle,
    /// `set_stub_oracle` (test builds).
    SetStubOracle,
    /// `create_price_aggregate`.
    CreatePriceAggregate,
    /// `update_price_aggregate`.
    UpdatePriceAggregate,
    /// `force_withdraw`.
    ForceWithdraw,
    /// `grant_delegate`.
    GrantDelegate,
    /// `revoke_delegate`.
    RevokeDelegate,
    /// `claim_feed`.
    ClaimFeed,
    /// `record_asset_sources`.
    RecordAssetSources,
}

/// How the breakers treat one instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IxPolicy {
    /// The instruction.
    pub ix: Ix,
    /// Its name in the IDL.
    pub name: &'static str,
    /// Its gate bit can disable it (the admin's smile updates too: `set_option_expiry`).
    /// Deposits and repays cannot be disabled (an account must always be able to add collateral
    /// or pay down debt: a guardian that could stop them could force liquidations). Governance,
    /// the guardian's own tools and views cannot be disabled (so that no gate setting can lock governance out of undoing it), nor can the
    /// instructions that take no group account and move no value (`refresh_asset`,
    /// `close_account` of an empty account, `set_delegate`, `grant_delegate`, `revoke_delegate`, `cancel_order`, the settle cranks
    /// `record_option_sample` and `settle_option_expiry`).
    pub gated: bool,
    /// The panic pause stops it: everything that moves value out of the protocol, between
    /// accounts, or adds risk. Deposits, repays, order cancels, cranks that move no value, views
    /// and governance continue.
    pub panic: bool,
    /// A frozen account may not act in it (as the account that withdraws, trades or liquidates);
    /// it may still deposit, repay, cancel orders, set a delegate, and be liquidated or settled.
    pub frozen: bool,
}

const fn p(ix: Ix, name: &'static str, gated: bool, panic: bool, frozen: bool) -> IxPolicy {
    IxPolicy { ix, name, gated, panic, frozen }
}

/// Number of instructions.
pub const IX_COUNT: usize = 54;

/// The pause policy of every instruction, in [`Ix`] order.
pub const POLICY: [IxPolicy; IX_COUNT] = [
    p(Ix::CreateGroup, "create_group", false, false, false),
    p(Ix::ListAsset, "list_asset", false, false, false),
    p(Ix::EditAsset, "edit_asset", false, false, false),
    p(Ix::RefreshAsset, "refresh_asset", false, false, false),
    p(Ix::CreateAccount, "create_account", true, false, false),
    p(Ix::CloseAccount, "close_account", false, false, false),
    p(Ix::SetDelegate, "set_delegate", false, false, false),
    p(Ix::Deposit, "deposit", false, false, false),
    p(Ix::Withdraw, "withdraw", true, true, true),
    p(Ix::Repay, "repay", false, false, false),
    p(Ix::WithdrawFees, "withdraw_fees", true, true, false),
    p(Ix::CheckHealth, "check_health", false, false, false),
    p(Ix::CheckWhatIf, "check_what_if", false, false, false),
    p(Ix::SetPerpMarket, "set_perp_market", false, false, false),
    p(Ix::BlockTrade, "block_trade", true, true, true),
    p(Ix::FillOrder, "fill_order", true, true, true),
    p(Ix::CancelOrder, "cancel_order", false, false, false),
    p(Ix::SettlePnl, "settle_pnl", true, true, false),
    p(Ix::SetLiquidationConfig, "set_liquidation_config", false, false, false),
    p(Ix::LiquidateToken, "liquidate_token", true, true, true),
    p(Ix::LiquidatePerp, "liquidate_perp", true, true, true),
    p(Ix::SetOptionMarket, "set_option_market", false, false, false),
    p(Ix::SetOptionExpiry, "set_option_expiry", true, false, false),
    p(Ix::TradeOption, "trade_option", true, true, true),
    p(Ix::FillOptionOrder, "fill_option_order", true, true, true),
    p(Ix::LiquidateOption, "liquidate_option", true, true, true),
    p(Ix::RecordOptionSample, "record_option_sample", false, false, false),
    p(Ix::SettleOptionExpiry, "settle_option_expiry", false, false, false),
    p(Ix::SettleOptionPosition, "settle_option_position", true, true, false),
    p(Ix::CreateInsuranceFund, "create_insurance_fund", false, false, false),
    p(Ix::Stake, "stake", true, false, false),
    p(Ix::RequestUnstake, "request_unstake", true, false, false),
    p(Ix::CancelUnstake, "cancel_unstake", true, false, false),
    p(Ix::WithdrawUnstake, "withdraw_unstake", true, true, false),
    p(Ix::SweepInsuranceFees, "sweep_insurance_fees", true, false, false),
    p(Ix::WithdrawProtocolInsurance, "withdraw_protocol_insurance", true, true, false),
    p(Ix::ResolveBankruptcy, "resolve_bankruptcy", true, true, false),
    p(Ix::ResolvePerpBankruptcy, "resolve_perp_bankruptcy", true, true, false),
    p(Ix::CoverBankruptDebt, "cover_bankrupt_debt", true, true, false),
    p(Ix::ProposeChange, "propose_change", false, false, false),
    p(Ix::CancelChange, "cancel_change", false, false, false),
    p(Ix::ExecuteChange, "execute_change", false, false, false),
    p(Ix::SetIxGate, "set_ix_gate", false, false, false),
    p(Ix::PanicPause, "panic_pause", false, false, false),
    p(Ix::FreezeAccount, "freeze_account", false, false, false),
    p(Ix::CreateStubOracle, "create_stub_oracle", false, false, false),
    p(Ix::SetStubOracle, "set_stub_oracle", false, false, false),
    p(Ix::CreatePriceAggregate, "create_price_aggregate", false, false, false),
    p(Ix::UpdatePriceAggregate, "update_price_aggregate", false, false, false),
    p(Ix::ForceWithdraw, "force_withdraw", true, true, true),
    p(Ix::GrantDelegate, "grant_delegate", false, false, false),
    p(Ix::RevokeDelegate, "revoke_delegate", false, false, false),
    p(Ix::ClaimFeed, "claim_feed", false, false, false),
    p(Ix::RecordAssetSources, "record_asset_sources", false, false, false),
];

const _: () = {
    let mut i = 0;
    while i < IX_COUNT {
        assert!(POLICY[i].ix as usize == i, "POLICY is in Ix order");
        i += 1;
    }
};

/// The gate bits the guardian or the admin may set: those of gated instructions.
pub const GATEABLE_BITS: u64 = {
    let mut bits = 0u64;
    let mut i = 0;
    while i < IX_COUNT {
        if POLICY[i].gated {
            bits |= 1u64 << i;
        }
        i += 1;
    }
    bits
};

/// Length of a panic pause, seconds (marginfi's 30 minutes).
pub const PANIC_PAUSE_SECS: i64 = 30 * 60;
/// Most panic pauses in a row: a pause that starts less than [`PANIC_PAUSE_SECS`] after the
/// previous one ended (or while it runs) continues the row. A pause ends by itself when its time
/// is up: nobody has to unpause (marginfi's permissionless unpause after expiry is automatic).
pub const MAX_PANIC_PAUSES_IN_A_ROW: u8 = 2;
/// Most panic pauses per day (a day counts from its first pause).
pub const MAX_PANIC_PAUSES_PER_DAY: u8 = 3;

/// True while the group's panic pause runs.
pub fn panic_paused(group: &Group, now: i64) -> bool {
    now < group.panic_until
}

/// The one check of every instruction: its gate bit (IxDisabled) and the panic pause
/// (ProtocolPaused), as [`POLICY`] says.
pub fn check(group: &Group, ix: Ix, now: i64) -> Result<()> {
    let p = POLICY[ix as usize];
    require!(!p.gated || group.ix_gate & (1u64 << (ix as u8)) == 0, BallastError::IxDisabled);
    require!(!p.panic || !panic_paused(group, now), BallastError::ProtocolPaused);
    Ok(())
}

/// The entry check of a handler: [`check`] on the group, [`check_frozen`] on each account that
/// acts (withdraws, trades, liquidates).
#[inline(never)]
pub fn enter(group: &AccountLoader<Group>, ix: Ix, acting: &[&AccountLoader<MarginAccount>]) -> Result<()> {
    check(&*group.load()?, ix, Clock::get()?.unix_timestamp)?;
    for a in acting {
        check_frozen(ix, &*a.load()?)?;
    }
    Ok(())
}

/// The frozen-account rule of `ix` for an account that acts in it (AccountFrozen).
pub fn check_frozen(ix: Ix, account: &MarginAccount) -> Result<()> {
    require!(!POLICY[ix as usize].frozen || account.flags & ACCOUNT_FLAG_FROZEN == 0, BallastError::AccountFrozen);
    Ok(())
}

/// Starts or continues a panic pause at `now` within the limits (PanicPauseLimit).
pub fn start_panic_pause(group: &mut Group, now: i64) -> Result<()> {
    if now.saturating_sub(group.panic_day_start) >= 86_400 {
        group.panic_day_start = now;
        group.panic_today = 0;
    }
    let in_row = group.panic_until > 0 && now < group.panic_until.saturating_add(PANIC_PAUSE_SECS);
    let row = if in_row { group.panic_in_row.saturating_add(1) } else { 1 };
    require!(
        row <= MAX_PANIC_PAUSES_IN_A_ROW && group.panic_today < MAX_PANIC_PAUSES_PER_DAY,
        BallastError::PanicPauseLimit
    );
    group.panic_in_row = row;
    group.panic_today = group.panic_today.saturating_add(1);
    group.panic_until = now.checked_add(PANIC_PAUSE_SECS).ok_or(BallastError::MathOverflow)?;
    Ok(())
}
