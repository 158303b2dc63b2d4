//! [`MockProvider`]: the built-in offline, deterministic target.
//!
//! It answers with the case's `mock-answer`, else the first rule of the target whose regex
//! matches the last user message, else an echo of that message. The example suites use it,
//! so they run with no key and no network. As an embedder it returns a hashed bag of words:
//! texts with the same words get cosine 1 and texts sharing none 0, enough to try `similar`
//! offline and nothing like a real embedding model.

use super::model::{ChatRequest, EmbedRequest, Embeddings};
use crate::chat::{Message, ModelOutput, Role};
use crate::config::{MockRule, Target};

/// The built-in offline target.
#[derive(Debug, Clone)]
pub(crate) struct MockProvider {
    model: String,
    rules: Vec<MockRule>,
}

impl MockProvider {
    /// Creates the mock for `target`.
    #[must_use]
    pub(crate) fn new(target: &Target) -> Self {
        Self {
            model: target.model.clone(),
            rules: target.rules.clone(),
        }
    }

    /// Answers a request at once.
    #[must_use]
    pub(crate) fn complete(&self, request: &ChatRequest<'_>) -> ModelOutput {
        let text = request.mock_answer.map_or_else(
            || {
                let user = last_user_message(request.messages);
                self.rules
                    .iter()
                    .find(|rule| rule.pattern.is_match(user))
                    .map_or_else(|| format!("mock: {user}"), |rule| rule.answer.clone())
            },
            str::to_owned,
        );
        ModelOutput {
            text,
            model: Some(self.model.clone()),
            finish_reason: Some("stop".to_owned()),
            // The whole answer is there at once.
            ttft_ms: Some(0),
            ..ModelOutput::default()
        }
    }
}

/// The dimensions of the mock's embeddings.
const MOCK_DIMENSIONS: usize = 64;

impl MockProvider {
    /// Embeds each input as a normalised, hashed bag of its lowercase words.
    #[must_use]
    pub(crate) fn embed(&self, request: &EmbedRequest<'_>) -> Embeddings {
        Embeddings {
            vectors: request
                .inputs
                .iter()
                .map(|text| bag_of_words(text))
                .collect(),
            usage: None,
            model: Some(self.model.clone()),
            cached: false,
        }
    }
}

fn bag_of_words(text: &str) -> Vec<f32> {
    let mut vector = vec![0.0_f32; MOCK_DIMENSIONS];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let hash = crate::util::hash::sha256_hex(word.to_lowercase().as_bytes());
        let bucket = usize::from_str_radix(&hash[..8], 16).expect("hex digits") % MOCK_DIMENSIONS;
        vector[bucket] += 1.0;
    }
    vector
}

fn last_user_message(messages: &[Message]) -> &str {
    messages
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .map_or("", |message| message.content.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock(rules: &[(&str, &str)]) -> MockProvider {
        let mut target = Target::builtin_mock("mock");
        target.rules = rules
            .iter()
            .map(|(pattern, answer)| MockRule {
                pattern: regex::Regex::new(pattern).unwrap(),
                answer: (*answer).to_owned(),
            })
            .collect();
        MockProvider::new(&target)
    }

    #[test]
    fn scripted_answer_wins_then_rules_then_echo() {
        let provider = mock(&[("(?i)refund", "Refunds take 5 days.")]);
        let messages = [
            Message::new(Role::System, "sys"),
            Message::new(Role::User, "A refund please"),
        ];
        let scripted = ChatRequest {
            case_id: "s::c",
            attempt: 1,
            messages: &messages,
            mock_answer: Some("scripted"),
            chat_prompt: false,
            judge: None,
        };
        assert_eq!(provider.complete(&scripted).text, "scripted");
        let ruled = ChatRequest {
            case_id: "s::c",
            attempt: 1,
            messages: &messages,
            mock_answer: None,
            chat_prompt: false,
            judge: None,
        };
        assert_eq!(provider.complete(&ruled).text, "Refunds take 5 days.");
        let other = [Message::new(Role::User, "hello")];
        let echoed = ChatRequest {
            case_id: "s::c",
            attempt: 1,
            messages: &other,
            mock_answer: None,
            chat_prompt: false,
            judge: None,
        };
        assert_eq!(provider.complete(&echoed).text, "mock: hello");
    }
}
