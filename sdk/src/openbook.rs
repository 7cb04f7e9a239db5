//! OpenBook v2, the on-chain order book the router swaps through (issue 14): its program id, the
//! addresses it derives, its account sizes, and builders for the instructions Ballast's tests,
//! simulator and router use, written from its Anchor IDL (`../shared/fixtures/openbook_v2.idl.json`,
//! commit `4898bd0` of openbook-dex/openbook-v2). Nothing of OpenBook is linked in: an instruction
//! is its 8-byte Anchor discriminator (`sha256("global:<name>")[..8]`) and its Borsh arguments.
//!
//! Prices and sizes are in OpenBook's lots: a market has a base lot size (base native units per
//! lot) and a quote lot size (quote native units per lot); a price is quote lots per base lot.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use borsh::BorshSerialize;

/// The OpenBook v2 program id (mainnet and devnet).
pub const PROGRAM_ID: Pubkey = anchor_lang::pubkey!("opnb2LAfJYbRMAHHvqjCwQxanZn7ReEHp1k81EohpZb");

/// Bytes of a bids or asks account (`BookSide`, discriminator included).
pub const BOOK_SIDE_LEN: usize = 8 + 90_944;
/// Bytes of an event heap account (`EventHeap`, discriminator included).
pub const EVENT_HEAP_LEN: usize = 8 + 91_280;

/// Side of an order.
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Buys base.
    Bid,
    /// Sells base.
    Ask,
}

/// OpenBook's order types.
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceOrderType {
    /// Takes what crosses, rests the rest.
    Limit,
    /// Takes what crosses, cancels the rest.
    ImmediateOrCancel,
    /// Rests only; refused when it would cross.
    PostOnly,
    /// Takes at any price up to the limits.
    Market,
    /// Rests only, moved to the best non-crossing price.
    PostOnlySlide,
}

/// What happens when an order would match its owner's own resting order.
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfTradeBehavior {
    /// The taking order is decremented.
    DecrementTake,
    /// The resting order is cancelled.
    CancelProvide,
    /// The transaction fails.
    AbortTransaction,
}

/// `OracleConfigParams` of `createMarket` (OpenBook's own oracle use; unused without oracles).
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq)]
pub struct OracleConfigParams {
    /// Confidence filter.
    pub conf_filter: f32,
    /// Largest oracle staleness, slots.
    pub max_staleness_slots: Option<u32>,
}

/// A market's parameters (`createMarket`).
#[derive(Clone, Debug, PartialEq)]
pub struct MarketParams {
    /// Name (at most 16 bytes).
    pub name: String,
    /// Quote native units per quote lot.
    pub quote_lot_size: i64,
    /// Base native units per base lot.
    pub base_lot_size: i64,
    /// Maker fee, in millionths of the quote amount (negative: a rebate).
    pub maker_fee: i64,
    /// Taker fee, in millionths of the quote amount.
    pub taker_fee: i64,
}

/// `PlaceOrderArgs`.
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceOrderArgs {
    /// Side.
    pub side: Side,
    /// Limit price, quote lots per base lot.
    pub price_lots: i64,
    /// Most base lots.
    pub max_base_lots: i64,
    /// Most quote lots, fees included.
    pub max_quote_lots_including_fees: i64,
    /// The client's id for the order.
    pub client_order_id: u64,
    /// Order type.
    pub order_type: PlaceOrderType,
    /// Expiry, unix seconds (0: none).
    pub expiry_timestamp: u64,
    /// Self-trade behaviour.
    pub self_trade_behavior: SelfTradeBehavior,
    /// Most resting orders matched.
    pub limit: u8,
}

/// `PlaceTakeOrderArgs`.
#[derive(BorshSerialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceTakeOrderArgs {
    /// Side.
    pub side: Side,
    /// Limit price, quote lots per base lot.
    pub price_lots: i64,
    /// Most base lots.
    pub max_base_lots: i64,
    /// Most quote lots, fees included.
    pub max_quote_lots_including_fees: i64,
    /// Order type (ImmediateOrCancel or Market).
    pub order_type: PlaceOrderType,
    /// Most resting orders matched.
    pub limit: u8,
}

