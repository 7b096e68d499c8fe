#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| greenpin_emulator::fuzzing::handle_body(data));
