//! Baseline for bench/compare.sh and benches/render.rs: parse a whole manifest stream with
//! serde-saphyr and write it back, which is what a post-renderer that re-serializes every
//! document costs.
//!
//! usage: saphyr-roundtrip < stream.yaml > out.yaml

use std::io::{Read, Write};

/// The allocator kubectl-smi's binary uses, so that the comparison is of the work only.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .expect("stdin is UTF-8");
    let output = kubectl_smi_bench::saphyr_roundtrip(&input);
    std::io::stdout()
        .write_all(output.as_bytes())
        .expect("stdout is writable");
}

mod kubectl_smi_bench {
    include!("saphyr_baseline.rs");
}
