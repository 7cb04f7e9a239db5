//! The embedded bank: solana-program-test running the program natively as a builtin, with the
//! real SPL Token, Token-2022, ATA and Memo programs (feature `embedded`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::signature::Keypair;
use solana_sdk::transaction::Transaction;

use super::{programs_of, signed_transaction, tx_error, Simulation, Transport};
use crate::decode::RawAccount;
use crate::{Result, SdkError};

/// True when raw bytes are a MarginAccount of `group` owned by the program.
fn is_margin_account_of(raw: &RawAccount, group: &Pubkey) -> bool {
    crate::decode::margin_account(raw).map(|a| a.group == *group).unwrap_or(false)
}

/// A banks-client failure: the transaction's error, mapped with the programs of its top-level
/// instructions, or a transport error.
fn bank_error(e: BanksClientError, programs: &[Pubkey]) -> SdkError {
    match e {
        BanksClientError::TransactionError(te) | BanksClientError::SimulationError { err: te, .. } => {
            tx_error(te, programs)
        }
        e => SdkError::Transport(format!("banks client: {e}")),
    }
}

/// The program entry point as a builtin. Anchor 1.x ties the three `entry` arguments to one
/// lifetime, so the shim leaks copies of program id, accounts and data to `'static` first (the
/// account infos still point at the runtime's buffers, so writes land).
pub fn ballast_builtin_entry(
    program_id: &Pubkey,
    accounts: &[anchor_lang::prelude::AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    let program_id: &'static Pubkey = Box::leak(Box::new(*program_id));
    let accounts: &'static [anchor_lang::prelude::AccountInfo<'static>] = unsafe {
        std::mem::transmute::<&[anchor_lang::prelude::AccountInfo], &'static [anchor_lang::prelude::AccountInfo<'static>]>(
            Box::leak(accounts.to_vec().into_boxed_slice()),
        )
    };
    let data: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
    crate::heap::enter();
    let r = ballast::entry(program_id, accounts, data);
    crate::heap::exit();
    r
}

/// An in-process bank running the program natively, with the real SPL Token, Token-2022, ATA and
/// Memo programs (bundled SBF builds).
///
/// The program's own log lines (`msg!`, Anchor's error lines, events) are printed to stdout by
/// `solana-msg` natively; the runtime's lines go to the `log` crate at debug level (set
/// `RUST_LOG=error` to silence them).
pub struct EmbeddedBank {
    rt: tokio::runtime::Runtime,
    /// The program-test context (banks client, payer, last blockhash).
    pub ctx: ProgramTestContext,
    nonce: u32,
    /// Every account key a successful transaction touched (the embedded bank has no account index
    /// to scan; the keeper finds margin accounts among these).
    seen: std::collections::BTreeSet<Pubkey>,
}

impl EmbeddedBank {
    /// Starts a bank with the Ballast program as a builtin.
    ///
    /// # Panics
    /// When the tokio runtime cannot be created or the bank cannot start (resources of the
    /// process, not anything the caller passed; `ProgramTest::start_with_context` itself panics
    /// on a failure to start).
    pub fn new() -> Self {
        Self::with_accounts(Vec::new())
    }

