//! Reading a grader's answer as a verdict: [`read_rubric`] and [`read_factuality`].
//!
//! Graders are asked for one JSON object, and often wrap it anyway: in a code fence, after
//! "Sure! Here is my evaluation:", before a closing remark. Candidates are tried in order —
//! the whole answer, each fenced block, then every balanced `{…}` span found by a
//! string-aware scan — and the first object with the expected keys wins. Anything else is
//! [`Unreadable`], which the caller turns into an error of the assertion, never a failure.

use serde_json::{Map, Value};

/// Why an answer could not be read as a verdict (shown with an excerpt of the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreadable {
    /// What was missing or wrong.
    pub(crate) why: String,
}

impl Unreadable {
    fn new(why: impl Into<String>) -> Self {
        Self { why: why.into() }
    }
}

/// A rubric judge's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RubricAnswer {
    /// The judge's `pass`, when it gave one.
    pub(crate) pass: Option<bool>,
    /// The judge's `score` in [0, 1], when it gave one.
    pub(crate) score: Option<f64>,
    /// The judge's reason (empty when it gave none).
    pub(crate) reason: String,
}

/// The factuality categories, in the order the letters A–E name them.
pub(crate) const CATEGORIES: [Category; 5] = [
    Category::Subset,
    Category::Superset,
    Category::Same,
    Category::Disagrees,
    Category::DiffersButConsistent,
];

/// How a submitted answer's facts relate to the reference's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Category {
    /// Some of the reference's facts, consistent with it, nothing more.
    Subset,
    /// All of the reference's facts, consistent with it, and more.
    Superset,
    /// The same facts.
    Same,
    /// At least one statement contradicts the reference.
    Disagrees,
    /// Different, in ways that do not matter for factual correctness.
    DiffersButConsistent,
}

impl Category {
    /// Returns the name used in suites, prompts and reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Subset => "subset",
            Self::Superset => "superset",
            Self::Same => "same",
            Self::Disagrees => "disagrees",
            Self::DiffersButConsistent => "differs-but-consistent",
        }
    }

    /// Reads a category as a grader writes it: the name (any case, `_` or space for `-`) or
    /// the letter A–E.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let normal = text
            .trim()
            .trim_matches(|c: char| c == '(' || c == ')' || c == '.')
            .to_lowercase()
            .replace(['_', ' '], "-");
        if let [letter] = normal.as_bytes()
            && (b'a'..=b'e').contains(letter)
        {
            return Some(CATEGORIES[usize::from(letter - b'a')]);
        }
        CATEGORIES
            .into_iter()
            .find(|category| category.as_str() == normal)
    }
}

/// A factuality judge's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FactualityAnswer {
    /// The category the judge chose.
    pub(crate) category: Category,
    /// The judge's reason.
    pub(crate) reason: String,
}

/// Reads a rubric verdict: `pass` (a bool, or a word such as "yes"/"fail"), `score` (a number
/// in [0, 1]) and `reason`. At least one of `pass` and `score` must be there.
pub(crate) fn read_rubric(answer: &str) -> Result<RubricAnswer, Unreadable> {
    let object = find_object(answer, &["pass", "score"])?;
    let pass = match object.get("pass") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            boolean(value)
                .ok_or_else(|| Unreadable::new(format!("`pass` is {value}, not true or false")))?,
        ),
    };
    let score = match object.get("score") {
        None | Some(Value::Null) => None,
        Some(value) => Some(score(value)?),
    };
    Ok(RubricAnswer {
        pass,
        score,
        reason: reason(&object),
    })
}

/// Reads a factuality verdict: `category` and `reason`.
pub(crate) fn read_factuality(answer: &str) -> Result<FactualityAnswer, Unreadable> {
    let object = find_object(answer, &["category"])?;
    let written = object
        .get("category")
        .and_then(Value::as_str)
        .ok_or_else(|| Unreadable::new("`category` is not a string"))?;
    let category = Category::parse(written).ok_or_else(|| {
        Unreadable::new(format!(
            "`category` is `{written}`, not one of subset, superset, same, disagrees, differs-but-consistent"
        ))
    })?;
    Ok(FactualityAnswer {
        category,
        reason: reason(&object),
    })
}

