//! Events: one per state change, each starting with the common [`EventHeader`]. Amounts are in
//! native token units, values in quote native units (USD with 6 decimals), fixed-point numbers as
//! raw bits (`_bits` fields: I80F48 for amounts, I48F80 for prices).

use anchor_lang::prelude::*;

use crate::constants::EVENT_VERSION;

/// Common header of every event.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventHeader {
    /// Event format version (EVENT_VERSION).
    pub version: u8,
    /// Group the event belongs to.
    pub group: Pubkey,
    /// Slot of the instruction.
    pub slot: u64,
    /// Unix timestamp of the instruction, seconds.
    pub unix_timestamp: i64,
}

impl EventHeader {
    /// Header for `group` at the current clock.
    pub fn now(group: Pubkey) -> Result<Self> {
        let clock = Clock::get()?;
        Ok(EventHeader { version: EVENT_VERSION, group, slot: clock.slot, unix_timestamp: clock.unix_timestamp })
    }
}

/// A group was created.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct GroupCreated {
    /// Header.
    pub header: EventHeader,
    /// Admin key.
    pub admin: Pubkey,
    /// Guardian key.
    pub guardian: Pubkey,
    /// Group number.
    pub group_num: u32,
    /// Timelock, seconds.
    pub timelock_secs: u64,
}

/// An asset was listed.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AssetListed {
    /// Header.
    pub header: EventHeader,
    /// Asset account.
    pub asset: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Mint.
    pub mint: Pubkey,
    /// Mint decimals.
    pub decimals: u8,
    /// Primary oracle account.
    pub oracle: Pubkey,
    /// Oracle kind byte.
    pub oracle_kind: u8,
    /// Initial stable price, I48F80 bits (quote native per base native).
    pub price_bits: i128,
}

/// An asset's parameters were edited.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AssetEdited {
    /// Header.
    pub header: EventHeader,
    /// Asset account.
    pub asset: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// The edit as sent: every field that is `Some` was set to that value.
    pub changes: crate::instructions::edit_asset::EditAssetParams,
}

/// An asset's stable price was refreshed from its oracle.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AssetRefreshed {
    /// Header.
    pub header: EventHeader,
    /// Asset index.
    pub asset_index: u16,
    /// Oracle price, I48F80 bits (quote native per base native).
    pub oracle_price_bits: i128,
    /// Stable price after the update, I48F80 bits.
    pub stable_price_bits: i128,
    /// Publish time of the oracle price, unix seconds.
    pub publish_time: i64,
}

/// A margin account was created.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AccountCreated {
    /// Header.
    pub header: EventHeader,
    /// Margin account.
    pub account: Pubkey,
    /// Owner.
    pub owner: Pubkey,
    /// Account number.
    pub account_num: u32,
}

/// A margin account was closed and its rent returned.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AccountClosed {
    /// Header.
    pub header: EventHeader,
    /// Margin account.
    pub account: Pubkey,
    /// Owner.
    pub owner: Pubkey,
}

/// A delegate was set or cleared.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct DelegateSet {
    /// Header.
    pub header: EventHeader,
    /// Margin account.
    pub account: Pubkey,
    /// Delegate (default key: none).
    pub delegate: Pubkey,
    /// DELEGATE_* scope bits.
    pub scope: u8,
    /// Expiry, unix seconds (0: none).
    pub expiry: i64,
}

/// Tokens were deposited.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct Deposited {
    /// Header.
    pub header: EventHeader,
    /// Margin account credited.
    pub account: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Signer that paid.
    pub depositor: Pubkey,
    /// Native units received by the vault (the credited amount).
    pub amount: u64,
    /// Position after, index shares, I80F48 bits.
    pub indexed_after_bits: i128,
}

/// Tokens were withdrawn.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct Withdrew {
    /// Header.
    pub header: EventHeader,
    /// Margin account debited.
    pub account: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Destination token account.
    pub destination: Pubkey,
    /// Native units sent.
    pub amount: u64,
    /// Init health after, quote native units, I80F48 bits.
    pub init_health_after_bits: i128,
}

/// A stub oracle price was set (test-oracle builds).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct StubOracleSet {
    /// Header.
    pub header: EventHeader,
    /// Stub oracle account.
    pub oracle: Pubkey,
    /// Price mantissa.
    pub price: i64,
    /// Exponent.
    pub expo: i32,
}

