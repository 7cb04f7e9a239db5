//! Decoding of every Ballast account type from raw bytes (discriminator and owner checked by the
//! program's own loader). Returned values are owned copies.

use anchor_lang::prelude::Pubkey;
use ballast::state::{load_pod, Asset, Group, InsuranceStake, MarginAccount, OrderRecord};

use crate::{Result, SdkError};

/// Account bytes copied into an 8-byte aligned buffer, so zero-copy casts never see misaligned data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignedData {
    words: Vec<u64>,
    len: usize,
}

impl AlignedData {
    /// Copies `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        AlignedData { words, len: bytes.len() }
    }
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u64, u8>(&self.words)[..self.len]
    }
}

/// A raw account as read from a transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAccount {
    /// Address.
    pub key: Pubkey,
    /// Owner program.
    pub owner: Pubkey,
    /// Lamports.
    pub lamports: u64,
    /// Data, aligned.
    pub data: AlignedData,
}

impl RawAccount {
    /// Builds from parts.
    pub fn new(key: Pubkey, owner: Pubkey, lamports: u64, data: &[u8]) -> Self {
        RawAccount { key, owner, lamports, data: AlignedData::new(data) }
    }
}

fn decode<T: bytemuck::Pod + anchor_lang::Discriminator + anchor_lang::Owner>(raw: &RawAccount) -> Result<T> {
    load_pod::<T>(&raw.owner, raw.data.bytes())
        .copied()
        .map_err(|e| SdkError::Decode(raw.key.to_string(), e.to_string()))
}

/// Decodes a Group.
pub fn group(raw: &RawAccount) -> Result<Group> {
    decode(raw)
}

/// Decodes an Asset.
pub fn asset(raw: &RawAccount) -> Result<Asset> {
    decode(raw)
}

/// Decodes a MarginAccount (boxed: it is 1.4 KB).
pub fn margin_account(raw: &RawAccount) -> Result<Box<MarginAccount>> {
    decode(raw).map(Box::new)
}

/// Decodes an option expiry's settlement record.
pub fn option_settlement(raw: &RawAccount) -> Result<ballast::state::OptionSettlement> {
    decode(raw)
}

/// Decodes a signed order's fill record.
pub fn order_record(raw: &RawAccount) -> Result<OrderRecord> {
    decode(raw)
}

/// Decodes an insurance fund stake.
pub fn insurance_stake(raw: &RawAccount) -> Result<InsuranceStake> {
    decode(raw)
}

/// Decodes a governance proposal.
pub fn proposal(raw: &RawAccount) -> Result<ballast::state::Proposal> {
    decode(raw)
}

/// The change a proposal queued, decoded from its stored bytes.
pub fn proposal_change(p: &ballast::state::Proposal) -> Result<ballast::governance::GovChange> {
    use anchor_lang::AnchorDeserialize;
    ballast::governance::GovChange::try_from_slice(p.payload())
        .map_err(|e| SdkError::Decode(format!("proposal {}", p.num), e.to_string()))
}

/// Decodes a margin account's delegate book.
pub fn delegate_book(raw: &RawAccount) -> Result<ballast::state::DelegateBook> {
    decode(raw)
}

/// Decodes a price source's claim.
pub fn feed_claim(raw: &RawAccount) -> Result<ballast::state::FeedClaim> {
    decode(raw)
}

/// Decodes a price aggregate.
pub fn price_aggregate(raw: &RawAccount) -> Result<ballast::state::PriceAggregate> {
    decode(raw)
}
