//! The one error enum of the program. Anchor's own errors (AccountNotSigner, ConstraintSeeds,
//! ConstraintHasOne, ConstraintAddress, AccountOwnedByWrongProgram, ...) are used where they fit.

use anchor_lang::prelude::*;

use crate::risk::RiskError;

/// Ballast errors. Every failure path returns one of these (or an Anchor constraint error) and
/// leaves state unchanged.
#[error_code]
pub enum BallastError {
    /// A checked arithmetic operation overflowed.
    #[msg("math overflow")]
    MathOverflow,
    /// A parameter is outside its documented bounds.
    #[msg("invalid configuration")]
    InvalidConfig,
    /// The signer may not perform this action on this account.
    #[msg("unauthorized")]
    Unauthorized,
    /// The account still holds positions.
    #[msg("account not empty")]
    AccountNotEmpty,
    /// All position slots of this kind are in use.
    #[msg("no free position slot")]
    TooManyPositions,
    /// The account would have positions in more distinct assets than a health check supports.
    #[msg("too many assets in one account")]
    TooManyAssets,
    /// The amount exceeds the position it is taken from.
    #[msg("insufficient balance")]
    InsufficientBalance,
    /// A zero amount where a positive one is required.
    #[msg("amount must be positive")]
    ZeroAmount,
    /// The deposit would exceed the asset's deposit cap.
    #[msg("deposit cap exceeded")]
    DepositCapExceeded,
    /// Health accounts are missing, duplicated, out of canonical order, or foreign.
    #[msg("invalid health accounts")]
    InvalidHealthAccounts,
    /// More health accounts than any account can need: rejected before any is read.
    #[msg("too many health accounts")]
    TooManyHealthAccounts,
    /// The oracle account is not the one the asset is configured with.
    #[msg("unexpected oracle account")]
    UnexpectedOracle,
    /// The oracle price is older than the asset's max age (or a non-Trading legacy price).
    #[msg("oracle price is stale")]
    OracleStale,
    /// The oracle confidence interval is wider than the asset allows.
    #[msg("oracle confidence too wide")]
    OracleConfidence,
    /// The oracle price is zero or negative.
    #[msg("oracle price not positive")]
    OracleNonPositive,
    /// The oracle account is not owned by the oracle program of its kind.
    #[msg("oracle account has the wrong owner")]
    OracleWrongOwner,
    /// The Pyth pull update is for another feed id.
    #[msg("oracle feed id mismatch")]
    OracleFeedMismatch,
    /// The Pyth pull update is not fully verified.
    #[msg("oracle update not fully verified")]
    OracleVerificationLevel,
    /// The oracle account data cannot be parsed.
    #[msg("oracle account data invalid")]
    OracleInvalidData,
    /// The price cannot be represented (too large, or rounds to zero).
    #[msg("oracle price out of range")]
    OraclePriceOutOfRange,
    /// This oracle kind is not available in this build (stub oracles outside test builds).
    #[msg("oracle kind disabled in this build")]
    OracleKindDisabled,
    /// The action would leave Init health below zero without reducing risk.
    #[msg("init health must stay non-negative")]
    HealthMustBePositive,
    /// The mint has a Token-2022 extension that is not on the allowlist.
    #[msg("mint extension not allowed")]
    DisallowedMintExtension,
    /// The mint has a freeze authority and the listing did not accept it explicitly.
    #[msg("mint has a freeze authority")]
    MintHasFreezeAuthority,
    /// Asset indexes are assigned sequentially below MAX_ASSETS.
    #[msg("invalid asset index")]
    InvalidAssetIndex,
    /// The delegate's permission has expired.
    #[msg("delegate expired")]
    DelegateExpired,
    /// Deposits into this asset are disabled.
    #[msg("deposits disabled")]
    DepositsDisabled,
    /// Withdrawals from this asset are disabled.
    #[msg("withdrawals disabled")]
    WithdrawalsDisabled,
    /// The address is already in use by an account.
    #[msg("account already exists")]
    AccountAlreadyExists,
    /// Health is below the minimum asked for by `check_health`.
    #[msg("health below minimum")]
    HealthBelowMinimum,
    /// The asset does not allow borrowing.
    #[msg("borrowing disabled for this asset")]
    BorrowingDisabled,
    /// Total borrows would exceed the borrow cap.
    #[msg("borrow cap exceeded")]
    BorrowCapExceeded,
    /// Borrows would exceed the utilization cap of accounted deposits.
    #[msg("utilization cap exceeded")]
    UtilizationCapExceeded,
    /// Net borrows in the current window would exceed the limit.
    #[msg("net borrow limit exceeded")]
    NetBorrowLimitExceeded,
    /// A borrow would leave a debt below the minimum borrow size.
    #[msg("borrow below minimum size")]
    BorrowTooSmall,
    /// The amount exceeds the protocol fees accrued.
    #[msg("amount exceeds accrued fees")]
    InsufficientFees,
    /// The asset has no enabled perp market.
    #[msg("perp market not enabled")]
    PerpMarketDisabled,
    /// The trade price lies outside the market's band around the oracle.
    #[msg("price outside the band around the oracle")]
    PriceOutsideBand,
    /// The trade would raise open interest above the market's cap.
    #[msg("max open interest exceeded")]
    MaxOpenInterest,
    /// The market is reduce-only and the trade would open, add to or flip a position; or the
    /// asset is reduce-only and a deposit would exceed the account's borrow.
    #[msg("market is reduce-only")]
    ReduceOnly,
    /// Both sides of a trade, or of a settlement, are the same account.
    #[msg("both sides are the same account")]
    SameAccount,
    /// The signed order has expired.
    #[msg("order expired")]
    OrderExpired,
    /// The instruction before this one is not a single-signature ed25519 verification.
    #[msg("ed25519 verification instruction missing")]
    MissingSignatureVerification,
    /// The verified message or signer differs from the order.
    #[msg("order signature does not match the order")]
    OrderSignatureMismatch,
    /// The fill exceeds the order's remaining size (or the order is filled or cancelled).
    #[msg("order size exhausted")]
    OrderSizeExhausted,
    /// The nonce was already used for a different order message.
    #[msg("nonce already used for another order")]
    NonceReused,
    /// The market's fee exceeds the order's max fee.
    #[msg("fee above the order's max fee")]
    FeeAboveOrderMax,
    /// Neither account has PnL the other can settle.
    #[msg("nothing to settle")]
    NothingToSettle,
    /// The market's settle limit for the current window is used up.
    #[msg("settle limit reached for this window")]
    SettleLimitReached,
    /// The account passed as the quote asset is not the group's quote asset.
    #[msg("not the group's quote asset")]
    NotQuoteAsset,
    /// The account is not liquidatable (Maint health >= 0, or LiquidationEnd >= 0 once started).
    #[msg("account not liquidatable")]
    NotLiquidatable,
    /// The liquidator's own account is being liquidated or is liquidatable.
    #[msg("liquidator is being liquidated")]
    LiquidatorBeingLiquidated,
    /// The step would not raise the liquidated account's LiquidationEnd health.
    #[msg("liquidation would not improve health")]
    WorseHealthPostLiquidation,
    /// The account has nothing of that kind to liquidate (no such liability, asset or position).
    #[msg("nothing to liquidate")]
    NothingToLiquidate,
    /// The asset may not be seized by liquidators.
    #[msg("asset liquidation disabled")]
    TokenAssetLiquidationDisabled,
    /// An oracle price is too far from its stable price for liquidation.
    #[msg("oracle price too far from the stable price")]
    OracleDeviatesFromStable,
    /// Asset and liability are the same asset.
    #[msg("asset and liability must differ")]
    SameAsset,
    /// Shares exist but the insurance fund holds nothing: new stakes are refused.
    #[msg("insurance fund empty with shares outstanding")]
    InsuranceFundEmpty,
    /// The unstake request's cooldown has not passed, or there is no request.
    #[msg("unstake cooldown not over")]
    UnstakeCooldown,
    /// A request is already pending, or shares are insufficient.
    #[msg("invalid unstake request")]
    InvalidUnstakeRequest,
    /// The insurance fund is not created, or already exists.
    #[msg("insurance fund state invalid")]
    InsuranceFundState,
    /// The account still holds assets or perp positions: liquidate them first.
    #[msg("account still has positions to liquidate")]
    HasLiquidatablePositions,
    /// The account's equity at oracle prices is not negative: it is not bankrupt (S2-19).
    #[msg("account is not insolvent")]
    NotInsolvent,
    /// The unstake request was not withdrawn within the window after its cooldown: cancel it and
    /// request again (S2-11).
    #[msg("unstake request expired")]
    UnstakeRequestExpired,
    /// The losing account's collateral covers none of its perp loss (its equity at oracle prices
    /// is below minus the loss): the rest waits for its liquidation and bankruptcy (S2-22).
    #[msg("the loser's collateral does not cover its loss")]
    LossNotCovered,
    /// The account still has a perp position with base: liquidate it first (perp bankruptcy).
    #[msg("the account has no bankrupt perp loss in this market")]
    NoPerpLoss,
    /// `cover_bankrupt_debt` covers debts in assets other than the quote asset; the fund pays
    /// quote-asset debts in `resolve_bankruptcy` (S2-23).
    #[msg("quote debts are covered by resolve_bankruptcy")]
    QuoteDebtNotCovered,
    /// The underlying's option market is not enabled (or not configured) for positions that open
    /// or grow.
    #[msg("option market disabled")]
    OptionMarketDisabled,
    /// The option series cannot be traded: its expiry is not listed, has passed or is settled, its
    /// kind is not 0 (call) or 1 (put), or the strike of a position that opens or grows is outside
    /// the band around the oracle.
    #[msg("option series not tradable")]
    OptionSeriesInvalid,
    /// The account holds unsettled option positions: liquidate (`liquidate_option`) or settle them
    /// before its bankruptcy is resolved.
    #[msg("liquidate the account's options first")]
    OptionsLiquidateFirst,
    /// The account holds short option positions: those are liquidated before its long ones.
    #[msg("liquidate the account's short options first")]
    ShortOptionsFirst,
    /// One contract fewer would already bring the account to its LiquidationEnd target: the step
    /// takes more than needed.
    #[msg("the liquidation step is larger than needed")]
    LiquidationBeyondTarget,
    /// The settlement sample's publish time is outside the expiry's settlement window (from expiry
    /// to expiry plus the window), the record holds its 16 samples already, or the expiry is settled.
    #[msg("outside the option settlement window")]
    OptionSettlementWindow,
    /// A settlement sample must be published at least the market's spacing after the last one
    /// recorded (catalogue PX-05: a one-slot move yields one sample).
    #[msg("settlement sample too soon after the last")]
    OptionSettlementSpacing,
    /// The expiry cannot be settled yet (its window is still open, or fewer valid samples than the
    /// market requires), or a position's expiry has no settlement price yet.
    #[msg("option expiry not settled")]
    OptionSettlementNotReady,
    /// The expiry's pot holds less than this long position receives: settle the short positions
    /// first (they pay into the pot).
    #[msg("settle the short positions of this expiry first")]
    OptionSettlementAwaitingShorts,
    /// The asset's net outflow in the current window would exceed its withdrawal rate limit
    /// (`Asset.outflow_limit`): wait for the next window. Deposits and repays are never limited.
    #[msg("withdrawal rate limit of the asset reached for this window")]
    WithdrawalRateLimited,
    /// The change can increase risk or move value: the admin must queue it with `propose_change`
    /// and anyone executes it after the group's timelock (docs/governance.md).
    #[msg("this change must be queued behind the timelock")]
    TimelockRequired,
    /// The guardian may only make changes that reduce risk (pause, reduce-only, lower caps and
    /// weights, cancel a queued change); never re-enable, raise or move value (catalogue AG-05).
    #[msg("the guardian may only reduce risk")]
    GuardianCannotIncreaseRisk,
    /// The proposal is not queued (already executed or cancelled).
    #[msg("proposal not queued")]
    ProposalNotQueued,
    /// The proposal's timelock has not passed yet.
    #[msg("proposal timelock not passed")]
    ProposalNotReady,
    /// The proposal was not executed within its grace period after the timelock; queue it again.
    #[msg("proposal expired")]
    ProposalExpired,
    /// The accounts passed do not match the proposal (target account, number or payload).
    #[msg("accounts do not match the proposal")]
    ProposalMismatch,
    /// The instruction is disabled by the group's instruction gate (`Group.ix_gate`).
    #[msg("instruction disabled")]
    IxDisabled,
    /// The group's panic pause runs: the instruction resumes when it ends (docs/governance.md).
    #[msg("protocol paused")]
    ProtocolPaused,
    /// The account is frozen by the guardian: it may deposit, repay and cancel orders, and be
    /// liquidated, but not withdraw, trade or liquidate.
    #[msg("account frozen")]
    AccountFrozen,
    /// No more panic pauses now: at most 2 in a row and 3 per day.
    #[msg("panic pause limit reached")]
    PanicPauseLimit,
    /// What the queued change replaces has changed since it was queued (another change, or the
    /// guardian's): it would undo that; queue it again.
    #[msg("proposal stale: its target changed since it was queued")]
    ProposalStale,
    /// In a group with a timelock a listed expiry's smile is updated at most once an hour.
    #[msg("smile updated too recently")]
    SmileUpdateTooSoon,
    /// The asset's oracle price is further from its stable price than its deviation breaker
    /// allows: withdrawals, borrows and trades in it wait until the two are close again; deposits,
    /// repays and liquidations continue (catalogue OR-10).
    #[msg("price deviation breaker: oracle too far from the stable price")]
    PriceDeviationBreaker,
    /// Fewer valid price sources than the aggregate's quorum agree with their median: the
    /// aggregated price is invalid until a crank finds a quorum again.
    #[msg("price sources: no quorum")]
    OracleQuorum,
    /// The price aggregate was created less than the group's timelock ago: no asset reads it yet.
    #[msg("price aggregate not usable yet")]
    OracleAggregatePending,
    /// The asset is not in force-close mode (delisting): `force_withdraw` does not apply.
    #[msg("asset not force-closed")]
    NotForceClosed,
    /// The account owes something or carries a perp or option position: its force-closed deposit
    /// stays for its liquidation (or until it repays and closes them).
    #[msg("force withdraw: the account has liabilities")]
    ForceWithdrawWithLiabilities,
    /// The delegate may not act in this market (its book entry's markets).
    #[msg("delegate not allowed in this market")]
    DelegateMarketNotAllowed,
    /// The action would take the delegate past its daily notional cap.
    #[msg("delegate daily notional cap reached")]
    DelegateCapExceeded,
    /// A delegate may not trade or liquidate against an account whose owner is the delegate
    /// itself (value to itself).
    #[msg("delegate may not deal with its own account")]
    DelegateSelfDealing,
    /// The delegate book is full (MAX_BOOK_DELEGATES).
    #[msg("too many delegates")]
    TooManyDelegates,
    /// The delegate book has no entry for this key.
    #[msg("delegate not found")]
    DelegateNotFound,
    /// A delegate book passed for a delegate's charge must be writable.
    #[msg("delegate book must be writable")]
    DelegateBookReadOnly,
    /// A listing or oracle change needs the claim account of each of its price sources (and an
    /// aggregate's account); a claim still free must be writable.
    #[msg("price source claim missing")]
    FeedClaimMissing,
    /// The asset is priced by a source another asset used first (a wrapped or pegged asset on its
    /// underlying's feed) and lacks the depeg shock: maint down and up shocks and basis charge of
    /// at least MIN_DEPEG_SHOCK_BPS, and a deposit cap (catalogue OR-12).
    #[msg("cross-asset price source without a depeg shock")]
    CrossAssetOracle,
    /// The account has a delegate book: revoke its delegates (which closes it) first.
    #[msg("the account has delegates: revoke them first")]
    DelegateBookOpen,
    /// The key is the account's v0.1.0 delegate (`set_delegate`), or the account has a delegate
    /// book: one key is never both kinds of delegate, so a book's limits always apply.
    #[msg("delegate already set the other way")]
    DelegateKindConflict,
}

