//! ballast-sdk: everything an integrator, a liquidation bot or the `ballast` binary needs to talk
//! to the Ballast program.
//!
//! * [`pda`]: program-derived addresses from the program's seed constants;
//! * [`ix`]: one pure builder per instruction, returning an `Instruction`;
//! * [`lending`]: utilization, rates and interest projections;
//! * [`decode`]: account decoding from raw bytes; [`events`]: event decoding;
//! * [`health`]: the canonical health-account list and off-chain health computed by the
//!   program's own risk code;
//! * [`transport`]: a [`transport::Transport`] over an RPC node (`RpcTransport`, feature `rpc`, on
//!   by default) or an embedded in-process bank (`EmbeddedBank`, feature `embedded`);
//! * [`keeper`]: the liquidation keeper, over any transport;
//! * [`oracle_accounts`]: encoders for Pyth accounts (simulation and tests);
//! * [`migrate`]: bootstraps a group from a TOML config;
//! * `scenario` (feature `embedded`): reproducible scenarios on the embedded bank.
//!
//! # Features
//! * `rpc` (default): `transport::RpcTransport`, over `solana-rpc-client` and its HTTP stack
//!   (reqwest, hyper, rustls, tokio).
//! * `embedded`: `transport::EmbeddedBank` (the program as a builtin of `solana-program-test`,
//!   which compiles a whole validator runtime, and a tokio runtime), the `scenario` module and
//!   `migrate::install_dry_run_fixtures`. Off by default: building instructions, decoding
//!   accounts, computing health and the RPC transport do not need it.
//!
//! `default-features = false` leaves the pure part: PDAs, builders, decoding, health, events,
//! lending projections, the keeper logic and the [`transport::Transport`] trait.
//!
//! Program errors: [`SdkError::program_error`] gives a failed transaction's
//! [`ballast::error::BallastError`]; [`ballast_error`] and [`error_name`] map a raw code.

pub mod decode;
pub mod events;
pub mod health;
pub mod heap;
pub mod insurance;
pub mod ix;
pub mod keeper;
pub mod lending;
pub mod migrate;
pub mod openbook;
pub mod options;
pub mod oracle_accounts;
pub mod pda;
pub mod perp;
#[cfg(feature = "embedded")]
pub mod scenario;
pub mod sweep;
pub mod synthetic;
pub mod transport;

pub use ballast;
pub use ballast::risk;

use anchor_lang::prelude::Pubkey;
use ballast::error::BallastError;
use solana_sdk::transaction::TransactionError;

/// The Ballast program id.
pub const PROGRAM_ID: Pubkey = ballast::ID;

/// SDK errors.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// An account was not found.
    #[error("account {0} not found")]
    AccountNotFound(String),
    /// Account bytes could not be decoded.
    #[error("cannot decode account {0}: {1}")]
    Decode(String, String),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(String),
    /// A transaction failed; `code` is the custom program error code when there is one
    /// ([`SdkError::program_error`] maps it to the program's own error enum).
    #[error("transaction failed: {message}")]
    Transaction {
        /// Human readable error.
        message: String,
        /// Custom error code (Anchor or Ballast, or another program's) if the failure carried one.
        code: Option<u32>,
        /// Index of the failing instruction, if known.
        instruction: Option<u8>,
        /// Program of the failing (top-level) instruction, if known.
        program: Option<Pubkey>,
        /// The runtime's error, as the bank or the node returned it.
        error: TransactionError,
    },
    /// The signers given do not match the transaction's required signers (one is missing, or one
    /// is not a signer of any instruction): nothing was sent.
    #[error("signing: {0}")]
    Signing(String),
    /// A configuration file is invalid.
    #[error("config: {0}")]
    Config(String),
    /// A program error surfaced while computing off-chain.
    #[error("program logic: {0}")]
    Program(String),
}

impl SdkError {
    /// The custom program error code of a failed transaction (Ballast's 6000+, Anchor's below, or
    /// another program's), if it failed with one.
    pub fn code(&self) -> Option<u32> {
        match self {
            SdkError::Transaction { code, .. } => *code,
            _ => None,
        }
    }

