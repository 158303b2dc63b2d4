//! [`LocatedValue`]: a YAML document read as a JSON value, with where each of its values and
//! mapping keys starts, so a problem found on the JSON value (by a JSON Schema) can be shown
//! at its place in the file.

use std::collections::HashMap;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::parse::{parse_yaml_text, span_start};

/// A YAML document as a JSON value, and the place of every value in it.
#[derive(Debug)]
pub(crate) struct LocatedValue {
    /// The document.
    pub(crate) value: serde_json::Value,
    /// Where each value starts, by JSON pointer (`/cases/0/user`); for a mapping's values
    /// also where their key starts.
    places: HashMap<String, Place>,
}

/// Where a value (and its key, in a mapping) starts: 1-based line and column.
#[derive(Debug, Clone, Copy)]
struct Place {
    key: Option<(usize, usize)>,
    value: (usize, usize),
}

impl LocatedValue {
    /// Reads YAML `text`; `None` when it is not YAML at all (a syntax error).
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let tree: Spanned<Tree> = parse_yaml_text(text).ok()?;
        let mut places = HashMap::new();
        let value = flatten(tree, String::new(), None, &mut places);
        Some(Self { value, places })
    }

    /// Returns where the value at `pointer` starts, or the nearest enclosing value that has a
    /// place.
    #[must_use]
    pub(crate) fn value_at(&self, pointer: &str) -> Option<(usize, usize)> {
        self.nearest(pointer).map(|place| place.value)
    }

    /// Returns where the key of the mapping entry at `pointer` starts (its value's place for
    /// a list item), or the nearest enclosing place.
    #[must_use]
    pub(crate) fn key_at(&self, pointer: &str) -> Option<(usize, usize)> {
        self.nearest(pointer)
            .map(|place| place.key.unwrap_or(place.value))
    }

    fn nearest(&self, pointer: &str) -> Option<&Place> {
        let mut pointer = pointer;
        loop {
            if let Some(place) = self.places.get(pointer) {
                return Some(place);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }
}

/// Escapes one JSON pointer segment.
#[must_use]
pub(crate) fn pointer_segment(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

fn flatten(
    tree: Spanned<Tree>,
    pointer: String,
    key: Option<(usize, usize)>,
    places: &mut HashMap<String, Place>,
) -> serde_json::Value {
    let value_place = span_start(&tree);
    let value = match tree.value {
        Tree::Scalar(value) => value,
        Tree::Seq(items) => serde_json::Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| flatten(item, format!("{pointer}/{index}"), None, places))
                .collect(),
        ),
        Tree::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (name, item) in entries {
                let key_place = span_start(&name);
                let child = format!("{pointer}/{}", pointer_segment(&name.value.0));
                let value = flatten(item, child, Some(key_place), places);
                map.insert(name.value.0, value);
            }
            serde_json::Value::Object(map)
        }
    };
    places.insert(
        pointer,
        Place {
            key,
            value: value_place,
        },
    );
    value
}

/// A YAML node whose children keep their places.
enum Tree {
    Scalar(serde_json::Value),
    Seq(Vec<Spanned<Tree>>),
    Map(Vec<(Spanned<Key>, Spanned<Tree>)>),
}

/// A mapping key as text (JSON keys are strings; `1:` becomes `"1"`).
struct Key(String);

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Tree, E> {
        Ok(Tree::Scalar(value.into()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Tree, E> {
        Ok(Tree::Scalar(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Tree, E> {
        Ok(Tree::Scalar(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Tree, E> {
        Ok(Tree::Scalar(value.into()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Tree, E> {
        Ok(Tree::Scalar(value.into()))
    }

    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Scalar(serde_json::Value::Null))
    }

    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Scalar(serde_json::Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        Tree::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Tree::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a mapping key")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Key, E> {
        Ok(Key(value.to_string()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Key, E> {
        Ok(Key(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Key, E> {
        Ok(Key(value.to_string()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Key, E> {
        Ok(Key(value.to_string()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Key, E> {
        Ok(Key(value.to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Key, E> {
        Ok(Key("null".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_keys_keep_their_places() {
        let text = "prompt: {id: x}\ncases:\n  - name: a\n    usr: hi\n  - name: b\n";
        let located = LocatedValue::parse(text).unwrap();
        assert_eq!(located.value["cases"][0]["usr"], "hi");
        assert_eq!(located.key_at("/cases/0/usr"), Some((4, 5)));
        assert_eq!(located.value_at("/cases/0/usr"), Some((4, 10)));
        assert_eq!(located.value_at("/cases/1"), Some((5, 5)));
        assert_eq!(located.key_at("/prompt/id"), Some((1, 10)));
        // A place the document does not have falls back to the nearest one it has.
        assert_eq!(located.value_at("/cases/1/name/x"), Some((5, 11)));
        assert!(LocatedValue::parse("a: [").is_none());
    }
}
