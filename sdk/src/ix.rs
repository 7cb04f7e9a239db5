//! One pure builder per instruction. Each returns an `Instruction`; nothing is sent.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use ballast::governance::GovChange;
use ballast::instructions::{EditAssetParams, ListAssetParams};

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData, remaining: &[AccountMeta]) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend_from_slice(remaining);
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// Read-only metas for health accounts, in the order given (see [`crate::health`]).
pub fn health_metas(keys: &[Pubkey]) -> Vec<AccountMeta> {
    keys.iter().map(|k| AccountMeta::new_readonly(*k, false)).collect()
}

/// The remaining accounts of a two-account instruction (trades, liquidations): the first
/// account's health list, then the second's; the instruction takes the first list's length.
pub fn two_health_lists(first: &[Pubkey], second: &[Pubkey]) -> Vec<AccountMeta> {
    let mut metas = health_metas(first);
    metas.extend(health_metas(second));
    metas
}

/// `create_group`.
pub fn create_group(
    creator: &Pubkey,
    payer: &Pubkey,
    group_num: u32,
    guardian: &Pubkey,
    timelock_secs: u64,
) -> Instruction {
    let group = pda::group(creator, group_num).0;
    build(
        ballast::accounts::CreateGroup { creator: *creator, group, payer: *payer, system_program: system_program::ID },
        ballast::instruction::CreateGroup { group_num, guardian: *guardian, timelock_secs },
        &[],
    )
}

/// The identities of the price sources a listing or an oracle change sets (`None`: unchanged), for
/// their claims (catalogue OR-12, `ballast::feed_claims`). An aggregate primary's own sources are
/// not here: pass its account and its sources' claims with [`aggregate_claim_metas`].
pub fn source_identities(
    oracle: Option<&ballast::state::OracleConfig>,
    fallback: Option<&ballast::state::OracleConfig>,
) -> Vec<[u8; 32]> {
    let aggregate = ballast::state::OracleKind::Aggregate as u8;
    let primary = oracle.filter(|o| o.kind != aggregate).and_then(ballast::feed_claims::identity);
    primary.into_iter().chain(fallback.and_then(ballast::feed_claims::identity)).collect()
}

/// The claims of `identities`, writable (a listing or an executed oracle change records its asset
/// in those still free).
pub fn feed_claim_metas(group: &Pubkey, identities: &[[u8; 32]]) -> Vec<AccountMeta> {
    identities.iter().map(|id| AccountMeta::new(pda::feed_claim(group, id).0, false)).collect()
}

/// What a listing or an oracle change onto aggregate `aggregate` adds to its accounts: the
/// aggregate's account and the claims of its `sources`.
pub fn aggregate_claim_metas(
    group: &Pubkey,
    aggregate: &Pubkey,
    sources: &[ballast::state::OracleConfig],
) -> Vec<AccountMeta> {
    let ids: Vec<[u8; 32]> = sources.iter().filter_map(ballast::feed_claims::identity).collect();
    let mut metas = vec![AccountMeta::new_readonly(*aggregate, false)];
    metas.extend(feed_claim_metas(group, &ids));
    metas
}

/// `claim_feed` (anyone) for each of `identities`: creates the claims not yet created (the program
/// leaves an existing one as it is), so a listing or an oracle change can follow in the same
/// transaction.
pub fn claim_feeds(group: &Pubkey, payer: &Pubkey, identities: &[[u8; 32]]) -> Vec<Instruction> {
    identities
        .iter()
        .map(|id| {
            build(
                ballast::accounts::ClaimFeed {
                    group: *group,
                    claim: pda::feed_claim(group, id).0,
                    payer: *payer,
                    system_program: system_program::ID,
                },
                ballast::instruction::ClaimFeed { identity: *id },
                &[],
            )
        })
        .collect()
}

