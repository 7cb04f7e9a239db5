//! Reproducible scenarios on the embedded bank, shared by the test suite and `ballast metrics`:
//! accounts at the cap of 14 underlyings and the largest two-sided instructions, whose heap use the
//! audit's finding S2-05 asks to measure ([`crate::heap`]).
//!
//! Mints, token balances and oracles are written straight into the bank (6-decimal mints under the
//! classic SPL Token program, Pyth pull prices); everything else goes through the program.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast::constants::MAX_ACCOUNT_ASSETS;
use ballast::instructions::ListAssetParams;
use ballast::order::{SignedOptionOrder, SignedOrder, SIDE_SELL};
use ballast::state::{
    OracleConfig, OracleKind, PerpMarketParams, RiskConfig, ASSET_FLAG_BORROWABLE, PERP_FLAG_ENABLED,
};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::signature::{Keypair, Signer};

use crate::oracle_accounts::{pyth_pull, OracleQuote};
use crate::perp::{self as sp, TradeParty};
use crate::transport::{EmbeddedBank, Transport};
use crate::{health, ix, pda, Result, SdkError};
use ballast::risk::{Fx, Price};

/// Start time of every scenario, unix seconds.
pub const T0: i64 = 1_700_000_000;

/// One listed asset.
#[derive(Clone, Debug)]
pub struct ScenarioAsset {
    /// Asset index.
    pub index: u16,
    /// Mint (6 decimals, classic SPL Token).
    pub mint: Pubkey,
    /// Pyth pull oracle account.
    pub oracle: Pubkey,
    /// Its feed id.
    pub feed: [u8; 32],
}

/// A trader: its keypair, margin account and one token account per asset.
pub struct Trader {
    /// Owner.
    pub kp: Keypair,
    /// Margin account.
    pub account: Pubkey,
    /// Token account per asset index.
    pub tokens: Vec<Pubkey>,
}

/// A group on an embedded bank.
pub struct Scenario {
    /// The bank.
    pub bank: EmbeddedBank,
    /// Fee payer.
    pub payer: Keypair,
    /// Group admin.
    pub admin: Keypair,
    /// Group.
    pub group: Pubkey,
    /// Listed assets, by index.
    pub assets: Vec<ScenarioAsset>,
}

/// The listing parameters of the scenarios and the test suite: asset `index` in its own risk group,
/// init 20% down / 25% up, maint half of those, 5% liquidation fee, interest on the default curve,
/// open borrow limits, borrowable, no caps.
pub fn list_params(index: u16, oracle: OracleConfig) -> ListAssetParams {
    let mut name = [0u8; 16];
    let n = format!("ASSET{index}");
    name[..n.len()].copy_from_slice(n.as_bytes());
    ListAssetParams {
        name,
        oracle,
        fallback_oracle: OracleConfig::default(),
        risk: RiskConfig {
            concentration_threshold: u64::MAX,
            init_down_bps: 2_000,
            init_up_bps: 2_500,
            maint_down_bps: 1_000,
            maint_up_bps: 1_250,
            risk_group: index,
            basis_bps: 0,
            liquidity_bps: 0,
            concentration_bps: 0,
            liquidation_fee_bps: 500,
            reserved: [0; 6],
        },
        interest: crate::migrate::default_interest(),
        stable_growth_bps_per_hour: 100_000,
        deposit_cap: u64::MAX,
        limits: crate::migrate::open_limits(10_000),
        flags: ASSET_FLAG_BORROWABLE,
        allow_freeze_authority: false,
    }
}

/// The perp market parameters of the scenarios and the test suite: lots of `base_lot_size`, a 5%
/// band, 0.10% taker and 0.05% maker fees (half to the insurance fund), open interest up to 1M lots,
/// funding clamped at 1%/day over an hour, $30 settled per hour, $1,000 of PnL counted in Init.
pub fn perp_params(base_lot_size: u64) -> PerpMarketParams {
    PerpMarketParams {
        base_lot_size,
        price_band_bps: 500,
        taker_fee_bps: 10,
        maker_fee_bps: 5,
        insurance_fee_share_bps: 5_000,
        max_open_interest: 1_000_000,
        max_funding_bps_per_day: 100,
        funding_window_secs: 3_600,
        settle_limit: 30_000_000,
        settle_window_secs: 3_600,
        init_pnl_cap: 1_000_000_000,
        flags: PERP_FLAG_ENABLED,
    }
}

