//! Transports, behind one synchronous [`Transport`] trait:
//!
//! * `RpcTransport` (feature `rpc`, on by default): a JSON-RPC node;
//! * `EmbeddedBank` (feature `embedded`): an in-process bank, solana-program-test with the program
//!   as a builtin, no network.
//!
//! Both sign the same way ([`signed_transaction`]): signers that do not match the transaction's
//! required signers give [`SdkError::Signing`], never a panic. A failed transaction gives
//! [`SdkError::Transaction`], whose [`SdkError::program_error`] is the program's own error.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_sdk::hash::Hash;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

use crate::decode::RawAccount;
use crate::{Result, SdkError};

#[cfg(feature = "embedded")]
mod embedded;
#[cfg(feature = "embedded")]
pub use embedded::{ballast_builtin_entry, EmbeddedBank};

#[cfg(feature = "rpc")]
mod rpc;
#[cfg(feature = "rpc")]
pub use rpc::RpcTransport;

/// What the SDK needs from a cluster.
pub trait Transport {
    /// Reads one account.
    fn get_account(&mut self, key: &Pubkey) -> Result<Option<RawAccount>>;
    /// Reads many accounts, in order.
    fn get_accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<RawAccount>>> {
        keys.iter().map(|k| self.get_account(k)).collect()
    }
    /// Signs with `payer` and `signers` and sends; returns once processed.
    fn send(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<()>;
    /// Signs like [`Transport::send`] and runs the transaction without committing anything (a dry
    /// run): the result the program would return, with the logs and compute units reported.
    /// The outer error is a transport or signing failure; the program's own failure is
    /// [`Simulation::result`].
    fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<Simulation>;
    /// The cluster clock, unix seconds.
    fn now(&mut self) -> Result<i64>;
    /// Every margin account of `group` (what a keeper scans).
    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>>;
    /// The slot the cluster has processed (what cached reads are stamped with).
    fn slot(&mut self) -> Result<u64>;
    /// Reads many accounts, in order, with a slot at which they were at least as new. Over RPC
    /// one `getMultipleAccounts` call and its context slot; the default reads the slot first.
    fn get_accounts_at(&mut self, keys: &[Pubkey]) -> Result<(u64, Vec<Option<RawAccount>>)> {
        let slot = self.slot()?;
        Ok((slot, self.get_accounts(keys)?))
    }
    /// Every margin account of `group` with its bytes and a slot at which they were at least as
    /// new, never older than `min_slot` (a cache passes the newest slot it has seen, so that a
    /// lagging node cannot hand it older bytes stamped as newer). Over RPC one filtered
    /// `getProgramAccounts` with that minimum context slot; the default reads the keys, then the
    /// accounts in batches.
    fn margin_account_data(&mut self, group: &Pubkey, min_slot: u64) -> Result<(u64, Vec<RawAccount>)> {
        let slot = self.slot()?.max(min_slot);
        let keys = self.margin_accounts(group)?;
        Ok((slot, self.get_accounts(&keys)?.into_iter().flatten().collect()))
    }
}

/// The outcome of a dry run ([`Transport::simulate`]).
#[derive(Debug)]
pub struct Simulation {
    /// What the transaction would do: `Ok`, or the [`SdkError::Transaction`] it would fail with.
    pub result: Result<()>,
    /// The log lines the bank or the node reported. On the embedded bank these are the runtime's
    /// lines (invoke, compute units consumed, success or failure); the program's own `msg!` and
    /// event lines are printed to stdout natively, not collected.
    pub logs: Vec<String>,
    /// Compute units consumed, when reported.
    pub units_consumed: Option<u64>,
}

impl Simulation {
    /// True when the transaction would succeed.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// Reads an account or fails with AccountNotFound.
pub fn require_account(t: &mut dyn Transport, key: &Pubkey) -> Result<RawAccount> {
    t.get_account(key)?.ok_or_else(|| SdkError::AccountNotFound(key.to_string()))
}

/// A legacy transaction of `ixs` paid by `payer` and signed by `payer` and `signers` (duplicates
/// and the payer among them are ignored). Signers that do not match the instructions' required
/// signers (one missing, or one that signs nothing) give [`SdkError::Signing`].
pub fn signed_transaction(
    ixs: &[Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
    blockhash: Hash,
) -> Result<Transaction> {
    let mut keys: Vec<&Keypair> = vec![payer];
    for s in signers {
        if !keys.iter().any(|k| k.pubkey() == s.pubkey()) {
            keys.push(s);
        }
    }
    let mut tx = Transaction::new_with_payer(ixs, Some(&payer.pubkey()));
    tx.try_sign(&keys, blockhash).map_err(|e| {
        let given: Vec<String> = keys.iter().map(|k| k.pubkey().to_string()).collect();
        let required: Vec<String> = tx.message.signer_keys().iter().map(|k| k.to_string()).collect();
        SdkError::Signing(format!("{e} (required [{}], given [{}])", required.join(", "), given.join(", ")))
    })?;
    Ok(tx)
}

/// Maps a failed transaction's error to [`SdkError::Transaction`]: its custom code, the failing
/// instruction and that instruction's program (`programs[i]` is the program of top-level
/// instruction `i`, [`programs_of`] the instructions sent). For a custom [`Transport`].
pub fn tx_error(e: TransactionError, programs: &[Pubkey]) -> SdkError {
    use solana_sdk::instruction::InstructionError;
    let (code, instruction) = match &e {
        TransactionError::InstructionError(i, InstructionError::Custom(c)) => (Some(*c), Some(*i)),
        TransactionError::InstructionError(i, _) => (None, Some(*i)),
        _ => (None, None),
    };
    let program = instruction.and_then(|i| programs.get(i as usize).copied());
    let message = match code {
        Some(c) => format!("{e:?} ({})", crate::error_name(c)),
        None => format!("{e:?}"),
    };
    SdkError::Transaction { message, code, instruction, program, error: e }
}

/// The program of every top-level instruction of `ixs` (for [`tx_error`]).
pub fn programs_of(ixs: &[Instruction]) -> Vec<Pubkey> {
    ixs.iter().map(|i| i.program_id).collect()
}

/// Compute units every transaction sent over RPC asks for: the 1.4M maximum. A liquidation of the
/// largest account runs many health evaluations; the 200k default would fail it (S2-16).
pub const RPC_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// The compute-budget instructions appended to every transaction sent over RPC. Appended, not
/// prepended, so that instruction-relative indexes (the ed25519 check before `fill_order`) hold.
pub fn compute_budget_ixs(priority_micro_lamports: u64) -> Vec<Instruction> {
    use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
    let mut v = vec![Cb::set_compute_unit_limit(RPC_COMPUTE_UNIT_LIMIT)];
    if priority_micro_lamports > 0 {
        v.push(Cb::set_compute_unit_price(priority_micro_lamports));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::instruction::AccountMeta;
    use ballast::error::BallastError;
    use solana_sdk::instruction::InstructionError;

    fn ix_signed_by(signer: &Pubkey) -> Instruction {
        Instruction::new_with_bytes(crate::PROGRAM_ID, &[], vec![AccountMeta::new_readonly(*signer, true)])
    }

    #[test]
    fn a_signer_mismatch_is_an_error_not_a_panic() {
        let (payer, owner, stranger) = (Keypair::new(), Keypair::new(), Keypair::new());
        let ix = ix_signed_by(&owner.pubkey());
        let bh = Hash::new_from_array([7; 32]);
        // Missing signer.
        let e = signed_transaction(std::slice::from_ref(&ix), &payer, &[], bh).unwrap_err();
        assert!(matches!(e, SdkError::Signing(_)), "{e}");
        // A signer the transaction does not need.
        let e = signed_transaction(std::slice::from_ref(&ix), &payer, &[&owner, &stranger], bh).unwrap_err();
        assert!(matches!(e, SdkError::Signing(_)), "{e}");
        // The right ones, the payer and duplicates among them.
        let tx = signed_transaction(&[ix], &payer, &[&owner, &payer, &owner], bh).unwrap();
        assert_eq!(tx.signatures.len(), 2);
        assert!(tx.is_signed());
    }

    #[test]
    fn a_failed_instruction_maps_to_the_program_error() {
        let code = u32::from(BallastError::WithdrawalsDisabled);
        let other = Pubkey::new_unique();
        let programs = [other, crate::PROGRAM_ID];
        let e = tx_error(TransactionError::InstructionError(1, InstructionError::Custom(code)), &programs);
        assert!(matches!(e.program_error(), Some(BallastError::WithdrawalsDisabled)), "{e}");
        assert!(e.to_string().contains("WithdrawalsDisabled"), "{e}");
        // The same code from instruction 0 (not Ballast's) is not a Ballast error.
        let e = tx_error(TransactionError::InstructionError(0, InstructionError::Custom(code)), &programs);
        assert_eq!(e.code(), Some(code));
        assert!(e.program_error().is_none());
        let e = tx_error(TransactionError::AccountNotFound, &programs);
        assert!(matches!(e.transaction_error(), Some(TransactionError::AccountNotFound)));
        assert!(e.code().is_none());
    }
}