/// A borrow was repaid.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct Repaid {
    /// Header.
    pub header: EventHeader,
    /// Margin account whose debt fell.
    pub account: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Signer that paid.
    pub payer: Pubkey,
    /// Native units repaid.
    pub amount: u64,
    /// Debt left, native units.
    pub debt_after: u64,
}

/// Protocol fees were withdrawn by the admin.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct FeesWithdrawn {
    /// Header.
    pub header: EventHeader,
    /// Asset index.
    pub asset_index: u16,
    /// Native units withdrawn.
    pub amount: u64,
    /// Fees left, native units, I80F48 bits.
    pub fees_left_bits: i128,
}

/// A perp market was configured.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PerpMarketSet {
    /// Header.
    pub header: EventHeader,
    /// Asset index.
    pub asset_index: u16,
    /// Native base units per lot.
    pub base_lot_size: u64,
    /// PERP_FLAG_* bits.
    pub flags: u8,
    /// The market's whole configuration after the change.
    pub params: crate::state::PerpMarketParams,
}

/// A perp trade was cleared.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PerpTraded {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the market.
    pub asset_index: u16,
    /// Buying margin account.
    pub buyer: Pubkey,
    /// Selling margin account.
    pub seller: Pubkey,
    /// Lots traded.
    pub lots: u64,
    /// Price, quote native units per lot.
    pub price_per_lot: u64,
    /// Fee paid by the buyer, quote native units.
    pub buyer_fee: u64,
    /// Fee paid by the seller, quote native units.
    pub seller_fee: u64,
    /// Oracle price, quote native per base native, I48F80 bits.
    pub oracle_price_bits: i128,
    /// Funding index after the trade, I80F48 bits.
    pub funding_index_bits: i128,
    /// Open interest after, lots.
    pub open_interest: u64,
    /// Nonce of the signed order (None: block trade).
    pub order_nonce: Option<u64>,
}

/// A signed order's nonce was cancelled by its maker.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OrderCancelled {
    /// Header.
    pub header: EventHeader,
    /// Maker margin account.
    pub account: Pubkey,
    /// Nonce.
    pub nonce: u64,
}

/// Perp PnL was settled between two accounts.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PnlSettled {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the market.
    pub asset_index: u16,
    /// Account with positive PnL (credited in the quote asset).
    pub profitable: Pubkey,
    /// Account with negative PnL (debited in the quote asset).
    pub unprofitable: Pubkey,
    /// Quote native units settled.
    pub amount: u64,
    /// Oracle price, I48F80 bits.
    pub oracle_price_bits: i128,
}

/// A liquidation step, as v0.1.0 emitted it. No longer emitted: superseded by [`TokenLiquidated`]
/// and [`PerpLiquidated`], whose fields each have one unit (this one mixed lots and prices for
/// perps). Kept so that the layout of a released event never disappears from the IDL.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct Liquidated {
    /// Header.
    pub header: EventHeader,
    /// Liquidated account.
    pub liqee: Pubkey,
    /// Liquidator account.
    pub liqor: Pubkey,
    /// Asset seized (token) or perp market (perp).
    pub asset_index: u16,
    /// Liability repaid (token); the quote asset (perp).
    pub liab_index: u16,
    /// True for a perp position takeover.
    pub perp: bool,
    /// Token: liability repaid, native units. Perp: lots taken over.
    pub liab_amount: u64,
    /// Token: asset seized from the liquidated account, native units. Perp: price per lot, quote
    /// native units.
    pub asset_amount: u64,
    /// Insurance fund's share of the fee (token: native units of the asset; perp: quote native).
    pub to_insurance: u64,
    /// Fee applied, bps (base plus the time ramp).
    pub fee_bps: u32,
    /// Liquidated account's LiquidationEnd health after, quote native units, I80F48 bits.
    pub liqee_end_health_after_bits: i128,
}

/// Quote tokens were staked in the insurance fund.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct InsuranceStaked {
    /// Header.
    pub header: EventHeader,
    /// Staker.
    pub owner: Pubkey,
    /// Quote native units received.
    pub amount: u64,
    /// Shares minted.
    pub shares: u64,
}

/// An unstake was requested.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct UnstakeRequested {
    /// Header.
    pub header: EventHeader,
    /// Staker.
    pub owner: Pubkey,
    /// Shares requested.
    pub shares: u64,
    /// Their value at the request, quote native units (the most the withdrawal pays).
    pub value: u64,
}

