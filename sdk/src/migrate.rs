//! Bootstraps a group and its assets from a TOML config through the SDK (see migrations/).

use anchor_lang::prelude::Pubkey;
use ballast::governance::GovChange;
use ballast::instructions::{EditAssetParams, ListAssetParams};
use ballast::state::{
    BorrowLimitsConfig, InterestConfig, OracleConfig, OracleKind, RiskConfig, ASSET_FLAG_BORROWABLE,
    ASSET_FLAG_DEPOSITS_DISABLED, PROPOSAL_QUEUED,
};
use serde::Deserialize;
use solana_sdk::signature::{Keypair, Signer};

use crate::transport::Transport;

use crate::{decode, ix, pda, Result, SdkError};

/// A migration config file.
#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    /// Group number (PDA seed).
    pub group_num: u32,
    /// Guardian key (base58); defaults to the admin.
    pub guardian: Option<String>,
    /// Timelock, seconds.
    pub timelock_secs: u64,
    /// Assets in listing order (index 0 is the quote asset).
    pub assets: Vec<AssetConfig>,
}

/// One asset of a config.
#[derive(Clone, Debug, Deserialize)]
pub struct AssetConfig {
    /// Display name (<= 16 bytes).
    pub name: String,
    /// Mint address (base58).
    pub mint: String,
    /// Token program: "spl-token" or "token-2022".
    pub token_program: String,
    /// Oracle kind: "pyth-pull", "pyth-legacy".
    pub oracle_kind: String,
    /// Oracle account address (base58).
    pub oracle: String,
    /// Pyth feed id, hex (pull oracles).
    pub feed_id: Option<String>,
    /// Max oracle age, seconds.
    pub max_age_secs: u32,
    /// Max confidence, bps.
    pub max_conf_bps: u16,
    /// Shocks and charges, bps.
    pub init_down_bps: u16,
    /// Init up shock, bps.
    pub init_up_bps: u16,
    /// Maint down shock, bps.
    pub maint_down_bps: u16,
    /// Maint up shock, bps.
    pub maint_up_bps: u16,
    /// Risk group (defaults to the asset's own index).
    pub risk_group: Option<u16>,
    /// Liquidity charge, bps.
    #[serde(default)]
    pub liquidity_bps: u16,
    /// Basis charge, bps.
    #[serde(default)]
    pub basis_bps: u16,
    /// Liquidation fee, bps.
    #[serde(default)]
    pub liquidation_fee_bps: u16,
    /// Deposit cap, native units.
    pub deposit_cap: u64,
    /// Stable price growth, bps per hour.
    pub stable_growth_bps_per_hour: u32,
    /// Accept a freeze authority on the mint.
    #[serde(default)]
    pub allow_freeze_authority: bool,
    /// The asset may be borrowed.
    #[serde(default)]
    pub borrowable: bool,
    /// Borrow cap, native units.
    #[serde(default)]
    pub borrow_cap: u64,
    /// Utilization cap, bps.
    #[serde(default)]
    pub util_cap_bps: u16,
    /// Net borrows per window, native units.
    #[serde(default)]
    pub net_borrow_limit: u64,
    /// Net-borrow window, seconds.
    #[serde(default = "one_hour")]
    pub net_borrow_window_secs: u32,
    /// Minimum borrow, native units.
    #[serde(default)]
    pub min_borrow: u64,
}

fn one_hour() -> u32 {
    3_600
}

/// Records a listed asset's price sources in their claims when one is not yet recorded (the
/// backfill of assets listed before claims existed; catalogue OR-12): assets go in index order,
/// so an underlying listed before its wrapped asset owns its feed.
fn record_sources(t: &mut dyn Transport, payer: &Keypair, group: &Pubkey, asset: &ballast::state::Asset) -> Result<()> {
    let (ids, metas) = ix::asset_source_metas(t, group, asset)?;
    let keys: Vec<Pubkey> = ids.iter().map(|id| pda::feed_claim(group, id).0).collect();
    let pegged = asset.flags & ballast::state::ASSET_FLAG_PEGGED != 0;
    // Done when every claim names this asset, or another one and this asset is marked pegged.
    let recorded = t.get_accounts(&keys)?.iter().all(|c| {
        c.as_ref()
            .and_then(|raw| decode::feed_claim(raw).ok())
            .is_some_and(|c| c.asset_index == asset.asset_index || (c.asset_index != u16::MAX && pegged))
    });
    if recorded {
        return Ok(());
    }
    let mut ixs = ix::claim_feeds(group, &payer.pubkey(), &ids);
    ixs.push(ix::record_asset_sources(group, asset.asset_index, &metas));
    t.send(&ixs, payer, &[])
}

