//! `ballast simulate`: lists USDC, SOL and BTC on the embedded bank, creates traders who deposit
//! and withdraw, moves prices along a path, and prints every account's equity and health.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022 as t22;
use ballast::instructions::ListAssetParams;
use ballast::state::{OracleConfig, OracleKind, RiskConfig};
use ballast_sdk::oracle_accounts::{pyth_legacy, pyth_pull, OracleQuote, PYTH_STATUS_TRADING};
use ballast_sdk::transport::{EmbeddedBank, Transport};
use ballast_sdk::{health, ix, migrate, pda, Result, SdkError};
use indicatif::{ProgressBar, ProgressStyle};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::signature::{Keypair, Signer};

/// Options of `simulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of traders.
    #[arg(long, default_value_t = 24)]
    pub traders: u32,
    /// Price steps (one simulated hour each).
    #[arg(long, default_value_t = 24)]
    pub steps: u32,
    /// Seed of the deterministic price path and trader behaviour.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Hours of the crash after the path (SOL -20% and BTC -15% per hour).
    #[arg(long, default_value_t = 6)]
    pub crash_hours: u32,
}

/// A listed market of the scenario.
pub struct Market {
    pub name: &'static str,
    pub decimals: u8,
    pub price: f64,
    kind: OracleKind,
    vol: f64,
    pub mint: Pubkey,
    pub oracle: Pubkey,
    feed: [u8; 32],
}

/// A trader of the scenario.
pub struct Trader {
    pub kp: Keypair,
    pub account: Pubkey,
    tokens: Vec<Pubkey>,
}