    /// The Ballast error a failed transaction failed with: its custom code is one of
    /// [`BallastError`]'s and the failing instruction is the Ballast program's (or its program is
    /// unknown). `None` for anything else (an Anchor framework error, another program's error, a
    /// runtime error, a transport error).
    pub fn program_error(&self) -> Option<BallastError> {
        match self {
            SdkError::Transaction { code: Some(c), program, .. } if program.is_none_or(|p| p == PROGRAM_ID) => {
                ballast_error(*c)
            }
            _ => None,
        }
    }

    /// The runtime's error of a failed transaction.
    pub fn transaction_error(&self) -> Option<&TransactionError> {
        match self {
            SdkError::Transaction { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// SDK result.
pub type Result<T> = std::result::Result<T, SdkError>;

/// The table of [`BALLAST_ERRORS`], with an exhaustive `match` over the same variants so that a
/// variant the program adds and the table lacks fails to compile.
macro_rules! ballast_errors {
    ($($v:ident),* $(,)?) => {{
        const _: fn(BallastError) = |e| match e {
            $(BallastError::$v => ()),*
        };
        &[$(BallastError::$v),*]
    }};
}

/// Every [`BallastError`] variant in code order: `BALLAST_ERRORS[i]` has code `6000 + i`.
///
/// Checked when the SDK compiles: a variant missing here fails an exhaustive `match`, a variant
/// out of order fails a constant assertion (so adding a variant to the program means adding it
/// here, in the same change).
pub const BALLAST_ERRORS: &[BallastError] = ballast_errors![
    MathOverflow,
    InvalidConfig,
    Unauthorized,
    AccountNotEmpty,
    TooManyPositions,
    TooManyAssets,
    InsufficientBalance,
    ZeroAmount,
    DepositCapExceeded,
    InvalidHealthAccounts,
    TooManyHealthAccounts,
    UnexpectedOracle,
    OracleStale,
    OracleConfidence,
    OracleNonPositive,
    OracleWrongOwner,
    OracleFeedMismatch,
    OracleVerificationLevel,
    OracleInvalidData,
    OraclePriceOutOfRange,
    OracleKindDisabled,
    HealthMustBePositive,
    DisallowedMintExtension,
    MintHasFreezeAuthority,
    InvalidAssetIndex,
    DelegateExpired,
    DepositsDisabled,
    WithdrawalsDisabled,
    AccountAlreadyExists,
    HealthBelowMinimum,
    BorrowingDisabled,
    BorrowCapExceeded,
    UtilizationCapExceeded,
    NetBorrowLimitExceeded,
    BorrowTooSmall,
    InsufficientFees,
    PerpMarketDisabled,
    PriceOutsideBand,
    MaxOpenInterest,
    ReduceOnly,
    SameAccount,
    OrderExpired,
    MissingSignatureVerification,
    OrderSignatureMismatch,
    OrderSizeExhausted,
    NonceReused,
    FeeAboveOrderMax,
    NothingToSettle,
    SettleLimitReached,
    NotQuoteAsset,
    NotLiquidatable,
    LiquidatorBeingLiquidated,
    WorseHealthPostLiquidation,
    NothingToLiquidate,
    TokenAssetLiquidationDisabled,
    OracleDeviatesFromStable,
    SameAsset,
    InsuranceFundEmpty,
    UnstakeCooldown,
    InvalidUnstakeRequest,
    InsuranceFundState,
    HasLiquidatablePositions,
    NotInsolvent,
    UnstakeRequestExpired,
    LossNotCovered,
    NoPerpLoss,
    QuoteDebtNotCovered,
    OptionMarketDisabled,
    OptionSeriesInvalid,
    OptionsLiquidateFirst,
    ShortOptionsFirst,
    LiquidationBeyondTarget,
    OptionSettlementWindow,
    OptionSettlementSpacing,
    OptionSettlementNotReady,
    OptionSettlementAwaitingShorts,
    WithdrawalRateLimited,
    TimelockRequired,
    GuardianCannotIncreaseRisk,
    ProposalNotQueued,
    ProposalNotReady,
    ProposalExpired,
    ProposalMismatch,
    IxDisabled,
    ProtocolPaused,
    AccountFrozen,
    PanicPauseLimit,
    ProposalStale,
    SmileUpdateTooSoon,
    PriceDeviationBreaker,
    OracleQuorum,
    OracleAggregatePending,
    NotForceClosed,
    ForceWithdrawWithLiabilities,
    DelegateMarketNotAllowed,
    DelegateCapExceeded,
    DelegateSelfDealing,
    TooManyDelegates,
    DelegateNotFound,
    DelegateBookReadOnly,
    FeedClaimMissing,
    CrossAssetOracle,
    DelegateBookOpen,
    DelegateKindConflict,
];

// Every entry's code is its index: the table is in the enum's order, without gaps.
const _: () = {
    let mut i = 0;
    while i < BALLAST_ERRORS.len() {
        assert!(BALLAST_ERRORS[i] as usize == i, "BALLAST_ERRORS is not in the enum's order");
        i += 1;
    }
};

/// The Ballast error of a custom program error code (`6000 + variant index`, Anchor's
/// `#[error_code]` numbering), if it is one.
pub fn ballast_error(code: u32) -> Option<BallastError> {
    let index = code.checked_sub(anchor_lang::error::ERROR_CODE_OFFSET)?;
    BALLAST_ERRORS.get(index as usize).copied()
}

/// Name of a program error code: Ballast's own (6000+) or Anchor's; `Custom(code)` otherwise.
pub fn error_name(code: u32) -> String {
    if let Some(e) = ballast_error(code) {
        return e.name();
    }
    use anchor_lang::error::ErrorCode;
    const KNOWN: &[ErrorCode] = &[
        ErrorCode::ConstraintMut,
        ErrorCode::ConstraintHasOne,
        ErrorCode::ConstraintSigner,
        ErrorCode::ConstraintRaw,
        ErrorCode::ConstraintOwner,
        ErrorCode::ConstraintRentExempt,
        ErrorCode::ConstraintSeeds,
        ErrorCode::ConstraintExecutable,
        ErrorCode::ConstraintAddress,
        ErrorCode::ConstraintZero,
        ErrorCode::ConstraintTokenMint,
        ErrorCode::ConstraintTokenOwner,
        ErrorCode::ConstraintMintMintAuthority,
        ErrorCode::ConstraintMintFreezeAuthority,
        ErrorCode::ConstraintMintDecimals,
        ErrorCode::ConstraintSpace,
        ErrorCode::ConstraintTokenTokenProgram,
        ErrorCode::ConstraintMintTokenProgram,
        ErrorCode::ConstraintDuplicateMutableAccount,
        ErrorCode::RequireViolated,
        ErrorCode::RequireEqViolated,
        ErrorCode::RequireKeysEqViolated,
        ErrorCode::AccountDiscriminatorAlreadySet,
        ErrorCode::AccountDiscriminatorNotFound,
        ErrorCode::AccountDiscriminatorMismatch,
        ErrorCode::AccountDidNotDeserialize,
        ErrorCode::AccountDidNotSerialize,
        ErrorCode::AccountNotEnoughKeys,
        ErrorCode::AccountNotMutable,
        ErrorCode::AccountOwnedByWrongProgram,
        ErrorCode::InvalidProgramId,
        ErrorCode::InvalidProgramExecutable,
        ErrorCode::AccountNotSigner,
        ErrorCode::AccountNotSystemOwned,
        ErrorCode::AccountNotInitialized,
        ErrorCode::AccountSysvarMismatch,
        ErrorCode::DeclaredProgramIdMismatch,
        ErrorCode::InstructionFallbackNotFound,
        ErrorCode::InstructionDidNotDeserialize,
    ];
    KNOWN.iter().find(|e| u32::from(**e) == code).map(|e| format!("{e:?}")).unwrap_or_else(|| format!("Custom({code})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast::error::BallastError;

    /// `(code, name)` of every entry of the committed IDL's `errors` array (the IDL is generated
    /// from the program by `xtask idl` and pretty-printed: one `"code"` and one `"name"` line per
    /// entry).
    fn idl_errors() -> Vec<(u32, String)> {
        let idl = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../idl/ballast.json"));
        let mut lines = idl.lines().skip_while(|l| !l.trim_start().starts_with("\"errors\""));
        assert!(lines.next().is_some(), "the IDL has an errors array");
        let (mut out, mut code) = (Vec::new(), None);
        for l in lines.map(str::trim).take_while(|l| !l.starts_with(']')) {
            if let Some(v) = l.strip_prefix("\"code\":") {
                code = Some(v.trim().trim_end_matches(',').parse::<u32>().expect("error code"));
            } else if let Some(v) = l.strip_prefix("\"name\":") {
                let name = v.trim().trim_end_matches(',').trim_matches('"').to_string();
                out.push((code.take().expect("code before name"), name));
            }
        }
        out
    }

    #[test]
    fn the_error_table_matches_the_idl_both_ways() {
        let idl = idl_errors();
        assert!(idl.len() > 60, "parsed {} IDL errors", idl.len());
        // Every IDL error maps to the variant of that name...
        for (code, name) in &idl {
            let e = ballast_error(*code).unwrap_or_else(|| panic!("IDL error {name} ({code}) has no variant"));
            assert_eq!(&e.name(), name);
            assert_eq!(u32::from(e), *code);
            assert_eq!(&error_name(*code), name);
        }
        // ...and every variant is in the IDL under its code.
        for e in BALLAST_ERRORS {
            let code = u32::from(*e);
            assert!(idl.contains(&(code, e.name())), "{} ({code}) is not in the IDL", e.name());
        }
        assert_eq!(idl.len(), BALLAST_ERRORS.len());
        let past = anchor_lang::error::ERROR_CODE_OFFSET + BALLAST_ERRORS.len() as u32;
        assert!(ballast_error(past).is_none());
        assert_eq!(error_name(past), format!("Custom({past})"));
    }

    #[test]
    fn error_names() {
        assert_eq!(error_name(BallastError::OracleStale.into()), "OracleStale");
        assert_eq!(error_name(BallastError::QuoteDebtNotCovered.into()), "QuoteDebtNotCovered");
        assert_eq!(error_name(anchor_lang::error::ErrorCode::AccountNotSigner.into()), "AccountNotSigner");
        assert!(ballast_error(anchor_lang::error::ErrorCode::AccountNotSigner.into()).is_none());
        assert_eq!(error_name(1), "Custom(1)");
    }

    fn failed(code: Option<u32>, program: Option<Pubkey>) -> SdkError {
        use solana_sdk::instruction::InstructionError;
        let error = match code {
            Some(c) => TransactionError::InstructionError(0, InstructionError::Custom(c)),
            None => TransactionError::InstructionError(0, InstructionError::MissingAccount),
        };
        SdkError::Transaction { message: String::new(), code, instruction: Some(0), program, error }
    }

    #[test]
    fn program_error_maps_a_failed_transaction_to_the_enum() {
        // BallastError derives neither PartialEq nor Eq (Anchor's `#[error_code]`): compare codes.
        let of = |e: &SdkError| e.program_error().map(u32::from);
        let stale = u32::from(BallastError::OracleStale);
        assert_eq!(of(&failed(Some(stale), Some(PROGRAM_ID))), Some(stale));
        assert!(matches!(failed(Some(stale), None).program_error(), Some(BallastError::OracleStale)));
        assert_eq!(failed(Some(stale), Some(PROGRAM_ID)).code(), Some(stale));
        // Another program's 6012 is not Ballast's.
        assert_eq!(of(&failed(Some(stale), Some(Pubkey::new_unique()))), None);
        // Anchor's own errors, runtime errors and other SDK errors are not program errors.
        let signer = u32::from(anchor_lang::error::ErrorCode::ConstraintSigner);
        assert_eq!(of(&failed(Some(signer), Some(PROGRAM_ID))), None);
        assert_eq!(of(&failed(None, Some(PROGRAM_ID))), None);
        assert!(failed(None, Some(PROGRAM_ID)).transaction_error().is_some());
        assert_eq!(of(&SdkError::Transport("down".into())), None);
        assert_eq!(SdkError::Transport("down".into()).code(), None);
    }
}