fn key(s: &str) -> Result<Pubkey> {
    s.parse().map_err(|_| SdkError::Config(format!("bad key {s}")))
}

fn hex32(s: &str) -> Result<[u8; 32]> {
    let s = s.trim_start_matches("0x");
    if s.len() != 64 {
        return Err(SdkError::Config(format!("feed id must be 32 bytes hex: {s}")));
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| SdkError::Config(format!("bad hex {s}")))?;
    }
    Ok(out)
}

impl AssetConfig {
    /// Listing parameters for asset `index`.
    pub fn params(&self, index: u16) -> Result<ListAssetParams> {
        let kind = match self.oracle_kind.as_str() {
            "pyth-pull" => OracleKind::PythPull,
            "pyth-legacy" => OracleKind::PythLegacy,
            other => return Err(SdkError::Config(format!("unknown oracle kind {other}"))),
        };
        let mut name = [0u8; 16];
        let b = self.name.as_bytes();
        if b.len() > 16 {
            return Err(SdkError::Config(format!("name too long: {}", self.name)));
        }
        name[..b.len()].copy_from_slice(b);
        Ok(ListAssetParams {
            name,
            oracle: OracleConfig {
                address: key(&self.oracle)?,
                feed_id: match &self.feed_id {
                    Some(f) => hex32(f)?,
                    None => [0; 32],
                },
                max_age_secs: self.max_age_secs,
                max_conf_bps: self.max_conf_bps,
                kind: kind as u8,
                reserved: 0,
            },
            fallback_oracle: OracleConfig::default(),
            risk: RiskConfig {
                concentration_threshold: u64::MAX,
                init_down_bps: self.init_down_bps,
                init_up_bps: self.init_up_bps,
                maint_down_bps: self.maint_down_bps,
                maint_up_bps: self.maint_up_bps,
                risk_group: self.risk_group.unwrap_or(index),
                basis_bps: self.basis_bps,
                liquidity_bps: self.liquidity_bps,
                concentration_bps: 0,
                liquidation_fee_bps: self.liquidation_fee_bps,
                reserved: [0; 6],
            },
            interest: default_interest(),
            stable_growth_bps_per_hour: self.stable_growth_bps_per_hour,
            deposit_cap: self.deposit_cap,
            limits: BorrowLimitsConfig {
                borrow_cap: self.borrow_cap,
                net_borrow_limit: self.net_borrow_limit,
                min_borrow: self.min_borrow,
                net_borrow_window_secs: self.net_borrow_window_secs,
                util_cap_bps: self.util_cap_bps,
                reserved: 0,
            },
            flags: if self.borrowable { ballast::state::ASSET_FLAG_BORROWABLE } else { 0 },
            allow_freeze_authority: self.allow_freeze_authority,
        })
    }
}

/// A reasonable default curve: 4% at 50%, 10% at 80%, 150% at 100% utilization, 10% protocol share.
pub fn default_interest() -> InterestConfig {
    InterestConfig {
        util0_bps: 5_000,
        util1_bps: 8_000,
        rate0_bps: 400,
        rate1_bps: 1_000,
        max_rate_bps: 15_000,
        fee_bps: 1_000,
        reserved: [0; 14],
    }
}

/// Borrow limits with no cap, window limit or minimum, and the given utilization cap (bps).
pub fn open_limits(util_cap_bps: u16) -> BorrowLimitsConfig {
    BorrowLimitsConfig {
        borrow_cap: u64::MAX,
        net_borrow_limit: u64::MAX,
        min_borrow: 0,
        net_borrow_window_secs: 3_600,
        util_cap_bps,
        reserved: 0,
    }
}

/// Parses a config file's text.
pub fn parse(text: &str) -> Result<Config> {
    toml::from_str(text).map_err(|e| SdkError::Config(e.to_string()))
}

