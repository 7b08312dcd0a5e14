//! The process's allocator: jemalloc, when the `jemalloc` feature is on (the default).
//!
//! A job makes about a thousand allocations in the engine and more in packing and transport, on
//! several threads at once. glibc's malloc spent 14 % of `fazhi serve`'s CPU under load (perf:
//! `_int_malloc`, `malloc_consolidate`, `_int_free`); jemalloc's per-thread caches answer most
//! of them without a lock or a walk of free lists. mimalloc was faster than glibc too, but kept
//! twice the worker's memory.

#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
