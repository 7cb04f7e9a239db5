//! The program's heap use, counted natively (S2-05). The SBF runtime gives a program a 32 KiB bump
//! heap whose `dealloc` does nothing, so an instruction's peak heap is the sum of everything it
//! allocates. [`CountingAlloc`], installed as the global allocator of a test binary or of the
//! `ballast` binary, adds up the allocations made while `ballast::entry` runs on the current thread
//! (the embedded bank's builtin shim marks that span with [`enter`] and [`exit`]); each invocation's
//! total is kept, and [`measure`] returns the largest of those made by a closure.
//!
//! A syscall never allocates on the program's heap on chain, but natively the validator runs
//! inside it on the program's thread (a CPI builds an invoke context and a VM for its callee): the
//! embedded bank runs every syscall stub through [`paused`], so only the program's own allocations
//! count (the instruction and account-info vectors a CPI builds are the program's and count).
//!
//! Natively `i128` is 16-byte aligned where SBF aligns it to 8, so native sizes are at least the
//! SBF ones: the figure is an upper bound of what the program allocates on chain. The entrypoint's
//! own buffers come on top: [`entrypoint_bytes`] estimates them (48 bytes per instruction account
//! for the `AccountInfo` vector plus 72 per distinct account for its two `Rc<RefCell>` cells).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;

thread_local! {
    /// Bytes allocated by the program invocation running on this thread (None: none runs).
    static RUNNING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Totals of the invocations finished since the last [`measure`] started.
static FINISHED: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// One measurement at a time.
static MEASURING: Mutex<()> = Mutex::new(());

/// Counts the program's allocations (bytes rounded up to their alignment, as a bump allocator
/// spends them), then allocates from the system allocator.
pub struct CountingAlloc;

fn count(layout: Layout) {
    let _ = RUNNING.try_with(|c| {
        if let Some(n) = c.get() {
            let size = layout.size().div_ceil(layout.align()).saturating_mul(layout.align());
            c.set(Some(n.saturating_add(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// thread-local cell and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A bump allocator's realloc allocates anew.
        count(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Marks the start of a program invocation on this thread.
pub fn enter() {
    let _ = RUNNING.try_with(|c| c.set(Some(0)));
}

/// Runs `f` (a syscall) with this thread's count paused: the program invocation's total is kept
/// aside and restored after, whatever `f` allocates.
pub fn paused<R>(f: impl FnOnce() -> R) -> R {
    let saved = RUNNING.try_with(|c| c.replace(None)).ok().flatten();
    let r = f();
    if saved.is_some() {
        let _ = RUNNING.try_with(|c| c.set(saved));
    }
    r
}

/// Marks its end and records its total.
pub fn exit() {
    let total = RUNNING.try_with(|c| c.replace(None)).ok().flatten();
    if let Some(n) = total {
        if let Ok(mut v) = FINISHED.lock() {
            v.push(n);
        }
    }
}

/// Runs `f` and returns its result with the largest heap (bytes) any program invocation it caused
/// allocated (0 when the global allocator is not [`CountingAlloc`]). Measurements are serialized.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let _guard = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(mut v) = FINISHED.lock() {
        v.clear();
    }
    let r = f();
    let peak = FINISHED.lock().map(|v| v.iter().copied().max().unwrap_or(0)).unwrap_or(0);
    (r, peak)
}

/// The SBF entrypoint's own heap for an instruction with `accounts` account metas of which
/// `distinct` are distinct: 48 bytes per `AccountInfo` plus 72 per distinct account's cells.
pub fn entrypoint_bytes(accounts: usize, distinct: usize) -> usize {
    48 * accounts + 72 * distinct
}

/// The heap the program's own allocations may use: the 32 KiB SBF heap less the entrypoint's
/// account infos of the largest instructions (about 7 KiB) and headroom.
pub const PROGRAM_HEAP_BUDGET: usize = 24 * 1024;
