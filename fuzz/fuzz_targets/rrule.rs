//! cargo-fuzz target `rrule`: see `fieldwork_host::fuzzing::rrule`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldwork_host::fuzzing::rrule(data));
