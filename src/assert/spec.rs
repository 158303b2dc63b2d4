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

impl schemars::JsonSchema for OneOrMany {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OneOrMany".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A string, or a list of at least one string.",
            "anyOf": [
                { "type": ["string", "integer"] },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

/// The schema of a [`TextOrOptions`] value: its short form (a text, or for kinds that take one
/// a list of texts) or its mapping of options.
fn text_or_options_schema<T: TextOrOptions + schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    let options = generator.subschema_for::<T>();
    let short = if T::from_list(vec![String::new()]).is_some() {
        generator.subschema_for::<OneOrMany>()
    } else {
        schemars::json_schema!({ "type": "string" })
    };
    schemars::json_schema!({ "anyOf": [short, options] })
}

/// An assertion as written in a suite: one key naming the kind, and its argument.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    Any(#[schemars(with = "Vec<AssertionSpec>")] Vec<Spanned<AssertionSpec>>),
    /// Every assertion passes.
    All(#[schemars(with = "Vec<AssertionSpec>")] Vec<Spanned<AssertionSpec>>),
    /// The assertion fails.
    Not(#[schemars(with = "Box<AssertionSpec>")] Box<Spanned<AssertionSpec>>),
    /// A program judges the answer: it reads it on stdin, exit 0 passes, stdout is the reason.
    Command(OneOrMany),
    /// A grader model judges the answer against a rubric.
    Rubric(
        #[serde(deserialize_with = "text_or_options")]
        #[schemars(schema_with = "text_or_options_schema::<RubricSpec>")]
        RubricSpec,
    ),
    /// A grader model compares the answer's facts with a reference answer.
    Factuality(
        #[serde(deserialize_with = "text_or_options")]
        #[schemars(schema_with = "text_or_options_schema::<FactualitySpec>")]
        FactualitySpec,
    ),
    /// The answer's embedding is close to one of the texts'.
    Similar(
        #[serde(deserialize_with = "text_or_options")]
        #[schemars(schema_with = "text_or_options_schema::<SimilarSpec>")]
        SimilarSpec,
    ),
}

/// Values that a suite may write as one text or as a mapping of options
/// (`rubric: TEXT` or `rubric: {text: TEXT, votes: 3}`).
pub(crate) trait TextOrOptions: Sized {
    /// What the visitor expects, for error messages.
    const EXPECTING: &'static str;

    /// Builds the value from the short form.
    fn from_text(text: String) -> Self;

    /// Builds the value from a list of texts, when the kind takes one.
    fn from_list(_items: Vec<String>) -> Option<Self> {
        None
    }
}

/// Deserialises a [`TextOrOptions`] value without `#[serde(untagged)]`, so a mistake inside
/// the mapping keeps its own message ("unknown field `vote`, expected …").
pub(crate) fn text_or_options<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TextOrOptions + Deserialize<'de>,
{
    struct TextOrOptionsVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: TextOrOptions + Deserialize<'de>> Visitor<'de> for TextOrOptionsVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from_text(value.to_owned()))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item);
            }
            if items.is_empty() {
                return Err(de::Error::invalid_length(0, &"at least one text"));
            }
            T::from_list(items).ok_or_else(|| de::Error::invalid_type(de::Unexpected::Seq, &self))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_any(TextOrOptionsVisitor(std::marker::PhantomData))
}

/// `rubric:` what a good answer does, judged by a grader model.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RubricSpec {
    /// The rubric.
    pub(crate) text: String,
    /// The score (0 to 1) the judge must give; without it the judge's `pass` decides.
    #[schemars(with = "Option<f64>")]
    pub(crate) threshold: Option<Spanned<f64>>,
    /// Independent judge calls decided by majority (odd).
    #[schemars(with = "Option<u32>")]
    pub(crate) votes: Option<Spanned<u32>>,
    /// The grader target, over the suite's and `promptci.yaml`'s.
    #[schemars(with = "Option<String>")]
    pub(crate) grader: Option<Spanned<String>>,
}

impl TextOrOptions for RubricSpec {
    const EXPECTING: &'static str = "a rubric, or a mapping with `text` and options";
    fn from_text(text: String) -> Self {
        Self {
            text,
            threshold: None,
            votes: None,
            grader: None,
        }
    }
}

/// `factuality:` the reference answer the answer's facts are compared with.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct FactualitySpec {
    /// The reference answer.
    pub(crate) reference: String,
    /// The categories that pass (default: every one but `disagrees`).
    #[schemars(with = "Option<Vec<crate::assert::judge::parse::Category>>")]
    pub(crate) pass: Option<Spanned<Vec<crate::assert::judge::parse::Category>>>,
    /// Independent judge calls decided by majority (odd).
    #[schemars(with = "Option<u32>")]
    pub(crate) votes: Option<Spanned<u32>>,
    /// The grader target, over the suite's and `promptci.yaml`'s.
    #[schemars(with = "Option<String>")]
    pub(crate) grader: Option<Spanned<String>>,
}

impl TextOrOptions for FactualitySpec {
    const EXPECTING: &'static str = "a reference answer, or a mapping with `reference` and options";
    fn from_text(reference: String) -> Self {
        Self {
            reference,
            pass: None,
            votes: None,
            grader: None,
        }
    }
}

/// `similar:` texts the answer's embedding must be close to (any one of them).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SimilarSpec {
    /// The reference texts.
    pub(crate) text: OneOrMany,
    /// The cosine similarity the closest reference must reach.
    #[schemars(with = "Option<f64>")]
    pub(crate) threshold: Option<Spanned<f64>>,
    /// The embedder target, over the suite's and `promptci.yaml`'s.
    #[schemars(with = "Option<String>")]
    pub(crate) embedder: Option<Spanned<String>>,
}

impl TextOrOptions for SimilarSpec {
    const EXPECTING: &'static str = "a text, a list of texts, or a mapping with `text` and options";
    fn from_text(text: String) -> Self {
        Self::from_texts(vec![text])
    }
    fn from_list(items: Vec<String>) -> Option<Self> {
        Some(Self::from_texts(items))
    }
}

impl SimilarSpec {
    fn from_texts(texts: Vec<String>) -> Self {
        Self {
            text: OneOrMany(texts),
            threshold: None,
            embedder: None,
        }
    }
}
