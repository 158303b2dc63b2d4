//! [`TextTable`]: every distinct string of a page stored once and referred to by index.
//!
//! A suite's system prompt is sent with each of its cases, probe answers repeat, and assertion
//! kinds and tags come from a small set: stored once, a 1,000-case page stays a few hundred KB.

use std::borrow::Cow;
use std::collections::HashMap;

/// Distinct strings in first-use order; serialises as a JSON array.
#[derive(Debug, Default)]
pub(super) struct TextTable<'a> {
    strings: Vec<Cow<'a, str>>,
    index: HashMap<Cow<'a, str>, u32>,
}

impl<'a> TextTable<'a> {
    /// Returns the index of `text`, adding it on first use.
    pub(super) fn add(&mut self, text: impl Into<Cow<'a, str>>) -> u32 {
        let text = text.into();
        if let Some(&index) = self.index.get(&text) {
            return index;
        }
        let index = u32::try_from(self.strings.len()).expect("fewer than 2^32 distinct strings");
        self.strings.push(text.clone());
        self.index.insert(text, index);
        index
    }
}

impl serde::Serialize for TextTable<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.strings.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_each_string_once_in_first_use_order() {
        let mut table = TextTable::default();
        assert_eq!(table.add("b"), 0);
        assert_eq!(table.add(String::from("a")), 1);
        assert_eq!(table.add("b"), 0);
        assert_eq!(serde_json::to_string(&table).unwrap(), r#"["b","a"]"#);
    }
}