/// `list_asset`. `token_program` is the mint's owner (SPL Token or Token-2022). An asset listed
/// into another asset's risk group passes that leader's Asset, writable (it counts its members and
/// its shocks must match). The claims of its sources follow ([`source_identities`]; create them
/// first with [`claim_feeds`]; an aggregate's with [`aggregate_claim_metas`]).
pub fn list_asset(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    asset_index: u16,
    params: ListAssetParams,
) -> Instruction {
    let asset = pda::asset(group, asset_index).0;
    let g = params.risk.risk_group;
    let mut remaining = if g != asset_index { vec![AccountMeta::new(pda::asset(group, g).0, false)] } else { vec![] };
    remaining.extend(feed_claim_metas(group, &source_identities(Some(&params.oracle), Some(&params.fallback_oracle))));
    build(
        ballast::accounts::ListAsset {
            group: *group,
            authority: *admin,
            mint: *mint,
            asset,
            vault: pda::vault(&asset).0,
            oracle: params.oracle.address,
            payer: *payer,
            token_program: *token_program,
            system_program: system_program::ID,
        },
        ballast::instruction::ListAsset { asset_index, params },
        &remaining,
    )
}

/// `record_asset_sources` (anyone) of asset `asset_index`, with `metas` (the claims of its sources,
/// and an aggregate's account: [`asset_source_metas`]).
pub fn record_asset_sources(group: &Pubkey, asset_index: u16, metas: &[AccountMeta]) -> Instruction {
    build(
        ballast::accounts::RecordAssetSources { asset: pda::asset(group, asset_index).0 },
        ballast::instruction::RecordAssetSources {},
        metas,
    )
}

/// The identities of an asset's sources and the accounts naming them (claims, and an aggregate's
/// account), read from the chain: what [`record_asset_sources`] and [`claim_feeds`] take.
pub fn asset_source_metas(
    t: &mut dyn crate::transport::Transport,
    group: &Pubkey,
    asset: &ballast::state::Asset,
) -> crate::Result<(Vec<[u8; 32]>, Vec<AccountMeta>)> {
    let (mut ids, mut metas) = (vec![], vec![]);
    for cfg in [&asset.oracle, &asset.fallback_oracle].into_iter().filter(|c| c.is_set()) {
        if cfg.kind == ballast::state::OracleKind::Aggregate as u8 {
            let agg = crate::decode::price_aggregate(&crate::transport::require_account(t, &cfg.address)?)?;
            ids.extend(agg.sources.iter().filter_map(ballast::feed_claims::identity));
            metas.extend(aggregate_claim_metas(group, &cfg.address, &agg.sources));
        } else if let Some(id) = ballast::feed_claims::identity(cfg) {
            ids.push(id);
            metas.extend(feed_claim_metas(group, &[id]));
        }
    }
    Ok((ids, metas))
}

/// [`claim_feeds`] for the listing's sources, then [`list_asset`] (the listing's whole
/// transaction; an aggregate primary's sources aside).
pub fn list_asset_ixs(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    asset_index: u16,
    params: ListAssetParams,
) -> Vec<Instruction> {
    let ids = source_identities(Some(&params.oracle), Some(&params.fallback_oracle));
    let mut ixs = claim_feeds(group, payer, &ids);
    ixs.push(list_asset(group, admin, payer, mint, token_program, asset_index, params));
    ixs
}

/// `edit_asset`. An edit of the risk parameters of an asset in another asset's risk group passes
/// that leader's Asset (its shocks must match); an oracle change passes the claims of the sources
/// it sets ([`edit_metas`]).
pub fn edit_asset(group: &Pubkey, admin: &Pubkey, asset_index: u16, params: EditAssetParams) -> Instruction {
    let remaining = edit_metas(group, &pda::asset(group, asset_index).0, &params);
    build(
        ballast::accounts::EditAsset { group: *group, authority: *admin, asset: pda::asset(group, asset_index).0 },
        ballast::instruction::EditAsset { params },
        &remaining,
    )
}

/// The accounts an asset edit needs after its target: the risk group's leader when the edit sets
/// the risk parameters of a member, and the claims of the price sources it sets.
pub fn edit_metas(group: &Pubkey, asset: &Pubkey, p: &EditAssetParams) -> Vec<AccountMeta> {
    let mut metas = vec![];
    if let Some(r) = p.risk.filter(|r| pda::asset(group, r.risk_group).0 != *asset) {
        metas.push(AccountMeta::new_readonly(pda::asset(group, r.risk_group).0, false));
    }
    metas.extend(feed_claim_metas(group, &source_identities(p.oracle.as_ref(), p.fallback_oracle.as_ref())));
    metas
}

