//! [`Node`]: a YAML (or JSON) document read as a generic tree that remembers where every value
//! and mapping key starts, for readers that walk a loose format by hand (promptfoo configs in
//! the importer) and for pointing at the place of a problem found on the document as a whole
//! (the shape check's [`super::LocatedValue`]).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::parse::span_start;

/// A value of a document and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub(crate) kind: NodeKind,
    /// The 1-based line.
    pub(crate) line: usize,
    /// The 1-based column.
    pub(crate) column: usize,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    Text(String),
    /// A sequence.
    List(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Returns the value under `key` when this is a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .find(|(name, _)| name.as_str() == Some(key))
            .map(|(_, value)| value)
    }

    /// Returns the entries of a mapping (nothing for other shapes).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Node, &Node)> {
        let entries: &[(Node, Node)] = match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(key, value)| (key, value))
    }

    /// Returns the string, when this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Returns the items of a sequence, when this is one.
    pub(crate) fn as_list(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::List(items) => Some(items),
            _ => None,
        }
    }

    /// Returns true for a mapping.
    pub(crate) fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    /// Returns the text of a scalar as a string (`42`, `true`), as loose formats read one.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Text(text) => Some(text.clone()),
            NodeKind::Number(number) => Some(number.to_string()),
            NodeKind::Bool(value) => Some(value.to_string()),
            _ => None,
        }
    }

    /// Returns the value as JSON (mappings keep their order only as far as JSON objects do).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            NodeKind::Null => serde_json::Value::Null,
            NodeKind::Bool(value) => serde_json::Value::Bool(*value),
            NodeKind::Number(number) => serde_json::Value::Number(number.clone()),
            NodeKind::Text(text) => serde_json::Value::String(text.clone()),
            NodeKind::List(items) => items.iter().map(Node::to_json).collect(),
            NodeKind::Map(entries) => entries
                .iter()
                .map(|(key, value)| (key.key_text(), value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// Returns a mapping key as text.
    pub(crate) fn key_text(&self) -> String {
        self.scalar_text().unwrap_or_else(|| "~".to_owned())
    }

    /// Returns a short name of the node's shape for messages.
    pub(crate) fn shape(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "nothing",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::Text(_) => "a string",
            NodeKind::List(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<NodeKind>::deserialize(deserializer)?;
        let (line, column) = span_start(&spanned);
        Ok(Self {
            kind: spanned.value,
            line,
            column,
        })
    }
}

impl<'de> Deserialize<'de> for NodeKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<NodeKind, D::Error> {
        NodeKind::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<NodeKind, E> {
        Ok(NodeKind::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<NodeKind, E> {
        Ok(serde_json::Number::from_f64(value).map_or(NodeKind::Null, NodeKind::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NodeKind, E> {
        Ok(NodeKind::Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<NodeKind, E> {
        Ok(NodeKind::Text(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeKind::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(NodeKind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourceFile;

    fn parse(text: &str) -> Node {
        crate::yaml::parse_yaml(&SourceFile::new("c.yaml", text)).unwrap()
    }

    #[test]
    fn every_value_keeps_its_line_and_column() {
        let node = parse("prompts:\n  - 'Hi {{a}}'\ntests:\n  - vars: {a: 1}\n");
        let prompt = &node.get("prompts").unwrap().as_list().unwrap()[0];
        assert_eq!((prompt.line, prompt.column), (2, 5));
        assert_eq!(prompt.as_str(), Some("Hi {{a}}"));
        let vars = node.get("tests").unwrap().as_list().unwrap()[0]
            .get("vars")
            .unwrap();
        assert_eq!(vars.get("a").unwrap().scalar_text().as_deref(), Some("1"));
        assert_eq!((vars.line, vars.column), (4, 11));
    }

    #[test]
    fn json_configs_read_as_yaml() {
        let node = parse("{\"providers\": [\"echo\"], \"n\": 0.5, \"x\": null}");
        assert_eq!(
            node.to_json(),
            serde_json::json!({"providers": ["echo"], "n": 0.5, "x": null})
        );
    }
}
