//! `deposit`: moves tokens from a signer's token account into the asset vault and credits a margin
//! account. Deposits never need an oracle price and cannot lower health, so there is no health check.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::error::BallastError;
use crate::events::{Deposited, EventHeader};
use crate::risk::Fx;
use crate::shared::asset_vault::*;
use crate::state::*;
use crate::transitions;

/// Accounts of `deposit`.
#[derive(Accounts)]
pub struct Deposit<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account credited; any signer may deposit into any account of the group.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// The asset with its vault, mint and token program; the asset must belong to the group.
    pub bank: AssetVault<'info>,
    /// Source token account of the depositor.
    #[account(mut, token::mint = bank.mint, token::authority = depositor, token::token_program = bank.token_program)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Owner of the source token account.
    pub depositor: Signer<'info>,
}

/// Deposits `amount` native units. The credit is what the vault actually received (a transfer fee
/// would be deducted, catalogue AV-20), checked against the deposit cap.
pub fn handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::Deposit, &[])?;
    // Reads no price: `oracle_policy(Action::Deposit)` is `None`, so this handler cannot build the
    // `Priced` proof the health loader requires.
    let asset_index = ctx.accounts.validate(amount)?;
    let accounts = &mut *ctx.accounts;
    let received =
        accounts.bank.pull(accounts.source.to_account_info(), accounts.depositor.to_account_info(), amount)?;
    require!(received > 0, BallastError::ZeroAmount);
    let (group, position) = credit(&accounts.account, &accounts.bank.asset, received)?;
    emit!(Deposited {
        header: EventHeader::now(group)?,
        account: accounts.account.key(),
        asset_index,
        depositor: accounts.depositor.key(),
        amount: received,
        indexed_after_bits: position.to_bits(),
    });
    Ok(())
}

impl Deposit<'_> {
    /// What the account constraints cannot check: the asset belongs to the group, the amount is
    /// positive, the asset accepts deposits. Returns the asset index.
    pub fn validate(&self, amount: u64) -> Result<u16> {
        self.bank.check_group(&self.group.key())?;
        require!(amount > 0, BallastError::ZeroAmount);
        let a = self.bank.asset.load()?;
        require!(a.flags & ASSET_FLAG_DEPOSITS_DISABLED == 0, BallastError::DepositsDisabled);
        Ok(a.asset_index)
    }
}

/// Loads both accounts and runs the deposit transition. Returns the group and the position after.
#[inline(never)]
fn credit(account: &AccountLoader<MarginAccount>, asset: &AccountLoader<Asset>, received: u64) -> Result<(Pubkey, Fx)> {
    let now = Clock::get()?.unix_timestamp;
    let mut asset = asset.load_mut()?;
    let out = transitions::token::deposit(&mut *account.load_mut()?, &mut asset, received, now)?;
    Ok((asset.group, out.position))
}
