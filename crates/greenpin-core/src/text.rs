//! Short text kept inline: the numbers, PINs and ids every request and answer carries are
//! a few bytes each (an E.164 number at most 16, a PIN at most 10, a UUID 36), and an
//! update holds a dozen of them. Kept in the value itself, they cost no allocation to make,
//! to read from JSON or to drop; a longer one (a service's masked placeholder, an unusual
//! id) goes to the heap as a `String` would.

use std::fmt;
use std::hash::{Hash, Hasher};

use arrayvec::ArrayString;

/// Text of up to `N` bytes held inline, longer text boxed. Compares, hashes and orders as
/// its `str`.
#[derive(Clone)]
pub(crate) enum Text<const N: usize> {
    Inline(ArrayString<N>),
    Heap(Box<str>),
}

impl<const N: usize> Text<N> {
    /// `text`, copied in.
    pub(crate) fn new(text: &str) -> Self {
        match ArrayString::from(text) {
            Ok(inline) => Text::Inline(inline),
            Err(_) => Text::Heap(text.into()),
        }
    }

    /// The text's bytes.
    fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Inline(text) => text.as_str(),
            Text::Heap(text) => text,
        }
    }
}

impl<const N: usize> From<String> for Text<N> {
    fn from(text: String) -> Self {
        if text.len() <= N {
            Text::new(&text)
        } else {
            Text::Heap(text.into_boxed_str())
        }
    }
}

impl<const N: usize> PartialEq for Text<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for Text<N> {}

impl<const N: usize> PartialOrd for Text<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for Text<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Byte order is `str`'s order.
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> Hash for Text<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes: its bytes, then 0xff.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Reads JSON text without an intermediate `String` when the text has no escapes (it is
/// then borrowed from the input).
pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>, const N: usize>(
    d: D,
) -> Result<Text<N>, D::Error> {
    struct Visitor<const N: usize>;
    impl<const N: usize> serde::de::Visitor<'_> for Visitor<N> {
        type Value = Text<N>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<N>, E> {
            Ok(Text::new(v))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<N>, E> {
            Ok(Text::from(v))
        }
    }
    d.deserialize_str(Visitor::<N>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_stays_inline_and_long_text_is_boxed_and_both_read_back() {
        let short = Text::<16>::new("+919876543210");
        assert!(matches!(short, Text::Inline(_)));
        assert_eq!(short.as_str(), "+919876543210");
        let exact = Text::<4>::new("1234");
        assert!(matches!(exact, Text::Inline(_)));
        let long = Text::<4>::new("12345");
        assert!(matches!(long, Text::Heap(_)));
        assert_eq!(long.as_str(), "12345");
        assert_eq!(Text::<4>::from("12345".to_owned()), long);
        assert_eq!(Text::<4>::from("ab".to_owned()).as_str(), "ab");
        assert!(Text::<4>::new("a") < Text::<4>::new("b"));
        assert_eq!(format!("{long} {long:?}"), "12345 \"12345\"");
        let multibyte = Text::<8>::new("₹12");
        assert_eq!(multibyte.as_str(), "₹12");
        let read: Text<8> =
            deserialize(&mut serde_json::Deserializer::from_str(r#""a\nb""#)).unwrap();
        assert_eq!(read.as_str(), "a\nb");
    }
}