    /// Starts a bank with extra genesis accounts.
    ///
    /// # Panics
    /// As [`EmbeddedBank::new`].
    pub fn with_accounts(accounts: Vec<(Pubkey, Account)>) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the embedded bank's tokio runtime: {e}"));
        let mut pt = ProgramTest::new("ballast", ballast::ID, processor!(ballast_builtin_entry));
        pt.prefer_bpf(false);
        pt.set_compute_max_units(1_400_000);
        for (k, a) in accounts {
            pt.add_account(k, a);
        }
        let ctx = rt.block_on(pt.start_with_context());
        // After the first start, which installs the runtime's stubs.
        stubs::install();
        EmbeddedBank { rt, ctx, nonce: 0, seen: Default::default() }
    }

    /// The funded payer of the bank.
    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// Writes an account directly (oracle fixtures, attack setups).
    pub fn set_account(&mut self, key: &Pubkey, owner: &Pubkey, lamports: u64, data: &[u8]) {
        let mut acc = AccountSharedData::new(lamports, data.len(), owner);
        acc.set_data_from_slice(data);
        self.ctx.set_account(key, &acc);
    }

    /// Sets the clock's unix timestamp (and keeps the slot).
    pub fn set_unix_timestamp(&mut self, unix_timestamp: i64) -> Result<()> {
        let mut clock: solana_sdk::clock::Clock = self
            .rt
            .block_on(self.ctx.banks_client.get_sysvar())
            .map_err(|e| SdkError::Transport(format!("clock: {e}")))?;
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
        Ok(())
    }

    /// Moves the clock forward by `secs`.
    pub fn advance_time(&mut self, secs: i64) -> Result<i64> {
        let now = self.now()? + secs;
        self.set_unix_timestamp(now)?;
        Ok(now)
    }

    /// `ixs` with a compute-unit-limit instruction that differs per call, which keeps otherwise
    /// identical transactions distinct under one blockhash. It goes last, so instruction indexes
    /// hold.
    fn with_nonce(&mut self, ixs: &[Instruction]) -> Vec<Instruction> {
        self.nonce = self.nonce.wrapping_add(1);
        let mut all = ixs.to_vec();
        all.push(solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
            1_400_000 - (self.nonce % 100_000),
        ));
        all
    }

    /// `ixs` signed under a current blockhash (the bank keeps producing slots in the background).
    fn sign(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<Transaction> {
        if let Ok(bh) = self.rt.block_on(self.ctx.banks_client.get_latest_blockhash()) {
            self.ctx.last_blockhash = bh;
        }
        signed_transaction(ixs, payer, signers, self.ctx.last_blockhash)
    }

    /// Sends an already built transaction (lookup-table and size tests). A failure maps like
    /// [`Transport::send`]'s.
    pub fn process_raw(&mut self, tx: Transaction) -> Result<()> {
        let keys = &tx.message.account_keys;
        let programs: Vec<Pubkey> = tx
            .message
            .instructions
            .iter()
            .map(|i| keys.get(i.program_id_index as usize).copied().unwrap_or_default())
            .collect();
        self.rt.block_on(self.ctx.banks_client.process_transaction(tx)).map_err(|e| bank_error(e, &programs))
    }

    /// Runs a future on the bank's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Default for EmbeddedBank {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for EmbeddedBank {
    fn get_account(&mut self, key: &Pubkey) -> Result<Option<RawAccount>> {
        let a = self
            .rt
            .block_on(self.ctx.banks_client.get_account(*key))
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        Ok(a.map(|a| RawAccount::new(*key, a.owner, a.lamports, &a.data)))
    }

    /// Sends and returns the program's error mapped ([`SdkError::program_error`]); the raw
    /// runtime error is [`SdkError::transaction_error`].
    fn send(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<()> {
        let all = self.with_nonce(ixs);
        let tx = self.sign(&all, payer, signers)?;
        match self.rt.block_on(self.ctx.banks_client.process_transaction(tx)) {
            Ok(()) => {
                self.seen.extend(ixs.iter().flat_map(|i| i.accounts.iter().map(|m| m.pubkey)));
                Ok(())
            }
            Err(e) => Err(bank_error(e, &programs_of(&all))),
        }
    }

    /// Simulates on the bank's current state (BanksClient `simulate_transaction`): nothing is
    /// committed and the clock, slots and accounts stay as they are.
    fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<Simulation> {
        let all = self.with_nonce(ixs);
        let tx = self.sign(&all, payer, signers)?;
        let r = self
            .rt
            .block_on(self.ctx.banks_client.simulate_transaction(tx))
            .map_err(|e| SdkError::Transport(format!("banks client: {e}")))?;
        let result = match r.result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(tx_error(e, &programs_of(&all))),
            None => return Err(SdkError::Transport("the bank returned no simulation result".into())),
        };
        let (logs, units_consumed) = match r.simulation_details {
            Some(d) => (d.logs, Some(d.units_consumed)),
            None => (Vec::new(), None),
        };
        Ok(Simulation { result, logs, units_consumed })
    }

    fn now(&mut self) -> Result<i64> {
        let clock: solana_sdk::clock::Clock =
            self.rt.block_on(self.ctx.banks_client.get_sysvar()).map_err(|e| SdkError::Transport(e.to_string()))?;
        Ok(clock.unix_timestamp)
    }

    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>> {
        Ok(self.margin_account_data(group, 0)?.1.into_iter().map(|r| r.key).collect())
    }

    fn slot(&mut self) -> Result<u64> {
        self.rt.block_on(self.ctx.banks_client.get_root_slot()).map_err(|e| SdkError::Transport(e.to_string()))
    }

    /// The accounts this bank has seen in transactions that are margin accounts of `group`.
    fn margin_account_data(&mut self, group: &Pubkey, min_slot: u64) -> Result<(u64, Vec<RawAccount>)> {
        let slot = self.slot()?.max(min_slot);
        let keys: Vec<Pubkey> = self.seen.iter().copied().collect();
        let raws = self.get_accounts(&keys)?;
        Ok((slot, raws.into_iter().flatten().filter(|r| is_margin_account_of(r, group)).collect()))
    }
}

