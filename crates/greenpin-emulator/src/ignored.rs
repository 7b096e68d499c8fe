//! The body fields a request gave that the API did not apply, as the answer's
//! `X-GreenPin-Ignored-Fields` header and the journal name them — bounded, however many a
//! body repeats: at most [`MAX_NAMES`] distinct names of at most [`MAX_NAME`] bytes each,
//! then a count of the rest. A megabyte of `{"z":0,"z":0,…}` is one name, not 173,333.

/// Distinct names kept.
pub(crate) const MAX_NAMES: usize = 32;
/// Bytes of one name kept (a longer one is cut at a character boundary).
pub(crate) const MAX_NAME: usize = 64;

/// The ignored fields of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Ignored {
    names: Vec<String>,
    /// Names past [`MAX_NAMES`], not kept.
    more: usize,
}

impl Ignored {
    /// Notes a field (a repeat is noted once).
    pub(crate) fn push(&mut self, name: impl AsRef<str>) {
        let mut name = name.as_ref();
        if name.len() > MAX_NAME {
            let mut end = MAX_NAME;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name = &name[..end];
        }
        if self.names.iter().any(|n| n == name) {
            return;
        }
        if self.names.len() < MAX_NAMES {
            self.names.push(name.to_owned());
        } else {
            self.more += 1;
        }
    }

    /// Notes every name of `names`.
    pub(crate) fn extend(&mut self, names: impl IntoIterator<Item = impl AsRef<str>>) {
        for name in names {
            self.push(name);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The list as said: the names, then `and N more` when some were not kept (ASCII, as
    /// a header value must be).
    pub(crate) fn into_list(self) -> Vec<String> {
        let mut list = self.names;
        if self.more > 0 {
            list.push(format!("and {} more", self.more));
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_one_name_and_the_list_is_bounded() {
        let mut ignored = Ignored::default();
        ignored.extend(std::iter::repeat_n("z", 173_333));
        assert_eq!(ignored.clone().into_list(), ["z"]);
        ignored.extend((0..100).map(|i| format!("f{i}")));
        let list = ignored.into_list();
        assert_eq!(list.len(), MAX_NAMES + 1);
        assert_eq!(list.last().unwrap(), "and 69 more");
        let mut long = Ignored::default();
        long.push("é".repeat(100));
        assert!(long.into_list()[0].len() <= MAX_NAME);
    }
}
