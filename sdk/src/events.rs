//! Decoding of the program's events from the bytes of a `Program data:` log line (base64-decoded):
//! an 8-byte discriminator followed by the Borsh-encoded event.

use anchor_lang::{AnchorDeserialize, Discriminator};
use ballast::events::*;

/// Declares the SDK's event list once: the enum, `header()`, `name()`, `data()`, [`decode`] and
/// the list of names checked against the IDL all come from this one list.
macro_rules! events {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Every Ballast event.
        // Decoded events are short-lived values; `AssetEdited` carries a whole `EditAssetParams`
        // (448 bytes), and boxing one variant would make the macro-built list irregular.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum BallastEvent {
            $($(#[$doc])* $name($name),)*
        }

        impl BallastEvent {
            /// The names of every event, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The common header.
            pub fn header(&self) -> &EventHeader {
                match self {
                    $(BallastEvent::$name(e) => &e.header,)*
                }
            }

            /// The event's name, as in the IDL.
            pub fn name(&self) -> &'static str {
                match self {
                    $(BallastEvent::$name(_) => stringify!($name),)*
                }
            }

            /// Discriminator and Borsh body, as the program logs it (`Program data:` base64-decoded).
            pub fn data(&self) -> Vec<u8> {
                use anchor_lang::Event;
                match self {
                    $(BallastEvent::$name(e) => e.data(),)*
                }
            }
        }

        /// Decodes an event; `None` for bytes that are not exactly one Ballast event.
        pub fn decode(data: &[u8]) -> Option<BallastEvent> {
            let d = data.get(..8)?;
            $(
                if d == $name::DISCRIMINATOR {
                    return parse::<$name>(data).map(BallastEvent::$name);
                }
            )*
            None
        }
    };
}

events! {
    /// A group was created.
    GroupCreated,
    /// An asset was listed.
    AssetListed,
    /// An asset was edited (with the changed values).
    AssetEdited,
    /// An asset's stable price was refreshed.
    AssetRefreshed,
    /// A margin account was created.
    AccountCreated,
    /// A margin account was closed.
    AccountClosed,
    /// A delegate was set.
    DelegateSet,
    /// Tokens were deposited.
    Deposited,
    /// Tokens were withdrawn.
    Withdrew,
    /// A stub oracle was set (test builds).
    StubOracleSet,
    /// A borrow was repaid.
    Repaid,
    /// Protocol fees were withdrawn.
    FeesWithdrawn,
    /// A perp market was configured (with its parameters).
    PerpMarketSet,
    /// A perp trade was cleared.
    PerpTraded,
    /// A signed order's nonce was cancelled.
    OrderCancelled,
    /// Perp PnL was settled.
    PnlSettled,
    /// A liquidation step as v0.1.0 emitted it (no longer emitted: see `TokenLiquidated`, `PerpLiquidated`).
    Liquidated,
    /// Quote tokens were staked in the insurance fund.
    InsuranceStaked,
    /// An unstake was requested.
    UnstakeRequested,
    /// Insurance fund shares were burned and paid.
    InsuranceUnstaked,
    /// Fees owed to the insurance fund were swept into its vault.
    InsuranceFeesSwept,
    /// A bankrupt account's token debt was resolved.
    BankruptcyResolved,
    /// A bankrupt account's perp loss was resolved.
    PerpBankruptcyResolved,
    /// A bankrupt account's non-quote debt was covered by a delivery.
    BankruptDebtCovered,
    /// A token liquidation step.
    TokenLiquidated,
    /// A perp liquidation step.
    PerpLiquidated,
    /// The group's liquidation configuration was set.
    LiquidationConfigSet,
    /// The group's insurance fund was created.
    InsuranceFundCreated,
    /// A pending unstake request was cancelled.
    UnstakeCancelled,
    /// An asset's option market was configured.
    OptionMarketSet,
    /// An option expiry was listed or its smile updated.
    OptionExpirySet,
    /// An option trade was cleared.
    OptionTraded,
    /// A liquidator took over option contracts.
    OptionLiquidated,
    /// The settle crank recorded a sample.
    OptionSampleRecorded,
    /// An expiry's settlement price was fixed.
    OptionExpirySettled,
    /// An option position was settled into quote cash.
    OptionPositionSettled,
    /// A change was queued behind the timelock.
    ChangeQueued,
    /// A queued change was cancelled.
    ChangeCancelled,
    /// A queued change was executed.
    ChangeExecuted,
    /// The instruction gate was set.
    IxGateSet,
    /// A panic pause started.
    PanicPaused,
    /// An account was frozen or unfrozen.
    AccountFrozenSet,
    /// A price aggregate was cranked.
    PriceAggregated,
    /// A force-closed asset's deposit was returned to its owner.
    ForceWithdrawn,
    /// A scoped delegate was granted or changed.
    DelegateGranted,
    /// A scoped delegate was removed.
    DelegateRevoked,
    /// An asset's price sources were recorded in their claims.
    AssetSourcesRecorded,
}

