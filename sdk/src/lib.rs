//! ballast-sdk: everything an integrator, a liquidation bot or the `ballast` binary needs to talk
//! to the Ballast program.
//!
//! * [`pda`]: program-derived addresses from the program's seed constants;
//! * [`ix`]: one pure builder per instruction, returning an `Instruction`;
//! * [`lending`]: utilization, rates and interest projections;
//! * [`decode`]: account decoding from raw bytes; [`events`]: event decoding;
//! * [`health`]: the canonical health-account list and off-chain health computed by the
//!   program's own risk code;
//! * [`transport`]: a [`transport::Transport`] over an embedded in-process bank or an RPC node;
//! * [`oracle_accounts`]: encoders for Pyth accounts (simulation and tests);
//! * [`migrate`]: bootstraps a group from a TOML config.

pub mod decode;
pub mod events;
pub mod health;
pub mod heap;
pub mod insurance;
pub mod ix;
pub mod keeper;
pub mod lending;
pub mod migrate;
pub mod oracle_accounts;
pub mod pda;
pub mod perp;
pub mod scenario;
pub mod transport;

pub use ballast;
pub use ballast::risk;

/// The Ballast program id.
pub const PROGRAM_ID: anchor_lang::prelude::Pubkey = ballast::ID;

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
    /// A transaction failed; `code` is the custom program error code when there is one.
    #[error("transaction failed: {message}")]
    Transaction {
        /// Human readable error.
        message: String,
        /// Custom error code (Anchor or Ballast) if the failure carried one.
        code: Option<u32>,
        /// Index of the failing instruction, if known.
        instruction: Option<u8>,
    },
    /// A configuration file is invalid.
    #[error("config: {0}")]
    Config(String),
    /// A program error surfaced while computing off-chain.
    #[error("program logic: {0}")]
    Program(String),
}

/// SDK result.
pub type Result<T> = std::result::Result<T, SdkError>;

/// Name of a program error code: Ballast's own (6000+) or Anchor's.
pub fn error_name(code: u32) -> String {
    if code >= anchor_lang::error::ERROR_CODE_OFFSET {
        let idx = code - anchor_lang::error::ERROR_CODE_OFFSET;
        return BALLAST_ERROR_NAMES
            .get(idx as usize)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("Custom({code})"));
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

/// Ballast error names in code order (checked against the enum by a test).
pub const BALLAST_ERROR_NAMES: &[&str] = &[
    "MathOverflow",
    "InvalidConfig",
    "Unauthorized",
    "AccountNotEmpty",
    "TooManyPositions",
    "TooManyAssets",
    "InsufficientBalance",
    "ZeroAmount",
    "DepositCapExceeded",
    "InvalidHealthAccounts",
    "TooManyHealthAccounts",
    "UnexpectedOracle",
    "OracleStale",
    "OracleConfidence",
    "OracleNonPositive",
    "OracleWrongOwner",
    "OracleFeedMismatch",
    "OracleVerificationLevel",
    "OracleInvalidData",
    "OraclePriceOutOfRange",
    "OracleKindDisabled",
    "HealthMustBePositive",
    "DisallowedMintExtension",
    "MintHasFreezeAuthority",
    "InvalidAssetIndex",
    "DelegateExpired",
    "DepositsDisabled",
    "WithdrawalsDisabled",
    "AccountAlreadyExists",
    "HealthBelowMinimum",
    "BorrowingDisabled",
    "BorrowCapExceeded",
    "UtilizationCapExceeded",
    "NetBorrowLimitExceeded",
    "BorrowTooSmall",
    "InsufficientFees",
    "PerpMarketDisabled",
    "PriceOutsideBand",
    "MaxOpenInterest",
    "ReduceOnly",
    "SameAccount",
    "OrderExpired",
    "MissingSignatureVerification",
    "OrderSignatureMismatch",
    "OrderSizeExhausted",
    "NonceReused",
    "FeeAboveOrderMax",
    "NothingToSettle",
    "SettleLimitReached",
    "NotQuoteAsset",
    "NotLiquidatable",
    "LiquidatorBeingLiquidated",
    "WorseHealthPostLiquidation",
    "NothingToLiquidate",
    "TokenAssetLiquidationDisabled",
    "OracleDeviatesFromStable",
    "SameAsset",
    "InsuranceFundEmpty",
    "UnstakeCooldown",
    "InvalidUnstakeRequest",
    "InsuranceFundState",
    "HasLiquidatablePositions",
];

#[cfg(test)]
mod tests {
    use super::*;
    use ballast::error::BallastError;

    #[test]
    fn error_names_match_the_enum() {
        for (i, name) in BALLAST_ERROR_NAMES.iter().enumerate() {
            let code = anchor_lang::error::ERROR_CODE_OFFSET + i as u32;
            assert_eq!(&error_name(code), name);
        }
        // Spot checks against the enum itself (a reorder would break these).
        assert_eq!(error_name(BallastError::OracleStale.into()), "OracleStale");
        assert_eq!(error_name(BallastError::WithdrawalsDisabled.into()), "WithdrawalsDisabled");
        assert_eq!(error_name(anchor_lang::error::ErrorCode::AccountNotSigner.into()), "AccountNotSigner");
    }
}