impl Scenario {
    /// A group with one 6-decimal asset per price (USD per token; asset 0 is the quote asset), each
    /// its own risk group: init 20% down / 25% up, maint half, 5% liquidation fee, borrowable. The
    /// group has no timelock (a setup group: the admin's changes apply at once, see
    /// docs/governance.md); the guardian is the admin.
    pub fn new(prices: &[f64]) -> Result<Self> {
        let mut bank = EmbeddedBank::new();
        let payer = bank.payer();
        let admin = Keypair::new();
        bank.set_unix_timestamp(T0)?;
        let group = pda::group(&admin.pubkey(), 0).0;
        let create = ix::create_group(&admin.pubkey(), &payer.pubkey(), 0, &admin.pubkey(), 0);
        bank.send(&[create], &payer, &[&admin])?;
        let mut s = Scenario { bank, payer, admin, group, assets: Vec::new() };
        for (i, p) in prices.iter().enumerate() {
            s.list(i as u16, *p)?;
        }
        Ok(s)
    }

    fn list(&mut self, index: u16, price: f64) -> Result<()> {
        let mint = Pubkey::new_unique();
        let m = t22::state::Mint {
            mint_authority: Some(self.admin.pubkey()).into(),
            supply: u64::MAX / 2,
            decimals: 6,
            is_initialized: true,
            freeze_authority: None.into(),
        };
        let mut data = vec![0u8; t22::state::Mint::LEN];
        t22::state::Mint::pack(m, &mut data).map_err(|e| SdkError::Config(e.to_string()))?;
        self.bank.set_account(&mint, &anchor_spl::token::ID, 1_000_000_000, &data);
        let a = ScenarioAsset { index, mint, oracle: Pubkey::new_unique(), feed: [index as u8 + 1; 32] };
        self.assets.push(a.clone());
        self.set_price(index, price)?;
        let oracle = OracleConfig {
            address: a.oracle,
            feed_id: a.feed,
            max_age_secs: 60,
            max_conf_bps: 500,
            kind: OracleKind::PythPull as u8,
            reserved: 0,
        };
        let params = list_params(index, oracle);
        let admin = self.admin.insecure_clone();
        let ixs = ix::list_asset_ixs(
            &self.group,
            &admin.pubkey(),
            &self.payer.pubkey(),
            &mint,
            &anchor_spl::token::ID,
            index,
            params,
        );
        self.send(&ixs, &[&admin])
    }

    /// An address lookup table holding every Asset and oracle key of the group (created, extended,
    /// and activated by advancing two slots).
    pub fn lookup_table(&mut self) -> Result<solana_sdk::message::AddressLookupTableAccount> {
        use solana_address_lookup_table_interface::instruction as alt;
        let bank_err = |e: solana_program_test::BanksClientError| SdkError::Transport(e.to_string());
        let payer = self.payer.insecure_clone();
        let root = self.bank.block_on(self.bank.ctx.banks_client.get_root_slot()).map_err(bank_err)?;
        self.bank.ctx.warp_to_slot(root + 3).map_err(|e| SdkError::Transport(format!("{e:?}")))?;
        let hashes: solana_sdk::slot_hashes::SlotHashes =
            self.bank.block_on(self.bank.ctx.banks_client.get_sysvar()).map_err(bank_err)?;
        let slot = hashes.first().map(|(s, _)| *s).ok_or_else(|| SdkError::Transport("no slot hash".into()))?;
        let (create, table) = alt::create_lookup_table(payer.pubkey(), payer.pubkey(), slot);
        self.send(&[create], &[])?;
        let mut keys = Vec::new();
        for a in &self.assets {
            keys.push(pda::asset(&self.group, a.index).0);
            keys.push(a.oracle);
        }
        for chunk in keys.chunks(20) {
            self.send(&[alt::extend_lookup_table(table, payer.pubkey(), Some(payer.pubkey()), chunk.to_vec())], &[])?;
        }
        let slot = self.bank.block_on(self.bank.ctx.banks_client.get_root_slot()).map_err(bank_err)?;
        self.bank.ctx.warp_to_slot(slot + 2).map_err(|e| SdkError::Transport(format!("{e:?}")))?;
        Ok(solana_sdk::message::AddressLookupTableAccount { key: table, addresses: keys })
    }