/// xorshift64*: deterministic, dependency-free randomness for the scenario.
pub struct Rng(u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A keypair drawn from the sequence: every address of a run (owners, mints, token accounts,
    /// hence margin accounts and the keeper's scan order) follows from the seed.
    pub fn keypair(&mut self) -> Keypair {
        let mut secret = [0u8; 32];
        for chunk in secret.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        Keypair::new_from_array(secret)
    }
}

/// Publishes `m.price` on the market's oracle at `now`.
/// Hands the setup group over to governance: a guardian and a one-day timelock, through a queued
/// `SetRoles` that the group (still without timelock) executes at once.
fn hand_over(
    bank: &mut EmbeddedBank,
    payer: &Keypair,
    admin: &Keypair,
    group: Pubkey,
    guardian: &Keypair,
) -> Result<()> {
    use ballast::governance::{GovChange, RolesParams};
    let roles = GovChange::SetRoles(RolesParams {
        admin: admin.pubkey(),
        guardian: guardian.pubkey(),
        listing_admin: Pubkey::default(),
        fee_recipient: admin.pubkey(),
        timelock_secs: 86_400,
    });
    let num = ballast_sdk::decode::group(&ballast_sdk::transport::require_account(bank, &group)?)?.num_proposals;
    bank.send(
        &[
            ix::propose_change(&group, &admin.pubkey(), &payer.pubkey(), num, None, roles.clone()),
            ix::execute_change(&group, num, None, &roles),
        ],
        payer,
        &[admin],
    )?;
    bank.send(
        &[solana_system_interface::instruction::transfer(&payer.pubkey(), &guardian.pubkey(), 100_000_000)],
        payer,
        &[],
    )?;
    println!("governance: handed over to a guardian and a one-day timelock before the crash");
    Ok(())
}

pub fn set_price(bank: &mut EmbeddedBank, m: &Market, now: i64) {
    let q = OracleQuote::from_decimal(m.price, 10, now);
    let (owner, data) = match m.kind {
        OracleKind::PythLegacy => pyth_legacy(q, PYTH_STATUS_TRADING, now),
        _ => pyth_pull(m.feed, q, VerificationLevel::Full),
    };
    bank.set_account(&m.oracle, &owner, 10_000_000, &data);
}

/// Runs the scenario.
pub fn run(a: Args) -> Result<()> {
    let mut bank = EmbeddedBank::new();
    let payer = bank.payer();
    // Addresses come from their own sequence, so that the market path is the seed's as before.
    let mut keys = Rng(a.seed.max(1) ^ 0x6b65_7973);
    let admin = keys.keypair();
    let mut now = 1_700_000_000;
    bank.set_unix_timestamp(now)?;
    let mut rng = Rng(a.seed.max(1));
    println!("ballast simulate: {} traders, {} steps, seed {}", a.traders, a.steps, a.seed);

    // A setup group (no timelock) while the markets are listed and configured; handed over to a
    // guardian and a one-day timelock before the crash (docs/governance.md).
    bank.send(&[ix::create_group(&admin.pubkey(), &payer.pubkey(), 0, &admin.pubkey(), 0)], &payer, &[&admin])?;
    let group = pda::group(&admin.pubkey(), 0).0;
    let mut markets = vec![
        Market {
            name: "USDC",
            decimals: 6,
            price: 1.0,
            kind: OracleKind::PythPull,
            vol: 0.0,
            mint: Pubkey::default(),
            oracle: Pubkey::new_unique(),
            feed: [1; 32],
        },
        Market {
            name: "SOL",
            decimals: 9,
            price: 150.0,
            kind: OracleKind::PythLegacy,
            vol: 0.03,
            mint: Pubkey::default(),
            oracle: Pubkey::new_unique(),
            feed: [0; 32],
        },
        Market {
            name: "BTC",
            decimals: 8,
            price: 60_000.0,
            kind: OracleKind::PythPull,
            vol: 0.015,
            mint: Pubkey::default(),
            oracle: Pubkey::new_unique(),
            feed: [3; 32],
        },
    ];
    let shocks = [(500u16, 500u16), (2_500, 3_000), (1_500, 2_000)];
    for (i, m) in markets.iter_mut().enumerate() {
        let mint = keys.keypair();
        bank.send(
            &[
                solana_system_interface::instruction::create_account(
                    &payer.pubkey(),
                    &mint.pubkey(),
                    10_000_000,
                    82,
                    &anchor_spl::token::ID,
                ),
                t22::instruction::initialize_mint2(
                    &anchor_spl::token::ID,
                    &mint.pubkey(),
                    &admin.pubkey(),
                    None,
                    m.decimals,
                )
                .unwrap(),
            ],
            &payer,
            &[&mint],
        )?;
        m.mint = mint.pubkey();
        set_price(&mut bank, m, now);
        let mut name = [0u8; 16];
        name[..m.name.len()].copy_from_slice(m.name.as_bytes());
        let (down, up) = shocks[i];
        let params = ListAssetParams {
            name,
            oracle: OracleConfig {
                address: m.oracle,
                feed_id: m.feed,
                max_age_secs: 120,
                max_conf_bps: 200,
                kind: m.kind as u8,
                reserved: 0,
            },
            fallback_oracle: OracleConfig::default(),
            risk: RiskConfig {
                concentration_threshold: u64::MAX,
                init_down_bps: down,
                init_up_bps: up,
                maint_down_bps: down / 2,
                maint_up_bps: up / 2,
                risk_group: i as u16,
                basis_bps: 0,
                liquidity_bps: 20,
                concentration_bps: 0,
                liquidation_fee_bps: 250,
                reserved: [0; 6],
            },
            interest: migrate::default_interest(),
            stable_growth_bps_per_hour: 2_000,
            deposit_cap: u64::MAX,
            limits: migrate::open_limits(9_000),
            flags: ballast::state::ASSET_FLAG_BORROWABLE,
            allow_freeze_authority: false,
        };
        bank.send(
            &ix::list_asset_ixs(
                &group,
                &admin.pubkey(),
                &payer.pubkey(),
                &m.mint,
                &anchor_spl::token::ID,
                i as u16,
                params,
            ),
            &payer,
            &[&admin],
        )?;
        println!("listed {:>4} (asset {}): {} decimals, {:?} oracle, price {}", m.name, i, m.decimals, m.kind, m.price);
    }

    // Traders: each gets tokens, an account, and deposits a random mix.
    let pb = ProgressBar::new((a.traders + a.steps) as u64);
    pb.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap());
    pb.set_message("creating traders");
    let mut traders = Vec::new();
    for _ in 0..a.traders {
        let kp = keys.keypair();
        bank.send(
            &[solana_system_interface::instruction::transfer(&payer.pubkey(), &kp.pubkey(), 100_000_000)],
            &payer,
            &[],
        )?;
        bank.send(&[ix::create_account(&group, &kp.pubkey(), &payer.pubkey(), 0)], &payer, &[&kp])?;
        let account = pda::margin_account(&group, &kp.pubkey(), 0).0;
        let mut tokens = Vec::new();
        for (i, m) in markets.iter().enumerate() {
            let tok = keys.keypair();
            bank.send(
                &[
                    solana_system_interface::instruction::create_account(
                        &payer.pubkey(),
                        &tok.pubkey(),
                        10_000_000,
                        165,
                        &anchor_spl::token::ID,
                    ),
                    t22::instruction::initialize_account3(&anchor_spl::token::ID, &tok.pubkey(), &m.mint, &kp.pubkey())
                        .unwrap(),
                ],
                &payer,
                &[&tok],
            )?;
            // Between $1k and $50k worth of each asset, some traders skip some assets.
            if rng.unit() < 0.3 && i > 0 {
                tokens.push(tok.pubkey());
                continue;
            }
            let usd = 1_000.0 + rng.unit() * 49_000.0;
            let amount = (usd / m.price * 10f64.powi(m.decimals as i32)) as u64;
            bank.send(
                &[t22::instruction::mint_to(
                    &anchor_spl::token::ID,
                    &m.mint,
                    &tok.pubkey(),
                    &admin.pubkey(),
                    &[],
                    amount,
                )
                .unwrap()],
                &payer,
                &[&admin],
            )?;
            let tia = ix::TokenIxAccounts {
                group,
                account,
                asset_index: i as u16,
                mint: m.mint,
                token_program: anchor_spl::token::ID,
                user_token: tok.pubkey(),
            };
            bank.send(&[ix::deposit(&tia, &kp.pubkey(), amount)], &payer, &[&kp])?;
            tokens.push(tok.pubkey());
        }
        traders.push(Trader { kp, account, tokens });
        pb.inc(1);
    }

    // Borrowing: about half the traders borrow against their whole portfolio, up to 40% of their
    // Init health, in an asset chosen at random.
    let mut principal = vec![0u64; markets.len()];
    let mut borrowers = 0u32;
    for tr in traders.iter() {
        if rng.unit() < 0.5 {
            continue;
        }
        let acc =
            ballast_sdk::decode::margin_account(&ballast_sdk::transport::require_account(&mut bank, &tr.account)?)?;
        let keys = health::health_account_keys(&group, &acc, &[], |k| markets[k as usize].oracle);
        let raw: Vec<_> =
            keys.iter().map(|k| ballast_sdk::transport::require_account(&mut bank, k)).collect::<Result<_>>()?;
        let [init, ..] = health::compute_all(&group, &acc, &raw, now)?;
        let i = (rng.next() % 3) as usize;
        let m = &markets[i];
        let usd = init.health.to_num::<f64>() / 1e6 * 0.4 / 1.3;
        let held = acc.token_indexed(i as u16).to_num::<f64>().max(0.0);
        let amount = (usd / m.price * 10f64.powi(m.decimals as i32) + held) as u64;
        let keys = health::health_account_keys(&group, &acc, &[i as u16], |k| markets[k as usize].oracle);
        let tia = ix::TokenIxAccounts {
            group,
            account: tr.account,
            asset_index: i as u16,
            mint: m.mint,
            token_program: anchor_spl::token::ID,
            user_token: tr.tokens[i],
        };
        if amount > 0
            && bank.send(&[ix::withdraw(&tia, &tr.kp.pubkey(), amount, true, &keys)], &payer, &[&tr.kp]).is_ok()
        {
            principal[i] += amount.saturating_sub(held as u64);
            borrowers += 1;
        }
    }
    println!("{borrowers} traders borrowed against mixed collateral");
    let mut start_borrow_index = Vec::new();
    for i in 0..markets.len() {
        let a = ballast_sdk::decode::asset(&ballast_sdk::transport::require_account(
            &mut bank,
            &pda::asset(&group, i as u16).0,
        )?)?;
        start_borrow_index.push(a.bank.borrow_index.fx().to_num::<f64>());
    }

    // The insurance fund (stakers) and the keeper's liquidator, before the path.
    let crash = crate::sim_crash::Crash::setup(&mut bank, &payer, &admin, group, &markets, now, &mut keys)?;

    // Perps on SOL and BTC: makers quote signed orders, takers fill them, pairs block-trade.
    let mut perps = crate::sim_perps::Perps::enable(&mut bank, &payer, &admin, group, &markets)?;
    // Options on SOL: makers quote the surface, takers write covered calls, collars and straddles.
    let mut options = crate::sim_options::Options::enable(&mut bank, &payer, &admin, group, markets[1].price, now)?;

    // Price path: one hour per step; traders withdraw and re-deposit, trade perps and settle PnL.
    let mut withdrawals = 0u32;
    let mut deposits = 0u32;
    for step in 0..a.steps {
        now += 3_600;
        bank.set_unix_timestamp(now)?;
        for m in markets.iter_mut() {
            let shock = (rng.unit() - 0.5) * 2.0 * m.vol;
            m.price *= 1.0 + shock;
            set_price(&mut bank, m, now);
        }
        for (i, m) in markets.iter().enumerate() {
            bank.send(&[ix::refresh_asset(&group, i as u16, &m.oracle)], &payer, &[])?;
        }
        pb.set_message(format!("step {step}: SOL {:.2} BTC {:.0}", markets[1].price, markets[2].price));
        perps.step(&mut bank, &payer, &traders, &markets, &mut rng, now)?;
        options.step(&mut bank, &payer, &admin, &traders, &markets, &mut rng, now)?;
        for tr in traders.iter() {
            if rng.unit() > 0.25 {
                continue;
            }
            let acc =
                ballast_sdk::decode::margin_account(&ballast_sdk::transport::require_account(&mut bank, &tr.account)?)?;
            let i = (rng.next() % 3) as u16;
            let tia = ix::TokenIxAccounts {
                group,
                account: tr.account,
                asset_index: i,
                mint: markets[i as usize].mint,
                token_program: anchor_spl::token::ID,
                user_token: tr.tokens[i as usize],
            };
            let keys = health::health_account_keys(&group, &acc, &[i], |k| markets[k as usize].oracle);
            let held = acc.token_indexed(i);
            if held > 0 {
                let amount = (held.to_num::<f64>() * rng.unit() * 0.5) as u64;
                if amount > 0
                    && bank
                        .send(&[ix::withdraw(&tia, &tr.kp.pubkey(), amount, false, &keys)], &payer, &[&tr.kp])
                        .is_ok()
                {
                    withdrawals += 1;
                }
            } else {
                let bal = token_amount(&mut bank, &tr.tokens[i as usize])?;
                if bal > 0 && bank.send(&[ix::deposit(&tia, &tr.kp.pubkey(), bal)], &payer, &[&tr.kp]).is_ok() {
                    deposits += 1;
                }
            }
        }
        pb.inc(1);
    }
    pb.finish_with_message("done");
    // The crash: SOL and BTC fall hour by hour; the keeper liquidates; bad debt is resolved.
    options.spike(&mut bank, &payer, &admin, now)?;
    let guardian = keys.keypair();
    hand_over(&mut bank, &payer, &admin, group, &guardian)?;
    let accounts: Vec<Pubkey> = traders.iter().map(|t| t.account).collect();
    crash.breakers_on(&mut bank, &payer, &guardian)?;
    crash.run(&mut bank, &payer, &mut markets, &accounts, &mut now, a.crash_hours)?;

    // Report.
    println!();
    println!(
        "final prices: {}",
        markets.iter().map(|m| format!("{} {:.2}", m.name, m.price)).collect::<Vec<_>>().join(", ")
    );
    println!("withdrawals {withdrawals}, re-deposits {deposits} during the path");
    perps.report(&mut bank, &traders, crash.liqor(), &markets)?;
    options.report(&mut bank, &traders, &markets, now)?;
    println!();
    println!(
        "{:>6} {:>16} {:>16} {:>16} {:>16}",
        "trader", "equity (USD)", "init health", "maint health", "liq-end health"
    );
    let (mut total_eq, mut min_init) = (0f64, f64::MAX);
    for (t, tr) in traders.iter().enumerate() {
        let acc =
            ballast_sdk::decode::margin_account(&ballast_sdk::transport::require_account(&mut bank, &tr.account)?)?;
        let keys = health::health_account_keys(&group, &acc, &[], |k| markets[k as usize].oracle);
        let raw: Vec<_> =
            keys.iter().map(|k| ballast_sdk::transport::require_account(&mut bank, k)).collect::<Result<_>>()?;
        let [init, maint, end] = health::compute_all(&group, &acc, &raw, now)?;
        let usd = |x: ballast::risk::Fx| x.to_num::<f64>() / 1e6;
        total_eq += usd(maint.equity);
        min_init = min_init.min(usd(init.health));
        println!(
            "{:>6} {:>16.2} {:>16.2} {:>16.2} {:>16.2}",
            t,
            usd(maint.equity),
            usd(init.health),
            usd(maint.health),
            usd(end.health)
        );
    }
    println!();
    println!("accounts {}, total equity {:.2} USD, lowest init health {:.2} USD", traders.len(), total_eq, min_init);
    for (i, m) in markets.iter().enumerate() {
        let asset = ballast_sdk::decode::asset(&ballast_sdk::transport::require_account(
            &mut bank,
            &pda::asset(&group, i as u16).0,
        )?)?;
        let vault = token_amount(&mut bank, &pda::vault(&pda::asset(&group, i as u16).0).0)?;
        let deposits = asset.bank.state().total_deposits().map_err(|e| SdkError::Program(format!("{e:?}")))?;
        println!(
            "{:>5}: vault {:>20} native, accounted deposits {:>20.0} native, stable price {:.2} USD",
            m.name,
            vault,
            deposits.to_num::<f64>(),
            asset.stable_price.price().to_num::<f64>() * 10f64.powi(m.decimals as i32 - 6)
        );
        let borrows = asset.bank.state().total_borrows().map_err(|e| SdkError::Program(format!("{e:?}")))?;
        let r = ballast_sdk::lending::rates(&asset, now)?;
        let scale = 10f64.powi(m.decimals as i32);
        println!(
            "       utilization {:>6.2}%, borrow APR {:>6.2}%, deposit APR {:>6.2}%, borrows {:.4} {} (borrowed at start {:.4}), interest paid on them {:.6} {}, protocol fees {:.6} {}",
            r.utilization * 100.0,
            r.borrow_apr * 100.0,
            r.deposit_apr * 100.0,
            borrows.to_num::<f64>() / scale,
            m.name,
            principal[i] as f64 / scale,
            borrows.to_num::<f64>() / scale * (1.0 - start_borrow_index[i] / asset.bank.borrow_index.fx().to_num::<f64>()),
            m.name,
            asset.bank.protocol_fees.fx().to_num::<f64>() / scale,
            m.name,
        );
        let claims = deposits + asset.bank.protocol_fees.fx() + asset.insurance_fees.fx();
        if (vault as f64) + borrows.to_num::<f64>() + 1.0 < claims.to_num::<f64>() {
            return Err(SdkError::Program(format!("{}: vault plus borrows below deposits plus fees", m.name)));
        }
    }
    Ok(())
}

fn token_amount(bank: &mut EmbeddedBank, key: &Pubkey) -> Result<u64> {
    let a = ballast_sdk::transport::require_account(bank, key)?;
    Ok(u64::from_le_bytes(a.data.bytes()[64..72].try_into().unwrap()))
}
