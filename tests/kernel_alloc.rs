#![cfg(not(target_arch = "wasm32"))]
//! The kernel's hot loop allocates nothing per event when the trace is off: a counting global
//! allocator watches 200,000 events of the timer storm after a warm-up.

use playground::sim::bench::{run_storm, timer_storm_sim};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_timer_storm_does_not_allocate_per_event() {
    let mut sim = timer_storm_sim(5, 1000, 1000);
    run_storm(&mut sim, 20_000); // warm-up: the queue and its bitset reach their working size
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = run_storm(&mut sim, 200_000);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(out.events, 200_000);
    assert_eq!(after - before, 0, "{} allocations in 200,000 events", after - before);
}
