//! Perps: instruction builders for every perp instruction, signed-order encoding and signing
//! (the ed25519 verification instruction included), and position views.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use ballast::constants::{FREE_SLOT, QUOTE_ASSET_INDEX};
use ballast::order::SignedOrder;
use ballast::risk::{Fx, Price, Round};
use ballast::state::PerpMarketParams;
use ballast::state::{Asset, MarginAccount};
use solana_sdk::signature::{Keypair, Signer};

use crate::ix::two_health_lists;
use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData, remaining: &[AccountMeta]) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend_from_slice(remaining);
    Instruction { program_id: ballast::ID, accounts: metas, data: data.data() }
}

/// The market accounts of a perp instruction: group, the perp asset, the quote asset.
pub fn market(group: &Pubkey, asset_index: u16, quote_index: u16) -> ballast::accounts::PerpMarketAccounts {
    ballast::accounts::PerpMarketAccounts {
        group: *group,
        asset: pda::asset(group, asset_index).0,
        quote: pda::asset(group, quote_index).0,
    }
}

/// `set_perp_market` (admin).
pub fn set_perp_market(group: &Pubkey, admin: &Pubkey, asset_index: u16, params: PerpMarketParams) -> Instruction {
    build(
        ballast::accounts::SetPerpMarket { group: *group, authority: *admin, asset: pda::asset(group, asset_index).0 },
        ballast::instruction::SetPerpMarket { params },
        &[],
    )
}

/// One side of a trade: its margin account, the key that signs for it, and its canonical health
/// keys computed with the perp asset and the quote asset as extras
/// ([`crate::health::health_account_keys`] with `&[asset_index, quote_index]`).
#[derive(Clone, Debug)]
pub struct TradeParty {
    /// Margin account.
    pub account: Pubkey,
    /// Owner or trade delegate.
    pub authority: Pubkey,
    /// Health keys.
    pub health: Vec<Pubkey>,
}

/// `block_trade`: `buyer` buys `lots` from `seller` at `price_per_lot` (quote native units per lot).
/// Both authorities sign the transaction.
pub fn block_trade(
    group: &Pubkey,
    asset_index: u16,
    quote_index: u16,
    buyer: &TradeParty,
    seller: &TradeParty,
    lots: u64,
    price_per_lot: u64,
) -> Instruction {
    let remaining = two_health_lists(&buyer.health, &seller.health);
    build(
        ballast::accounts::BlockTrade {
            market: market(group, asset_index, quote_index),
            buyer: buyer.account,
            buyer_authority: buyer.authority,
            seller: seller.account,
            seller_authority: seller.authority,
        },
        ballast::instruction::BlockTrade { lots, price_per_lot, buyer_health_accounts: buyer.health.len() as u8 },
        &remaining,
    )
}

/// The group's order domain (`Group.order_domain`), which every signed order commits to: read it
/// once per group with [`order_domain`].
pub fn order_domain(t: &mut dyn crate::transport::Transport, group: &Pubkey) -> crate::Result<[u8; 32]> {
    Ok(crate::decode::group(&crate::transport::require_account(t, group)?)?.order_domain)
}

/// Signs `order` with the maker's key (the account owner or its trade delegate). The signed bytes
/// are `order.message(group, domain)` (docs/perps.md, "Order message"); `domain` is the group's
/// [`order_domain`].
pub fn sign_order(maker: &Keypair, group: &Pubkey, domain: &[u8; 32], order: &SignedOrder) -> [u8; 64] {
    sign_bytes(maker, &order.message(group, domain))
}

/// The ed25519 signature of `message` by `maker`, as the verification instruction carries it.
pub fn sign_bytes(maker: &Keypair, message: &[u8]) -> [u8; 64] {
    let sig = maker.sign_message(message);
    let mut out = [0u8; 64];
    out.copy_from_slice(sig.as_ref());
    out
}

/// The ed25519 verification instruction of a signed message; it must come right before `fill_order`.
pub fn ed25519_verify(signer: &Pubkey, signature: &[u8; 64], message: &[u8]) -> Instruction {
    solana_ed25519_program::new_ed25519_instruction_with_signature(message, signature, &signer.to_bytes())
}

