//! [`AnthropicProvider`]: the Anthropic Messages API (`POST /v1/messages`).
//!
//! The API differs from chat completions in ways that matter here: the system prompt is a
//! top-level `system` field, `max_tokens` is required, the key goes in `x-api-key` with an
//! `anthropic-version` header, answers are a list of content blocks, and usage is
//! `input_tokens`/`output_tokens`.

use std::time::Instant;

use serde_json::{Value, json};

use super::http::{BODY_EXCERPT, Endpoint, malformed};
use super::model::{ChatRequest, ProviderError};
use crate::chat::{Message, ModelOutput, ProviderErrorKind, Role, Usage};
use crate::config::{ANTHROPIC_BASE_URL, ANTHROPIC_VERSION, GenerationParams, Target};
use crate::util::format::excerpt;

/// `max_tokens` is required by the API; this is sent when the target sets none.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 1024;

/// A client for one Anthropic target.
#[derive(Debug, Clone)]
pub(crate) struct AnthropicProvider {
    endpoint: Endpoint,
    version: String,
    model: String,
    params: GenerationParams,
}

impl AnthropicProvider {
    /// Creates the provider for `target`, sharing `client`'s connection pool.
    #[must_use]
    pub(crate) fn new(target: &Target, client: reqwest::Client, api_key: Option<String>) -> Self {
        let base = target.base_url.as_deref().unwrap_or(ANTHROPIC_BASE_URL);
        // Accept a base URL written with or without the version segment.
        let url = if crate::util::url::path_ends_with(base, "v1") {
            crate::util::url::endpoint_url(base, &["messages"])
        } else {
            crate::util::url::endpoint_url(base, &["v1", "messages"])
        };
        Self {
            endpoint: Endpoint::new(client, target, url, api_key),
            version: target
                .api_version
                .clone()
                .unwrap_or_else(|| ANTHROPIC_VERSION.to_owned()),
            model: target.model.clone(),
            params: target.params.clone(),
        }
    }

    /// Returns the JSON body sent for a request: system messages joined into `system`, the
    /// rest as `messages`.
    #[must_use]
    pub(crate) fn body(&self, request: &ChatRequest<'_>) -> Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|message| message.role == Role::System)
            .map(|message| message.content.as_str())
            .collect();
        let conversation: Vec<&Message> = request
            .messages
            .iter()
            .filter(|message| message.role != Role::System)
            .collect();
        // The API has no JSON mode and no seed: a judge is asked for JSON in its prompt, its
        // answer is read however it is wrapped, and it samples greedily.
        let default_max_tokens = if request.judge.is_some() {
            super::openai::JUDGE_MAX_TOKENS
        } else {
            DEFAULT_MAX_TOKENS
        };
        let mut body = json!({
            "model": self.model,
            "max_tokens": self.params.max_tokens.unwrap_or(default_max_tokens),
            "messages": conversation,
        });
        let object = body.as_object_mut().expect("the body literal is an object");
        if !system.is_empty() {
            object.insert("system".to_owned(), json!(system.join("\n\n")));
        }
        if request.judge.is_some() {
            object.insert("temperature".to_owned(), json!(0));
        } else if let Some(temperature) = self.params.temperature {
            object.insert("temperature".to_owned(), json!(temperature));
        }
        for (key, value) in &self.params.extra {
            object.insert(key.clone(), value.clone());
        }
        body
    }

    /// Returns what decides the answer, for the response cache (never the key).
    #[must_use]
    pub(crate) fn canonical_request(&self, request: &ChatRequest<'_>) -> Value {
        json!({
            "provider": "anthropic",
            "url": self.endpoint.url,
            "version": self.version,
            "body": self.body(request),
        })
    }

    /// Sends one request and parses the answer.
    pub(crate) async fn complete(
        &self,
        request: &ChatRequest<'_>,
    ) -> Result<ModelOutput, ProviderError> {
        let started = Instant::now();
        let mut builder = self
            .endpoint
            .post()
            .header("anthropic-version", &self.version)
            .json(&self.body(request));
        if let Some(key) = self.endpoint.api_key() {
            builder = builder.header("x-api-key", key);
        }
        let response = self.endpoint.send(builder, describe_error_body).await?;
        self.endpoint
            .read_answer(response, started, parse_message)
            .await
    }
}

/// Turns an API error body (`{"type":"error","error":{"type":…,"message":…}}`) into
/// `type: message`, or an excerpt of whatever the body was.
fn describe_error_body(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let error = parsed.as_ref().and_then(|body| body.get("error"));
    let kind = error
        .and_then(|error| error.get("type"))
        .and_then(Value::as_str);
    let message = error
        .and_then(|error| error.get("message"))
        .and_then(Value::as_str);
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {}", excerpt(message, BODY_EXCERPT)),
        (None, Some(message)) => excerpt(message, BODY_EXCERPT),
        _ => excerpt(text.trim(), BODY_EXCERPT),
    }
}