/// The runtime's syscall stubs, each run with the heap count paused ([`crate::heap::paused`]): on
/// chain a syscall never allocates on the program's heap, natively the validator runs inside it.
mod stubs {
    use anchor_lang::prelude::{AccountInfo, Pubkey};
    use anchor_lang::solana_program::entrypoint::ProgramResult;
    use anchor_lang::solana_program::instruction::Instruction;
    use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};
    use std::sync::{Once, OnceLock};

    use crate::heap::paused;

    /// The runtime's stubs, set once by [`install`].
    static INNER: OnceLock<Box<dyn SyscallStubs>> = OnceLock::new();

    /// Wraps the installed stubs (solana-program-test's, set by the first bank's start) once per
    /// process. A call that arrives while the swap is in progress waits for it.
    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let inner = set_syscall_stubs(Box::new(Pausing));
            let _ = INNER.set(inner);
        });
    }

    fn inner() -> &'static dyn SyscallStubs {
        INNER.wait().as_ref()
    }

    struct Pausing;

    impl SyscallStubs for Pausing {
        fn sol_log(&self, message: &str) {
            paused(|| inner().sol_log(message))
        }
        fn sol_log_compute_units(&self) {
            paused(|| inner().sol_log_compute_units())
        }
        fn sol_remaining_compute_units(&self) -> u64 {
            paused(|| inner().sol_remaining_compute_units())
        }
        fn sol_invoke_signed(&self, ix: &Instruction, infos: &[AccountInfo], seeds: &[&[&[u8]]]) -> ProgramResult {
            // On SBF, `invoke_signed_unchecked` clones the instruction into a `StableInstruction`
            // on the program's heap before the syscall; natively it does not: count that clone.
            drop(ix.clone());
            paused(|| inner().sol_invoke_signed(ix, infos, seeds))
        }
        fn sol_get_sysvar(&self, id: *const u8, var: *mut u8, offset: u64, length: u64) -> u64 {
            paused(|| inner().sol_get_sysvar(id, var, offset, length))
        }
        fn sol_get_clock_sysvar(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_clock_sysvar(var))
        }
        fn sol_get_epoch_schedule_sysvar(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_epoch_schedule_sysvar(var))
        }
        fn sol_get_fees_sysvar(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_fees_sysvar(var))
        }
        fn sol_get_rent_sysvar(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_rent_sysvar(var))
        }
        fn sol_get_epoch_rewards_sysvar(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_epoch_rewards_sysvar(var))
        }
        fn sol_get_last_restart_slot(&self, var: *mut u8) -> u64 {
            paused(|| inner().sol_get_last_restart_slot(var))
        }
        fn sol_get_epoch_stake(&self, vote: *const u8) -> u64 {
            paused(|| inner().sol_get_epoch_stake(vote))
        }
        unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
            // SAFETY: forwarded unchanged; the caller upholds the inner stub's contract.
            paused(|| unsafe { inner().sol_memcpy(dst, src, n) })
        }
        unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
            // SAFETY: as above.
            paused(|| unsafe { inner().sol_memmove(dst, src, n) })
        }
        unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
            // SAFETY: as above.
            paused(|| unsafe { inner().sol_memcmp(s1, s2, n, result) })
        }
        unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
            // SAFETY: as above.
            paused(|| unsafe { inner().sol_memset(s, c, n) })
        }
        fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
            paused(|| inner().sol_get_return_data())
        }
        fn sol_set_return_data(&self, data: &[u8]) {
            paused(|| inner().sol_set_return_data(data))
        }
        fn sol_log_data(&self, fields: &[&[u8]]) {
            paused(|| inner().sol_log_data(fields))
        }
        fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
            paused(|| inner().sol_get_processed_sibling_instruction(index))
        }
        fn sol_get_stack_height(&self) -> u64 {
            paused(|| inner().sol_get_stack_height())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast::error::BallastError;
    use solana_sdk::instruction::InstructionError;
    use solana_sdk::signature::Signer;
    use solana_sdk::transaction::TransactionError;

    #[test]
    fn simulate_commits_nothing_and_send_maps_program_errors() {
        let mut bank = EmbeddedBank::new();
        let payer = bank.payer();
        let admin = Keypair::new();
        let group = crate::pda::group(&admin.pubkey(), 0).0;
        let ok = crate::ix::create_group(&admin.pubkey(), &payer.pubkey(), 0, &admin.pubkey(), 86_400);
        // A dry run succeeds and commits nothing.
        let sim = bank.simulate(std::slice::from_ref(&ok), &payer, &[&admin]).unwrap();
        assert!(sim.is_ok(), "{:?}", sim.result);
        assert!(sim.units_consumed.is_some_and(|u| u > 0));
        assert!(sim.logs.iter().any(|l| l.contains(&crate::PROGRAM_ID.to_string())), "{:?}", sim.logs);
        assert!(bank.get_account(&group).unwrap().is_none());
        // A missing signer is an error, not a panic.
        assert!(matches!(bank.send(std::slice::from_ref(&ok), &payer, &[]), Err(SdkError::Signing(_))));
        assert!(matches!(bank.simulate(std::slice::from_ref(&ok), &payer, &[]), Err(SdkError::Signing(_))));
        // A program error, simulated then sent, maps to the enum.
        let timelock = ballast::constants::MAX_TIMELOCK_SECS + 1;
        let bad = crate::ix::create_group(&admin.pubkey(), &payer.pubkey(), 1, &admin.pubkey(), timelock);
        let sim = bank.simulate(std::slice::from_ref(&bad), &payer, &[&admin]).unwrap();
        let e = sim.result.as_ref().unwrap_err();
        assert!(matches!(e.program_error(), Some(BallastError::InvalidConfig)), "{e}");
        let e = bank.send(&[bad], &payer, &[&admin]).unwrap_err();
        assert!(matches!(e.program_error(), Some(BallastError::InvalidConfig)), "{e}");
        let code = u32::from(BallastError::InvalidConfig);
        assert_eq!(e.transaction_error(), Some(&TransactionError::InstructionError(0, InstructionError::Custom(code))));
        // The real thing.
        bank.send(&[ok], &payer, &[&admin]).unwrap();
        assert!(bank.get_account(&group).unwrap().is_some());
        assert_eq!(bank.margin_accounts(&group).unwrap(), Vec::<Pubkey>::new());
    }
}
