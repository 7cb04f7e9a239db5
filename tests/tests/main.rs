//! Ballast integration tests: one harness, one test binary. Natively, with solana-program-test
//! running the program as a builtin and the real SPL Token / Token-2022 programs for CPIs.
//! Catalogue cases are named with their ids.

mod harness;

mod cases;
