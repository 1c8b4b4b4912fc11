//! A counting allocator for the tests that measure what the server keeps on the heap
//! (`sfn_parked_bytes.rs`, `sfn_finished_bytes.rs`): each is its own test target, so that
//! nothing else allocates in the process while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

/// The system allocator, counting the bytes it has handed out and not yet had back.
pub struct Counting;

pub static LIVE: AtomicIsize = AtomicIsize::new(0);

/// Live allocations by exact size (the last bucket: every larger size), for the breakdown.
pub const SIZES: usize = 16384;
static BY_SIZE: [AtomicIsize; SIZES] = [const { AtomicIsize::new(0) }; SIZES];

fn count(size: usize, delta: isize) {
    LIVE.fetch_add(size as isize * delta, Ordering::Relaxed);
    BY_SIZE[size.min(SIZES - 1)].fetch_add(delta, Ordering::Relaxed);
}

pub fn by_size() -> Vec<isize> {
    BY_SIZE.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

/// Set from a test's `..._WHERE=SIZE` variable: print where a few allocations of that size are
/// made once the executions start (to find what a figure of the breakdown is).
pub static WHERE: AtomicIsize = AtomicIsize::new(0);
pub static WHERE_LEFT: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static IN_TRACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn maybe_trace(size: usize) {
    if WHERE.load(Ordering::Relaxed) != size as isize || IN_TRACE.with(|t| t.get()) {
        return;
    }
    if WHERE_LEFT.fetch_sub(1, Ordering::Relaxed) <= 0 {
        return;
    }
    IN_TRACE.with(|t| t.set(true));
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    let frames: Vec<&str> = bt
        .lines()
        .filter(|l| l.contains("stepyard::") && !l.contains("at "))
        .take(40)
        .collect();
    eprintln!("allocation of {size}:\n{}", frames.join("\n"));
    IN_TRACE.with(|t| t.set(false));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size(), 1);
            maybe_trace(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(layout.size(), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(layout.size(), -1);
            count(new_size, 1);
            maybe_trace(new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap bytes live once they stop moving (the server's tasks finish their requests).
pub async fn settled() -> isize {
    let mut last = LIVE.load(Ordering::Relaxed);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = LIVE.load(Ordering::Relaxed);
        if (now - last).abs() < 4096 {
            return now;
        }
        last = now;
    }
    last
}

/// Prints the allocation sizes that grew by at least one in ten executions: what each keeps.
pub fn report_sizes(sizes_before: &[isize], sizes_after: &[isize], executions: usize) {
    let mut rows: Vec<(isize, usize, f64)> = (0..SIZES)
        .filter_map(|size| {
            let n = sizes_after[size] - sizes_before[size];
            (n * 10 >= executions as isize)
                .then(|| (n * size as isize, size, n as f64 / executions as f64))
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (total, size, each) in rows {
        eprintln!(
            "  {size:>6} bytes x {each:.2} = {:.0} per execution",
            total as f64 / executions as f64
        );
    }
}
