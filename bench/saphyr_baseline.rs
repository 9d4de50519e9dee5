/// Parses every document with serde-saphyr (budgets raised to fit real streams) and
/// re-emits them all.
pub fn saphyr_roundtrip(input: &str) -> String {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_depth: 128,
            max_nodes: 100_000_000,
            max_events: 100_000_000,
            max_total_scalar_bytes: 1 << 30,
        },
    };
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple_with_options(input, options).expect("the stream parses");
    let mut out = String::with_capacity(input.len());
    for doc in docs.iter().filter(|d| !d.is_null()) {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(doc).expect("a document serializes"));
    }
    out
}
