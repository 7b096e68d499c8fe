//! Fresh ids and PINs without a random-number dependency: a SplitMix64 stream over a
//! counter, keyed from std's `RandomState` (seeded from the OS per process) or, for runs
//! that must repeat, from a seed the user gives. Uniqueness of ids is still checked against
//! the store.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of random-looking numbers.
#[derive(Debug)]
pub(crate) struct Entropy {
    key: AtomicU64,
    counter: AtomicU64,
    /// The seed the user gave; `None`: a random key per start (and per reset).
    seed: Option<u64>,
}

impl Default for Entropy {
    fn default() -> Self {
        Entropy {
            key: AtomicU64::new(random_key()),
            counter: AtomicU64::new(0),
            seed: None,
        }
    }
}

/// A key from std's randomly keyed hasher.
fn random_key() -> u64 {
    RandomState::new().hash_one(0x5eed_u64)
}

impl Entropy {
    /// A stream that repeats for the same seed.
    pub(crate) fn seeded(seed: u64) -> Self {
        Entropy {
            key: AtomicU64::new(seed),
            counter: AtomicU64::new(0),
            seed: Some(seed),
        }
    }

    /// A reset: with a seed, the stream starts again from its first number (the same ids
    /// and PINs follow); without one, a new random stream begins, so that no id a test kept
    /// from before the reset names something made after it.
    pub(crate) fn restart(&self) {
        self.key
            .store(self.seed.unwrap_or_else(random_key), Ordering::Relaxed);
        self.counter.store(0, Ordering::Relaxed);
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        // SplitMix64 of key + n * golden ratio: every counter value gives a distinct,
        // well-mixed output.
        let mut z = self
            .key
            .load(Ordering::Relaxed)
            .wrapping_add(n.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
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
    fn a_seed_repeats_and_another_does_not() {
        let (a, b, c) = (Entropy::seeded(7), Entropy::seeded(7), Entropy::seeded(8));
        let run = |e: &Entropy| (0..5).map(|_| e.uuid()).collect::<Vec<_>>();
        let first = run(&a);
        assert_eq!(first, run(&b));
        assert_ne!(first, run(&c));
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
