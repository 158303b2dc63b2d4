//! [`AssertionSpec`]: an assertion as a suite writes it, before it is compiled.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One string or a list of strings (`contains: phone` or `contains: [phone, call]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_owned()]))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                if items.is_empty() {
                    return Err(de::Error::invalid_length(0, &"at least one string"));
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// An assertion as written in a suite: one key naming the kind, and its argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) enum AssertionSpec {
    /// The answer equals the text exactly (surrounding whitespace ignored).
    Equals(String),
    /// Every string appears in the answer.
    Contains(OneOrMany),
    /// Every string appears in the answer, ignoring case.
    Icontains(OneOrMany),
    /// At least one string appears in the answer.
    ContainsAny(OneOrMany),
    /// At least one string appears in the answer, ignoring case.
    IcontainsAny(OneOrMany),
    /// No string appears in the answer.
    NotContains(OneOrMany),
    /// No string appears in the answer, ignoring case.
    NotIcontains(OneOrMany),
    /// The answer starts with the text (leading whitespace ignored).
    StartsWith(String),
    /// The answer ends with the text (trailing whitespace ignored).
    EndsWith(String),
    /// The regular expression matches somewhere in the answer.
    Regex(String),
    /// The regular expression matches nowhere in the answer.
    NotRegex(String),
    /// The answer parses as JSON (`is-json: true`).
    IsJson(bool),
    /// The answer is JSON valid against the schema (inline, or a path to a schema file).
    JsonSchema(serde_json::Value),
    /// The answer has at most this many characters.
    MaxChars(usize),
    /// The answer has at least this many characters.
    MinChars(usize),
    /// The whole request took at most this many milliseconds.
    MaxLatencyMs(u64),
    /// The first token arrived within this many milliseconds (streaming targets).
    MaxTtftMs(u64),
    /// At least one of the assertions passes.
    Any(Vec<Spanned<AssertionSpec>>),
    /// Every assertion passes.
    All(Vec<Spanned<AssertionSpec>>),
    /// The assertion fails.
    Not(Box<Spanned<AssertionSpec>>),
    /// A program judges the answer: it reads it on stdin, exit 0 passes, stdout is the reason.
    Command(OneOrMany),
}