fn parse<T: AnchorDeserialize + Discriminator>(data: &[u8]) -> Option<T> {
    let body = data.strip_prefix(T::DISCRIMINATOR)?;
    let mut slice = body;
    let v = T::deserialize(&mut slice).ok()?;
    slice.is_empty().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;

    /// The SDK's event list is exactly the IDL's (both ways): a new program event that is not
    /// added to `events!` fails here.
    #[test]
    fn every_idl_event_is_decoded() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../idl/ballast.json");
        let idl: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut idl_names: Vec<&str> =
            idl["events"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        idl_names.sort();
        let mut sdk = BallastEvent::NAMES.to_vec();
        sdk.sort();
        assert_eq!(sdk, idl_names);
    }

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
            E::AssetEdited(AssetEdited {
                header: header(),
                asset: k(),
                asset_index: 2,
                changes: ballast::instructions::edit_asset::EditAssetParams {
                    deposit_cap: Some(5),
                    flags: Some(4),
                    ..Default::default()
                },
            }),
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
            E::PerpMarketSet(PerpMarketSet {
                header: header(),
                asset_index: 1,
                base_lot_size: 1_000,
                flags: 1,
                params: ballast::state::PerpMarketParams {
                    base_lot_size: 1_000,
                    flags: 1,
                    settle_limit: 9,
                    ..Default::default()
                },
            }),
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
            E::TokenLiquidated(TokenLiquidated {
                header: header(),
                liqee: k(),
                liqor: k(),
                asset_index: 1,
                liab_index: 0,
                liab_repaid: 10,
                asset_seized: 3,
                to_insurance: 1,
                fee_bps: 550,
                liqee_end_health_after_bits: -7,
            }),
            E::PerpLiquidated(PerpLiquidated {
                header: header(),
                liqee: k(),
                liqor: k(),
                asset_index: 1,
                lots: 4,
                long: true,
                price_per_lot: 990,
                to_insurance: 2,
                fee_bps: 100,
                oracle_price_bits: 1 << 80,
                liqee_end_health_after_bits: 3,
            }),
            E::LiquidationConfigSet(LiquidationConfigSet {
                header: header(),
                config: ballast::instructions::set_liquidation_config::LiquidationConfigParams {
                    close_out_value: 1,
                    fee_ramp_bps_per_hour: 2,
                    fee_ramp_cap_bps: 3,
                    insurance_share_bps: 4,
                    max_stable_deviation_bps: 5,
                    max_step_value: 6,
                },
            }),
            E::InsuranceFundCreated(InsuranceFundCreated { header: header(), vault: k(), cooldown_secs: 600 }),
            E::UnstakeCancelled(UnstakeCancelled { header: header(), owner: k(), shares: 8 }),
            E::OptionMarketSet(OptionMarketSet {
                header: header(),
                asset_index: 1,
                params: crate::options::default_params(10_000_000),
            }),
            E::OptionExpirySet(OptionExpirySet {
                header: header(),
                asset_index: 1,
                slot: 2,
                smile: crate::options::flat_smile(1_800_000_000, 6_000),
                listed: true,
            }),
            E::OptionTraded(OptionTraded {
                header: header(),
                asset_index: 1,
                expiry: 1_800_000_000,
                strike_bits: 1 << 70,
                kind: 1,
                buyer: k(),
                seller: k(),
                contracts: 10,
                premium: 700_000,
                fee: 3,
                model_value_bits: 5 << 48,
                open_interest: 10,
                order_nonce: Some(3),
            }),
            E::OptionLiquidated(OptionLiquidated {
                header: header(),
                liqee: k(),
                liqor: k(),
                asset_index: 1,
                expiry: 1_800_000_000,
                strike_bits: 1 << 70,
                kind: 0,
                contracts: 4,
                liqee_long: false,
                cash: 99,
                fee: 1,
                end_health_bits: -7,
            }),
            E::OptionSampleRecorded(OptionSampleRecorded {
                header: header(),
                asset_index: 1,
                expiry: 1_800_000_000,
                publish_time: 1_800_000_060,
                price_bits: 1 << 76,
                count: 2,
            }),
            E::OptionExpirySettled(OptionExpirySettled {
                header: header(),
                asset_index: 1,
                expiry: 1_800_000_000,
                price_bits: 1 << 76,
                samples: 9,
            }),
            E::OptionPositionSettled(OptionPositionSettled {
                header: header(),
                account: k(),
                asset_index: 1,
                expiry: 1_800_000_000,
                strike_bits: 1 << 70,
                kind: 1,
                contracts: -5,
                cash: -120,
            }),
            E::ChangeQueued(ChangeQueued {
                header: header(),
                proposal: k(),
                num: 3,
                target: k(),
                eta: 1_700_086_400,
                expires_ts: 1_701_296_000,
                hash: [7; 32],
                change: ballast::governance::GovChange::edit(ballast::instructions::EditAssetParams {
                    deposit_cap: Some(5),
                    ..Default::default()
                }),
                base_hash: [9; 32],
            }),
            E::ChangeCancelled(ChangeCancelled { header: header(), proposal: k(), num: 3, by: k(), hash: [7; 32] }),
            E::ChangeExecuted(ChangeExecuted {
                header: header(),
                proposal: k(),
                num: 4,
                target: Pubkey::default(),
                hash: [8; 32],
                change: ballast::governance::GovChange::SetRoles(ballast::governance::RolesParams {
                    admin: k(),
                    guardian: k(),
                    listing_admin: Pubkey::default(),
                    fee_recipient: k(),
                    timelock_secs: 86_400,
                }),
            }),
            E::IxGateSet(IxGateSet { header: header(), old_gate: 0, gate: 1 << 8, by: k() }),
            E::PanicPaused(PanicPaused { header: header(), until: 1_700_001_800, in_row: 1, today: 2, by: k() }),
            E::AccountFrozenSet(AccountFrozenSet { header: header(), account: k(), frozen: true, by: k() }),
            E::PriceAggregated(PriceAggregated {
                header: header(),
                aggregate: k(),
                valid: true,
                price_bits: 1 << 80,
                conf_bps: 12,
                publish_time: 1_700_000_000,
                agreeing: 0b101,
            }),
            E::ForceWithdrawn(ForceWithdrawn { header: header(), account: k(), asset_index: 2, amount: 77 }),
            E::DelegateGranted(DelegateGranted {
                header: header(),
                account: k(),
                delegate: k(),
                scope: 9,
                expiry: 5,
                all_markets: false,
                markets: [1, 4, 0, 0, 0, 0, 0, 0],
                market_count: 2,
                daily_cap: 1_000,
            }),
            E::DelegateRevoked(DelegateRevoked { header: header(), account: k(), delegate: k() }),
            E::AssetSourcesRecorded(AssetSourcesRecorded { header: header(), asset_index: 3, pegged: true }),
        ];
        use BallastEvent as E;
        // Every declared event has an example here.
        let mut names: Vec<&str> = all.iter().map(|e| e.name()).collect();
        names.sort();
        let mut declared = BallastEvent::NAMES.to_vec();
        declared.sort();
        assert_eq!(names, declared, "one example per event");
        let count = all.len();
        let mut discriminators = Vec::new();
        for ev in all {
            let data = ev.data();
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
