//! Where the conformance corpora are, and the record of what each driver checked, so that a
//! run shows which suites ran and which were skipped because their data is missing. Used by
//! the tests of stepyard and of the engine crates (`crates/jsonata`, `crates/event-pattern`).
//!
//! `scripts/test` sets `STEPYARD_CONFORMANCE_REPORT` to a file; every driver appends one line
//! to it (`ran <suite> <cases>` or `absent <suite> <path>`) and the script prints the summary
//! at the end of the run. Under CI (`CI=true`) a missing corpus fails the test instead: CI
//! always has `../shared/conformance`, so its absence there is a broken checkout.

use std::io::Write;
use std::path::{Path, PathBuf};

/// `../shared/conformance/<relative>` beside the repository, whether or not it exists.
pub fn path(relative: &str) -> PathBuf {
    repository().join("../shared/conformance").join(relative)
}

/// The repository the tests run in: from the running test package's `CARGO_MANIFEST_DIR`
/// (cargo sets it at run time) up to the workspace root holding `Cargo.lock`; else where this
/// crate was compiled (`crates/conformance-report` in the repository). Read at run time
/// because scripts/check-image-context compiles a copy of the repository into the same target
/// directory, and cargo may then reuse that build of this crate, whose compile-time directory
/// is the deleted copy.
fn repository() -> PathBuf {
    let running = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Some(root) = running
        .as_deref()
        .and_then(|dir| dir.ancestors().find(|a| a.join("Cargo.lock").exists()))
    {
        return root.to_path_buf();
    }
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

/// `../shared/conformance/<relative>` (a file or a folder) if it is there. If not: under CI
/// the test fails; elsewhere the absence is printed and recorded for the summary.
pub fn corpus(suite: &str, relative: &str) -> Option<PathBuf> {
    let path = path(relative);
    if path.exists() {
        Some(path)
    } else {
        absent(suite, &path);
        None
    }
}

/// Records that `suite` could not run because `path` is missing (fails the test under CI).
pub fn absent(suite: &str, path: &Path) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "conformance data {} is absent, and under CI=true a missing corpus fails the run \
         (clone the shared data beside the repository as ../shared)",
        path.display()
    );
    println!(
        "SKIPPED: conformance data {} is absent; nothing checked",
        path.display()
    );
    append(&format!("absent\t{suite}\t{}", path.display()));
}

/// Records that `suite` checked `cases` cases (passed or failed).
pub fn checked(suite: &str, cases: usize) {
    append(&format!("ran\t{suite}\t{cases}"));
}

fn append(line: &str) {
    let Some(report) = std::env::var_os("STEPYARD_CONFORMANCE_REPORT") else {
        return;
    };
    // One short `write` per line on a file opened for appending: tests running in parallel
    // (threads and test processes alike) cannot interleave within a line.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&report)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "cannot record conformance results in {}: {e}",
            Path::new(&report).display()
        );
    }
}
