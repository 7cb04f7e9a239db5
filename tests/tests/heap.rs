//! S2-05: the heap the program itself allocates in its largest two-sided instructions, counted
//! natively by the SDK's counting allocator (its own test binary, so that no other test's program
//! runs while one is measured). The SBF heap is 32 KiB and never frees; the program's own
//! allocations must stay within 24 KiB, leaving the rest to the entrypoint's account infos and
//! headroom. Native sizes are upper bounds of the SBF ones (i128 is 16-byte aligned natively).

use ballast_sdk::heap::{entrypoint_bytes, measure, CountingAlloc, PROGRAM_HEAP_BUDGET};
use ballast_sdk::scenario::{self, account_counts};

/// Builds one of the largest instructions' scenarios.
type Prepare = fn() -> ballast_sdk::Result<scenario::Prepared>;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn report(name: &str, heap: usize, ix: &anchor_lang::solana_program::instruction::Instruction) {
    let (n, distinct) = account_counts(ix);
    let entry = entrypoint_bytes(n, distinct);
    println!(
        "s2_05 {name}: program heap {heap} B (budget {PROGRAM_HEAP_BUDGET}); entrypoint ~{entry} B for {n} accounts \
         ({distinct} distinct); total ~{} B of 32,768",
        heap + entry
    );
    assert!(heap > 0, "{name}: the counting allocator saw the program run");
    assert!(heap <= PROGRAM_HEAP_BUDGET, "{name}: {heap} B of heap");
    assert!(heap + entry <= 32 * 1024, "{name}: {} B with the entrypoint's buffers", heap + entry);
}

#[test]
fn s2_05_largest_instructions_fit_the_heap() {
    let cases: [(&str, Prepare); 10] = [
        ("largest liquidation (14 + 14 underlyings)", scenario::largest_liquidation),
        (
            "largest liquidation with 8 perps and 8 options (14 + 14 underlyings)",
            scenario::largest_liquidation_with_options,
        ),
        (
            "largest liquidation with 8 options of both signs on the seized asset (14 + 14 underlyings)",
            scenario::largest_liquidation_with_mixed_options,
        ),
        (
            "largest option take-over: 2 contracts of 8 options of both signs on one underlying",
            scenario::largest_option_liquidation_with_mixed_options,
        ),
        ("largest signed-order fill (14 + 14 underlyings)", scenario::largest_fill),
        ("largest signed option order fill: 8 options each side (14 + 14 underlyings)", scenario::largest_option_fill),
        ("largest signed option order fill: 8 options of both signs on one underlying each side (14 + 14 underlyings)", scenario::largest_mixed_option_fill),
        ("largest signed option order fill that the bound does not settle: a book of both signs near its limit", scenario::near_limit_mixed_option_fill),
        ("largest block trade (14 + 14 underlyings)", scenario::largest_block_trade),
        ("largest what-if: a roll of 8 hypothetical trades (8 options, 14 underlyings)", scenario::largest_what_if),
    ];
    for (name, prepare) in cases {
        let mut p = prepare().unwrap();
        let (r, heap) = measure(|| p.run());
        r.unwrap_or_else(|e| panic!("{name} executes: {e}"));
        report(name, heap, p.main_ix());
    }
}
