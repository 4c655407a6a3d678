//! cargo-fuzz target `calendar`: see `fieldwork_host::fuzzing::calendar`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldwork_host::fuzzing::calendar(data));