/// The Anchor discriminator of OpenBook instruction `name` (snake case).
fn discriminator(name: &str) -> [u8; 8] {
    let h = solana_sdk::hash::hashv(&[b"global:", name.as_bytes()]).to_bytes();
    let mut d = [0u8; 8];
    d.copy_from_slice(&h[..8]);
    d
}

/// An OpenBook instruction: discriminator, Borsh arguments, accounts.
fn build(name: &str, args: &impl BorshSerialize, accounts: Vec<AccountMeta>) -> Instruction {
    let mut data = discriminator(name).to_vec();
    // Writing into a Vec cannot fail.
    args.serialize(&mut data).unwrap_or_default();
    Instruction { program_id: PROGRAM_ID, accounts, data }
}

/// An optional account left out (Anchor: the program id stands for None).
fn none() -> AccountMeta {
    AccountMeta::new_readonly(PROGRAM_ID, false)
}

/// The market's authority PDA (owner of its vaults): `["Market", market]`.
pub fn market_authority(market: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"Market", market.as_ref()], &PROGRAM_ID).0
}

/// The event authority PDA of Anchor's event CPI: `["__event_authority"]`.
pub fn event_authority() -> Pubkey {
    Pubkey::find_program_address(&[b"__event_authority"], &PROGRAM_ID).0
}

/// An owner's open-orders indexer: `["OpenOrdersIndexer", owner]`.
pub fn open_orders_indexer(owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"OpenOrdersIndexer", owner.as_ref()], &PROGRAM_ID).0
}

/// An owner's `n`th open-orders account (1 for the first): `["OpenOrders", owner, n (u32 LE)]`.
pub fn open_orders_account(owner: &Pubkey, n: u32) -> Pubkey {
    Pubkey::find_program_address(&[b"OpenOrders", owner.as_ref(), &n.to_le_bytes()], &PROGRAM_ID).0
}

/// A market's vault of `mint`: the associated token account of its authority.
pub fn vault(market: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    crate::pda::associated_token(&market_authority(market), mint, token_program)
}

/// The accounts of one market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketKeys {
    /// The market (a keypair account).
    pub market: Pubkey,
    /// Bids (a keypair account of `BOOK_SIDE_LEN` bytes owned by OpenBook).
    pub bids: Pubkey,
    /// Asks (likewise).
    pub asks: Pubkey,
    /// Event heap (a keypair account of `EVENT_HEAP_LEN` bytes owned by OpenBook).
    pub event_heap: Pubkey,
    /// Base mint.
    pub base_mint: Pubkey,
    /// Quote mint.
    pub quote_mint: Pubkey,
    /// Token program of both mints.
    pub token_program: Pubkey,
}

impl MarketKeys {
    /// The base vault.
    pub fn base_vault(&self) -> Pubkey {
        vault(&self.market, &self.base_mint, &self.token_program)
    }
    /// The quote vault.
    pub fn quote_vault(&self) -> Pubkey {
        vault(&self.market, &self.quote_mint, &self.token_program)
    }
}

