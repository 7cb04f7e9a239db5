//! An insurance fund stake.

use anchor_lang::prelude::*;

/// A staker's shares of the group's insurance fund. PDA: `[STAKE_SEED, group, owner]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct InsuranceStake {
    /// Group.
    pub group: Pubkey,
    /// Owner: stakes, requests and withdraws.
    pub owner: Pubkey,
    /// Shares held, pending ones included.
    pub shares: u64,
    /// Shares of the pending unstake request (0: none).
    pub pending_shares: u64,
    /// Value of the pending shares when requested, quote native units: the most the withdrawal
    /// pays (gains during the cooldown stay in the fund, losses reduce the payout).
    pub pending_value: u64,
    /// When the request was made, unix seconds.
    pub request_ts: i64,
    /// Canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved: [u8; 63],
}

const _: () = assert!(core::mem::size_of::<InsuranceStake>() == 160);
const _: () = assert!(core::mem::align_of::<InsuranceStake>() == 8);
/// InsuranceStake size on chain including the discriminator.
pub const INSURANCE_STAKE_LEN: usize = 8 + core::mem::size_of::<InsuranceStake>();
