//! The RPC transport: a JSON-RPC node through `solana-rpc-client` (feature `rpc`, on by default).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_rpc_client::rpc_client::RpcClient;
use solana_sdk::signature::Keypair;
use solana_sdk::transaction::TransactionError;

use super::{compute_budget_ixs, programs_of, signed_transaction, tx_error, Simulation, Transport};
use crate::decode::RawAccount;
use crate::{Result, SdkError};

/// A transport over a JSON-RPC node.
pub struct RpcTransport {
    client: RpcClient,
    /// Priority fee of every transaction sent, micro-lamports per compute unit (0: none).
    pub priority_micro_lamports: u64,
}

fn transport(e: impl std::fmt::Display) -> SdkError {
    SdkError::Transport(e.to_string())
}

impl RpcTransport {
    /// Connects to `url` with `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        Self::from_client(RpcClient::new_with_commitment(
            url.to_string(),
            solana_commitment_config::CommitmentConfig::confirmed(),
        ))
    }

    /// Wraps a client configured by the caller (commitment, timeout, a custom or mock sender).
    pub fn from_client(client: RpcClient) -> Self {
        RpcTransport { client, priority_micro_lamports: 0 }
    }

    /// The underlying client.
    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// `ixs` and the compute-budget instructions, signed under the latest blockhash.
    fn sign(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<(Vec<Instruction>, solana_sdk::transaction::Transaction)> {
        let blockhash = self.client.get_latest_blockhash().map_err(transport)?;
        let mut all = ixs.to_vec();
        all.extend(compute_budget_ixs(self.priority_micro_lamports));
        let tx = signed_transaction(&all, payer, signers, blockhash)?;
        Ok((all, tx))
    }
}

impl Transport for RpcTransport {
    fn get_account(&mut self, key: &Pubkey) -> Result<Option<RawAccount>> {
        let r = self.client.get_multiple_accounts(&[*key]).map_err(transport)?;
        Ok(r.into_iter().next().flatten().map(|a| RawAccount::new(*key, a.owner, a.lamports, &a.data)))
    }

    fn get_accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<RawAccount>>> {
        Ok(self.get_accounts_at(keys)?.1)
    }

    /// `getMultipleAccounts` in batches of 100 (the node's limit); the slot is the oldest batch's
    /// context slot.
    fn get_accounts_at(&mut self, keys: &[Pubkey]) -> Result<(u64, Vec<Option<RawAccount>>)> {
        let mut out = Vec::with_capacity(keys.len());
        let mut slot = u64::MAX;
        for chunk in keys.chunks(100) {
            let r = self.client.get_multiple_accounts_with_commitment(chunk, self.client.commitment());
            let r = r.map_err(transport)?;
            slot = slot.min(r.context.slot);
            for (k, a) in chunk.iter().zip(r.value) {
                out.push(a.map(|a| RawAccount::new(*k, a.owner, a.lamports, &a.data)));
            }
        }
        if slot == u64::MAX {
            slot = self.slot()?;
        }
        Ok((slot, out))
    }

    fn slot(&mut self) -> Result<u64> {
        self.client.get_slot().map_err(transport)
    }

