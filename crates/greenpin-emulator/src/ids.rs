//! Fresh ids and PINs without a random-number dependency: std's `RandomState` is seeded
//! from the OS per process; hashing a counter with it gives unpredictable, non-repeating
//! streams. Uniqueness of ids is still checked against the store.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of random-looking numbers.
#[derive(Debug, Default)]
pub(crate) struct Entropy {
    state: RandomState,
    counter: AtomicU64,
}

impl Entropy {
    pub(crate) fn next_u64(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.state.hash_one(n)
    }

    /// A version-4-shaped UUID.
    pub(crate) fn uuid(&self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }

    /// A request id: 16 hex digits.
    pub(crate) fn request_id(&self) -> String {
        format!("{:016x}", self.next_u64())
    }

    /// `len` random decimal digits.
    pub(crate) fn digits(&self, len: u8) -> String {
        let mut out = String::with_capacity(usize::from(len));
        let mut x = self.next_u64();
        for i in 0..len {
            if i % 18 == 17 {
                x = self.next_u64();
            }
            out.push(char::from(b'0' + (x % 10) as u8));
            x /= 10;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_shaped_and_distinct() {
        let e = Entropy::default();
        let a = e.uuid();
        let b = e.uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert!(greenpin_core::GreenPinId::new(a).is_ok());
    }

    #[test]
    fn digits_are_digits() {
        let e = Entropy::default();
        for len in [1u8, 3, 10] {
            let d = e.digits(len);
            assert_eq!(d.len(), usize::from(len));
            assert!(d.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