/// `refresh_asset`.
pub fn refresh_asset(group: &Pubkey, asset_index: u16, oracle: &Pubkey) -> Instruction {
    build(
        ballast::accounts::RefreshAsset { asset: pda::asset(group, asset_index).0, oracle: *oracle },
        ballast::instruction::RefreshAsset {},
        &[],
    )
}

/// `create_account`.
pub fn create_account(group: &Pubkey, owner: &Pubkey, payer: &Pubkey, account_num: u32) -> Instruction {
    build(
        ballast::accounts::CreateAccount {
            group: *group,
            owner: *owner,
            account: pda::margin_account(group, owner, account_num).0,
            payer: *payer,
            system_program: system_program::ID,
        },
        ballast::instruction::CreateAccount { account_num },
        &[],
    )
}

/// `close_account`.
pub fn close_account(account: &Pubkey, owner: &Pubkey, rent_receiver: &Pubkey) -> Instruction {
    build(
        ballast::accounts::CloseAccount { account: *account, owner: *owner, rent_receiver: *rent_receiver },
        ballast::instruction::CloseAccount {},
        &[],
    )
}

/// `set_delegate`.
pub fn set_delegate(account: &Pubkey, owner: &Pubkey, delegate: &Pubkey, scope: u8, expiry: i64) -> Instruction {
    build(
        ballast::accounts::SetDelegate { account: *account, owner: *owner },
        ballast::instruction::SetDelegate { delegate: *delegate, scope, expiry },
        &[],
    )
}

/// `grant_delegate`: the owner grants (or changes) a scoped delegate in the account's book (the
/// owner pays the book's rent the first time). A different instruction from [`set_delegate`], which
/// sets the single v0.1.0 delegate.
pub fn grant_delegate(account: &Pubkey, owner: &Pubkey, grant: ballast::instructions::DelegateGrant) -> Instruction {
    build(
        ballast::accounts::GrantDelegate {
            account: *account,
            owner: *owner,
            book: pda::delegate_book(account).0,
            system_program: system_program::ID,
        },
        ballast::instruction::GrantDelegate { grant },
        &[],
    )
}

/// `revoke_delegate`: the owner removes a scoped delegate (the book closes, rent to the owner,
/// when it was the last).
pub fn revoke_delegate(account: &Pubkey, owner: &Pubkey, delegate: &Pubkey) -> Instruction {
    build(
        ballast::accounts::RevokeDelegate { account: *account, owner: *owner, book: pda::delegate_book(account).0 },
        ballast::instruction::RevokeDelegate { delegate: *delegate },
        &[],
    )
}