    /// Sends `ixs` (after a 1.4M compute-unit limit) as one v0 transaction using `table`, paid by
    /// the payer and signed by `signers`.
    pub fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        table: &solana_sdk::message::AddressLookupTableAccount,
    ) -> Result<()> {
        use solana_sdk::message::{v0, VersionedMessage};
        let mut all =
            vec![solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000)];
        all.extend_from_slice(ixs);
        let payer = self.payer.insecure_clone();
        let bh = self
            .bank
            .block_on(self.bank.ctx.banks_client.get_latest_blockhash())
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        let msg = v0::Message::try_compile(&payer.pubkey(), &all, std::slice::from_ref(table), bh)
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend(signers.iter().copied());
        let tx = solana_sdk::transaction::VersionedTransaction::try_new(VersionedMessage::V0(msg), &keys)
            .map_err(|e| SdkError::Transport(e.to_string()))?;
        match self.bank.block_on(self.bank.ctx.banks_client.process_transaction(tx)) {
            Ok(()) => Ok(()),
            Err(solana_program_test::BanksClientError::TransactionError(e)) => {
                Err(crate::transport::tx_error(e, &crate::transport::programs_of(&all)))
            }
            Err(e) => Err(SdkError::Transport(e.to_string())),
        }
    }

    /// Sends `ixs` paid by the payer and signed by `signers`.
    pub fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<()> {
        let payer = self.payer.insecure_clone();
        self.bank.send(ixs, &payer, signers)
    }

    /// Publishes a fresh price (USD per token, 0.1% confidence) for asset `index`.
    pub fn set_price(&mut self, index: u16, price: f64) -> Result<()> {
        let a = self.assets[index as usize].clone();
        let q = OracleQuote::from_decimal(price, 10, self.bank.now()?);
        let (owner, data) = pyth_pull(a.feed, q, VerificationLevel::Full);
        self.bank.set_account(&a.oracle, &owner, 10_000_000, &data);
        Ok(())
    }

    /// Moves the clock to `t`, publishes `price_of(i)` for every asset and refreshes it.
    pub fn reprice(&mut self, t: i64, price_of: impl Fn(u16) -> f64) -> Result<()> {
        self.bank.set_unix_timestamp(t)?;
        for i in 0..self.assets.len() as u16 {
            self.set_price(i, price_of(i))?;
            let o = self.assets[i as usize].oracle;
            self.send(&[ix::refresh_asset(&self.group, i, &o)], &[])?;
        }
        Ok(())
    }

    /// A trader with a margin account (number 0) and an empty token account per asset.
    pub fn trader(&mut self) -> Result<Trader> {
        let kp = Keypair::new();
        let payer = self.payer.pubkey();
        let fund = solana_system_interface::instruction::transfer(&payer, &kp.pubkey(), 1_000_000_000);
        self.send(&[fund], &[])?;
        self.send(&[ix::create_account(&self.group, &kp.pubkey(), &payer, 0)], &[&kp])?;
        let account = pda::margin_account(&self.group, &kp.pubkey(), 0).0;
        let mut tokens = Vec::new();
        for a in self.assets.clone() {
            let key = Pubkey::new_unique();
            self.write_token(&key, &a.mint, &kp.pubkey(), 0)?;
            tokens.push(key);
        }
        Ok(Trader { kp, account, tokens })
    }

    fn write_token(&mut self, key: &Pubkey, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Result<()> {
        let t = t22::state::Account {
            mint: *mint,
            owner: *owner,
            amount,
            state: t22::state::AccountState::Initialized,
            ..Default::default()
        };
        let mut data = vec![0u8; t22::state::Account::LEN];
        t22::state::Account::pack(t, &mut data).map_err(|e| SdkError::Config(e.to_string()))?;
        self.bank.set_account(key, &anchor_spl::token::ID, 10_000_000, &data);
        Ok(())
    }

    fn token_ix(&self, t: &Trader, asset: u16) -> ix::TokenIxAccounts {
        ix::TokenIxAccounts {
            group: self.group,
            account: t.account,
            asset_index: asset,
            mint: self.assets[asset as usize].mint,
            token_program: anchor_spl::token::ID,
            user_token: t.tokens[asset as usize],
        }
    }

    /// Credits `amount` to the trader's token account and deposits it.
    pub fn deposit(&mut self, t: &Trader, asset: u16, amount: u64) -> Result<()> {
        let mint = self.assets[asset as usize].mint;
        self.write_token(&t.tokens[asset as usize], &mint, &t.kp.pubkey(), amount)?;
        let ix = ix::deposit(&self.token_ix(t, asset), &t.kp.pubkey(), amount);
        self.send(&[ix], &[&t.kp.insecure_clone()])
    }

    /// Borrows `amount` of `asset` (a withdrawal beyond the deposit).
    pub fn borrow(&mut self, t: &Trader, asset: u16, amount: u64) -> Result<()> {
        let keys = self.health_keys(&t.account, &[asset])?;
        let ix = ix::withdraw(&self.token_ix(t, asset), &t.kp.pubkey(), amount, true, &keys);
        self.send(&[ix], &[&t.kp.insecure_clone()])
    }

    /// The canonical health keys of `account` plus `extra`.
    pub fn health_keys(&mut self, account: &Pubkey, extra: &[u16]) -> Result<Vec<Pubkey>> {
        let raw = crate::transport::require_account(&mut self.bank, account)?;
        let acc = crate::decode::margin_account(&raw)?;
        let oracles: Vec<Pubkey> = self.assets.iter().map(|a| a.oracle).collect();
        Ok(health::health_account_keys(&self.group, &acc, extra, |i| oracles[i as usize]))
    }
}

