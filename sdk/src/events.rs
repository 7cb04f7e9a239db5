//! Decoding of the program's events from the bytes of a `Program data:` log line (base64-decoded):
//! an 8-byte discriminator followed by the Borsh-encoded event.

use anchor_lang::{AnchorDeserialize, Discriminator};
use ballast::events::*;

/// Every Ballast event.
#[derive(Clone, Debug, PartialEq)]
pub enum BallastEvent {
    /// A group was created.
    GroupCreated(GroupCreated),
    /// An asset was listed.
    AssetListed(AssetListed),
    /// An asset was edited.
    AssetEdited(AssetEdited),
    /// An asset's stable price was refreshed.
    AssetRefreshed(AssetRefreshed),
    /// A margin account was created.
    AccountCreated(AccountCreated),
    /// A margin account was closed.
    AccountClosed(AccountClosed),
    /// A delegate was set.
    DelegateSet(DelegateSet),
    /// Tokens were deposited.
    Deposited(Deposited),
    /// Tokens were withdrawn.
    Withdrew(Withdrew),
    /// A stub oracle was set (test builds).
    StubOracleSet(StubOracleSet),
    /// A borrow was repaid.
    Repaid(Repaid),
    /// Protocol fees were withdrawn.
    FeesWithdrawn(FeesWithdrawn),
    /// A perp market was configured.
    PerpMarketSet(PerpMarketSet),
    /// A perp trade was cleared.
    PerpTraded(PerpTraded),
    /// A signed order's nonce was cancelled.
    OrderCancelled(OrderCancelled),
    /// Perp PnL was settled.
    PnlSettled(PnlSettled),
    /// A liquidation step.
    Liquidated(Liquidated),
    /// See `ballast::events::InsuranceStaked`.
    InsuranceStaked(InsuranceStaked),
    /// See `ballast::events::UnstakeRequested`.
    UnstakeRequested(UnstakeRequested),
    /// See `ballast::events::InsuranceUnstaked`.
    InsuranceUnstaked(InsuranceUnstaked),
    /// See `ballast::events::InsuranceFeesSwept`.
    InsuranceFeesSwept(InsuranceFeesSwept),
    /// See `ballast::events::BankruptcyResolved`.
    BankruptcyResolved(BankruptcyResolved),
    /// See `ballast::events::PerpBankruptcyResolved`.
    PerpBankruptcyResolved(PerpBankruptcyResolved),
    /// See `ballast::events::BankruptDebtCovered`.
    BankruptDebtCovered(BankruptDebtCovered),
}

impl BallastEvent {
    /// The common header.
    pub fn header(&self) -> &EventHeader {
        match self {
            BallastEvent::GroupCreated(e) => &e.header,
            BallastEvent::AssetListed(e) => &e.header,
            BallastEvent::AssetEdited(e) => &e.header,
            BallastEvent::AssetRefreshed(e) => &e.header,
            BallastEvent::AccountCreated(e) => &e.header,
            BallastEvent::AccountClosed(e) => &e.header,
            BallastEvent::DelegateSet(e) => &e.header,
            BallastEvent::Deposited(e) => &e.header,
            BallastEvent::Withdrew(e) => &e.header,
            BallastEvent::StubOracleSet(e) => &e.header,
            BallastEvent::Repaid(e) => &e.header,
            BallastEvent::FeesWithdrawn(e) => &e.header,
            BallastEvent::PerpMarketSet(e) => &e.header,
            BallastEvent::PerpTraded(e) => &e.header,
            BallastEvent::OrderCancelled(e) => &e.header,
            BallastEvent::PnlSettled(e) => &e.header,
            BallastEvent::Liquidated(e) => &e.header,
            BallastEvent::InsuranceStaked(e) => &e.header,
            BallastEvent::UnstakeRequested(e) => &e.header,
            BallastEvent::InsuranceUnstaked(e) => &e.header,
            BallastEvent::InsuranceFeesSwept(e) => &e.header,
            BallastEvent::BankruptcyResolved(e) => &e.header,
            BallastEvent::PerpBankruptcyResolved(e) => &e.header,
            BallastEvent::BankruptDebtCovered(e) => &e.header,
        }
    }
}

fn parse<T: AnchorDeserialize + Discriminator>(data: &[u8]) -> Option<T> {
    let body = data.strip_prefix(T::DISCRIMINATOR)?;
    let mut slice = body;
    let v = T::deserialize(&mut slice).ok()?;
    slice.is_empty().then_some(v)
}