    /// One `getProgramAccounts` with the margin-account size and group filters, base64 data, at a
    /// context slot of at least `min_slot` (the result is stamped `min_slot`: a lower bound of
    /// when the node read it). A node still behind that slot is asked again, up to three times.
    fn margin_account_data(&mut self, group: &Pubkey, min_slot: u64) -> Result<(u64, Vec<RawAccount>)> {
        use solana_rpc_client::api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
        let config = RpcProgramAccountsConfig {
            filters: Some(margin_filters(group)),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_rpc_client::api::response::UiAccountEncoding::Base64),
                min_context_slot: Some(min_slot),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut tries = 0;
        loop {
            // The typed variant is deprecated in favour of the UI-account one, which would need the
            // account-decoder crate to decode base64 again; this one decodes it.
            #[allow(deprecated)]
            match self.client.get_program_accounts_with_config(&ballast::ID, config.clone()) {
                Ok(accounts) => {
                    let raws = accounts.into_iter().map(|(k, a)| RawAccount::new(k, a.owner, a.lamports, &a.data));
                    return Ok((min_slot, raws.collect()));
                }
                Err(e) if tries < 3 && e.to_string().contains("inimum context slot") => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(400));
                }
                Err(e) => return Err(transport(e)),
            }
        }
    }

    /// Appends the compute-budget instructions ([`compute_budget_ixs`]), signs under the latest
    /// blockhash, sends and waits for `confirmed`.
    fn send(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<()> {
        let (all, tx) = self.sign(ixs, payer, signers)?;
        self.client.send_and_confirm_transaction(&tx).map(|_| ()).map_err(|e| match e.get_transaction_error() {
            Some(te) => tx_error(te, &programs_of(&all)),
            None => transport(e),
        })
    }

    /// The node's `simulateTransaction` of the transaction [`Transport::send`] would send.
    fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<Simulation> {
        let (all, tx) = self.sign(ixs, payer, signers)?;
        let r = self.client.simulate_transaction(&tx).map_err(transport)?.value;
        let result = match r.err {
            None => Ok(()),
            Some(e) => Err(tx_error(TransactionError::from(e), &programs_of(&all))),
        };
        Ok(Simulation { result, logs: r.logs.unwrap_or_default(), units_consumed: r.units_consumed })
    }

    fn now(&mut self) -> Result<i64> {
        let slot = self.client.get_slot().map_err(transport)?;
        self.client.get_block_time(slot).map_err(transport)
    }

    fn margin_accounts(&mut self, group: &Pubkey) -> Result<Vec<Pubkey>> {
        use solana_rpc_client::api::config::RpcProgramAccountsConfig;
        let config = RpcProgramAccountsConfig { filters: Some(margin_filters(group)), ..Default::default() };
        let accounts = self.client.get_program_ui_accounts_with_config(&ballast::ID, config).map_err(transport)?;
        Ok(accounts.into_iter().map(|(k, _)| k).collect())
    }
}

/// The `getProgramAccounts` filters of a group's margin accounts: their size, and the group at
/// offset 8 (after the discriminator).
fn margin_filters(group: &Pubkey) -> Vec<solana_rpc_client::api::filter::RpcFilterType> {
    use solana_rpc_client::api::filter::{Memcmp, RpcFilterType};
    vec![
        RpcFilterType::DataSize(ballast::state::MARGIN_ACCOUNT_LEN as u64),
        RpcFilterType::Memcmp(Memcmp::new_base58_encoded(8, group.as_ref())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::instruction::AccountMeta;
    use ballast::error::BallastError;
    use solana_rpc_client::api::request::RpcRequest;
    use solana_rpc_client::mock_sender::Mocks;
    use solana_sdk::signature::Signer;

    /// A client whose `simulateTransaction` answers that instruction 0 failed with OracleStale
    /// (the mock's JSON `Value` is built from TOML: `serde_json` is not a dependency).
    fn mock() -> RpcTransport {
        let code = u32::from(BallastError::OracleStale);
        let response = format!(
            r#"
            context = {{ slot = 1 }}
            [value]
            err = {{ InstructionError = [0, {{ Custom = {code} }}] }}
            logs = ["Program log: AnchorError occurred. Error Code: OracleStale."]
            unitsConsumed = 4321
            "#
        );
        let mut mocks = Mocks::default();
        mocks.insert(RpcRequest::SimulateTransaction, toml::from_str(&response).expect("mock response"));
        RpcTransport::from_client(RpcClient::new_mock_with_mocks("succeeds", mocks))
    }

    #[test]
    fn simulate_returns_the_program_error_and_logs() {
        let mut t = mock();
        let (payer, owner) = (Keypair::new(), Keypair::new());
        let ix =
            Instruction::new_with_bytes(crate::PROGRAM_ID, &[], vec![AccountMeta::new_readonly(owner.pubkey(), true)]);
        let sim = t.simulate(std::slice::from_ref(&ix), &payer, &[&owner]).unwrap();
        assert!(!sim.is_ok());
        let e = sim.result.as_ref().unwrap_err();
        assert!(matches!(e.program_error(), Some(BallastError::OracleStale)), "{e}");
        assert_eq!(sim.units_consumed, Some(4321));
        assert_eq!(sim.logs.len(), 1);
        // A missing signer fails before anything is sent.
        assert!(matches!(t.simulate(std::slice::from_ref(&ix), &payer, &[]), Err(SdkError::Signing(_))));
        assert!(matches!(t.send(&[ix], &payer, &[]), Err(SdkError::Signing(_))));
    }
}
