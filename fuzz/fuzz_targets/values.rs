//! A values file's text through reading and validation (tests/fuzz_properties.rs).
#![no_main]

#[path = "../../tests/fuzz_properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::check_values(data));
