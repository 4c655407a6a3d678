//! cargo-fuzz target `rules`: see `fieldwork_host::fuzzing::rules`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldwork_host::fuzzing::rules(data));
