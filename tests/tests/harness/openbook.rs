//! OpenBook v2 markets in the embedded bank: the real program (SBF), real accounts.

use anchor_lang::prelude::Pubkey;
use ballast_sdk::openbook::{self as ob, MarketKeys, MarketParams};
use solana_sdk::signature::{Keypair, Signer};

use super::{spl, Env};

/// A market maker on an OpenBook market: its key, its open-orders account, its token accounts.
pub struct ObTrader {
    pub kp: Keypair,
    pub open_orders: Pubkey,
    pub base: Pubkey,
    pub quote: Pubkey,
}

impl Env {
    /// Creates an OpenBook market of listed asset `base` against listed asset `quote` (both SPL
    /// Token): bids, asks and event heap allocated for OpenBook, then `createMarket`.
    pub fn openbook_market(&mut self, base: u16, quote: u16, base_lot_size: i64, quote_lot_size: i64) -> MarketKeys {
        let (market, bids, asks, heap) = (Keypair::new(), Keypair::new(), Keypair::new(), Keypair::new());
        let payer = self.payer.pubkey();
        let rent = solana_sdk::rent::Rent::default();
        let mut ixs = vec![];
        for (kp, len) in [(&bids, ob::BOOK_SIDE_LEN), (&asks, ob::BOOK_SIDE_LEN), (&heap, ob::EVENT_HEAP_LEN)] {
            ixs.push(solana_system_interface::instruction::create_account(
                &payer,
                &kp.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &ob::PROGRAM_ID,
            ));
        }
        self.send(&ixs, &[&bids, &asks, &heap]).expect("allocate book sides and event heap");
        let m = MarketKeys {
            market: market.pubkey(),
            bids: bids.pubkey(),
            asks: asks.pubkey(),
            event_heap: heap.pubkey(),
            base_mint: self.assets[base as usize].mint,
            quote_mint: self.assets[quote as usize].mint,
            token_program: spl(),
        };
        let p = MarketParams { name: "BALLAST".into(), quote_lot_size, base_lot_size, maker_fee: 0, taker_fee: 400 };
        self.send(&[ob::create_market(&m, &payer, &payer, &p)], &[&market]).expect("create market");
        m
    }

    /// A funded trader with an open-orders account on `m` and token accounts holding `base` and
    /// `quote` native units.
    pub fn openbook_trader(&mut self, m: &MarketKeys, base: u64, quote: u64) -> ObTrader {
        let kp = Keypair::new();
        let payer = self.payer.pubkey();
        self.send(&[solana_system_interface::instruction::transfer(&payer, &kp.pubkey(), 1_000_000_000)], &[]).unwrap();
        let ixs = [
            ob::create_open_orders_indexer(&payer, &kp.pubkey()),
            ob::create_open_orders_account(&payer, &kp.pubkey(), &m.market, 1),
        ];
        self.send(&ixs, &[&kp]).expect("open orders");
        let (b, q) = (
            self.token_account(&m.base_mint, &kp.pubkey(), &spl()),
            self.token_account(&m.quote_mint, &kp.pubkey(), &spl()),
        );
        if base > 0 {
            self.mint_to(&m.base_mint, &spl(), &b, base);
        }
        if quote > 0 {
            self.mint_to(&m.quote_mint, &spl(), &q, quote);
        }
        ObTrader { open_orders: ob::open_orders_account(&kp.pubkey(), 1), kp, base: b, quote: q }
    }
}
