//! A manifest stream through the whole post-render (tests/fuzz_properties.rs says what holds).
#![no_main]

#[path = "../../tests/fuzz_properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::check_render(data));