/// Number of assets the two-sided scenarios list: two shared by both accounts, twelve more each.
pub const LARGEST_ASSETS: usize = 2 * MAX_ACCOUNT_ASSETS - 2;

/// A prepared instruction of a scenario: sent as one v0 transaction with a lookup table of the
/// group's Asset and oracle keys, as a client sends the largest instructions.
pub struct Prepared {
    /// The scenario, ready.
    pub scenario: Scenario,
    /// The instructions (the measured one last).
    pub ixs: Vec<Instruction>,
    /// Their signers besides the payer.
    pub signers: Vec<Keypair>,
    /// The lookup table.
    pub table: solana_sdk::message::AddressLookupTableAccount,
}

impl Prepared {
    fn new(mut scenario: Scenario, ixs: Vec<Instruction>, signers: Vec<Keypair>) -> Result<Self> {
        let table = scenario.lookup_table()?;
        Ok(Prepared { scenario, ixs, signers, table })
    }

    /// Sends the transaction.
    pub fn run(&mut self) -> Result<()> {
        let signers: Vec<&Keypair> = self.signers.iter().collect();
        self.scenario.send_v0(&self.ixs, &signers, &self.table)
    }

    /// The measured instruction.
    pub fn main_ix(&self) -> &Instruction {
        self.ixs.last().expect("one instruction at least")
    }
}

/// The largest token liquidation: the liquidated account holds assets 1..=13 and a USDC borrow,
/// the liquidator USDC, asset 1 and assets 14..=25 (14 underlyings each, two in common); assets
/// 1..=13 fall 25%. The instruction seizes asset 1 and repays USDC.
pub fn largest_liquidation() -> Result<Prepared> {
    let prices: Vec<f64> = (0..LARGEST_ASSETS).map(|i| if i == 0 { 1.0 } else { 10.0 }).collect();
    let mut s = Scenario::new(&prices)?;
    let lender = s.trader()?;
    s.deposit(&lender, 0, 1_000_000_000_000)?;
    let liqee = s.trader()?;
    for i in 1..MAX_ACCOUNT_ASSETS as u16 {
        s.deposit(&liqee, i, 100_000_000)?;
    }
    s.borrow(&liqee, 0, 8_300_000_000)?;
    liquidated_after_the_fall(s, &liqee)
}

/// The end of the largest liquidations: a liquidator holding USDC, asset 1 and assets 14..=25 (14
/// underlyings, two in common with `liqee`); assets 1..=13 fall 25% over an hour; the prepared
/// instruction seizes asset 1 and repays USDC.
fn liquidated_after_the_fall(s: Scenario, liqee: &Trader) -> Result<Prepared> {
    liquidated_after_the_fall_by(s, liqee, |p| ix::liquidate_token(p, 1, 0, u64::MAX))
}

/// [`liquidated_after_the_fall`] with the liquidation instruction `liquidate` builds for the two
/// parties (the liquidator's health accounts with assets 1 and 0).
fn liquidated_after_the_fall_by(
    s: Scenario,
    liqee: &Trader,
    liquidate: impl Fn(&crate::ix::LiquidationParties) -> Instruction,
) -> Result<Prepared> {
    let (mut s, liqor) = after_the_fall(s)?;
    let ee = s.health_keys(&liqee.account, &[])?;
    let or = s.health_keys(&liqor.account, &[1, 0])?;
    let ix = liquidate(&crate::ix::LiquidationParties {
        group: s.group,
        liqor: liqor.account,
        liqor_owner: liqor.kp.pubkey(),
        liqee: liqee.account,
        liqee_health: &ee,
        liqor_health: &or,
    });
    Prepared::new(s, vec![ix], vec![liqor.kp])
}