/// Shares of the insurance fund were burned and paid (a staker's request or protocol shares).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct InsuranceUnstaked {
    /// Header.
    pub header: EventHeader,
    /// Staker (the admin for protocol shares).
    pub owner: Pubkey,
    /// Shares burned.
    pub shares: u64,
    /// Quote native units paid.
    pub amount: u64,
}

/// Fees owed to the insurance fund were swept into its vault.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct InsuranceFeesSwept {
    /// Header.
    pub header: EventHeader,
    /// Quote native units swept.
    pub amount: u64,
}

/// A bankruptcy step: debt paid by the insurance fund and written off against depositors.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct BankruptcyResolved {
    /// Header.
    pub header: EventHeader,
    /// The bankrupt account.
    pub account: Pubkey,
    /// Asset of the debt.
    pub asset_index: u16,
    /// Paid by the insurance fund, native units.
    pub insurance_paid: u64,
    /// Written off against the asset's depositors, native units.
    pub socialized: u64,
    /// Debt left, native units.
    pub debt_left: u64,
}

/// A perp bankruptcy step: a bankrupt account's perp loss paid by the insurance fund (to a winner)
/// and socialized over the market's open interest (S2-22).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PerpBankruptcyResolved {
    /// Header.
    pub header: EventHeader,
    /// The bankrupt account.
    pub account: Pubkey,
    /// Asset index of the perp market.
    pub asset_index: u16,
    /// The winner the fund paid.
    pub profitable: Pubkey,
    /// Paid by the insurance fund to the winner, quote native units.
    pub insurance_paid: u64,
    /// Socialized over the market's open interest, quote native units.
    pub socialized: u64,
    /// Loss left on the account, quote native units.
    pub loss_left: u64,
    /// The market's socialized-loss index after the step, I80F48 bits.
    pub loss_index_bits: i128,
}

/// A bankrupt account's debt in a non-quote asset covered by the insurance fund (S2-23): a
/// deliverer repaid it with its own tokens and the fund paid the deliverer in quote.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct BankruptDebtCovered {
    /// Header.
    pub header: EventHeader,
    /// The bankrupt account.
    pub account: Pubkey,
    /// Asset of the debt.
    pub asset_index: u16,
    /// Who delivered the tokens and was paid.
    pub deliverer: Pubkey,
    /// Debt repaid with the delivered tokens, native units of the asset.
    pub amount: u64,
    /// Paid by the insurance fund to the deliverer, quote native units.
    pub quote_paid: u64,
    /// Debt left, native units of the asset.
    pub debt_left: u64,
}

/// A token liquidation step: the liquidator repaid part of the liquidated account's borrow in L
/// and received its deposit in A.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct TokenLiquidated {
    /// Header.
    pub header: EventHeader,
    /// Liquidated account.
    pub liqee: Pubkey,
    /// Liquidator account.
    pub liqor: Pubkey,
    /// Asset A, seized.
    pub asset_index: u16,
    /// Asset L, repaid.
    pub liab_index: u16,
    /// Liability repaid, native units of L.
    pub liab_repaid: u64,
    /// Asset seized from the liquidated account, native units of A.
    pub asset_seized: u64,
    /// Of the seized asset, the insurance fund's share, native units of A.
    pub to_insurance: u64,
    /// Fee applied, bps (base plus the time ramp).
    pub fee_bps: u32,
    /// Liquidated account's LiquidationEnd health after, quote native units, I80F48 bits.
    pub liqee_end_health_after_bits: i128,
}

/// A perp liquidation step: the liquidator took over part of the liquidated account's position.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PerpLiquidated {
    /// Header.
    pub header: EventHeader,
    /// Liquidated account.
    pub liqee: Pubkey,
    /// Liquidator account.
    pub liqor: Pubkey,
    /// The perp market's asset index.
    pub asset_index: u16,
    /// Lots taken over.
    pub lots: u64,
    /// True when the liquidated position was long (the liquidator bought it).
    pub long: bool,
    /// Price per lot of the takeover, quote native units (the oracle less or plus the fee).
    pub price_per_lot: u64,
    /// Insurance fund's share of the fee, quote native units.
    pub to_insurance: u64,
    /// Fee applied, bps (base plus the time ramp).
    pub fee_bps: u32,
    /// Oracle price, quote native per base native, I48F80 bits.
    pub oracle_price_bits: i128,
    /// Liquidated account's LiquidationEnd health after, quote native units, I80F48 bits.
    pub liqee_end_health_after_bits: i128,
}

