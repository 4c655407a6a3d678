//! cargo-fuzz target `dataset`: see `fieldwork_host::fuzzing::dataset`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldwork_host::fuzzing::dataset(data));