/// Decodes an event; `None` for bytes that are not exactly one Ballast event.
pub fn decode(data: &[u8]) -> Option<BallastEvent> {
    use BallastEvent as E;
    parse(data)
        .map(E::GroupCreated)
        .or_else(|| parse(data).map(E::AssetListed))
        .or_else(|| parse(data).map(E::AssetEdited))
        .or_else(|| parse(data).map(E::AssetRefreshed))
        .or_else(|| parse(data).map(E::AccountCreated))
        .or_else(|| parse(data).map(E::AccountClosed))
        .or_else(|| parse(data).map(E::DelegateSet))
        .or_else(|| parse(data).map(E::Deposited))
        .or_else(|| parse(data).map(E::Withdrew))
        .or_else(|| parse(data).map(E::StubOracleSet))
        .or_else(|| parse(data).map(E::Repaid))
        .or_else(|| parse(data).map(E::FeesWithdrawn))
        .or_else(|| parse(data).map(E::PerpMarketSet))
        .or_else(|| parse(data).map(E::PerpTraded))
        .or_else(|| parse(data).map(E::OrderCancelled))
        .or_else(|| parse(data).map(E::PnlSettled))
        .or_else(|| parse(data).map(E::Liquidated))
        .or_else(|| parse(data).map(E::InsuranceStaked))
        .or_else(|| parse(data).map(E::UnstakeRequested))
        .or_else(|| parse(data).map(E::InsuranceUnstaked))
        .or_else(|| parse(data).map(E::InsuranceFeesSwept))
        .or_else(|| parse(data).map(E::BankruptcyResolved))
        .or_else(|| parse(data).map(E::PerpBankruptcyResolved))
        .or_else(|| parse(data).map(E::BankruptDebtCovered))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;
    use anchor_lang::Event;

    fn header() -> EventHeader {
        EventHeader {
            version: ballast::constants::EVENT_VERSION,
            group: Pubkey::new_unique(),
            slot: 42,
            unix_timestamp: 1_700_000_000,
        }
    }

    /// Each event encodes as discriminator + Borsh and decodes back to itself; nothing else decodes.
    #[test]
    fn event_encoding_round_trips() {
        let k = Pubkey::new_unique;
        let all = vec![
            E::GroupCreated(GroupCreated {
                header: header(),
                admin: k(),
                guardian: k(),
                group_num: 3,
                timelock_secs: 86_400,
            }),
            E::AssetListed(AssetListed {
                header: header(),
                asset: k(),
                asset_index: 2,
                mint: k(),
                decimals: 9,
                oracle: k(),
                oracle_kind: 1,
                price_bits: 1 << 90,
            }),
            E::AssetEdited(AssetEdited { header: header(), asset: k(), asset_index: 2 }),
            E::AssetRefreshed(AssetRefreshed {
                header: header(),
                asset_index: 1,
                oracle_price_bits: -1,
                stable_price_bits: i128::MAX,
                publish_time: 5,
            }),
            E::AccountCreated(AccountCreated { header: header(), account: k(), owner: k(), account_num: 7 }),
            E::AccountClosed(AccountClosed { header: header(), account: k(), owner: k() }),
            E::DelegateSet(DelegateSet { header: header(), account: k(), delegate: k(), scope: 3, expiry: 99 }),
            E::Deposited(Deposited {
                header: header(),
                account: k(),
                asset_index: 0,
                depositor: k(),
                amount: u64::MAX,
                indexed_after_bits: 123,
            }),
            E::Withdrew(Withdrew {
                header: header(),
                account: k(),
                asset_index: 4,
                destination: k(),
                amount: 1,
                init_health_after_bits: i128::MIN,
            }),
            E::StubOracleSet(StubOracleSet { header: header(), oracle: k(), price: -3, expo: -8 }),
            E::Repaid(Repaid { header: header(), account: k(), asset_index: 1, payer: k(), amount: 9, debt_after: 0 }),
            E::FeesWithdrawn(FeesWithdrawn { header: header(), asset_index: 2, amount: 77, fees_left_bits: 5 }),
            E::PerpMarketSet(PerpMarketSet { header: header(), asset_index: 1, base_lot_size: 1_000, flags: 1 }),
            E::PerpTraded(PerpTraded {
                header: header(),
                asset_index: 1,
                buyer: k(),
                seller: k(),
                lots: 3,
                price_per_lot: 100,
                buyer_fee: 1,
                seller_fee: 2,
                oracle_price_bits: 1 << 80,
                funding_index_bits: -4,
                open_interest: 3,
                order_nonce: Some(9),
            }),
            E::OrderCancelled(OrderCancelled { header: header(), account: k(), nonce: 4 }),
            E::PnlSettled(PnlSettled {
                header: header(),
                asset_index: 1,
                profitable: k(),
                unprofitable: k(),
                amount: 50,
                oracle_price_bits: 1 << 81,
            }),
            E::Liquidated(Liquidated {
                header: header(),
                liqee: k(),
                liqor: k(),
                asset_index: 1,
                liab_index: 0,
                perp: false,
                liab_amount: 10,
                asset_amount: 3,
                to_insurance: 1,
                fee_bps: 550,
                liqee_end_health_after_bits: -7,
            }),
            E::InsuranceStaked(InsuranceStaked { header: header(), owner: k(), amount: 5, shares: 4 }),
            E::UnstakeRequested(UnstakeRequested { header: header(), owner: k(), shares: 4, value: 6 }),
            E::InsuranceUnstaked(InsuranceUnstaked { header: header(), owner: k(), shares: 4, amount: 5 }),
            E::InsuranceFeesSwept(InsuranceFeesSwept { header: header(), amount: 77 }),
            E::BankruptcyResolved(BankruptcyResolved {
                header: header(),
                account: k(),
                asset_index: 0,
                insurance_paid: 3,
                socialized: 2,
                debt_left: 1,
            }),
            E::PerpBankruptcyResolved(PerpBankruptcyResolved {
                header: header(),
                account: k(),
                asset_index: 1,
                profitable: k(),
                insurance_paid: 3,
                socialized: 2,
                loss_left: 1,
                loss_index_bits: 1 << 40,
            }),
            E::BankruptDebtCovered(BankruptDebtCovered {
                header: header(),
                account: k(),
                asset_index: 1,
                deliverer: k(),
                amount: 7,
                quote_paid: 700,
                debt_left: 2,
            }),
        ];
        use BallastEvent as E;
        let count = all.len();
        let mut discriminators = Vec::new();
        for ev in all {
            let data = match &ev {
                E::GroupCreated(e) => e.data(),
                E::AssetListed(e) => e.data(),
                E::AssetEdited(e) => e.data(),
                E::AssetRefreshed(e) => e.data(),
                E::AccountCreated(e) => e.data(),
                E::AccountClosed(e) => e.data(),
                E::DelegateSet(e) => e.data(),
                E::Deposited(e) => e.data(),
                E::Withdrew(e) => e.data(),
                E::StubOracleSet(e) => e.data(),
                E::Repaid(e) => e.data(),
                E::FeesWithdrawn(e) => e.data(),
                E::PerpMarketSet(e) => e.data(),
                E::PerpTraded(e) => e.data(),
                E::OrderCancelled(e) => e.data(),
                E::PnlSettled(e) => e.data(),
                E::Liquidated(e) => e.data(),
                E::InsuranceStaked(e) => e.data(),
                E::UnstakeRequested(e) => e.data(),
                E::InsuranceUnstaked(e) => e.data(),
                E::InsuranceFeesSwept(e) => e.data(),
                E::BankruptcyResolved(e) => e.data(),
                E::PerpBankruptcyResolved(e) => e.data(),
                E::BankruptDebtCovered(e) => e.data(),
            };
            // Header: version (1) + group (32) + slot (8) + timestamp (8) right after the discriminator.
            assert_eq!(data[8], ballast::constants::EVENT_VERSION);
            assert_eq!(&data[9..41], ev.header().group.as_ref());
            assert_eq!(u64::from_le_bytes(data[41..49].try_into().unwrap()), 42);
            assert_eq!(decode(&data).as_ref(), Some(&ev));
            // Truncated or extended bytes are not an event.
            assert_eq!(decode(&data[..data.len() - 1]), None);
            let mut longer = data.clone();
            longer.push(0);
            assert_eq!(decode(&longer), None);
            discriminators.push(data[..8].to_vec());
        }
        discriminators.sort();
        discriminators.dedup();
        assert_eq!(discriminators.len(), count, "event discriminators are distinct");
    }
}
