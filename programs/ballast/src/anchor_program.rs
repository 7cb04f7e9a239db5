//! The `#[program]` module: every instruction's entry, forwarding to its handler in
//! [`crate::instructions`]. It lives in its own module so that the one lint exemption below covers
//! Anchor's generated dispatch code and nothing else.

// Anchor's generated per-instruction dispatch functions (`__private::__global::*`, which inline
// each instruction's `try_accounts`) exceed clippy's 4 KiB stack estimate in unoptimized builds for
// the instructions with the most accounts. The forwarders below hold no data; every handler and
// helper they call is checked by the lint on its own. Check the real frames with an SBF toolchain.
#![allow(clippy::large_stack_frames)]

use anchor_lang::prelude::*;

use crate::instructions::*;
use crate::{instructions, state, ID};

/// The Ballast program.
#[program]
pub mod ballast {
    use super::*;

    /// Creates a group (PDA `[group, creator, group_num]`); the creator becomes admin.
    /// `timelock_secs`: delay for risk-increasing changes, at most 30 days.
    pub fn create_group(ctx: Context<CreateGroup>, group_num: u32, guardian: Pubkey, timelock_secs: u64) -> Result<()> {
        instructions::create_group::handler(ctx, group_num, guardian, timelock_secs)
    }

    /// Admin or listing admin: lists an asset at index `asset_index` (= the group's asset count)
    /// with its mint, vault, oracle and parameters. The oracle must give a valid price now. In a
    /// group with a timelock only an inert listing (not borrowable; deposits disabled or no value)
    /// applies at once: TimelockRequired otherwise (docs/governance.md).
    pub fn list_asset(ctx: Context<ListAsset>, asset_index: u16, params: ListAssetParams) -> Result<()> {
        instructions::list_asset::handler(ctx, asset_index, params)
    }

    /// Admin or guardian: edits an asset's parameters; the resulting configuration is validated as
    /// a whole. A change that is not no-riskier (`EditAssetParams::no_riskier_than`) fails with
    /// TimelockRequired for the admin (queue it) and GuardianCannotIncreaseRisk for the guardian.
    pub fn edit_asset(ctx: Context<EditAsset>, params: EditAssetParams) -> Result<()> {
        instructions::edit_asset::handler(ctx, params)
    }

    /// Permissionless update: accrues the asset's interest, reads its oracle, moves its stable price
    /// and accrues perp funding.
    pub fn refresh_asset(ctx: Context<RefreshAsset>) -> Result<()> {
        instructions::refresh_asset::handler(ctx)
    }

    /// Opens a margin account (PDA `[account, group, owner, account_num]`).
    pub fn create_account(ctx: Context<CreateAccount>, account_num: u32) -> Result<()> {
        instructions::create_account::handler(ctx, account_num)
    }

    /// Closes an empty margin account and returns its rent.
    pub fn close_account(ctx: Context<CloseAccount>) -> Result<()> {
        instructions::close_account::handler(ctx)
    }

