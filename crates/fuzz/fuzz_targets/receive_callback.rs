#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| greenpin_core::fuzzing::receive_callback(data));