/// A liquidator at 14 underlyings, and assets 1..=13 fallen from $10 to $7.50.
fn after_the_fall(mut s: Scenario) -> Result<(Scenario, Trader)> {
    let liqor = s.trader()?;
    s.deposit(&liqor, 0, 100_000_000_000)?;
    s.deposit(&liqor, 1, 1_000_000)?;
    for i in MAX_ACCOUNT_ASSETS as u16..LARGEST_ASSETS as u16 {
        s.deposit(&liqor, i, 1_000_000)?;
    }
    s.reprice(T0 + 3_600, |i| match i {
        0 => 1.0,
        i if (i as usize) < MAX_ACCOUNT_ASSETS => 7.5,
        _ => 10.0,
    })?;
    Ok((s, liqor))
}

/// Underlyings of the largest liquidation with options that also carry a perp and an option.
pub const LARGEST_DERIVATIVES: u16 = 8;

/// The largest liquidation of an account holding options: as [`largest_liquidation`], but the
/// liquidated account also holds a perp (long 1 lot of 0.1 token) and a short put (1 contract of 1
/// token struck at $5, 30 days, flat 60% smile) on each of assets 1..=8, bought from and sold to a
/// lender: 13 tokens + a USDC borrow + 8 perps + 8 options = 30 positions on 14 underlyings. The
/// token step is sized on linear health and checked on the full health with the option grid.
pub fn largest_liquidation_with_options() -> Result<Prepared> {
    let (mut s, liqee, _, _) = largest_with_options(false)?;
    s.borrow(&liqee, 0, 8_200_000_000)?;
    liquidated_after_the_fall(s, &liqee)
}

/// [`largest_liquidation_with_options`] with the grid's most expensive option book: the 8 options
/// all on asset 1, the liquidated collateral, and of both signs (2 contracts each: short puts
/// struck at $5 to $8, long calls struck at $14 to $20), so the grid revalues them in every scenario
/// (docs/risk-model.md, "Which scenarios a group needs") and the step touches their group.
pub fn largest_liquidation_with_mixed_options() -> Result<Prepared> {
    let (mut s, liqee, _, _) = largest_with_options(true)?;
    s.borrow(&liqee, 0, 8_200_000_000)?;
    liquidated_after_the_fall(s, &liqee)
}

/// The option take-over of the account of [`largest_liquidation_with_mixed_options`]: 2 contracts
/// of its first short put (slot 0) taken over after the fall, so the program also checks that one
/// contract fewer would not have been enough (a third evaluation of the options' group).
pub fn largest_option_liquidation_with_mixed_options() -> Result<Prepared> {
    let (mut s, liqee, _, _) = largest_with_options(true)?;
    s.borrow(&liqee, 0, 8_200_000_000)?;
    liquidated_after_the_fall_by(s, &liqee, |p| crate::options::liquidate_option(p, 1, 0, 2))
}

/// `check_what_if` on the account of [`largest_liquidation_with_options`] before its borrow (14
/// tokens, 8 perps and 8 short puts on 14 underlyings): a roll of 4 of its puts to 4 other
/// underlyings (8 hypothetical trades, the most; 12 option surfaces kept), every underlying 20%
/// down and volatility +50%, minimums at the lowest (it succeeds): the heap and compute of the
/// largest what-if.
pub fn largest_what_if() -> Result<Prepared> {
    use ballast::transitions::option::{PriceMove, WhatIfTrade};
    let (mut s, liqee, _, expiry) = largest_with_options(false)?;
    let admin = s.admin.insecure_clone();
    let first_new = LARGEST_DERIVATIVES + 1;
    for i in first_new..first_new + 4 {
        s.send(&option_market(&s, i, expiry), &[&admin])?;
    }
    let trade = |asset_index: u16, buy: bool| WhatIfTrade {
        asset_index,
        expiry,
        strike_bits: Price::from_num(5).to_bits(),
        kind: 1,
        buy,
        contracts: 1,
        premium: 0,
    };
    // Close the puts on 1..=4 and sell puts on four new underlyings.
    let trades = (1..=4).map(|i| trade(i, true)).chain((first_new..first_new + 4).map(|i| trade(i, false))).collect();
    let w = crate::options::WhatIf {
        trades,
        moves: (1..MAX_ACCOUNT_ASSETS as u16).map(|i| PriceMove { asset_index: i, move_bps: -2_000 }).collect(),
        vol_move_bps: 5_000,
    };
    let health = s.health_keys(&liqee.account, &w.extra(0))?;
    let ix = crate::options::check_what_if(&s.group, &liqee.account, &w, (i128::MIN, i128::MIN), &health);
    Prepared::new(s, vec![ix], vec![])
}

