//! `withdraw`: sends tokens from the vault to a token account, up to the account's deposit, and
//! runs the health check on the account afterwards.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::constants::*;
use crate::delegation::{authorize, value_up, Authority};
use crate::error::{BallastError, RiskResultExt};
use crate::events::{EventHeader, Withdrew};
use crate::health_accounts::{load_health_accounts, HealthAccounts};
use crate::oracle::{Action, Priced};
use crate::risk::{health, passes_health_rule, Fx, HealthType};
use crate::shared::asset_vault::*;
use crate::state::*;
use crate::transitions;

/// Accounts of `withdraw`. `remaining_accounts`: the account's delegate book when a book delegate
/// signs (`crate::delegation`), then the health accounts in canonical order (see
/// `health_accounts`).
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// Group.
    pub group: AccountLoader<'info, Group>,
    /// Account debited.
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Owner, or a delegate with the withdraw scope.
    pub authority: Signer<'info>,
    /// The asset with its vault, mint and token program; the asset must belong to the group.
    pub bank: AssetVault<'info>,
    /// Destination token account. A delegate may only withdraw to the account owner's token accounts.
    #[account(mut, token::mint = bank.mint, token::token_program = bank.token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

/// Withdraws `amount` native units (`u64::MAX`: the whole deposit). Beyond the deposit it borrows
/// when `allow_borrow` is set and the asset is borrowable (within the borrow cap, utilization
/// cap, net-borrow window and minimum size), and fails with InsufficientBalance otherwise. Fails
/// with HealthMustBePositive if Init health would end below zero. A book delegate counts the value
/// sent at the oracle against its daily cap.
pub fn handler<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64, allow_borrow: bool) -> Result<()> {
    crate::gate::enter(&ctx.accounts.group, crate::gate::Ix::Withdraw, &[&ctx.accounts.account])?;
    let asset_index = ctx.accounts.validate(amount)?;
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let (signer, mut loaded) = authorize_and_load(&ctx, asset_index, allow_borrow, now)?;
    let (sent, health_after) =
        apply(&ctx.accounts.account, &ctx.accounts.bank.asset, &mut loaded, asset_index, amount, allow_borrow, now)?;
    let price = loaded.get(asset_index).ok_or(BallastError::InvalidHealthAccounts)?.oracle.price;
    signer.charge(|| value_up(sent, price), now)?;
    ctx.accounts.bank.pay(ctx.accounts.destination.to_account_info(), sent)?;
    emit!(Withdrew {
        header: EventHeader::now(group_key)?,
        account: ctx.accounts.account.key(),
        asset_index,
        destination: ctx.accounts.destination.key(),
        amount: sent,
        init_health_after_bits: health_after.to_bits(),
    });
    Ok(())
}

impl Withdraw<'_> {
    /// What the account constraints cannot check: the asset belongs to the group, the amount is
    /// positive, the asset allows withdrawals. Returns the asset index. (The signer's authority
    /// is checked with the account loaded, in `authorize_and_load`.)
    pub fn validate(&self, amount: u64) -> Result<u16> {
        self.bank.check_group(&self.group.key())?;
        require!(amount > 0, BallastError::ZeroAmount);
        let a = self.bank.asset.load()?;
        require!(a.flags & ASSET_FLAG_WITHDRAWALS_DISABLED == 0, BallastError::WithdrawalsDisabled);
        Ok(a.asset_index)
    }
}

/// Authorizes the signer (the owner; or a delegate with the withdraw scope in this asset, and the
/// borrow scope too when `allow_borrow`, to the owner's token accounts only), then reads every
/// health account (the asset itself included) before anything changes. Only shared borrows are
/// held while the list is read. Returns who signed and the health accounts.
#[inline(never)]
fn authorize_and_load<'info>(
    ctx: &Context<'info, Withdraw<'info>>,
    asset_index: u16,
    allow_borrow: bool,
    now: i64,
) -> Result<(Authority<'info>, Box<HealthAccounts>)> {
    let scope = if allow_borrow { DELEGATE_WITHDRAW | DELEGATE_BORROW } else { DELEGATE_WITHDRAW };
    let mut rest = ctx.remaining_accounts;
    let signer =
        authorize(&ctx.accounts.account, ctx.accounts.authority.key, Act::new(scope, asset_index), &mut rest, now)?;
    let account = ctx.accounts.account.load()?;
    if signer.is_delegate() {
        require_keys_eq!(ctx.accounts.destination.owner, account.owner, BallastError::Unauthorized);
    }
    let loaded = load_health_accounts(
        const { Priced::of(Action::Withdraw) },
        &ctx.accounts.group.key(),
        &account,
        &[asset_index],
        rest,
        now,
    )?;
    Ok((signer, loaded))
}

/// Runs the withdrawal transition, then checks Init health. Returns the amount to send and Init
/// health after.
#[inline(never)]
fn apply(
    account: &AccountLoader<MarginAccount>,
    asset: &AccountLoader<Asset>,
    loaded: &mut HealthAccounts,
    asset_index: u16,
    amount: u64,
    allow_borrow: bool,
    now: i64,
) -> Result<(u64, Fx)> {
    let mut account = account.load_mut()?;
    let mut asset = asset.load_mut()?;
    let entry = loaded.get_mut(asset_index).ok_or(BallastError::InvalidHealthAccounts)?;
    let out = transitions::token::withdraw(&mut account, &mut asset, &entry.oracle, amount, allow_borrow, now)?;
    entry.bank = out.bank;
    entry.risk.stable_price = asset.stable_price.price();
    let init = init_health(loaded, &account)?;
    transitions::liquidation::end_episode_if_healthy(&mut account, init);
    Ok((out.amount, init))
}

/// Init health of the account after the change; fails with HealthMustBePositive below zero.
#[inline(never)]
fn init_health(loaded: &HealthAccounts, account: &MarginAccount) -> Result<Fx> {
    let input = loaded.health_input(account)?;
    let init = health(&input, HealthType::Init).map_risk()?;
    require!(passes_health_rule(init, None), BallastError::HealthMustBePositive);
    Ok(init)
}
