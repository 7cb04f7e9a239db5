//! Operation counters for the compute estimate (S2-05/compute, `ballast metrics`). With the
//! off-chain feature `op-count` the engine counts the operations that dominate its compute cost on
//! SBF: 128 x 128-bit products ([`super::num::mul_shift`], by how many 64-bit partial products they
//! need: [`super::num::product_u128`]),
//! 128-bit divisions (the oracle price
//! conversion and bank share conversions, [`super::num::div_wide`]), per-asset health terms and
//! health-account loads. Without the feature (the deployed build: an SBF program cannot write statics) every
//! function here is empty.

/// Counted operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// 128 x 128-bit products with a shift (`mul_shift`) of two operands of 2^64 or more.
    pub wide_muls: u64,
    /// `mul_shift` products of two operands below 2^64 (one 64 x 64 -> 128 product).
    pub narrow_muls: u64,
    /// `mul_shift` products of which one operand is below 2^64 (two 64 x 64 -> 128 products).
    pub half_muls: u64,
    /// 128-bit divisions.
    pub divs: u64,
    /// Per-asset terms of health evaluations (one per asset per evaluation).
    pub asset_terms: u64,
    /// Health accounts read (an Asset and its oracle count as two).
    pub account_loads: u64,
    /// Liquidation-search evaluations of a step's candidates (two entries each, [`crate::StepHealthCache`]).
    pub step_evals: u64,
    /// Option valuations of the scenario grid (one Black-76 price in one scenario,
    /// `options::grid`), besides their counted products.
    pub option_evals: u64,
    /// Logarithms of the scenario grid's price moves (`ln(1 ± move)`, one per option and price
    /// point, shared by the point's volatility scenarios).
    pub option_lns: u64,
}

#[cfg(feature = "op-count")]
mod counters {
    use core::sync::atomic::AtomicU64;
    pub static WIDE_MULS: AtomicU64 = AtomicU64::new(0);
    pub static NARROW_MULS: AtomicU64 = AtomicU64::new(0);
    pub static HALF_MULS: AtomicU64 = AtomicU64::new(0);
    pub static DIVS: AtomicU64 = AtomicU64::new(0);
    pub static ASSET_TERMS: AtomicU64 = AtomicU64::new(0);
    pub static ACCOUNT_LOADS: AtomicU64 = AtomicU64::new(0);
    pub static STEP_EVALS: AtomicU64 = AtomicU64::new(0);
    pub static OPTION_EVALS: AtomicU64 = AtomicU64::new(0);
    pub static OPTION_LNS: AtomicU64 = AtomicU64::new(0);
    /// Counting is on only while a measurement asks for it ([`super::set_counting`]), so that
    /// throughput measurements in the same binary do not pay for shared atomic writes.
    pub static COUNTING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
}

/// Turns counting on or off (with the `op-count` feature; a no-op without it). Off by default.
pub fn set_counting(_on: bool) {
    #[cfg(feature = "op-count")]
    counters::COUNTING.store(_on, core::sync::atomic::Ordering::Relaxed);
}

macro_rules! counter {
    ($name:ident, $counter:ident) => {
        /// Counts one operation (no-op without the `op-count` feature).
        #[inline(always)]
        pub fn $name(_n: u64) {
            #[cfg(feature = "op-count")]
            if counters::COUNTING.load(core::sync::atomic::Ordering::Relaxed) {
                counters::$counter.fetch_add(_n, core::sync::atomic::Ordering::Relaxed);
            }
        }
    };
}
counter!(wide_mul, WIDE_MULS);
counter!(narrow_mul, NARROW_MULS);
counter!(half_mul, HALF_MULS);
counter!(div, DIVS);
counter!(asset_term, ASSET_TERMS);
counter!(account_load, ACCOUNT_LOADS);
counter!(step_eval, STEP_EVALS);
counter!(option_eval, OPTION_EVALS);
counter!(option_ln, OPTION_LNS);

/// The counts so far (all zero without the feature).
pub fn snapshot() -> OpCounts {
    #[cfg(feature = "op-count")]
    {
        use core::sync::atomic::Ordering::Relaxed;
        use counters::*;
        OpCounts {
            wide_muls: WIDE_MULS.load(Relaxed),
            narrow_muls: NARROW_MULS.load(Relaxed),
            half_muls: HALF_MULS.load(Relaxed),
            divs: DIVS.load(Relaxed),
            asset_terms: ASSET_TERMS.load(Relaxed),
            account_loads: ACCOUNT_LOADS.load(Relaxed),
            step_evals: STEP_EVALS.load(Relaxed),
            option_evals: OPTION_EVALS.load(Relaxed),
            option_lns: OPTION_LNS.load(Relaxed),
        }
    }
    #[cfg(not(feature = "op-count"))]
    OpCounts::default()
}