/// Maps the pure engine's errors onto the program's enum (one `error!` for every variant keeps the
/// stack frame small).
pub fn risk_err(e: RiskError) -> Error {
    let code = match e {
        RiskError::MathOverflow => BallastError::MathOverflow,
        RiskError::TooManyAssets => BallastError::TooManyAssets,
        RiskError::InvalidParam(what) => {
            msg!("invalid parameter: {}", what);
            BallastError::InvalidConfig
        }
        RiskError::InsufficientBalance => BallastError::InsufficientBalance,
        RiskError::ZeroAmount => BallastError::ZeroAmount,
        RiskError::BorrowCapExceeded => BallastError::BorrowCapExceeded,
        RiskError::UtilizationCapExceeded => BallastError::UtilizationCapExceeded,
        RiskError::NetBorrowLimitExceeded => BallastError::NetBorrowLimitExceeded,
        RiskError::BorrowTooSmall => BallastError::BorrowTooSmall,
        RiskError::PriceOutsideBand => BallastError::PriceOutsideBand,
        RiskError::SettleLimitReached => BallastError::SettleLimitReached,
        RiskError::NothingToLiquidate => BallastError::NothingToLiquidate,
        RiskError::WorseHealth => BallastError::WorseHealthPostLiquidation,
        RiskError::LiquidatorHealth => BallastError::HealthMustBePositive,
        RiskError::NotInsolvent => BallastError::NotInsolvent,
        RiskError::HasLiquidatablePositions => BallastError::HasLiquidatablePositions,
        RiskError::OptionsFirst => BallastError::OptionsLiquidateFirst,
        RiskError::WithdrawalRateLimited => BallastError::WithdrawalRateLimited,
    };
    error!(code)
}

/// `?`-friendly conversion of risk results.
pub trait RiskResultExt<T> {
    /// Converts a [`RiskError`] into a program error.
    fn map_risk(self) -> Result<T>;
}

impl<T> RiskResultExt<T> for core::result::Result<T, RiskError> {
    fn map_risk(self) -> Result<T> {
        self.map_err(risk_err)
    }
}