/// `createMarket` of `m` (the market, bids, asks and event heap accounts sign or exist: the book
/// sides and the heap must already be allocated, zeroed and owned by OpenBook; the market keypair
/// signs). No oracles, no admins but the fee collector, no expiry.
pub fn create_market(m: &MarketKeys, payer: &Pubkey, collect_fee_admin: &Pubkey, p: &MarketParams) -> Instruction {
    #[derive(BorshSerialize)]
    struct Args {
        name: String,
        oracle_config: OracleConfigParams,
        quote_lot_size: i64,
        base_lot_size: i64,
        maker_fee: i64,
        taker_fee: i64,
        time_expiry: i64,
    }
    let args = Args {
        name: p.name.clone(),
        oracle_config: OracleConfigParams { conf_filter: 0.1, max_staleness_slots: None },
        quote_lot_size: p.quote_lot_size,
        base_lot_size: p.base_lot_size,
        maker_fee: p.maker_fee,
        taker_fee: p.taker_fee,
        time_expiry: 0,
    };
    let accounts = vec![
        AccountMeta::new(m.market, true),
        AccountMeta::new_readonly(market_authority(&m.market), false),
        AccountMeta::new(m.bids, false),
        AccountMeta::new(m.asks, false),
        AccountMeta::new(m.event_heap, false),
        AccountMeta::new(*payer, true),
        AccountMeta::new(m.base_vault(), false),
        AccountMeta::new(m.quote_vault(), false),
        AccountMeta::new_readonly(m.base_mint, false),
        AccountMeta::new_readonly(m.quote_mint, false),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        AccountMeta::new_readonly(m.token_program, false),
        AccountMeta::new_readonly(crate::pda::ASSOCIATED_TOKEN_PROGRAM, false),
        none(),
        none(),
        AccountMeta::new_readonly(*collect_fee_admin, false),
        none(),
        none(),
        none(),
        AccountMeta::new_readonly(event_authority(), false),
        AccountMeta::new_readonly(PROGRAM_ID, false),
    ];
    build("create_market", &args, accounts)
}

/// `createOpenOrdersIndexer` of `owner` (once per owner).
pub fn create_open_orders_indexer(payer: &Pubkey, owner: &Pubkey) -> Instruction {
    let accounts = vec![
        AccountMeta::new(*payer, true),
        AccountMeta::new_readonly(*owner, true),
        AccountMeta::new(open_orders_indexer(owner), false),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
    ];
    build("create_open_orders_indexer", &(), accounts)
}

/// `createOpenOrdersAccount`: the owner's `n`th open-orders account (its indexer has `n - 1`),
/// on `market`.
pub fn create_open_orders_account(payer: &Pubkey, owner: &Pubkey, market: &Pubkey, n: u32) -> Instruction {
    let accounts = vec![
        AccountMeta::new(*payer, true),
        AccountMeta::new_readonly(*owner, true),
        none(),
        AccountMeta::new(open_orders_indexer(owner), false),
        AccountMeta::new(open_orders_account(owner, n), false),
        AccountMeta::new_readonly(*market, false),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
    ];
    build("create_open_orders_account", &String::from("ballast"), accounts)
}

/// `placeOrder` from `open_orders` (signed by its owner), paying from `user_token` (quote for a
/// bid, base for an ask).
pub fn place_order(
    m: &MarketKeys,
    owner: &Pubkey,
    open_orders: &Pubkey,
    user_token: &Pubkey,
    args: PlaceOrderArgs,
) -> Instruction {
    let vault = if args.side == Side::Bid { m.quote_vault() } else { m.base_vault() };
    let accounts = vec![
        AccountMeta::new_readonly(*owner, true),
        AccountMeta::new(*open_orders, false),
        none(),
        AccountMeta::new(*user_token, false),
        AccountMeta::new(m.market, false),
        AccountMeta::new(m.bids, false),
        AccountMeta::new(m.asks, false),
        AccountMeta::new(m.event_heap, false),
        AccountMeta::new(vault, false),
        none(),
        none(),
        AccountMeta::new_readonly(m.token_program, false),
    ];
    build("place_order", &args, accounts)
}

/// `placeTakeOrder` by `taker` (it signs and pays the penalty), between its base and quote token
/// accounts: fills against the book at once, nothing rests.
pub fn place_take_order(
    m: &MarketKeys,
    taker: &Pubkey,
    user_base: &Pubkey,
    user_quote: &Pubkey,
    args: PlaceTakeOrderArgs,
) -> Instruction {
    let accounts = vec![
        AccountMeta::new(*taker, true),
        AccountMeta::new(*taker, true),
        AccountMeta::new(m.market, false),
        AccountMeta::new_readonly(market_authority(&m.market), false),
        AccountMeta::new(m.bids, false),
        AccountMeta::new(m.asks, false),
        AccountMeta::new(m.base_vault(), false),
        AccountMeta::new(m.quote_vault(), false),
        AccountMeta::new(m.event_heap, false),
        AccountMeta::new(*user_base, false),
        AccountMeta::new(*user_quote, false),
        none(),
        none(),
        none(),
        AccountMeta::new_readonly(m.token_program, false),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        none(),
    ];
    build("place_take_order", &args, accounts)
}