/// The group's liquidation configuration was set (the new values).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationConfigSet {
    /// Header.
    pub header: EventHeader,
    /// The configuration as set.
    pub config: crate::instructions::set_liquidation_config::LiquidationConfigParams,
}

/// The group's insurance fund was created.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct InsuranceFundCreated {
    /// Header.
    pub header: EventHeader,
    /// The fund's quote token vault.
    pub vault: Pubkey,
    /// Seconds between an unstake request and its withdrawal.
    pub cooldown_secs: u32,
}

/// A pending unstake request was cancelled.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct UnstakeCancelled {
    /// Header.
    pub header: EventHeader,
    /// Staker.
    pub owner: Pubkey,
    /// Shares the request named (they stay staked).
    pub shares: u64,
}

/// An asset's option market was configured.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionMarketSet {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// The configuration as sent.
    pub params: crate::state::OptionMarketParams,
}

/// An expiry was listed in an option market, or its volatility smile updated.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionExpirySet {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry slot.
    pub slot: u8,
    /// The smile (its `expiry` is the expiry, unix seconds).
    pub smile: crate::risk::options::smile::VolSmile,
    /// True when the expiry was newly listed in the slot.
    pub listed: bool,
}

/// An option trade was cleared.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionTraded {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Strike, quote native per base native, I48F80 bits.
    pub strike_bits: i128,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Buying margin account.
    pub buyer: Pubkey,
    /// Selling margin account.
    pub seller: Pubkey,
    /// Contracts traded.
    pub contracts: u64,
    /// Premium paid by the buyer, quote native units.
    pub premium: u64,
    /// Fee each side paid, quote native units.
    pub fee: u64,
    /// Model value of the contracts bought, quote native units, I80F48 bits.
    pub model_value_bits: i128,
    /// Open interest of the underlying after, contracts.
    pub open_interest: u64,
    /// Nonce of the maker's signed option order (None: block trade).
    pub order_nonce: Option<u64>,
}

/// The settle crank recorded an oracle sample of an expiry.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionSampleRecorded {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Publish time of the sample.
    pub publish_time: i64,
    /// Price, I48F80 bits.
    pub price_bits: i128,
    /// Samples recorded so far.
    pub count: u8,
}

/// An expiry's settlement price was fixed.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionExpirySettled {
    /// Header.
    pub header: EventHeader,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Settlement price, I48F80 bits.
    pub price_bits: i128,
    /// Samples recorded.
    pub samples: u8,
}

/// An option position was settled into quote cash.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionPositionSettled {
    /// Header.
    pub header: EventHeader,
    /// Margin account.
    pub account: Pubkey,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Strike, I48F80 bits.
    pub strike_bits: i128,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Contracts settled (long positive).
    pub contracts: i64,
    /// Quote native units received (long) or paid (short, negative).
    pub cash: i64,
}

/// A liquidator took over option contracts.
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct OptionLiquidated {
    /// Header.
    pub header: EventHeader,
    /// Liquidated margin account.
    pub liqee: Pubkey,
    /// Liquidator margin account.
    pub liqor: Pubkey,
    /// Asset index of the underlying.
    pub asset_index: u16,
    /// Expiry, unix seconds.
    pub expiry: i64,
    /// Strike, I48F80 bits.
    pub strike_bits: i128,
    /// 0 call, 1 put.
    pub kind: u8,
    /// Contracts taken over.
    pub contracts: u64,
    /// True when the liquidated position was long.
    pub liqee_long: bool,
    /// Quote native units paid (by the liquidator for a long, to it for a short).
    pub cash: u64,
    /// Fee charged, quote native units (included in `cash`).
    pub fee: u64,
    /// The liquidated account's LiquidationEnd health after, I80F48 bits.
    pub end_health_bits: i128,
}

/// A change was queued behind the timelock (`propose_change`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeQueued {
    /// Header.
    pub header: EventHeader,
    /// Proposal account.
    pub proposal: Pubkey,
    /// Proposal number in the group.
    pub num: u64,
    /// The Asset the change applies to (default key: the group).
    pub target: Pubkey,
    /// Earliest execution, unix seconds.
    pub eta: i64,
    /// Execution refused from this time on, unix seconds.
    pub expires_ts: i64,
    /// SHA-256 of the Borsh-encoded change.
    pub hash: [u8; 32],
    /// The change: the exact new values.
    pub change: crate::governance::GovChange,
    /// SHA-256 of what the change replaces (`governance::base_hash`), required unchanged at
    /// execution.
    pub base_hash: [u8; 32],
}