/// The admin's instructions listing an option market on asset `i` (contracts of 1,000,000 base
/// native units) with `expiry` at a flat 60%.
fn option_market(s: &Scenario, i: u16, expiry: i64) -> [Instruction; 2] {
    let admin = s.admin.pubkey();
    [
        crate::options::set_option_market(&s.group, &admin, i, crate::options::default_params(1_000_000)),
        crate::options::set_option_expiry(&s.group, &admin, i, 0, crate::options::flat_smile(expiry, 6_000)),
    ]
}

/// The account of [`largest_liquidation_with_options`] before its borrow, its counterparty (the
/// lender: USDC, the other side of every perp and option) and the 30-day expiry of its options;
/// `mixed`: the options of [`largest_liquidation_with_mixed_options`].
fn largest_with_options(mixed: bool) -> Result<(Scenario, Trader, Trader, i64)> {
    let prices: Vec<f64> = (0..LARGEST_ASSETS).map(|i| if i == 0 { 1.0 } else { 10.0 }).collect();
    let mut s = Scenario::new(&prices)?;
    let admin = s.admin.insecure_clone();
    let expiry = T0 + 30 * 86_400;
    for i in 1..=LARGEST_DERIVATIVES {
        let perp = sp::set_perp_market(&s.group, &admin.pubkey(), i, perp_params(100_000));
        let [opt, exp] = option_market(&s, i, expiry);
        s.send(&[perp, opt, exp], &[&admin])?;
    }
    let lender = s.trader()?;
    s.deposit(&lender, 0, 1_000_000_000_000)?;
    let liqee = s.trader()?;
    for i in 1..MAX_ACCOUNT_ASSETS as u16 {
        s.deposit(&liqee, i, 100_000_000)?;
    }
    s.reprice(T0 + 60, |i| if i == 0 { 1.0 } else { 10.0 })?;
    for i in 1..=LARGEST_DERIVATIVES {
        let party = |s: &mut Scenario, t: &Trader| -> Result<sp::TradeParty> {
            Ok(sp::TradeParty {
                account: t.account,
                authority: t.kp.pubkey(),
                health: s.health_keys(&t.account, &[i, 0])?,
            })
        };
        let (buyer, seller) = (party(&mut s, &liqee)?, party(&mut s, &lender)?);
        let perp = sp::block_trade(&s.group, i, 0, &buyer, &seller, 1, 1_000_000);
        let signers = [&liqee.kp.insecure_clone(), &lender.kp.insecure_clone()];
        s.send(&[perp], &signers)?;
        // Mixed: every slot on asset 1, a short put for odd i, a long call for even i.
        let (underlying, short_put) = if mixed { (1, i % 2 == 1) } else { (i, true) };
        let (buyer, seller) = if short_put {
            (party(&mut s, &lender)?, party(&mut s, &liqee)?)
        } else {
            (party(&mut s, &liqee)?, party(&mut s, &lender)?)
        };
        let (strike, kind) = match (mixed, short_put) {
            (false, _) => (5, 1),
            (true, true) => (4 + i.div_ceil(2), 1),
            (true, false) => (12 + i, 0),
        };
        let contracts = if mixed { 2 } else { 1 };
        let order = crate::options::order(expiry, Price::from_num(strike), kind, contracts, 0);
        s.send(&[crate::options::trade_option(&s.group, underlying, &buyer, &seller, order)], &signers)?;
    }
    Ok((s, liqee, lender, expiry))
}