/// The fixed accounts (before `remaining_accounts`) of each instruction a delegate may sign, by
/// discriminator: counted from the program's own account structs, so they cannot drift.
fn delegated_fixed_accounts(data: &[u8]) -> Option<usize> {
    use anchor_lang::Discriminator;
    use ballast::{accounts as a, instruction as i};
    let d = Pubkey::default();
    let m = || crate::perp::market(&d, 0, 0);
    let n = |x: &dyn ToAccountMetas| x.to_account_metas(None).len();
    let table: [(&[u8], usize); 9] = [
        (
            i::Withdraw::DISCRIMINATOR,
            n(&a::Withdraw { group: d, account: d, authority: d, bank: asset_vault(&d, 0, &d, &d), destination: d }),
        ),
        (
            i::BlockTrade::DISCRIMINATOR,
            n(&a::BlockTrade { market: m(), buyer: d, buyer_authority: d, seller: d, seller_authority: d }),
        ),
        (
            i::FillOrder::DISCRIMINATOR,
            n(&a::FillOrder {
                market: m(),
                maker: d,
                taker: d,
                taker_authority: d,
                order_record: d,
                instructions: d,
                system_program: d,
            }),
        ),
        (
            i::CancelOrder::DISCRIMINATOR,
            n(&a::CancelOrder { account: d, authority: d, order_record: d, system_program: d }),
        ),
        (
            i::TradeOption::DISCRIMINATOR,
            n(&a::TradeOption { market: m(), buyer: d, buyer_authority: d, seller: d, seller_authority: d }),
        ),
        (
            i::FillOptionOrder::DISCRIMINATOR,
            n(&a::FillOptionOrder {
                market: m(),
                maker: d,
                taker: d,
                taker_authority: d,
                order_record: d,
                instructions: d,
                system_program: d,
            }),
        ),
        (
            i::LiquidateToken::DISCRIMINATOR,
            n(&a::LiquidateToken { group: d, liqor: d, liqor_authority: d, liqee: d, asset: d, liab: d }),
        ),
        (i::LiquidatePerp::DISCRIMINATOR, n(&a::LiquidatePerp { market: m(), liqor: d, liqor_authority: d, liqee: d })),
        (
            i::LiquidateOption::DISCRIMINATOR,
            n(&a::LiquidateOption { market: m(), liqor: d, liqor_authority: d, liqee: d }),
        ),
    ];
    table.iter().find(|(disc, _)| data.starts_with(disc)).map(|(_, k)| *k)
}

/// Makes `ix` (built for a book delegate's signature) carry the delegate books the program
/// expects: writable, right after the fixed accounts, before the health accounts, one per acting
/// account signed by a book delegate, in the instruction's order of those accounts (buyer then
/// seller, maker then taker; `ballast::delegation`). `books` holds the margin accounts (not the
/// books: their addresses are derived here). An owner or the v0.1.0 delegate passes none. Fails
/// for an instruction no delegate signs.
pub fn with_delegate_books(mut ix: Instruction, accounts: &[Pubkey]) -> Result<Instruction, crate::SdkError> {
    let at = delegated_fixed_accounts(&ix.data)
        .ok_or_else(|| crate::SdkError::Program("no delegate signs this instruction".into()))?;
    let metas = accounts.iter().map(|a| AccountMeta::new(pda::delegate_book(a).0, false));
    ix.accounts.splice(at..at, metas);
    Ok(ix)
}