/// Compute units per operation, estimated from the SBF instruction counts of the code that runs
/// (1 CU per SBF instruction, the runtime's published cost model; 128-bit arithmetic is compiled to
/// compiler-rt routines on 64-bit registers). Each weight is rounded up generously.
pub mod weights {
    /// `mul_shift`: four 64 x 64 -> 128 products (`__multi3`, about 15 instructions each), the
    /// carries, the shift and the rounding: about 80 instructions, weighted 150.
    pub const WIDE_MUL: u64 = 150;
    /// `mul_shift` of two operands below 2^64: one 64 x 64 -> 128 product (`__multi3` with zero
    /// high halves, about 20 instructions), the shift, the rounding and the range checks: about
    /// 45 instructions, weighted 90 (the wide product's margin).
    pub const NARROW_MUL: u64 = 90;
    /// `mul_shift` of which one operand is below 2^64: two 64 x 64 -> 128 products, their
    /// carry, the shift, the rounding and the range checks: about 60 instructions, weighted 115.
    pub const HALF_MUL: u64 = 115;
    /// A 128-bit division (`__divti3`/`__udivti3`: normalisation and a shift-subtract loop): up
    /// to about 400 instructions, weighted 600.
    pub const DIV: u64 = 600;
    /// One asset's health terms besides its products (loads, compares, adds, the group scan):
    /// weighted 200.
    pub const ASSET_TERM: u64 = 200;
    /// Reading one health account besides its counted products and divisions: owner and
    /// discriminator checks, the Asset's group and index checks and its copy into the loaded
    /// entry, the Pyth account's fields at fixed offsets (no Borsh decoding since issue 11), the
    /// feed, age and confidence checks. Counted natively with callgrind at about 300 x86-64
    /// instructions per account (docs/performance.md); SBF has simpler instructions (no memory
    /// operands, no conditional moves), so the count is doubled: weighted 600.
    pub const ACCOUNT_LOAD: u64 = 600;
    /// Per instruction account: the entrypoint's deserialisation and Anchor's account checks,
    /// weighted 300.
    pub const INSTRUCTION_ACCOUNT: u64 = 300;
    /// One more evaluation of a liquidation search (for the worst-case bound): two entries' terms
    /// and their groups' charges, about twelve products: 2 x 200 + 12 x 150.
    pub const STEP_EVAL: u64 = 2 * ASSET_TERM + 12 * WIDE_MUL;
    /// One option valuation of the scenario grid besides its `mul_shift` products (counted by
    /// kind: [`WIDE_MUL`], [`HALF_MUL`], [`NARROW_MUL`]): two normal-CDF tables of degree 5 (each five 64 x 64 -> 128 products via
    /// `__multi3` with the rounding shift and the checked conversions, 30 to 45 instructions a
    /// step, and the interval's index and centre: 170 to 250 instructions), the `d1` product (an
    /// overflow-checked 128 x 128-bit product, `__muloti4`, about 100) and the branching and
    /// clamps (about 100): 540 to 700 instructions, weighted 1,000. Until a price point's `ln`
    /// was counted on its own ([`OPTION_LN`]) a third of it was in this weight; the weight was
    /// not lowered: counted, not measured, the margin stays at least 1.4x.
    pub const OPTION_EVAL: u64 = 1_000;
    /// One `ln(1 ± move)` of the scenario grid (`fixed::ln`: the exponent, the mantissa's scaling
    /// and a degree-8 table, eight rounded 64 x 64 -> 128 products of 30 to 35 instructions):
    /// about 300 instructions, weighted 400.
    pub const OPTION_LN: u64 = 400;
}

impl OpCounts {
    /// Operations between two snapshots.
    pub fn since(&self, before: &OpCounts) -> OpCounts {
        OpCounts {
            wide_muls: self.wide_muls.saturating_sub(before.wide_muls),
            narrow_muls: self.narrow_muls.saturating_sub(before.narrow_muls),
            half_muls: self.half_muls.saturating_sub(before.half_muls),
            divs: self.divs.saturating_sub(before.divs),
            asset_terms: self.asset_terms.saturating_sub(before.asset_terms),
            account_loads: self.account_loads.saturating_sub(before.account_loads),
            step_evals: self.step_evals.saturating_sub(before.step_evals),
            option_evals: self.option_evals.saturating_sub(before.option_evals),
            option_lns: self.option_lns.saturating_sub(before.option_lns),
        }
    }

    /// Estimated compute units of these operations plus `instruction_accounts` accounts' overhead.
    pub fn estimated_cu(&self, instruction_accounts: u64) -> u64 {
        use weights::*;
        [
            self.wide_muls.saturating_mul(WIDE_MUL),
            self.narrow_muls.saturating_mul(NARROW_MUL),
            self.half_muls.saturating_mul(HALF_MUL),
            self.divs.saturating_mul(DIV),
            self.asset_terms.saturating_mul(ASSET_TERM),
            self.account_loads.saturating_mul(ACCOUNT_LOAD),
            instruction_accounts.saturating_mul(INSTRUCTION_ACCOUNT),
            self.option_evals.saturating_mul(OPTION_EVAL),
            self.option_lns.saturating_mul(OPTION_LN),
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}