/// Two accounts at 14 underlyings each (USDC and assets 1..=13, deposits only) and a perp market
/// on asset 1 (lots of 0.1 token, $1 a lot at $10).
fn two_largest_traders() -> Result<(Scenario, Trader, Trader)> {
    let prices: Vec<f64> = (0..MAX_ACCOUNT_ASSETS).map(|i| if i == 0 { 1.0 } else { 10.0 }).collect();
    let mut s = Scenario::new(&prices)?;
    let params = perp_params(100_000);
    let admin = s.admin.insecure_clone();
    s.send(&[sp::set_perp_market(&s.group, &admin.pubkey(), 1, params)], &[&admin])?;
    let (a, b) = (s.trader()?, s.trader()?);
    for t in [&a, &b] {
        s.deposit(t, 0, 10_000_000_000)?;
        for i in 1..MAX_ACCOUNT_ASSETS as u16 {
            s.deposit(t, i, 100_000_000)?;
        }
    }
    s.reprice(T0 + 60, |i| if i == 0 { 1.0 } else { 10.0 })?;
    Ok((s, a, b))
}

/// The largest signed-order fill: a maker's order to sell 10 lots of asset 1's perp at the oracle,
/// filled by a taker, both at 14 underlyings: the ed25519 check, then `fill_order`.
pub fn largest_fill() -> Result<Prepared> {
    let (mut s, maker, taker) = two_largest_traders()?;
    let order = SignedOrder {
        account: maker.account,
        asset_index: 1,
        side: SIDE_SELL,
        size_lots: 10,
        limit_price_per_lot: 1_000_000,
        expiry: T0 + 86_400,
        nonce: 1,
        max_fee_bps: 5,
    };
    let domain = sp::order_domain(&mut s.bank, &s.group)?;
    let sig = sp::sign_order(&maker.kp, &s.group, &domain, &order);
    let maker_health = s.health_keys(&maker.account, &[1, 0])?;
    let health = s.health_keys(&taker.account, &[1, 0])?;
    let party = TradeParty { account: taker.account, authority: taker.kp.pubkey(), health };
    let ixs = sp::fill_order_ixs(&s.group, &domain, 0, &order, &maker.kp.pubkey(), &sig, &maker_health, &party, 10);
    Prepared::new(s, ixs.to_vec(), vec![taker.kp.insecure_clone()])
}

/// The largest signed option order fill: the account of [`largest_liquidation_with_options`]
/// before its borrow (14 tokens, 8 perps and 8 short puts on 14 underlyings) signs an order to
/// sell one more put on asset 1; its counterparty (USDC, the 8 long puts and 8 short perps, and
/// deposits of assets 9..=13: 14 underlyings) fills it. Both sides grow their positions, so both
/// need a full Init evaluation with the option grid: the ed25519 check, then `fill_option_order`.
pub fn largest_option_fill() -> Result<Prepared> {
    option_fill_between(false)
}

/// [`largest_option_fill`] between the accounts of [`largest_liquidation_with_mixed_options`]
/// before its borrow: both hold 8 options of both signs on asset 1 (the taker the other side of
/// each), so both Init grids revalue every scenario; the maker sells one more put at strike 5.
pub fn largest_mixed_option_fill() -> Result<Prepared> {
    option_fill_between(true)
}

/// The fill the health rule's bound does not settle: the maker of [`largest_mixed_option_fill`]
/// (8 options of both signs on one underlying) has borrowed USDC until its Init health is 30% of
/// the way from zero to the bound's looseness (the bound is negative, Init health positive), and
/// sells one more put to a new account holding only USDC (then one long put). The maker's rule
/// computes the bound, then Init health itself: the costliest fill of a book of both signs against
/// a book of one sign.
pub fn near_limit_mixed_option_fill() -> Result<Prepared> {
    let (mut s, maker, _, expiry) = largest_with_options(true)?;
    let taker = s.trader()?;
    s.deposit(&taker, 0, 1_000_000_000)?;
    let (init, bound) = init_and_bound(&mut s, &maker.account)?;
    // Init weight of a USDC borrow: 1 + its 25% up shock.
    let target = init.checked_sub(bound).and_then(|gap| gap.checked_mul_int(3)).and_then(|g| g.checked_div_int(10));
    let borrow = target
        .and_then(|t| init.checked_sub(t))
        .and_then(|x| x.checked_mul_int(4))
        .and_then(|x| x.checked_div_int(5))
        .and_then(|x| x.checked_to_num::<u64>())
        .ok_or_else(|| SdkError::Program("no room to borrow".into()))?;
    s.borrow(&maker, 0, borrow)?;
    let (init, bound) = init_and_bound(&mut s, &maker.account)?;
    if !(bound < Fx::ZERO && init >= Fx::ZERO) {
        return Err(SdkError::Program(format!("not between the bound and Init: {bound} {init}")));
    }
    fill_of_one_more_put(s, &maker, &taker, expiry)
}

