//! Zero-copy accounts. Every type is `repr(C)`, padding-free (bytemuck `Pod` refuses padding),
//! holds no raw 128-bit integers (they are stored as [`Fx128`], `[u64; 2]`, so host and SBF layouts
//! agree), keeps reserved bytes for upgrades, and has its size and alignment asserted at compile time.

pub mod asset;
pub mod delegate_book;
pub mod feed_claim;
pub mod group;
pub mod insurance_stake;
pub mod margin_account;
pub mod option_market;
pub mod option_settlement;
pub mod order_record;
pub mod price_aggregate;
pub mod proposal;
#[cfg(feature = "test-oracle")]
pub mod stub_oracle;

pub use asset::*;
pub use delegate_book::*;
pub use feed_claim::*;
pub use group::*;
pub use insurance_stake::*;
pub use margin_account::*;
pub use option_market::*;
pub use option_settlement::*;
pub use order_record::*;
pub use price_aggregate::*;
pub use proposal::*;
#[cfg(feature = "test-oracle")]
pub use stub_oracle::*;

use anchor_lang::prelude::*;

use crate::risk::{Fx, Price};

/// A 128-bit fixed-point amount stored as two little-endian `u64` words (low word first), so that
/// its alignment is 8 on every target. Holds the raw bits of an [`Fx`] (I80F48: native units,
/// shares, indexes); prices (I48F80) are stored as [`Price128`].
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Fx128 {
    /// Low and high 64-bit words of the two's-complement bits.
    pub words: [u64; 2],
}

impl Fx128 {
    /// Stores raw bits.
    // Splitting into the low and high words truncates on purpose.
    #[allow(clippy::cast_possible_truncation)]
    pub const fn from_bits(bits: i128) -> Self {
        Fx128 { words: [bits as u64, ((bits as u128) >> 64) as u64] }
    }
    /// Raw bits.
    pub const fn bits(&self) -> i128 {
        ((self.words[1] as u128) << 64 | self.words[0] as u128) as i128
    }
    /// Stores an I80F48.
    pub fn from_fx(x: Fx) -> Self {
        Self::from_bits(x.to_bits())
    }
    /// Reads an I80F48.
    pub fn fx(&self) -> Fx {
        Fx::from_bits(self.bits())
    }
}

const _: () = assert!(core::mem::size_of::<Fx128>() == 16);
const _: () = assert!(core::mem::align_of::<Fx128>() == 8);

/// A stored price: an I48F80 (quote native units per base native unit) as two little-endian
/// 64-bit words, the layout of [`Fx128`]. A distinct type, so that a stored price cannot be read
/// as an I80F48 amount, nor an amount as a price: the two fixed-point formats differ and a mix-up
/// would compile silently with one storage type.
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Price128 {
    /// Low and high words of the I48F80 bits.
    pub words: [u64; 2],
}

impl Price128 {
    /// Stores an I48F80 price.
    pub fn from_price(p: Price) -> Self {
        let Fx128 { words } = Fx128::from_bits(p.to_bits());
        Price128 { words }
    }
    /// Reads an I48F80 price.
    pub fn price(&self) -> Price {
        Price::from_bits(Fx128 { words: self.words }.bits())
    }
    /// Raw bits (for events).
    pub fn bits(&self) -> i128 {
        Fx128 { words: self.words }.bits()
    }
}

const _: () = assert!(core::mem::size_of::<Price128>() == 16);
const _: () = assert!(core::mem::align_of::<Price128>() == 8);

/// Reads a zero-copy account of type `T` from raw account bytes (discriminator included), checking
/// owner and discriminator like Anchor's `AccountLoader`. Shared by the health loader and the SDK.
pub fn load_pod<'a, T: bytemuck::Pod + anchor_lang::Discriminator + anchor_lang::Owner>(
    owner: &Pubkey,
    data: &'a [u8],
) -> Result<&'a T> {
    if *owner != T::owner() {
        return Err(ErrorCode::AccountOwnedByWrongProgram.into());
    }
    let disc = T::DISCRIMINATOR;
    if data.len() < disc.len() {
        return Err(ErrorCode::AccountDiscriminatorNotFound.into());
    }
    if &data[..disc.len()] != disc {
        return Err(ErrorCode::AccountDiscriminatorMismatch.into());
    }
    let size = core::mem::size_of::<T>();
    let body = data.get(disc.len()..disc.len().saturating_add(size)).ok_or(ErrorCode::AccountDidNotDeserialize)?;
    bytemuck::try_from_bytes(body).map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
}

/// [`load_pod`] for writing: the same owner and discriminator checks on mutable account bytes.
pub fn load_pod_mut<'a, T: bytemuck::Pod + anchor_lang::Discriminator + anchor_lang::Owner>(
    owner: &Pubkey,
    data: &'a mut [u8],
) -> Result<&'a mut T> {
    load_pod::<T>(owner, data)?;
    let start = T::DISCRIMINATOR.len();
    let body = data
        .get_mut(start..start.saturating_add(core::mem::size_of::<T>()))
        .ok_or(ErrorCode::AccountDidNotDeserialize)?;
    bytemuck::try_from_bytes_mut(body).map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
}