/// The `AssetVault` accounts of an asset: the asset PDA, its vault PDA, its mint and token program.
pub fn asset_vault(
    group: &Pubkey,
    asset_index: u16,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> ballast::accounts::AssetVault {
    let asset = pda::asset(group, asset_index).0;
    ballast::accounts::AssetVault { asset, vault: pda::vault(&asset).0, mint: *mint, token_program: *token_program }
}

/// Accounts shared by deposit and withdraw.
#[derive(Clone, Copy, Debug)]
pub struct TokenIxAccounts {
    /// Group.
    pub group: Pubkey,
    /// Margin account.
    pub account: Pubkey,
    /// Asset index.
    pub asset_index: u16,
    /// Mint of the asset.
    pub mint: Pubkey,
    /// Token program of the mint.
    pub token_program: Pubkey,
    /// User token account (source of a deposit, destination of a withdrawal).
    pub user_token: Pubkey,
}

/// `deposit` of `amount` native units signed by `depositor` (owner of the source token account).
pub fn deposit(a: &TokenIxAccounts, depositor: &Pubkey, amount: u64) -> Instruction {
    build(
        ballast::accounts::Deposit {
            group: a.group,
            account: a.account,
            bank: asset_vault(&a.group, a.asset_index, &a.mint, &a.token_program),
            source: a.user_token,
            depositor: *depositor,
        },
        ballast::instruction::Deposit { amount },
        &[],
    )
}

/// `withdraw` of `amount` native units (u64::MAX: the whole deposit) signed by `authority`; beyond
/// the deposit it borrows when `allow_borrow`. `health` is the canonical health-account list from
/// [`crate::health::health_account_keys`] (with the withdrawn asset as `extra`).
pub fn withdraw(
    a: &TokenIxAccounts,
    authority: &Pubkey,
    amount: u64,
    allow_borrow: bool,
    health: &[Pubkey],
) -> Instruction {
    build(
        ballast::accounts::Withdraw {
            group: a.group,
            account: a.account,
            authority: *authority,
            bank: asset_vault(&a.group, a.asset_index, &a.mint, &a.token_program),
            destination: a.user_token,
        },
        ballast::instruction::Withdraw { amount, allow_borrow },
        &health_metas(health),
    )
}

/// `repay` of up to `amount` native units (u64::MAX: the whole debt) of `a.account`'s borrow,
/// paid from `a.user_token` owned by `payer`.
pub fn repay(a: &TokenIxAccounts, payer: &Pubkey, amount: u64) -> Instruction {
    build(
        ballast::accounts::Repay {
            group: a.group,
            account: a.account,
            bank: asset_vault(&a.group, a.asset_index, &a.mint, &a.token_program),
            source: a.user_token,
            payer: *payer,
        },
        ballast::instruction::Repay { amount },
        &[],
    )
}

/// `withdraw_fees` (admin) of `amount` native units (u64::MAX: all accrued) to `destination`.
pub fn withdraw_fees(
    group: &Pubkey,
    admin: &Pubkey,
    asset_index: u16,
    mint: &Pubkey,
    token_program: &Pubkey,
    destination: &Pubkey,
    amount: u64,
) -> Instruction {
    build(
        ballast::accounts::WithdrawFees {
            group: *group,
            admin: *admin,
            bank: asset_vault(group, asset_index, mint, token_program),
            destination: *destination,
        },
        ballast::instruction::WithdrawFees { amount },
        &[],
    )
}

/// `check_health`: fails unless health of `health_type` (0 Init, 1 Maint, 2 LiquidationEnd) is at
/// least `min_health_bits` (I80F48 bits).
pub fn check_health(
    group: &Pubkey,
    account: &Pubkey,
    health_type: u8,
    min_health_bits: i128,
    health: &[Pubkey],
) -> Instruction {
    build(
        ballast::accounts::CheckHealth { group: *group, account: *account },
        ballast::instruction::CheckHealth { health_type, min_health_bits },
        &health_metas(health),
    )
}

/// The remaining accounts of a governance change: its target account (an Asset or a
/// MarginAccount, writable; none for a group change), then the risk-group leader of an edit that
/// sets a member's risk parameters.
pub fn change_metas(group: &Pubkey, target: Option<Pubkey>, change: &GovChange) -> Vec<AccountMeta> {
    let Some(key) = target else { return vec![] };
    let mut metas = vec![AccountMeta::new(key, false)];
    if let GovChange::EditAsset(p) = change {
        metas.extend(edit_metas(group, &key, p));
    }
    metas
}

fn asset_target(group: &Pubkey, target: Option<u16>) -> Option<Pubkey> {
    target.map(|i| pda::asset(group, i).0)
}

/// `propose_change` (admin): queues `change` as proposal `num` (the group's `num_proposals`);
/// `target` is the asset index of an asset change (None for a group change; see
/// [`propose_change_on`] for a margin account).
pub fn propose_change(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    num: u64,
    target: Option<u16>,
    change: GovChange,
) -> Instruction {
    propose_change_on(group, admin, payer, num, asset_target(group, target), change)
}

/// `propose_change` naming its target account by key (an Asset or a MarginAccount).
pub fn propose_change_on(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    num: u64,
    target: Option<Pubkey>,
    change: GovChange,
) -> Instruction {
    let remaining = change_metas(group, target, &change);
    build(
        ballast::accounts::ProposeChange {
            group: *group,
            admin: *admin,
            proposal: pda::proposal(group, num).0,
            payer: *payer,
            system_program: system_program::ID,
        },
        ballast::instruction::ProposeChange { num, change },
        &remaining,
    )
}

/// `cancel_change` (admin or guardian) of proposal `num`.
pub fn cancel_change(group: &Pubkey, authority: &Pubkey, num: u64) -> Instruction {
    build(
        ballast::accounts::CancelChange { group: *group, authority: *authority, proposal: pda::proposal(group, num).0 },
        ballast::instruction::CancelChange {},
        &[],
    )
}

/// `execute_change` (anyone) of proposal `num`; `target` (an asset index) and `change` as queued
/// (they name the accounts: [`crate::decode::proposal_change`] reads them back from the proposal).
pub fn execute_change(group: &Pubkey, num: u64, target: Option<u16>, change: &GovChange) -> Instruction {
    execute_change_on(group, num, asset_target(group, target), change)
}

/// `execute_change` naming its target account by key (the proposal's `target`).
pub fn execute_change_on(group: &Pubkey, num: u64, target: Option<Pubkey>, change: &GovChange) -> Instruction {
    build(
        ballast::accounts::ExecuteChange { group: *group, proposal: pda::proposal(group, num).0 },
        ballast::instruction::ExecuteChange {},
        &change_metas(group, target, change),
    )
}

/// `set_ix_gate` (admin or guardian): bit n disables `gate::Ix` n.
pub fn set_ix_gate(group: &Pubkey, authority: &Pubkey, gate: u64) -> Instruction {
    build(
        ballast::accounts::SetIxGate { group: *group, authority: *authority },
        ballast::instruction::SetIxGate { gate },
        &[],
    )
}

/// `panic_pause` (admin or guardian).
pub fn panic_pause(group: &Pubkey, authority: &Pubkey) -> Instruction {
    build(
        ballast::accounts::PanicPause { group: *group, authority: *authority },
        ballast::instruction::PanicPause {},
        &[],
    )
}

/// `freeze_account` (admin or guardian; unfreezing is queued in a group with a timelock).
pub fn freeze_account(group: &Pubkey, authority: &Pubkey, account: &Pubkey, frozen: bool) -> Instruction {
    build(
        ballast::accounts::FreezeAccount { group: *group, authority: *authority, account: *account },
        ballast::instruction::FreezeAccount { frozen },
        &[],
    )
}

/// `create_price_aggregate` (admin): aggregate `num` of `params`' sources.
pub fn create_price_aggregate(
    group: &Pubkey,
    admin: &Pubkey,
    payer: &Pubkey,
    num: u64,
    params: ballast::instructions::PriceAggregateParams,
) -> Instruction {
    build(
        ballast::accounts::CreatePriceAggregate {
            group: *group,
            admin: *admin,
            aggregate: pda::price_aggregate(group, num).0,
            payer: *payer,
            system_program: system_program::ID,
        },
        ballast::instruction::CreatePriceAggregate { num, params },
        &[],
    )
}

/// `update_price_aggregate` (anyone): `sources` are the aggregate's set source accounts, in order.
pub fn update_price_aggregate(aggregate: &Pubkey, sources: &[Pubkey]) -> Instruction {
    build(
        ballast::accounts::UpdatePriceAggregate { aggregate: *aggregate },
        ballast::instruction::UpdatePriceAggregate {},
        &health_metas(sources),
    )
}

/// `force_withdraw` (anyone): the account's whole deposit of a force-closed asset to
/// `destination`, a token account of the account's owner.
pub fn force_withdraw(a: &TokenIxAccounts, destination: &Pubkey) -> Instruction {
    build(
        ballast::accounts::ForceWithdraw {
            group: a.group,
            account: a.account,
            bank: asset_vault(&a.group, a.asset_index, &a.mint, &a.token_program),
            destination: *destination,
        },
        ballast::instruction::ForceWithdraw {},
        &[],
    )
}

/// `set_liquidation_config` (admin).
pub fn set_liquidation_config(
    group: &Pubkey,
    admin: &Pubkey,
    params: ballast::instructions::LiquidationConfigParams,
) -> Instruction {
    build(
        ballast::accounts::SetLiquidationConfig { group: *group, authority: *admin },
        ballast::instruction::SetLiquidationConfig { params },
        &[],
    )
}

/// Who liquidates whom: the accounts of `liquidate_token` and `liquidate_perp`.
#[derive(Clone, Copy, Debug)]
pub struct LiquidationParties<'a> {
    /// Group.
    pub group: Pubkey,
    /// The liquidator's margin account.
    pub liqor: Pubkey,
    /// Its owner, who signs.
    pub liqor_owner: Pubkey,
    /// The liquidated account.
    pub liqee: Pubkey,
    /// The liquidated account's canonical health keys ([`crate::health::health_account_keys`]).
    pub liqee_health: &'a [Pubkey],
    /// The liquidator's, with the step's two assets as extras.
    pub liqor_health: &'a [Pubkey],
}

