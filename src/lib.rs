//! kubectl-smi: installs the SMI Digital Twin Platform on Kubernetes.
//!
//! The library holds all logic; the binary only parses arguments and reports errors.

pub mod stream;
