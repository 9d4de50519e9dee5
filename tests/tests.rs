//! The integration tests: one test program (Cargo.toml sets `autotests = false`), so the
//! library and its dependencies are linked once. Each module is one area of the tool; the
//! helpers they share are in `support` (running the binary, golden files, the cluster and
//! AWS doubles).

mod support;

mod bad_input;
mod cli;
mod cli_consistency;
mod cluster_config;
mod cluster_flags;
mod docs;
mod fuzz_properties;
mod gitops;
mod helm4_charts;
mod helm4_engine;
mod helm_contract;
mod init;
mod krew_manifest;
mod kubectl_plugin;
mod network_apply;
mod network_rules;
mod policies_aws;
mod policies_bad_input;
mod policies_delete;
mod policies_migration;
mod policies_output;
mod preflight;
mod prometheus;
mod release;
mod render_examples;
mod render_filters;
mod render_warnings;
mod secrets_backup_targets;
mod secrets_backup_verify;
mod secrets_catalog;
mod secrets_create;
mod secrets_dry_run;
mod secrets_external;
mod secrets_fidelity;
mod secrets_input;
mod secrets_oci_vault;
mod secrets_offline;
mod secrets_rotation;
mod secrets_status;
mod staging_example;
mod stream_fidelity;
mod stream_fields;
mod stream_roundtrip;
mod validate_covers_commands;
mod values_contract;
mod values_helm;
mod values_invalid;