impl LiquidationParties<'_> {
    /// The remaining accounts (the liquidated account's list, then the liquidator's) and the length
    /// of the first list. A list longer than 255 keys is sent as 255: the program refuses it
    /// (no transaction holds that many accounts anyway).
    pub(crate) fn remaining(&self) -> (Vec<AccountMeta>, u8) {
        (
            two_health_lists(self.liqee_health, self.liqor_health),
            u8::try_from(self.liqee_health.len()).unwrap_or(u8::MAX),
        )
    }
}

/// `liquidate_token`: the liquidator repays up to `max_liab` native units of the liquidated
/// account's borrow in `liab_index` and seizes its deposit in `asset_index` (the program sizes the
/// step: the keeper computes the same size with `shared::liquidation::plan_token`).
///
/// ```
/// use anchor_lang::prelude::Pubkey;
/// use ballast_sdk::ix::{liquidate_token, LiquidationParties};
///
/// let (group, liqor, owner, liqee) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
/// let (liqee_health, liqor_health) = (vec![Pubkey::new_unique(); 4], vec![Pubkey::new_unique(); 4]);
/// let parties = LiquidationParties { group, liqor, liqor_owner: owner, liqee, liqee_health: &liqee_health, liqor_health: &liqor_health };
/// let ix = liquidate_token(&parties, 1, 0, u64::MAX);
/// assert_eq!(ix.program_id, ballast_sdk::PROGRAM_ID);
/// assert_eq!(ix.accounts.len(), 6 + 8);
/// ```
pub fn liquidate_token(p: &LiquidationParties, asset_index: u16, liab_index: u16, max_liab: u64) -> Instruction {
    let (remaining, liqee_health_accounts) = p.remaining();
    build(
        ballast::accounts::LiquidateToken {
            group: p.group,
            liqor: p.liqor,
            liqor_authority: p.liqor_owner,
            liqee: p.liqee,
            asset: pda::asset(&p.group, asset_index).0,
            liab: pda::asset(&p.group, liab_index).0,
        },
        ballast::instruction::LiquidateToken { max_liab, liqee_health_accounts },
        &remaining,
    )
}