/// `fill_order` alone (without the ed25519 instruction): `taker` fills `fill_lots` of `order`.
/// `maker_health` / `taker` health keys: canonical, with the perp and quote assets as extras.
pub fn fill_order(
    group: &Pubkey,
    quote_index: u16,
    order: &SignedOrder,
    maker_health: &[Pubkey],
    taker: &TradeParty,
    fill_lots: u64,
) -> Instruction {
    let remaining = two_health_lists(maker_health, &taker.health);
    build(
        ballast::accounts::FillOrder {
            market: market(group, order.asset_index, quote_index),
            maker: order.account,
            taker: taker.account,
            taker_authority: taker.authority,
            order_record: pda::order_record(&order.account, order.nonce).0,
            instructions: solana_sdk::sysvar::instructions::ID,
            system_program: system_program::ID,
        },
        ballast::instruction::FillOrder { order: *order, fill_lots, maker_health_accounts: maker_health.len() as u8 },
        &remaining,
    )
}

/// The two instructions that fill a signed order, in order: the ed25519 verification of the
/// maker's signature, then `fill_order`.
#[allow(clippy::too_many_arguments)]
pub fn fill_order_ixs(
    group: &Pubkey,
    domain: &[u8; 32],
    quote_index: u16,
    order: &SignedOrder,
    maker_signer: &Pubkey,
    signature: &[u8; 64],
    maker_health: &[Pubkey],
    taker: &TradeParty,
    fill_lots: u64,
) -> [Instruction; 2] {
    [
        ed25519_verify(maker_signer, signature, &order.message(group, domain)),
        fill_order(group, quote_index, order, maker_health, taker, fill_lots),
    ]
}

/// `cancel_order`: the maker (owner or trade delegate `authority`, who pays a new record's rent)
/// burns `nonce`.
pub fn cancel_order(account: &Pubkey, authority: &Pubkey, nonce: u64) -> Instruction {
    build(
        ballast::accounts::CancelOrder {
            account: *account,
            authority: *authority,
            order_record: pda::order_record(account, nonce).0,
            system_program: system_program::ID,
        },
        ballast::instruction::CancelOrder { nonce },
        &[],
    )
}

/// The accounts of a `settle_pnl` in the market of `asset_index` (the quote is the group's).
#[derive(Clone, Copy, Debug)]
pub struct SettleAccounts<'a> {
    /// Group.
    pub group: Pubkey,
    /// The perp market's asset index.
    pub asset_index: u16,
    /// The perp asset's primary oracle.
    pub oracle: Pubkey,
    /// The account with a gain.
    pub profitable: Pubkey,
    /// The account with a loss.
    pub unprofitable: Pubkey,
    /// The unprofitable account's canonical health keys ([`crate::health::health_account_keys`]).
    pub loser_health: &'a [Pubkey],
}

/// `settle_pnl` (permissionless): up to `max_amount` quote native units from the unprofitable
/// account to the profitable one, never more than the loser's collateral covers.
///
/// ```
/// use anchor_lang::prelude::Pubkey;
/// use ballast_sdk::perp::{settle_pnl, SettleAccounts};
///
/// let keys = vec![Pubkey::new_unique(); 4];
/// let a = SettleAccounts {
///     group: Pubkey::new_unique(),
///     asset_index: 1,
///     oracle: Pubkey::new_unique(),
///     profitable: Pubkey::new_unique(),
///     unprofitable: Pubkey::new_unique(),
///     loser_health: &keys,
/// };
/// let ix = settle_pnl(&a, u64::MAX);
/// assert_eq!(ix.program_id, ballast_sdk::PROGRAM_ID);
/// ```
pub fn settle_pnl(a: &SettleAccounts, max_amount: u64) -> Instruction {
    build(
        ballast::accounts::SettlePnl {
            market: market(&a.group, a.asset_index, QUOTE_ASSET_INDEX),
            oracle: a.oracle,
            profitable: a.profitable,
            unprofitable: a.unprofitable,
        },
        ballast::instruction::SettlePnl { max_amount },
        &crate::ix::health_metas(a.loser_health),
    )
}

