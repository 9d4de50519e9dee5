//! kubectl-smi: installs the SMI Digital Twin Platform on Kubernetes.
//!
//! The library holds all logic and never prints; the binary (`src/bin/kubectl-smi/`) parses
//! arguments, calls in here, prints, and renders errors. The library never imports it.

pub mod aws_sdk;
pub mod catalog;
pub mod cluster;
pub mod error;
pub mod gitops;
pub mod network;
pub mod oci_api;
pub mod policies;
pub mod preflight;
pub mod prometheus;
pub mod render;
pub mod secrets;
pub mod stream;
pub mod values;