/// `consumeEvents` of up to `limit` fill and out events, crediting the makers' open-orders
/// accounts (`open_orders`, the makers of those events, as remaining accounts).
pub fn consume_events(m: &MarketKeys, open_orders: &[Pubkey], limit: u64) -> Instruction {
    let mut accounts = vec![none(), AccountMeta::new(m.market, false), AccountMeta::new(m.event_heap, false)];
    accounts.extend(open_orders.iter().map(|k| AccountMeta::new(*k, false)));
    build("consume_events", &limit, accounts)
}

/// `settleFunds`: pays what `open_orders` (owned by `owner`) holds free to its token accounts.
pub fn settle_funds(
    m: &MarketKeys,
    owner: &Pubkey,
    open_orders: &Pubkey,
    user_base: &Pubkey,
    user_quote: &Pubkey,
) -> Instruction {
    let accounts = vec![
        AccountMeta::new(*owner, true),
        AccountMeta::new(*owner, true),
        AccountMeta::new(*open_orders, false),
        AccountMeta::new(m.market, false),
        AccountMeta::new_readonly(market_authority(&m.market), false),
        AccountMeta::new(m.base_vault(), false),
        AccountMeta::new(m.quote_vault(), false),
        AccountMeta::new(*user_base, false),
        AccountMeta::new(*user_quote, false),
        none(),
        AccountMeta::new_readonly(m.token_program, false),
        AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
    ];
    build("settle_funds", &(), accounts)
}

/// The program account of OpenBook for a bank's genesis, from its SBF binary (loader v2, as
/// solana-program-test's `add_program` does).
pub fn program_account(elf: Vec<u8>) -> (Pubkey, solana_sdk::account::Account) {
    let lamports = solana_sdk::rent::Rent::default().minimum_balance(elf.len()).max(1);
    let account = solana_sdk::account::Account {
        lamports,
        data: elf,
        owner: solana_sdk::bpf_loader::id(),
        executable: true,
        rent_epoch: 0,
    };
    (PROGRAM_ID, account)
}

/// Where the OpenBook fixture is: `BALLAST_OPENBOOK_SO`, else `../shared/fixtures/openbook_v2.so`
/// beside the workspace (the CI layout).
pub fn fixture_path() -> std::path::PathBuf {
    match std::env::var_os("BALLAST_OPENBOOK_SO") {
        Some(p) => p.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/openbook_v2.so"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discriminators_are_anchors() {
        // sha256("global:place_take_order")[..8], as the IDL's consumers compute it.
        let h = solana_sdk::hash::hashv(&[b"global:place_take_order"]).to_bytes();
        assert_eq!(discriminator("place_take_order"), h[..8]);
        assert_ne!(discriminator("place_order"), discriminator("place_take_order"));
    }

    #[test]
    fn take_order_args_encode_as_borsh() {
        let a = PlaceTakeOrderArgs {
            side: Side::Ask,
            price_lots: 7,
            max_base_lots: 3,
            max_quote_lots_including_fees: 9,
            order_type: PlaceOrderType::ImmediateOrCancel,
            limit: 5,
        };
        let ix = place_take_order(&keys(), &Pubkey::new_unique(), &Pubkey::new_unique(), &Pubkey::new_unique(), a);
        let body = &ix.data[8..];
        assert_eq!(body.len(), 1 + 8 + 8 + 8 + 1 + 1);
        assert_eq!((body[0], body[25], body[26]), (1, 1, 5));
        assert_eq!(ix.accounts.len(), 17);
    }

    fn keys() -> MarketKeys {
        MarketKeys {
            market: Pubkey::new_unique(),
            bids: Pubkey::new_unique(),
            asks: Pubkey::new_unique(),
            event_heap: Pubkey::new_unique(),
            base_mint: Pubkey::new_unique(),
            quote_mint: Pubkey::new_unique(),
            token_program: anchor_spl::token::ID,
        }
    }
}
