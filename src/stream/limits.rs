//! The safety budget for manifest streams: generous for real charts and CRD bundles,
//! small enough that hostile input (alias bombs, nesting bombs, endless input) is refused
//! in milliseconds instead of exhausting memory or the stack.

/// Bounds applied while reading a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes. Helm keeps a release in one Kubernetes Secret or
    /// ConfigMap (1 MiB, compressed), so real releases are far below this. Never more
    /// than [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES) (4 GiB) is read.
    pub max_bytes: usize,
    /// Most documents in one stream.
    pub max_documents: usize,
    /// Deepest nesting of mappings and sequences; CRD schemas reach about 35.
    pub max_depth: usize,
    /// Most nodes in one document, counting every expansion of an alias.
    pub max_nodes_per_document: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_documents: 100_000,
            max_depth: 128,
            max_nodes_per_document: 2_000_000,
        }
    }
}
