//! [`LocatedValue`]: a YAML document read as a JSON value, with where each of its values and
//! mapping keys starts, so a problem found on the JSON value (by a JSON Schema) can be shown
//! at its place in the file.

use std::collections::HashMap;

use super::node::{Node, NodeKind};
use super::parse::parse_yaml_text;

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
        let tree: Node = parse_yaml_text(text).ok()?;
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
    node: Node,
    pointer: String,
    key: Option<(usize, usize)>,
    places: &mut HashMap<String, Place>,
) -> serde_json::Value {
    let value_place = (node.line, node.column);
    let value = match node.kind {
        NodeKind::List(items) => serde_json::Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| flatten(item, format!("{pointer}/{index}"), None, places))
                .collect(),
        ),
        NodeKind::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (name, item) in entries {
                let key_text = name.key_text();
                let child = format!("{pointer}/{}", pointer_segment(&key_text));
                let value = flatten(item, child, Some((name.line, name.column)), places);
                map.insert(key_text, value);
            }
            serde_json::Value::Object(map)
        }
        scalar => Node {
            kind: scalar,
            ..node
        }
        .to_json(),
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
