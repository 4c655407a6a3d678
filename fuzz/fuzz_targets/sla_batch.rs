//! cargo-fuzz target `sla_batch`: see `fieldwork_host::fuzzing::sla_batch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldwork_host::fuzzing::sla_batch(data));