/// `create_stub_oracle` (the program must be built with `test-oracle`).
pub fn create_stub_oracle(group: &Pubkey, admin: &Pubkey, payer: &Pubkey, stub_num: u64) -> Instruction {
    let mut data = solana_sdk::hash::hashv(&[b"global:create_stub_oracle"]).to_bytes()[..8].to_vec();
    data.extend_from_slice(&stub_num.to_le_bytes());
    Instruction {
        program_id: ballast::ID,
        accounts: vec![
            AccountMeta::new_readonly(*group, false),
            AccountMeta::new_readonly(*admin, true),
            AccountMeta::new(pda::stub_oracle(group, stub_num).0, false),
            AccountMeta::new(*payer, true),
            AccountMeta::new_readonly(system_program::ID, false),
        ],
        data,
    }
}

/// `set_stub_oracle` (the program must be built with `test-oracle`).
pub fn set_stub_oracle(
    group: &Pubkey,
    admin: &Pubkey,
    oracle: &Pubkey,
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
) -> Instruction {
    let mut data = solana_sdk::hash::hashv(&[b"global:set_stub_oracle"]).to_bytes()[..8].to_vec();
    data.extend_from_slice(&price.to_le_bytes());
    data.extend_from_slice(&conf.to_le_bytes());
    data.extend_from_slice(&expo.to_le_bytes());
    data.extend_from_slice(&publish_time.to_le_bytes());
    Instruction {
        program_id: ballast::ID,
        accounts: vec![
            AccountMeta::new_readonly(*group, false),
            AccountMeta::new_readonly(*admin, true),
            AccountMeta::new(*oracle, false),
        ],
        data,
    }
}
