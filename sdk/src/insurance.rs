//! Insurance fund and bankruptcy: one builder per instruction.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use ballast::constants::QUOTE_ASSET_INDEX;

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: ballast::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// The fund's accounts of a group whose quote asset has `quote_mint` under `token_program`.
pub fn fund(group: &Pubkey, quote_mint: &Pubkey, token_program: &Pubkey) -> ballast::accounts::InsuranceAccounts {
    ballast::accounts::InsuranceAccounts {
        group: *group,
        quote: pda::asset(group, QUOTE_ASSET_INDEX).0,
        vault: pda::insurance_vault(group).0,
        mint: *quote_mint,
        token_program: *token_program,
    }
}

/// `create_insurance_fund` (admin).
pub fn create_insurance_fund(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    quote_mint: &Pubkey,
    token_program: &Pubkey,
    cooldown_secs: u32,
) -> Instruction {
    build(
        ballast::accounts::CreateInsuranceFund {
            group: *group,
            admin: *admin,
            quote: pda::asset(group, QUOTE_ASSET_INDEX).0,
            vault: pda::insurance_vault(group).0,
            mint: *quote_mint,
            token_program: *token_program,
            payer: *payer,
            system_program: system_program::ID,
        },
        ballast::instruction::CreateInsuranceFund { cooldown_secs },
    )
}

/// `stake` of `amount` quote native units from `source` (owned by `owner`).
pub fn stake(f: ballast::accounts::InsuranceAccounts, owner: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
    let stake = pda::stake(&f.group, owner).0;
    build(
        ballast::accounts::Stake { fund: f, owner: *owner, stake, source: *source, system_program: system_program::ID },
        ballast::instruction::Stake { amount },
    )
}

fn request(group: &Pubkey, owner: &Pubkey) -> ballast::accounts::UnstakeRequest {
    ballast::accounts::UnstakeRequest { group: *group, owner: *owner, stake: pda::stake(group, owner).0 }
}

/// `request_unstake` of `shares`.
pub fn request_unstake(group: &Pubkey, owner: &Pubkey, shares: u64) -> Instruction {
    build(request(group, owner), ballast::instruction::RequestUnstake { shares })
}

/// `cancel_unstake`.
pub fn cancel_unstake(group: &Pubkey, owner: &Pubkey) -> Instruction {
    build(request(group, owner), ballast::instruction::CancelUnstake {})
}

/// `withdraw_unstake` to `destination`.
pub fn withdraw_unstake(f: ballast::accounts::InsuranceAccounts, owner: &Pubkey, destination: &Pubkey) -> Instruction {
    let stake = pda::stake(&f.group, owner).0;
    build(
        ballast::accounts::WithdrawUnstake { fund: f, owner: *owner, stake, destination: *destination },
        ballast::instruction::WithdrawUnstake {},
    )
}

/// `sweep_insurance_fees` (permissionless).
pub fn sweep_insurance_fees(f: ballast::accounts::InsuranceAccounts) -> Instruction {
    let quote_vault = pda::vault(&f.quote).0;
    build(ballast::accounts::SweepInsuranceFees { fund: f, quote_vault }, ballast::instruction::SweepInsuranceFees {})
}

/// `withdraw_protocol_insurance` (admin) of `shares` protocol shares to `destination`.
pub fn withdraw_protocol_insurance(
    f: ballast::accounts::InsuranceAccounts,
    admin: &Pubkey,
    destination: &Pubkey,
    shares: u64,
) -> Instruction {
    build(
        ballast::accounts::WithdrawProtocolInsurance { fund: f, admin: *admin, destination: *destination },
        ballast::instruction::WithdrawProtocolInsurance { shares },
    )
}

