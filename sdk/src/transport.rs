//! Transports: an embedded in-process bank (solana-program-test with the program as a builtin,
//! no network) and an RPC node. Both behind one synchronous [`Transport`] trait.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

use crate::decode::RawAccount;
use crate::{Result, SdkError};

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
    /// The cluster clock, unix seconds.
    fn now(&mut self) -> Result<i64>;
    /// Every margin account of `group` (what a keeper scans).
    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>>;
}

/// True when raw bytes are a MarginAccount of `group` owned by the program.
fn is_margin_account_of(raw: &RawAccount, group: &Pubkey) -> bool {
    crate::decode::margin_account(raw).map(|a| a.group == *group).unwrap_or(false)
}

/// Reads an account or fails with AccountNotFound.
pub fn require_account(t: &mut dyn Transport, key: &Pubkey) -> Result<RawAccount> {
    t.get_account(key)?.ok_or_else(|| SdkError::AccountNotFound(key.to_string()))
}

/// Maps a failed transaction's error to [`SdkError::Transaction`]: its custom code, the failing
/// instruction and that instruction's program (`programs[i]` is the program of top-level
/// instruction `i`).
fn tx_error(e: TransactionError, programs: &[Pubkey]) -> SdkError {
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

/// The program of every top-level instruction of `ixs`.
fn programs_of(ixs: &[Instruction]) -> Vec<Pubkey> {
    ixs.iter().map(|i| i.program_id).collect()
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
    pub fn new() -> Self {
        Self::with_accounts(Vec::new())
    }

    /// Starts a bank with extra genesis accounts.
    pub fn with_accounts(accounts: Vec<(Pubkey, Account)>) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let mut pt = ProgramTest::new("ballast", ballast::ID, processor!(ballast_builtin_entry));
        pt.prefer_bpf(false);
        pt.set_compute_max_units(1_400_000);
        for (k, a) in accounts {
            pt.add_account(k, a);
        }
        let ctx = rt.block_on(pt.start_with_context());
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
    pub fn set_unix_timestamp(&mut self, unix_timestamp: i64) {
        let mut clock: solana_sdk::clock::Clock = self.rt.block_on(self.ctx.banks_client.get_sysvar()).expect("clock");
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
    }

    /// Moves the clock forward by `secs`.
    pub fn advance_time(&mut self, secs: i64) -> Result<i64> {
        let now = self.now()? + secs;
        self.set_unix_timestamp(now);
        Ok(now)
    }

    /// Sends a transaction and returns its error unmapped (tests inspect it).
    pub fn process(
        &mut self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> std::result::Result<(), TransactionError> {
        // A compute-unit-limit instruction that differs per call keeps otherwise identical
        // transactions distinct under one blockhash. It goes last, so instruction indexes hold.
        self.nonce = self.nonce.wrapping_add(1);
        let mut all = ixs.to_vec();
        all.push(solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
            1_400_000 - (self.nonce % 100_000),
        ));
        let mut keys: Vec<&Keypair> = vec![payer];
        for s in signers {
            if s.pubkey() != payer.pubkey() && !keys.iter().any(|k| k.pubkey() == s.pubkey()) {
                keys.push(s);
            }
        }
        // The bank keeps producing slots in the background: use a current blockhash every time.
        if let Ok(bh) = self.rt.block_on(self.ctx.banks_client.get_latest_blockhash()) {
            self.ctx.last_blockhash = bh;
        }
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, self.ctx.last_blockhash);
        match self.rt.block_on(self.ctx.banks_client.process_transaction(tx)) {
            Ok(()) => {
                self.seen.extend(ixs.iter().flat_map(|i| i.accounts.iter().map(|m| m.pubkey)));
                Ok(())
            }
            Err(solana_program_test::BanksClientError::TransactionError(e)) => Err(e),
            Err(solana_program_test::BanksClientError::SimulationError { err, .. }) => Err(err),
            Err(e) => panic!("banks client: {e:?}"),
        }
    }

    /// Sends an already built transaction (lookup-table and size tests).
    pub fn process_raw(&mut self, tx: Transaction) -> std::result::Result<(), TransactionError> {
        match self.rt.block_on(self.ctx.banks_client.process_transaction(tx)) {
            Ok(()) => Ok(()),
            Err(solana_program_test::BanksClientError::TransactionError(e)) => Err(e),
            Err(e) => panic!("banks client: {e:?}"),
        }
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

    fn send(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<()> {
        self.process(ixs, payer, signers).map_err(|e| tx_error(e, &programs_of(ixs)))
    }

    fn now(&mut self) -> Result<i64> {
        let clock: solana_sdk::clock::Clock =
            self.rt.block_on(self.ctx.banks_client.get_sysvar()).map_err(|e| SdkError::Transport(e.to_string()))?;
        Ok(clock.unix_timestamp)
    }

    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>> {
        let keys: Vec<Pubkey> = self.seen.iter().copied().collect();
        let raws = self.get_accounts(&keys)?;
        Ok(keys
            .into_iter()
            .zip(raws)
            .filter(|(_, r)| r.as_ref().is_some_and(|r| is_margin_account_of(r, group)))
            .map(|(k, _)| k)
            .collect())
    }
}

/// A transport over a JSON-RPC node.
pub struct RpcTransport {
    client: solana_rpc_client::rpc_client::RpcClient,
    /// Priority fee of every transaction sent, micro-lamports per compute unit (0: none).
    pub priority_micro_lamports: u64,
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

impl RpcTransport {
    /// Connects to `url` with `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        RpcTransport {
            client: solana_rpc_client::rpc_client::RpcClient::new_with_commitment(
                url.to_string(),
                solana_commitment_config::CommitmentConfig::confirmed(),
            ),
            priority_micro_lamports: 0,
        }
    }
}

impl Transport for RpcTransport {
    fn get_account(&mut self, key: &Pubkey) -> Result<Option<RawAccount>> {
        let r = self.client.get_multiple_accounts(&[*key]).map_err(|e| SdkError::Transport(e.to_string()))?;
        Ok(r.into_iter().next().flatten().map(|a| RawAccount::new(*key, a.owner, a.lamports, &a.data)))
    }

    fn get_accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<RawAccount>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let r = self.client.get_multiple_accounts(chunk).map_err(|e| SdkError::Transport(e.to_string()))?;
            for (k, a) in chunk.iter().zip(r) {
                out.push(a.map(|a| RawAccount::new(*k, a.owner, a.lamports, &a.data)));
            }
        }
        Ok(out)
    }

    fn send(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<()> {
        let blockhash = self.client.get_latest_blockhash().map_err(|e| SdkError::Transport(e.to_string()))?;
        let mut keys: Vec<&Keypair> = vec![payer];
        for s in signers {
            if s.pubkey() != payer.pubkey() {
                keys.push(s);
            }
        }
        let mut all = ixs.to_vec();
        all.extend(compute_budget_ixs(self.priority_micro_lamports));
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        self.client.send_and_confirm_transaction(&tx).map(|_| ()).map_err(|e| match e.get_transaction_error() {
            Some(te) => tx_error(te, &programs_of(ixs)),
            None => SdkError::Transport(e.to_string()),
        })
    }

    fn now(&mut self) -> Result<i64> {
        let slot = self.client.get_slot().map_err(|e| SdkError::Transport(e.to_string()))?;
        self.client.get_block_time(slot).map_err(|e| SdkError::Transport(e.to_string()))
    }

    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>> {
        use solana_rpc_client::api::config::RpcProgramAccountsConfig;
        use solana_rpc_client::api::filter::{Memcmp, RpcFilterType};
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::DataSize(ballast::state::MARGIN_ACCOUNT_LEN as u64),
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(8, group.as_ref())),
            ]),
            ..Default::default()
        };
        let accounts = self
            .client
            .get_program_ui_accounts_with_config(&ballast::ID, config)
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        Ok(accounts.into_iter().map(|(k, _)| k).collect())
    }
}