/// Parses a Messages API body into an answer: the text blocks joined, usage, stop reason.
pub(crate) fn parse_message(text: &str) -> Result<ModelOutput, ProviderError> {
    let body: Value = serde_json::from_str(text).map_err(|_| malformed(text, "not JSON"))?;
    if body.get("type").and_then(Value::as_str) == Some("error") {
        return Err(ProviderError::new(
            ProviderErrorKind::Http,
            format!("the API returned an error: {}", describe_error_body(text)),
        ));
    }
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(text, "no `content` array"))?;
    let stop_reason = body
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let answer: String = blocks
        .iter()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|block| block.get("text").and_then(Value::as_str))
        .collect();
    if stop_reason.as_deref() == Some("refusal") {
        return Err(ProviderError::new(
            ProviderErrorKind::Refusal,
            format!(
                "the API refused to answer (stop_reason `refusal`){}",
                if answer.is_empty() {
                    String::new()
                } else {
                    format!(": {}", excerpt(&answer, BODY_EXCERPT))
                }
            ),
        ));
    }
    if answer.is_empty() {
        return Err(ProviderError::new(
            ProviderErrorKind::Empty,
            format!(
                "the API returned no text (stop_reason `{}`)",
                stop_reason.as_deref().unwrap_or("none")
            ),
        ));
    }
    let usage = body.get("usage").map(|usage| Usage {
        prompt_tokens: usage
            .get("input_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        completion_tokens: usage
            .get("output_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    });
    Ok(ModelOutput {
        text: answer,
        usage,
        model: body.get("model").and_then(Value::as_str).map(str::to_owned),
        finish_reason: stop_reason,
        ..ModelOutput::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;

    fn target(base_url: Option<&str>) -> Target {
        let mut target = Target::builtin_mock("claude");
        target.provider = ProviderKind::Anthropic;
        target.model = "claude-test".to_owned();
        target.base_url = base_url.map(str::to_owned);
        target
    }

    #[test]
    fn the_url_accepts_a_base_with_or_without_v1() {
        let client = crate::provider::HttpClient::default().get().unwrap();
        let url = |base| {
            AnthropicProvider::new(&target(base), client.clone(), None)
                .endpoint
                .url
        };
        assert_eq!(url(None), "https://api.anthropic.com/v1/messages");
        assert_eq!(
            url(Some("http://127.0.0.1:9/v1/")),
            "http://127.0.0.1:9/v1/messages"
        );
        assert_eq!(
            url(Some("http://127.0.0.1:9")),
            "http://127.0.0.1:9/v1/messages"
        );
    }

    #[test]
    fn the_body_moves_system_messages_and_requires_max_tokens() {
        let provider = AnthropicProvider::new(
            &target(None),
            crate::provider::HttpClient::default().get().unwrap(),
            None,
        );
        let messages = [
            Message::new(Role::System, "Be brief."),
            Message::new(Role::User, "Hi"),
        ];
        let request = ChatRequest {
            case_id: "s::c",
            attempt: 1,
            messages: &messages,
            mock_answer: None,
            chat_prompt: false,
            judge: None,
        };
        let body = provider.body(&request);
        assert_eq!(body["system"], "Be brief.");
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(body["messages"], json!([{"role": "user", "content": "Hi"}]));
        assert_eq!(provider.version, "2023-06-01");
    }

    #[test]
    fn parses_blocks_usage_and_stop_reason() {
        let output = parse_message(
            r#"{"type":"message","model":"claude-test","content":[{"type":"text","text":"Hel"},{"type":"tool_use","id":"x"},{"type":"text","text":"lo"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":3}}"#,
        )
        .unwrap();
        assert_eq!(output.text, "Hello");
        assert_eq!(output.finish_reason.as_deref(), Some("end_turn"));
        assert_eq!(
            output.usage,
            Some(Usage {
                prompt_tokens: 12,
                completion_tokens: 3
            })
        );
    }

    #[test]
    fn errors_empty_answers_and_refusals_are_distinct() {
        assert_eq!(
            parse_message("{\"content\": [").unwrap_err().kind,
            ProviderErrorKind::Malformed
        );
        let empty = parse_message(r#"{"content":[],"stop_reason":"max_tokens"}"#).unwrap_err();
        assert_eq!(empty.kind, ProviderErrorKind::Empty);
        assert_eq!(
            empty.message,
            "the API returned no text (stop_reason `max_tokens`)"
        );
        assert_eq!(
            parse_message(r#"{"content":[],"stop_reason":"refusal"}"#)
                .unwrap_err()
                .kind,
            ProviderErrorKind::Refusal
        );
        assert_eq!(
            describe_error_body(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "overloaded_error: Overloaded"
        );
        assert_eq!(describe_error_body("<html>"), "<html>");
    }
}