/// A queued change was cancelled (`cancel_change`, admin or guardian).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeCancelled {
    /// Header.
    pub header: EventHeader,
    /// Proposal account.
    pub proposal: Pubkey,
    /// Proposal number in the group.
    pub num: u64,
    /// Who cancelled it.
    pub by: Pubkey,
    /// SHA-256 of the change.
    pub hash: [u8; 32],
}

/// A queued change was executed (`execute_change`, anyone after the timelock).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeExecuted {
    /// Header.
    pub header: EventHeader,
    /// Proposal account.
    pub proposal: Pubkey,
    /// Proposal number in the group.
    pub num: u64,
    /// The Asset the change applied to (default key: the group).
    pub target: Pubkey,
    /// SHA-256 of the change.
    pub hash: [u8; 32],
    /// The change as applied.
    pub change: crate::governance::GovChange,
}

/// The instruction gate was set by `set_ix_gate` (an executed `SetIxGate` is `ChangeExecuted`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct IxGateSet {
    /// Header.
    pub header: EventHeader,
    /// The gate before.
    pub old_gate: u64,
    /// The gate after (bit n: `gate::Ix` n disabled).
    pub gate: u64,
    /// Who set it.
    pub by: Pubkey,
}

/// A panic pause started (`panic_pause`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PanicPaused {
    /// Header.
    pub header: EventHeader,
    /// The pause ends at this time, unix seconds.
    pub until: i64,
    /// Pauses in the current row (at most 2).
    pub in_row: u8,
    /// Pauses in the current day (at most 3).
    pub today: u8,
    /// Who paused.
    pub by: Pubkey,
}

/// An account was frozen or unfrozen by `freeze_account` (an executed `SetAccountFrozen` is
/// `ChangeExecuted`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFrozenSet {
    /// Header.
    pub header: EventHeader,
    /// The margin account.
    pub account: Pubkey,
    /// Frozen after.
    pub frozen: bool,
    /// Who set it.
    pub by: Pubkey,
}

/// A price aggregate was cranked (`update_price_aggregate`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct PriceAggregated {
    /// Header.
    pub header: EventHeader,
    /// The aggregate.
    pub aggregate: Pubkey,
    /// True when a quorum agreed (the price below is the new one); false: invalid until a later
    /// crank finds a quorum (the price below is the last valid one).
    pub valid: bool,
    /// Price, I48F80 bits (quote native per base native).
    pub price_bits: i128,
    /// Confidence, bps.
    pub conf_bps: u32,
    /// Publish time, unix seconds.
    pub publish_time: i64,
    /// Bitmap of the agreeing sources.
    pub agreeing: u8,
}

/// A force-closed asset's deposit was returned to its account's owner (`force_withdraw`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct ForceWithdrawn {
    /// Header.
    pub header: EventHeader,
    /// The margin account.
    pub account: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Native units sent to the owner.
    pub amount: u64,
}

/// A scoped delegate was granted or changed (`grant_delegate`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct DelegateGranted {
    /// Header.
    pub header: EventHeader,
    /// The margin account.
    pub account: Pubkey,
    /// The delegate.
    pub delegate: Pubkey,
    /// DELEGATE_* scope bits.
    pub scope: u8,
    /// Expiry, unix seconds (0: none).
    pub expiry: i64,
    /// Every market.
    pub all_markets: bool,
    /// Its markets (asset indexes), the first `market_count`.
    pub markets: [u16; 8],
    /// Markets listed.
    pub market_count: u8,
    /// Daily notional cap, quote native units (u64::MAX: none).
    pub daily_cap: u64,
}

/// A scoped delegate was removed (`revoke_delegate`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct DelegateRevoked {
    /// Header.
    pub header: EventHeader,
    /// The margin account.
    pub account: Pubkey,
    /// The delegate removed.
    pub delegate: Pubkey,
}

/// An asset's price sources were recorded in their claims (`record_asset_sources`).
#[event]
#[derive(Clone, Debug, PartialEq)]
pub struct AssetSourcesRecorded {
    /// Header.
    pub header: EventHeader,
    /// Asset index.
    pub asset_index: u16,
    /// The asset is pegged (a source was another asset's).
    pub pegged: bool,
}