    /// Owner: sets or clears a delegate with DELEGATE_* scope bits and an expiry (unix seconds, 0: none).
    pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey, scope: u8, expiry: i64) -> Result<()> {
        instructions::set_delegate::handler(ctx, delegate, scope, expiry)
    }

    /// Deposits `amount` native units into a margin account. No oracle, no health check.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    /// Withdraws `amount` native units (u64::MAX: the whole deposit); beyond the deposit it borrows
    /// when `allow_borrow` and the asset is borrowable. Init health must stay >= 0.
    /// Remaining accounts: the health accounts in canonical order.
    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64, allow_borrow: bool) -> Result<()> {
        instructions::withdraw::handler(ctx, amount, allow_borrow)
    }

    /// Repays up to `amount` native units (u64::MAX: the whole debt) of a borrow of any account of
    /// the group, from the signer's token account. Never lowers that account's health.
    pub fn repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
        instructions::repay::handler(ctx, amount)
    }

    /// Admin: withdraws up to the protocol fees accrued in an asset, never depositors' funds, to a
    /// token account of the group's fee recipient.
    pub fn withdraw_fees(ctx: Context<WithdrawFees>, amount: u64) -> Result<()> {
        instructions::withdraw_fees::handler(ctx, amount)
    }

    /// Fails with HealthBelowMinimum unless health of `health_type` (0 Init, 1 Maint,
    /// 2 LiquidationEnd) is at least `min_health_bits` (I80F48 bits, quote native units).
    /// Remaining accounts: the health accounts in canonical order.
    pub fn check_health<'info>(
        ctx: Context<'info, CheckHealth<'info>>,
        health_type: u8,
        min_health_bits: i128,
    ) -> Result<()> {
        instructions::check_health::handler(ctx, health_type, min_health_bits)
    }

    /// What-if: the account's Init and Maint health after hypothetical option trades (`trades`,
    /// applied to a copy of the account: positions and premiums, fees aside), price moves
    /// (`moves`, bps per asset) and a relative volatility move of every option, and its Greeks per
    /// option underlying, as return data (`WhatIfReport::encode`: Init and Maint I80F48 bits, then
    /// the Greeks); fails with HealthBelowMinimum unless both healths reach the minimums.
    /// Remaining accounts: the health accounts, with the trades' underlyings and the quote asset.
    pub fn check_what_if<'info>(
        ctx: Context<'info, CheckWhatIf<'info>>,
        moves: Vec<crate::transitions::option::PriceMove>,
        vol_move_bps: i32,
        min_init_bits: i128,
        min_maint_bits: i128,
        trades: Vec<crate::transitions::option::WhatIfTrade>,
    ) -> Result<()> {
        instructions::check_what_if::handler(ctx, moves, vol_move_bps, min_init_bits, min_maint_bits, trades)
    }

    /// Admin: enables, configures, sets reduce-only or disables the perp market of a (non-quote)
    /// asset; the guardian may set it reduce-only or lower its caps. The base lot size is fixed
    /// once set. Riskier changes go through the timelock as in `edit_asset`.
    pub fn set_perp_market(ctx: Context<SetPerpMarket>, params: state::PerpMarketParams) -> Result<()> {
        instructions::set_perp_market::handler(ctx, params)
    }

    /// Both owners (or trade delegates) sign: `buyer` buys `lots` from `seller` at `price_per_lot`
    /// (quote native units per lot, inside the band around the oracle). Both pay the taker fee and
    /// must pass the health rule. Remaining accounts: the buyer's health accounts, then the
    /// seller's; `buyer_health_accounts` says where they split.
    pub fn block_trade<'info>(
        ctx: Context<'info, BlockTrade<'info>>,
        lots: u64,
        price_per_lot: u64,
        buyer_health_accounts: u8,
    ) -> Result<()> {
        instructions::block_trade::handler(ctx, lots, price_per_lot, buyer_health_accounts)
    }

    /// Fills `fill_lots` of a maker's signed order at its limit price against the signer's account.
    /// The previous instruction must be the ed25519 verification of the order message (see
    /// docs/perps.md). Remaining accounts: the maker's health accounts, then the taker's.
    pub fn fill_order<'info>(
        ctx: Context<'info, FillOrder<'info>>,
        order: crate::order::SignedOrder,
        fill_lots: u64,
        maker_health_accounts: u8,
    ) -> Result<()> {
        instructions::fill_order::handler(ctx, order, fill_lots, maker_health_accounts)
    }

    /// Maker: burns a signed-order nonce; no further fill of it can happen.
    pub fn cancel_order<'info>(ctx: Context<'info, CancelOrder<'info>>, nonce: u64) -> Result<()> {
        instructions::cancel_order::handler(ctx, nonce)
    }

    /// Permissionless: settles up to `max_amount` quote native units of perp PnL from a losing
    /// account to a winning one, through their quote-asset balances: never more than the loser's
    /// collateral covers, within the market's window limit unless the loser is liquidatable.
    /// Remaining accounts: the loser's health accounts.
    pub fn settle_pnl<'info>(ctx: Context<'info, SettlePnl<'info>>, max_amount: u64) -> Result<()> {
        instructions::settle_pnl::handler(ctx, max_amount)
    }

    /// Admin: sets the group's liquidation fee ramp, insurance share, close-out value and stable-price
    /// guard (validated: ramp cap <= 50%, shares <= 100%, deviation in 1..=10,000 bps). Queued in a
    /// group with a timelock (TimelockRequired).
    pub fn set_liquidation_config(ctx: Context<SetLiquidationConfig>, params: LiquidationConfigParams) -> Result<()> {
        instructions::set_liquidation_config::handler(ctx, params)
    }

    /// Liquidator (its account's owner signs): repays up to `max_liab` native units of the
    /// liquidated account's borrow in `liab` and seizes its deposit in `asset` at the oracle price
    /// plus the fee, never beyond LiquidationEnd health 0 (docs/liquidation.md). Remaining accounts:
    /// the liquidated account's health accounts, then the liquidator's (with both assets added).
    pub fn liquidate_token<'info>(
        ctx: Context<'info, LiquidateToken<'info>>,
        max_liab: u64,
        liqee_health_accounts: u8,
    ) -> Result<()> {
        instructions::liquidate_token::handler(ctx, max_liab, liqee_health_accounts)
    }

    /// Liquidator (its account's owner signs): takes over up to `max_lots` of the liquidated
    /// account's perp position at the oracle price moved by the fee against it, never beyond
    /// LiquidationEnd health 0. Remaining accounts: the liquidated account's health accounts, then
    /// the liquidator's (with the perp and quote assets added).
    pub fn liquidate_perp<'info>(
        ctx: Context<'info, LiquidatePerp<'info>>,
        max_lots: u64,
        liqee_health_accounts: u8,
    ) -> Result<()> {
        instructions::liquidate_perp::handler(ctx, max_lots, liqee_health_accounts)
    }

    /// Admin: configures, enables, sets reduce-only or disables the options on a (non-quote) asset
    /// that leads its risk group, with their grid parameters; the guardian may set them
    /// reduce-only, lower caps or raise shocks. The contract size is fixed once set. Riskier
    /// changes go through the timelock as in `edit_asset`.
    pub fn set_option_market(ctx: Context<SetOptionMarket>, params: state::OptionMarketParams) -> Result<()> {
        instructions::set_option_market::handler(ctx, params)
    }

    /// Admin: lists an expiry in slot `slot` of an asset's option market, or updates the listed
    /// expiry's volatility smile within the market's per-update change limit.
    pub fn set_option_expiry(
        ctx: Context<SetOptionExpiry>,
        slot: u8,
        smile: crate::risk::options::smile::VolSmile,
    ) -> Result<()> {
        instructions::set_option_expiry::handler(ctx, slot, smile)
    }

    /// Both owners (or trade delegates) sign: `buyer` buys `order.contracts` of a series from
    /// `seller` for a premium inside the band around the model value. Both pay the fee and must
    /// pass the health rule with the option grid. Remaining accounts: the buyer's health accounts,
    /// then the seller's; `buyer_health_accounts` says where they split.
    pub fn trade_option<'info>(
        ctx: Context<'info, TradeOption<'info>>,
        order: OptionOrder,
        buyer_health_accounts: u8,
    ) -> Result<()> {
        instructions::trade_option::handler(ctx, order, buyer_health_accounts)
    }

    /// Taker (owner or trade delegate of its account): fills `fill_contracts` of a maker's signed
    /// option order at the order's premium per contract; the fill clears as `trade_option` does.
    /// The previous instruction must be the ed25519 verification of the 174-byte option order
    /// message (docs/options.md). Remaining accounts: the maker's health accounts, then the taker's.
    pub fn fill_option_order<'info>(
        ctx: Context<'info, FillOptionOrder<'info>>,
        order: crate::order::SignedOptionOrder,
        fill_contracts: u64,
        maker_health_accounts: u8,
    ) -> Result<()> {
        instructions::fill_option_order::handler(ctx, order, fill_contracts, maker_health_accounts)
    }

    /// Liquidator (its account's owner signs): takes over up to `contracts` of the liquidated
    /// account's option in slot `slot` at the model value moved by the fee against it; short
    /// options first; never more than LiquidationEnd health 0 needs. Remaining accounts: the
    /// liquidated account's health accounts, then the liquidator's (underlying and quote added).
    pub fn liquidate_option<'info>(
        ctx: Context<'info, LiquidateOption<'info>>,
        slot: u8,
        contracts: u64,
        liqee_health_accounts: u8,
    ) -> Result<()> {
        instructions::liquidate_option::handler(ctx, slot, contracts, liqee_health_accounts)
    }

    /// Permissionless settle crank: records the underlying's oracle price as a settlement sample
    /// of `expiry` (inside the window after expiry, spaced, at most 16); the first call creates
    /// the expiry's settlement record.
    pub fn record_option_sample(ctx: Context<RecordOptionSample>, expiry: i64) -> Result<()> {
        instructions::record_option_sample::handler(ctx, expiry)
    }

    /// Permissionless: once the window has closed, fixes `expiry`'s settlement price (the median
    /// of the valid spaced samples).
    pub fn settle_option_expiry(ctx: Context<SettleOptionExpiry>, expiry: i64) -> Result<()> {
        instructions::settle_option_expiry::handler(ctx, expiry)
    }

    /// Permissionless: settles the account's option in `slot` (of the settled `expiry`) into quote
    /// cash; shorts pay into the expiry's pot, longs are paid from it.
    pub fn settle_option_position(ctx: Context<SettleOptionPosition>, expiry: i64, slot: u8) -> Result<()> {
        instructions::settle_option_position::handler(ctx, expiry, slot)
    }

    /// Admin: creates the insurance fund's quote-asset vault; `cooldown_secs` is the unstake cooldown.
    pub fn create_insurance_fund(ctx: Context<CreateInsuranceFund>, cooldown_secs: u32) -> Result<()> {
        instructions::create_insurance_fund::handler(ctx, cooldown_secs)
    }

    /// Stakes `amount` quote native units in the insurance fund for shares.
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        instructions::stake::handler(ctx, amount)
    }

    /// Requests the withdrawal of `shares` after the cooldown.
    pub fn request_unstake(ctx: Context<UnstakeRequest>, shares: u64) -> Result<()> {
        instructions::request_unstake::handler(ctx, shares)
    }

    /// Cancels the pending unstake request.
    pub fn cancel_unstake(ctx: Context<UnstakeRequest>) -> Result<()> {
        instructions::cancel_unstake::handler(ctx)
    }

    /// After the cooldown: burns the requested shares and pays min(value now, value at request).
    pub fn withdraw_unstake(ctx: Context<WithdrawUnstake>) -> Result<()> {
        instructions::withdraw_unstake::handler(ctx)
    }

    /// Permissionless: moves the fund's fee claim on the quote vault into the fund's vault.
    pub fn sweep_insurance_fees(ctx: Context<SweepInsuranceFees>) -> Result<()> {
        instructions::sweep_insurance_fees::handler(ctx)
    }

    /// Admin: withdraws the value of `shares` protocol-owned shares of the fund (never stakers'), to
    /// a token account of the group's fee recipient.
    pub fn withdraw_protocol_insurance(ctx: Context<WithdrawProtocolInsurance>, shares: u64) -> Result<()> {
        instructions::withdraw_protocol_insurance::handler(ctx, shares)
    }

    /// Permissionless: for a bankrupt account (negative equity at oracle prices, no perp position,
    /// only dust no liquidation can take; remaining accounts: its health accounts), resolves up to
    /// `max_amount` native units of its debt in the bank's asset: dust goes to protocol fees, the
    /// insurance fund pays (quote debts, up to the asset's cap over the whole bankruptcy), the rest
    /// lowers the asset's deposit index.
    pub fn resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>, max_amount: u64) -> Result<()> {
        instructions::resolve_bankruptcy::handler(ctx, max_amount)
    }

    /// Permissionless: resolves a bankrupt account's perp loss in one market once no settlement
    /// or liquidation can take value from it: the insurance fund pays a winner (up to the market's
    /// cap over the whole bankruptcy), then the rest is socialized over the market's open
    /// interest. Remaining accounts: the bankrupt account's health accounts.
    pub fn resolve_perp_bankruptcy<'info>(ctx: Context<'info, ResolvePerpBankruptcy<'info>>) -> Result<()> {
        instructions::resolve_perp_bankruptcy::handler(ctx)
    }

    /// Permissionless: the insurance fund covers a bankrupt account's debt in a non-quote asset. A
    /// deliverer repays up to `max_amount` native units with its own tokens and the fund pays it in
    /// quote at the pair's liquidation rate, within the asset's cap over the whole bankruptcy.
    /// Remaining accounts: the account's health accounts with the quote asset added.
    pub fn cover_bankrupt_debt<'info>(ctx: Context<'info, CoverBankruptDebt<'info>>, max_amount: u64) -> Result<()> {
        instructions::cover_bankrupt_debt::handler(ctx, max_amount)
    }

    /// Admin: queues `change` (the exact new values) as proposal `num` (= the group's proposal
    /// count), executable by anyone from now + the group's timelock for 14 days. The change is
    /// validated now and again at execution. Remaining accounts: for an asset change the Asset,
    /// then the risk-group leader of an edit setting a member's risk parameters.
    pub fn propose_change(ctx: Context<ProposeChange>, num: u64, change: crate::governance::GovChange) -> Result<()> {
        instructions::propose_change::handler(ctx, num, change)
    }

    /// Admin or guardian: cancels a queued change.
    pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
        instructions::cancel_change::handler(ctx)
    }

    /// Permissionless: applies a queued change once its timelock has passed (and before it
    /// expires). Remaining accounts as for `propose_change` (the Asset writable).
    pub fn execute_change(ctx: Context<ExecuteChange>) -> Result<()> {
        instructions::execute_change::handler(ctx)
    }

    /// Admin or guardian: sets the instruction gate (bit n: `gate::Ix` n disabled). Adding bits
    /// applies at once; clearing one must be queued (`GovChange::SetIxGate`).
    pub fn set_ix_gate(ctx: Context<SetIxGate>, gate: u64) -> Result<()> {
        instructions::set_ix_gate::handler(ctx, gate)
    }

    /// Admin or guardian: a 30-minute panic pause of every instruction the pause policy names (at
    /// most 2 in a row, 3 per day); it ends by itself.
    pub fn panic_pause(ctx: Context<PanicPause>) -> Result<()> {
        instructions::panic_pause::handler(ctx)
    }

    /// Admin or guardian: freezes a margin account at once; unfreezing must be queued
    /// (`GovChange::SetAccountFrozen`).
    pub fn freeze_account(ctx: Context<FreezeAccount>, frozen: bool) -> Result<()> {
        instructions::freeze_account::handler(ctx, frozen)
    }

    /// Admin: creates price aggregate `num` (PDA `[aggregate, group, num]`): up to three sources,
    /// a quorum and a divergence bound, fixed for good. An asset uses it as an oracle of kind
    /// Aggregate (an oracle change: queued behind the timelock).
    pub fn create_price_aggregate(
        ctx: Context<CreatePriceAggregate>,
        num: u64,
        params: PriceAggregateParams,
    ) -> Result<()> {
        instructions::create_price_aggregate::handler(ctx, num, params)
    }

    /// Permissionless crank: aggregates the sources (remaining accounts, in order) into the
    /// median of the valid ones when a quorum agrees, else marks the aggregate invalid.
    pub fn update_price_aggregate(ctx: Context<UpdatePriceAggregate>) -> Result<()> {
        instructions::update_price_aggregate::handler(ctx)
    }

    /// Permissionless: sends an account's whole deposit of a force-closed asset (delisting) to a
    /// token account of the account's owner. No price, no health effect (a force-closed asset has
    /// no collateral value); not for a frozen account.
    pub fn force_withdraw(ctx: Context<ForceWithdraw>) -> Result<()> {
        instructions::force_withdraw::handler(ctx)
    }

    /// Owner: grants (or changes) a scoped delegate in the account's delegate book (created on
    /// first use, the owner paying rent): instruction classes, markets, a daily notional cap in
    /// quote native units, an expiry. At most MAX_BOOK_DELEGATES.
    pub fn grant_delegate(ctx: Context<GrantDelegate>, grant: DelegateGrant) -> Result<()> {
        instructions::grant_delegate::handler(ctx, grant)
    }

    /// Owner: removes a scoped delegate at once; the book closes (rent to the owner) when empty.
    pub fn revoke_delegate(ctx: Context<RevokeDelegate>, delegate: Pubkey) -> Result<()> {
        instructions::revoke_delegate::handler(ctx, delegate)
    }

    /// Anyone: creates the free claim of a price source (a Pyth pull feed id, or another
    /// source's account address) that a listing or an oracle change records its asset in; does
    /// nothing when it exists (catalogue OR-12).
    pub fn claim_feed(ctx: Context<ClaimFeed>, identity: [u8; 32]) -> Result<()> {
        instructions::claim_feed::handler(ctx, identity)
    }

    /// Anyone: records an asset's current price sources in their claims, marking it pegged when
    /// one is another asset's (the backfill of assets listed before claims; catalogue OR-12).
    pub fn record_asset_sources(ctx: Context<RecordAssetSources>) -> Result<()> {
        instructions::record_asset_sources::handler(ctx)
    }

    /// Test builds only: admin creates a stub oracle.
    #[cfg(feature = "test-oracle")]
    pub fn create_stub_oracle(ctx: Context<CreateStubOracle>, stub_num: u64) -> Result<()> {
        instructions::create_stub_oracle::handler(ctx, stub_num)
    }

    /// Test builds only: admin sets a stub oracle's price (mantissa, confidence, exponent, publish time).
    #[cfg(feature = "test-oracle")]
    pub fn set_stub_oracle(
        ctx: Context<SetStubOracle>,
        price: i64,
        conf: u64,
        expo: i32,
        publish_time: i64,
    ) -> Result<()> {
        instructions::set_stub_oracle::handler(ctx, price, conf, expo, publish_time)
    }
}