/// Which of two answers a pairwise judge preferred, in the order it was shown them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Winner {
    /// The answer shown first.
    First,
    /// The answer shown second.
    Second,
    /// Neither.
    Tie,
}

/// A pairwise judge's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PairwiseAnswer {
    /// The preferred answer.
    pub(crate) winner: Winner,
    /// The judge's reason.
    pub(crate) reason: String,
}

/// Reads a pairwise verdict: `winner` (`first`, `second` or `tie`) and `reason`.
pub(crate) fn read_pairwise(answer: &str) -> Result<PairwiseAnswer, Unreadable> {
    let object = find_object(answer, &["winner"])?;
    let written = object
        .get("winner")
        .and_then(Value::as_str)
        .ok_or_else(|| Unreadable::new("`winner` is not a string"))?;
    let winner = match written.trim().to_lowercase().as_str() {
        "first" | "1" | "a" => Winner::First,
        "second" | "2" | "b" => Winner::Second,
        "tie" | "neither" | "both" | "equal" => Winner::Tie,
        _ => {
            return Err(Unreadable::new(format!(
                "`winner` is `{written}`, not first, second or tie"
            )));
        }
    };
    Ok(PairwiseAnswer {
        winner,
        reason: reason(&object),
    })
}

/// Returns the first JSON object in `answer` that has at least one of `keys`.
fn find_object(answer: &str, keys: &[&str]) -> Result<Map<String, Value>, Unreadable> {
    let wanted = |object: &Map<String, Value>| keys.iter().any(|key| object.contains_key(*key));
    let mut saw_object = false;
    for candidate in candidates(answer) {
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(candidate) {
            if wanted(&object) {
                return Ok(object);
            }
            saw_object = true;
        }
    }
    let keys = keys
        .iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(Unreadable::new(if saw_object {
        format!("its JSON has no {keys}")
    } else if answer.trim().is_empty() {
        "the answer is empty".to_owned()
    } else {
        "no JSON object in the answer".to_owned()
    }))
}

/// The texts that may hold the verdict, most likely first.
fn candidates(answer: &str) -> impl Iterator<Item = &str> {
    let whole = std::iter::once(answer.trim());
    whole
        .chain(fenced_blocks(answer))
        .chain(brace_spans(answer))
}

/// The contents of code fences (three backticks, with or without a language tag), in order.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // The language tag runs to the end of the fence's line.
        let body_start = after.find('\n').map_or(after.len(), |newline| newline + 1);
        let body = &after[body_start..];
        let Some(close) = body.find("```") else { break };
        blocks.push(body[..close].trim());
        rest = &body[close + 3..];
    }
    blocks
}

/// Every balanced `{…}` span, outermost first, skipping braces inside JSON strings.
fn brace_spans(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    while let Some(offset) = text[start..].find('{') {
        let open = start + offset;
        let (mut depth, mut in_string, mut escaped) = (0_usize, false, false);
        let mut close = None;
        for (index, &byte) in bytes.iter().enumerate().skip(open) {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(index);
                        break;
                    }
                }
                _ => {}
            }
        }
        match close {
            Some(close) => {
                spans.push(&text[open..=close]);
                start = open + 1;
            }
            None => break,
        }
    }
    spans
}

/// A boolean as graders write it.
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(value) => Some(*value),
        Value::String(text) => match text.trim().to_lowercase().as_str() {
            "true" | "pass" | "passed" | "yes" => Some(true),
            "false" | "fail" | "failed" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A score in [0, 1]: a number or a numeric string. Other ranges are not rescaled: a grader
/// that answers 7 on a 0–1 scale misread the prompt, and guessing its scale would hide that.
fn score(value: &Value) -> Result<f64, Unreadable> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| Unreadable::new(format!("`score` is {value}, not a number")))?;
    if (0.0..=1.0).contains(&number) {
        Ok(number)
    } else {
        Err(Unreadable::new(format!(
            "`score` is {number}, outside 0 to 1"
        )))
    }
}