/// A perp position as an integrator sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpView {
    /// Asset index of the market.
    pub asset_index: u16,
    /// Base position, lots (long positive).
    pub base_lots: i64,
    /// Quote position after unsettled funding at the market's stored index, quote native units.
    pub quote: Fx,
    /// Funding paid since the slot opened (negative: received), quote native units.
    pub funding_paid: i64,
    /// Unrealized PnL at `price` (base x price + quote), quote native units, rounded down.
    pub pnl: Fx,
}

/// The account's perp positions valued at `price_of(asset_index)` (quote native per base native),
/// using each market's stored funding index (call `refresh_asset` first for an up-to-date one).
pub fn positions(account: &MarginAccount, assets: &[Asset], mut price_of: impl FnMut(u16) -> Price) -> Vec<PerpView> {
    let mut out = Vec::new();
    for p in account.perps.iter().filter(|p| p.asset_index != FREE_SLOT) {
        let Some(a) = assets.iter().find(|a| a.asset_index == p.asset_index) else { continue };
        let Ok(mut pos) = p.pos(a.perp.base_lot_size) else { continue };
        if pos.settle_funding(a.perp.funding().indexes()).is_err() {
            continue;
        }
        let pnl = pos.pnl(price_of(p.asset_index), Round::Down).unwrap_or(Fx::ZERO);
        out.push(PerpView {
            asset_index: p.asset_index,
            base_lots: p.base_lots,
            quote: pos.quote,
            funding_paid: p.funding_paid,
            pnl,
        });
    }
    out
}

/// The PnL `settle_pnl` sees for `account`'s position in `asset`'s market at `now` and oracle
/// `price`: funding projected to `now` (as the program accrues it) and settled, valued rounded in
/// direction `round` (the program rounds a winner's down and a loser's up). None without a position.
pub fn settlement_pnl(account: &MarginAccount, asset: &Asset, now: i64, price: Price, round: Round) -> Option<Fx> {
    let p = &account.perps[account.perp_slot(asset.asset_index)?];
    let mut pos = p.pos(asset.perp.base_lot_size).ok()?;
    let f = asset.perp.projected_funding(now, price).ok()?;
    pos.settle_funding(f.indexes()).ok()?;
    pos.pnl(price, round).ok()
}

/// `liquidate_perp`: the liquidator takes over up to `max_lots` of the liquidated account's
/// position in the market of `asset_index` (the program sizes the step: the keeper computes the
/// same size with `shared::liquidation::plan_perp`). The liquidator's health list holds the perp
/// and quote assets as extras.
///
/// ```
/// use anchor_lang::prelude::Pubkey;
/// use ballast_sdk::ix::LiquidationParties;
/// use ballast_sdk::perp::liquidate_perp;
///
/// let keys = vec![Pubkey::new_unique(); 4];
/// let p = LiquidationParties {
///     group: Pubkey::new_unique(),
///     liqor: Pubkey::new_unique(),
///     liqor_owner: Pubkey::new_unique(),
///     liqee: Pubkey::new_unique(),
///     liqee_health: &keys,
///     liqor_health: &keys,
/// };
/// let ix = liquidate_perp(&p, 1, 10);
/// assert_eq!(ix.program_id, ballast_sdk::PROGRAM_ID);
/// ```
pub fn liquidate_perp(p: &crate::ix::LiquidationParties, asset_index: u16, max_lots: u64) -> Instruction {
    let (remaining, liqee_health_accounts) = p.remaining();
    build(
        ballast::accounts::LiquidatePerp {
            market: market(&p.group, asset_index, QUOTE_ASSET_INDEX),
            liqor: p.liqor,
            liqor_authority: p.liqor_owner,
            liqee: p.liqee,
        },
        ballast::instruction::LiquidatePerp { max_lots, liqee_health_accounts },
        &remaining,
    )
}
