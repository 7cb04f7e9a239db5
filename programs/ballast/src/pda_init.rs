//! Creating program-derived accounts whose address may already hold lamports.
//!
//! Anyone can send lamports to a PDA's address before it exists. Anchor 1.2's `init` then uses the
//! system program's `CreateAccountAllowPrefund`, which runtimes without that feature reject, so a
//! griefer could block a user's account (or, with sequential asset indexes, every further listing)
//! for the price of one transfer (catalogue DS-04). This helper tops the address up, allocates and
//! assigns it instead, which every runtime supports.

use anchor_lang::prelude::*;
use anchor_lang::system_program;

use crate::error::BallastError;

/// Creates `target` (a PDA signed for by `signer_seeds`) with `space` bytes owned by `owner`,
/// paying rent from `payer`. Fails with AccountAlreadyExists if the address is already in use.
pub fn create_pda_account<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    owner: &Pubkey,
    signer_seeds: &[&[u8]],
) -> Result<()> {
    let required = Rent::get()?.minimum_balance(space).max(1);
    let current = target.lamports();
    let signer: &[&[&[u8]]] = &[signer_seeds];
    if current == 0 {
        return system_program::create_account(
            CpiContext::new(
                system_program::ID,
                system_program::CreateAccount { from: payer.clone(), to: target.clone() },
            )
            .with_signer(signer),
            required,
            space as u64,
            owner,
        );
    }
    // Pre-funded: only a plain system account with no data may be taken over.
    if *target.owner != system_program::ID || !target.data_is_empty() {
        return err!(BallastError::AccountAlreadyExists);
    }
    if required > current {
        system_program::transfer(
            CpiContext::new(system_program::ID, system_program::Transfer { from: payer.clone(), to: target.clone() }),
            required.saturating_sub(current),
        )?;
    }
    system_program::allocate(
        CpiContext::new(system_program::ID, system_program::Allocate { account_to_allocate: target.clone() })
            .with_signer(signer),
        space as u64,
    )?;
    system_program::assign(
        CpiContext::new(system_program::ID, system_program::Assign { account_to_assign: target.clone() })
            .with_signer(signer),
        owner,
    )
}

/// Writes the discriminator of `T` into a freshly created account.
pub fn write_discriminator<T: anchor_lang::Discriminator>(target: &AccountInfo) -> Result<()> {
    let mut data = target.try_borrow_mut_data()?;
    data[..T::DISCRIMINATOR.len()].copy_from_slice(T::DISCRIMINATOR);
    Ok(())
}