/// `resolve_bankruptcy` (permissionless) of up to `max_amount` of `account`'s debt in
/// `asset_index`. `health`: the account's canonical health pairs (Asset then oracle, per
/// asset; the Asset accounts are marked writable, dust deposits are swept from them), then
/// `fallbacks` for assets whose primary oracle is invalid.
#[allow(clippy::too_many_arguments)]
pub fn resolve_bankruptcy(
    group: &Pubkey,
    account: &Pubkey,
    asset_index: u16,
    mint: &Pubkey,
    token_program: &Pubkey,
    max_amount: u64,
    health: &[Pubkey],
    fallbacks: &[Pubkey],
) -> Instruction {
    let mut ix = build(
        ballast::accounts::ResolveBankruptcy {
            group: *group,
            account: *account,
            bank: crate::ix::asset_vault(group, asset_index, mint, token_program),
            insurance_vault: pda::insurance_vault(group).0,
        },
        ballast::instruction::ResolveBankruptcy { max_amount },
    );
    for (i, k) in health.iter().enumerate() {
        ix.accounts.push(if i % 2 == 0 { AccountMeta::new(*k, false) } else { AccountMeta::new_readonly(*k, false) });
    }
    ix.accounts.extend(fallbacks.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

/// `resolve_perp_bankruptcy` (permissionless): the perp loss of bankrupt `account` in market
/// `asset_index` (whose primary oracle is `oracle`): the fund pays `profitable` (a winner of the
/// market), then the rest is socialized. `health` is the bankrupt account's health keys (with
/// fallbacks appended). `quote_mint`/`token_program` are the quote asset's.
#[allow(clippy::too_many_arguments)]
pub fn resolve_perp_bankruptcy(
    group: &Pubkey,
    account: &Pubkey,
    asset_index: u16,
    oracle: &Pubkey,
    profitable: &Pubkey,
    quote_mint: &Pubkey,
    token_program: &Pubkey,
    health: &[Pubkey],
) -> Instruction {
    let mut ix = build(
        ballast::accounts::ResolvePerpBankruptcy {
            group: *group,
            asset: pda::asset(group, asset_index).0,
            oracle: *oracle,
            account: *account,
            profitable: *profitable,
            quote: crate::ix::asset_vault(group, QUOTE_ASSET_INDEX, quote_mint, token_program),
            insurance_vault: pda::insurance_vault(group).0,
        },
        ballast::instruction::ResolvePerpBankruptcy {},
    );
    ix.accounts.extend(crate::ix::health_metas(health));
    ix
}

/// The accounts of `cover_bankrupt_debt` beyond the group and the bankrupt account.
pub struct CoverAccounts {
    /// Asset index of the debt.
    pub asset_index: u16,
    /// Mint and token program of the debt's asset.
    pub mint: Pubkey,
    /// Token program of the debt's asset.
    pub token_program: Pubkey,
    /// The deliverer (signs for `source`).
    pub deliverer: Pubkey,
    /// The deliverer's token account of the debt's mint.
    pub source: Pubkey,
    /// Quote mint.
    pub quote_mint: Pubkey,
    /// Quote token program.
    pub quote_token_program: Pubkey,
    /// The deliverer's quote token account (paid by the fund).
    pub destination: Pubkey,
}

/// `cover_bankrupt_debt` (permissionless, the deliverer signs): repays up to `max_amount` of
/// bankrupt `account`'s debt with the deliverer's tokens, the fund pays the deliverer in quote.
/// `health`: the account's health keys with the quote asset added
/// (`health::health_account_keys(.., &[QUOTE_ASSET_INDEX], ..)`), fallbacks appended.
pub fn cover_bankrupt_debt(
    group: &Pubkey,
    account: &Pubkey,
    c: &CoverAccounts,
    max_amount: u64,
    health: &[Pubkey],
) -> Instruction {
    let mut ix = build(
        ballast::accounts::CoverBankruptDebt {
            group: *group,
            account: *account,
            bank: crate::ix::asset_vault(group, c.asset_index, &c.mint, &c.token_program),
            deliverer: c.deliverer,
            source: c.source,
            quote: pda::asset(group, QUOTE_ASSET_INDEX).0,
            quote_mint: c.quote_mint,
            quote_token_program: c.quote_token_program,
            insurance_vault: pda::insurance_vault(group).0,
            destination: c.destination,
        },
        ballast::instruction::CoverBankruptDebt { max_amount },
    );
    ix.accounts.extend(crate::ix::health_metas(health));
    ix
}