/// The maker's Init health and the rule's bound of it, with the fill's extras (asset 1 and USDC).
fn init_and_bound(s: &mut Scenario, account: &Pubkey) -> Result<(Fx, Fx)> {
    use ballast::risk::options::grid::portfolio_health_bound;
    use ballast::risk::{health as init_of, HealthType};
    let acc = crate::decode::margin_account(&crate::transport::require_account(&mut s.bank, account)?)?;
    let keys = s.health_keys(account, &[1, 0])?;
    let raws: Vec<_> = keys.iter().map(|k| crate::transport::require_account(&mut s.bank, k)).collect::<Result<_>>()?;
    let now = s.bank.now()?;
    let loaded = health::load(&s.group, &acc, &[1, 0], &raws, now)?;
    let input = loaded.health_input(&acc).map_err(|e| SdkError::Program(e.to_string()))?;
    let err = |e: ballast::risk::RiskError| SdkError::Program(format!("{e:?}"));
    let init = init_of(&input, HealthType::Init).map_err(err)?;
    let book = input.options.as_deref().ok_or_else(|| SdkError::Program("no options".into()))?;
    let bound = portfolio_health_bound(&input, book, HealthType::Init).map_err(err)?.health;
    Ok((init, bound))
}

/// The fill of [`largest_option_fill`] (`mixed`: of [`largest_mixed_option_fill`]).
fn option_fill_between(mixed: bool) -> Result<Prepared> {
    let (s, maker, taker, expiry) = largest_with_options(mixed)?;
    fill_of_one_more_put(s, &maker, &taker, expiry)
}

/// `maker` signs an order to sell one more put on asset 1 (strike 5), `taker` (given deposits of
/// assets 9..=13 up to 14 underlyings) fills it.
fn fill_of_one_more_put(mut s: Scenario, maker: &Trader, taker: &Trader, expiry: i64) -> Result<Prepared> {
    for i in LARGEST_DERIVATIVES + 1..MAX_ACCOUNT_ASSETS as u16 {
        s.deposit(taker, i, 1_000_000)?;
    }
    let order = SignedOptionOrder {
        account: maker.account,
        asset_index: 1,
        side: SIDE_SELL,
        kind: 1,
        contracts: 1,
        premium_per_contract: 0,
        expiry: T0 + 86_400,
        nonce: 1,
        max_fee_bps: 5,
        series_expiry: expiry,
        strike_bits: Price::from_num(5).to_bits(),
    };
    let domain = sp::order_domain(&mut s.bank, &s.group)?;
    let sig = crate::options::sign_option_order(&maker.kp, &s.group, &domain, &order);
    let maker_health = s.health_keys(&maker.account, &[1, 0])?;
    let health = s.health_keys(&taker.account, &[1, 0])?;
    let party = TradeParty { account: taker.account, authority: taker.kp.pubkey(), health };
    let ixs = crate::options::fill_option_order_ixs(
        &s.group,
        &domain,
        &order,
        &maker.kp.pubkey(),
        &sig,
        &maker_health,
        &party,
        1,
    );
    Prepared::new(s, ixs.to_vec(), vec![taker.kp.insecure_clone()])
}

/// The largest block trade: 10 lots of asset 1's perp at the oracle between two accounts at 14
/// underlyings each.
pub fn largest_block_trade() -> Result<Prepared> {
    let (mut s, a, b) = two_largest_traders()?;
    let pa = TradeParty { account: a.account, authority: a.kp.pubkey(), health: s.health_keys(&a.account, &[1, 0])? };
    let pb = TradeParty { account: b.account, authority: b.kp.pubkey(), health: s.health_keys(&b.account, &[1, 0])? };
    let ix = sp::block_trade(&s.group, 1, 0, &pa, &pb, 10, 1_000_000);
    Prepared::new(s, vec![ix], vec![a.kp, b.kp])
}

/// Instruction accounts and distinct accounts of `ix` (for [`crate::heap::entrypoint_bytes`]).
pub fn account_counts(ix: &Instruction) -> (usize, usize) {
    let mut keys: Vec<Pubkey> = ix.accounts.iter().map(|m| m.pubkey).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    (n, keys.len())
}
