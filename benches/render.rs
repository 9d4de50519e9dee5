//! The whole post-render, in process: on the platform's example, on a 2 MB stream of
//! 3,400 documents (the platform among other releases), on 1,200 workloads that every one
//! gets changed (identity and secret references), and on the largest real-world corpus;
//! beside the serde-saphyr parse-and-re-emit baseline on the same inputs.
//! Run: cargo bench --bench render

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubectl_smi::render::{RenderOptions, render};
use kubectl_smi::stream::Limits;

/// The allocator the binary uses (see `src/bin/kubectl-smi/main.rs`), for both sides.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod baseline {
    include!("../bench/saphyr_baseline.rs");
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn options() -> RenderOptions {
    let loaded = kubectl_smi::values::load(&[repo().join("examples/values-aws.yaml")])
        .expect("example values load");
    RenderOptions {
        values: loaded.typed().expect("example values are valid"),
        values_json: loaded.merged.clone(),
        overlay_dirs: Vec::new(),
        strict: false,
        strategy: Default::default(),
        rewrite_all: false,
        limits: Limits::default(),
    }
}

fn generated_stream(megabytes: u32) -> String {
    let out = std::env::temp_dir().join(format!("kubectl-smi-bench-{megabytes}mb.yaml"));
    let status = std::process::Command::new("python3")
        .arg(repo().join("bench/make_stream.py"))
        .arg(megabytes.to_string())
        .arg(&out)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    std::fs::read_to_string(out).expect("the generated stream")
}

fn generated_workloads(count: u32) -> String {
    let out = std::env::temp_dir().join(format!("kubectl-smi-bench-workloads-{count}.yaml"));
    let status = std::process::Command::new("python3")
        .arg(repo().join("bench/make_workloads.py"))
        .arg(count.to_string())
        .arg(&out)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    std::fs::read_to_string(out).expect("the generated workloads")
}

fn inputs() -> Vec<(String, String)> {
    let mut inputs = vec![
        (
            "platform-example".to_owned(),
            std::fs::read_to_string(repo().join("examples/rendered-helm4.yaml")).unwrap(),
        ),
        ("stream-2mb".to_owned(), generated_stream(2)),
        (
            "all-changed-1200-workloads".to_owned(),
            generated_workloads(1200),
        ),
    ];
    let corpus: PathBuf = repo().join("../shared/data/corpora/argo-cd-ha-install.yaml");
    match std::fs::read_to_string(&corpus) {
        Ok(text) => inputs.push(("argo-cd-ha-corpus".to_owned(), text)),
        Err(_) => eprintln!("SKIPPED: {} is absent", corpus.display()),
    }
    inputs
}

fn post_render(c: &mut Criterion) {
    let options = options();
    for (name, input) in inputs() {
        let mut group = c.benchmark_group(&name);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.sample_size(20);
        group.bench_function("kubectl-smi render", |b| {
            b.iter(|| render(input.as_bytes(), &options).expect("renders"))
        });
        group.bench_function("serde-saphyr parse and re-emit", |b| {
            b.iter(|| baseline::saphyr_roundtrip(&input))
        });
        group.finish();
    }
}

criterion_group!(benches, post_render);
criterion_main!(benches);