/// Creates the group and lists every asset not yet listed, then executes every queued change
/// whose timelock has passed. Idempotent: existing accounts are kept. Returns the group key.
///
/// In a group with a timelock a listing must be inert (docs/governance.md): each asset is listed
/// with deposits disabled and not borrowable, and the edit that gives it its configured flags is
/// queued. A later run, once the timelock has passed, executes it ([`execute_ready`]).
pub fn run(t: &mut dyn Transport, admin: &Keypair, cfg: &Config) -> Result<Pubkey> {
    let group = pda::group(&admin.pubkey(), cfg.group_num).0;
    let guardian = match &cfg.guardian {
        Some(g) => key(g)?,
        None => admin.pubkey(),
    };
    if t.get_account(&group)?.is_none() {
        t.send(
            &[ix::create_group(&admin.pubkey(), &admin.pubkey(), cfg.group_num, &guardian, cfg.timelock_secs)],
            admin,
            &[],
        )?;
    }
    for (i, a) in cfg.assets.iter().enumerate() {
        let index = i as u16;
        if let Some(raw) = t.get_account(&pda::asset(&group, index).0)? {
            record_sources(t, admin, &group, &decode::asset(&raw)?)?;
            continue;
        }
        let token_program = match a.token_program.as_str() {
            "spl-token" => anchor_spl::token::ID,
            "token-2022" => anchor_spl::token_2022::ID,
            other => return Err(SdkError::Config(format!("unknown token program {other}"))),
        };
        let params = a.params(index)?;
        let g = decode::group(&crate::transport::require_account(t, &group)?)?;
        let mut listed = params.clone();
        if g.timelock_secs > 0 && !params.inert(index) {
            listed.flags = (params.flags | ASSET_FLAG_DEPOSITS_DISABLED) & !ASSET_FLAG_BORROWABLE;
        }
        let mut ixs = ix::list_asset_ixs(
            &group,
            &admin.pubkey(),
            &admin.pubkey(),
            &key(&a.mint)?,
            &token_program,
            index,
            listed.clone(),
        );
        if listed.flags != params.flags {
            let change = GovChange::edit(EditAssetParams { flags: Some(params.flags), ..Default::default() });
            ixs.push(ix::propose_change(
                &group,
                &admin.pubkey(),
                &admin.pubkey(),
                g.num_proposals,
                Some(index),
                change,
            ));
        }
        t.send(&ixs, admin, &[])?;
    }
    execute_ready(t, admin, &group)?;
    Ok(group)
}

/// Executes every queued change of `group` whose timelock has passed and that has not expired
/// (anyone may; `payer` pays the fees). Returns how many it executed.
pub fn execute_ready(t: &mut dyn Transport, payer: &Keypair, group: &Pubkey) -> Result<usize> {
    let g = decode::group(&crate::transport::require_account(t, group)?)?;
    let now = t.now()?;
    let mut done = 0;
    for num in 0..g.num_proposals {
        let p = decode::proposal(&crate::transport::require_account(t, &pda::proposal(group, num).0)?)?;
        if p.state != PROPOSAL_QUEUED || now < p.eta || now >= p.expires_ts {
            continue;
        }
        let change = decode::proposal_change(&p)?;
        let target = (p.target != Pubkey::default()).then_some(p.target);
        t.send(&[ix::execute_change_on(group, num, target, &change)], payer, &[])?;
        done += 1;
    }
    Ok(done)
}

/// Writes fixture mints (6 decimals) and fresh Pyth pull prices of 1.0 at the config's mint and
/// oracle addresses into an embedded bank, so that [`run`] can be rehearsed without a network
/// (feature `embedded`).
#[cfg(feature = "embedded")]
pub fn install_dry_run_fixtures(bank: &mut crate::transport::EmbeddedBank, cfg: &Config) -> Result<()> {
    use anchor_lang::solana_program::program_pack::Pack;
    use anchor_spl::token_2022::spl_token_2022 as t22;
    let now = bank.now()?;
    for (i, a) in cfg.assets.iter().enumerate() {
        let mint = key(&a.mint)?;
        let m = t22::state::Mint {
            mint_authority: Some(Pubkey::new_unique()).into(),
            supply: 0,
            decimals: 6,
            is_initialized: true,
            freeze_authority: if a.allow_freeze_authority { Some(Pubkey::new_unique()).into() } else { None.into() },
        };
        let mut data = vec![0u8; t22::state::Mint::LEN];
        t22::state::Mint::pack(m, &mut data).map_err(|e| SdkError::Config(e.to_string()))?;
        let token_program = match a.token_program.as_str() {
            "token-2022" => anchor_spl::token_2022::ID,
            _ => anchor_spl::token::ID,
        };
        bank.set_account(&mint, &token_program, 1_000_000_000, &data);
        let p = a.params(i as u16)?;
        let q = crate::oracle_accounts::OracleQuote::from_decimal(1.0, 10, now);
        let (owner, data) = match p.oracle.kind {
            k if k == OracleKind::PythLegacy as u8 => {
                crate::oracle_accounts::pyth_legacy(q, crate::oracle_accounts::PYTH_STATUS_TRADING, now)
            }
            _ => crate::oracle_accounts::pyth_pull(
                p.oracle.feed_id,
                q,
                pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
            ),
        };
        bank.set_account(&p.oracle.address, &owner, 1_000_000, &data);
    }
    Ok(())
}