fn reason(object: &Map<String, Value>) -> String {
    match object.get("reason") {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case(r#"{"reason": "ok", "score": 0.8, "pass": true}"# ; "bare")]
    #[test_case("```json\n{\"reason\": \"ok\", \"score\": 0.8, \"pass\": true}\n```" ; "fenced")]
    #[test_case("```\n{\"reason\": \"ok\", \"score\": 0.8, \"pass\": true}\n```" ; "fenced without a tag")]
    #[test_case("Sure! Here is my evaluation:\n\n{\"reason\": \"ok\", \"score\": 0.8, \"pass\": true}\n\nHope this helps." ; "chatty")]
    #[test_case("I considered {the rubric} first. {\"reason\": \"ok\", \"score\": \"0.8\", \"pass\": \"yes\"}" ; "prose braces and words")]
    fn rubric_verdicts_are_found_where_graders_put_them(answer: &str) {
        assert_eq!(
            read_rubric(answer).unwrap(),
            RubricAnswer {
                pass: Some(true),
                score: Some(0.8),
                reason: "ok".to_owned()
            }
        );
    }

    #[test]
    fn braces_inside_strings_do_not_end_the_object() {
        let answer =
            r#"Verdict: {"reason": "the answer says \"use {braces}\" }", "pass": false} done"#;
        let verdict = read_rubric(answer).unwrap();
        assert_eq!(verdict.pass, Some(false));
        assert_eq!(verdict.reason, "the answer says \"use {braces}\" }");
    }

    #[test]
    fn an_outer_object_without_the_keys_yields_to_an_inner_one() {
        let answer = r#"{"evaluation": {"pass": true, "reason": "fine"}}"#;
        assert_eq!(read_rubric(answer).unwrap().pass, Some(true));
    }

    #[test_case("I think it's fine, lol", "no JSON object in the answer" ; "prose")]
    #[test_case("   ", "the answer is empty" ; "empty")]
    #[test_case(r#"{"verdict": "good"}"#, "its JSON has no `pass` or `score`" ; "wrong keys")]
    #[test_case(r#"{"pass": "maybe"}"#, "`pass` is \"maybe\", not true or false" ; "bad pass")]
    #[test_case(r#"{"pass": true, "score": 7}"#, "`score` is 7, outside 0 to 1" ; "score out of range")]
    #[test_case(r#"{"pass": true, "reason": "unclosed"#, "no JSON object in the answer" ; "cut off")]
    fn unreadable_rubric_answers_say_why(answer: &str, why: &str) {
        assert_eq!(read_rubric(answer).unwrap_err().why, why);
    }

    #[test]
    fn a_score_alone_or_a_pass_alone_is_enough() {
        assert_eq!(read_rubric(r#"{"score": 0.25}"#).unwrap().pass, None);
        let pass_only = read_rubric(r#"{"pass": false}"#).unwrap();
        assert_eq!((pass_only.score, pass_only.reason.as_str()), (None, ""));
    }

    #[test_case("same", Category::Same)]
    #[test_case("Differs-But-Consistent", Category::DiffersButConsistent)]
    #[test_case("differs_but_consistent", Category::DiffersButConsistent)]
    #[test_case("C", Category::Same)]
    #[test_case("(D)", Category::Disagrees)]
    #[test_case("a", Category::Subset)]
    fn categories_are_read_by_name_or_letter(written: &str, expected: Category) {
        let answer = format!(r#"{{"reason": "r", "category": "{written}"}}"#);
        assert_eq!(read_factuality(&answer).unwrap().category, expected);
    }

    #[test]
    fn an_unknown_category_is_unreadable() {
        let error = read_factuality(r#"{"category": "mostly right"}"#).unwrap_err();
        assert!(error.why.contains("`mostly right`"), "{}", error.why);
    }

    #[test]
    fn pairwise_winners() {
        assert_eq!(
            read_pairwise("```json\n{\"winner\": \"Second\", \"reason\": \"clearer\"}\n```")
                .unwrap(),
            PairwiseAnswer {
                winner: Winner::Second,
                reason: "clearer".to_owned()
            }
        );
        assert_eq!(
            read_pairwise(r#"{"winner": "tie"}"#).unwrap().winner,
            Winner::Tie
        );
        assert!(read_pairwise(r#"{"winner": "both bad"}"#).is_err());
    }
}
