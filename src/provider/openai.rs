//! [`OpenAiProvider`]: chat completions at any OpenAI-compatible base URL (OpenAI, vLLM,
//! llama.cpp, Ollama, …).

use std::time::Instant;

use serde_json::{Value, json};

use super::http::{BODY_EXCERPT, Endpoint, malformed};
use super::model::{ChatRequest, EmbedRequest, Embeddings, ProviderError};
use crate::chat::{ModelOutput, ProviderErrorKind, Usage};
use crate::config::{GenerationParams, Target};
use crate::util::format::excerpt;

/// The most tokens a judge may answer with unless the grader sets `max-tokens`: a verdict
/// with a reason needs far fewer, and a grader that rambles is cut rather than billed.
pub(crate) const JUDGE_MAX_TOKENS: u32 = 512;

/// A client for one OpenAI-compatible target.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiProvider {
    endpoint: Endpoint,
    /// `{base-url}/embeddings`, for a target used as an embedder.
    embeddings: Endpoint,
    model: String,
    params: GenerationParams,
    stream: bool,
}

impl OpenAiProvider {
    /// Creates the provider for `target`, sharing `client`'s connection pool.
    #[must_use]
    pub(crate) fn new(target: &Target, client: reqwest::Client, api_key: Option<String>) -> Self {
        let base = target
            .base_url
            .as_deref()
            .unwrap_or("https://api.openai.com/v1");
        Self {
            embeddings: Endpoint::new(
                client.clone(),
                target,
                crate::util::url::endpoint_url(base, &["embeddings"]),
                api_key.clone(),
            ),
            endpoint: Endpoint::new(
                client,
                target,
                crate::util::url::endpoint_url(base, &["chat", "completions"]),
                api_key,
            ),
            model: target.model.clone(),
            params: target.params.clone(),
            stream: target.stream,
        }
    }

    /// Returns the JSON body sent for a request.
    #[must_use]
    pub(crate) fn body(&self, request: &ChatRequest<'_>) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": request.messages,
        });
        let object = body.as_object_mut().expect("the body literal is an object");
        if let Some(judge) = request.judge {
            // A judge samples greedily and answers in JSON; a grader's own `params` (applied
            // below) may still turn JSON mode off or ask for a schema.
            object.insert("temperature".to_owned(), json!(0));
            object.insert(
                "max_tokens".to_owned(),
                json!(self.params.max_tokens.unwrap_or(JUDGE_MAX_TOKENS)),
            );
            if let Some(seed) = judge.seed {
                object.insert("seed".to_owned(), json!(seed));
            }
            object.insert("response_format".to_owned(), json!({"type": "json_object"}));
        } else {
            if let Some(temperature) = self.params.temperature {
                object.insert("temperature".to_owned(), json!(temperature));
            }
            if let Some(max_tokens) = self.params.max_tokens {
                object.insert("max_tokens".to_owned(), json!(max_tokens));
            }
            if let Some(seed) = self.params.seed {
                object.insert("seed".to_owned(), json!(seed));
            }
        }
        if self.stream {
            // Without `include_usage` a stream reports no token counts.
            object.insert("stream".to_owned(), json!(true));
            object.insert("stream_options".to_owned(), json!({"include_usage": true}));
        }
        for (key, value) in &self.params.extra {
            object.insert(key.clone(), value.clone());
        }
        body
    }

    /// Returns what decides the answer, for the response cache: the endpoint and the exact
    /// body (model, parameters, messages). The key is a header and never part of it.
    #[must_use]
    pub(crate) fn canonical_request(&self, request: &ChatRequest<'_>) -> Value {
        json!({
            "provider": "openai",
            "url": self.endpoint.url,
            "body": self.body(request),
        })
    }

    /// Sends one request and parses the answer, streamed or whole.
    pub(crate) async fn complete(
        &self,
        request: &ChatRequest<'_>,
    ) -> Result<ModelOutput, ProviderError> {
        let started = Instant::now();
        let mut builder = self.endpoint.post().json(&self.body(request));
        if let Some(key) = self.endpoint.api_key() {
            builder = builder.bearer_auth(key);
        }
        let response = self.endpoint.send(builder, describe_error_body).await?;
        if !self.stream {
            return self
                .endpoint
                .read_answer(response, started, parse_completion)
                .await;
        }
        let mut output = super::stream::read_chat_stream(&self.endpoint, response, started)
            .await
            .map_err(|mut error| {
                error.message = self.endpoint.redacted(&format!(
                    "{} ({})",
                    error.message,
                    crate::util::url::shown_url(&self.endpoint.url)
                ));
                error
            })?;
        output.text = self.endpoint.redacted(&output.text);
        Ok(output)
    }
}

impl OpenAiProvider {
    /// Returns the body of an embeddings request.
    fn embeddings_body(&self, request: &EmbedRequest<'_>) -> Value {
        json!({
            "model": self.model,
            "input": request.inputs,
            "encoding_format": "float",
        })
    }

    /// Returns what decides the vectors, for the response cache.
    #[must_use]
    pub(crate) fn canonical_embed_request(&self, request: &EmbedRequest<'_>) -> Value {
        json!({
            "provider": "openai",
            "url": self.embeddings.url,
            "body": self.embeddings_body(request),
        })
    }

    /// Embeds the request's texts.
    pub(crate) async fn embed(
        &self,
        request: &EmbedRequest<'_>,
    ) -> Result<Embeddings, ProviderError> {
        let mut builder = self.embeddings.post().json(&self.embeddings_body(request));
        if let Some(key) = self.embeddings.api_key() {
            builder = builder.bearer_auth(key);
        }
        let response = self.embeddings.send(builder, describe_error_body).await?;
        let text = self.embeddings.read_text(response).await?;
        parse_embeddings(&text, request.inputs.len()).map_err(|mut error| {
            error.message = self.embeddings.redacted(&error.message);
            error
        })
    }
}

/// Parses an embeddings body: one vector per input, placed by `index`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "embedding models compute in f32; JSON only widens them"
)]
pub(crate) fn parse_embeddings(text: &str, inputs: usize) -> Result<Embeddings, ProviderError> {
    let body: Value = serde_json::from_str(text).map_err(|_| malformed(text, "not JSON"))?;
    let data = body
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(text, "no `data` array"))?;
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; inputs];
    for (position, item) in data.iter().enumerate() {
        let index = item
            .get("index")
            .and_then(Value::as_u64)
            .and_then(|index| usize::try_from(index).ok())
            .unwrap_or(position);
        let vector = item
            .get("embedding")
            .and_then(Value::as_array)
            .and_then(|numbers| {
                numbers
                    .iter()
                    .map(|number| number.as_f64().map(|x| x as f32))
                    .collect::<Option<Vec<f32>>>()
            })
            .ok_or_else(|| malformed(text, "an `embedding` is not a list of numbers"))?;
        let slot = vectors
            .get_mut(index)
            .ok_or_else(|| malformed(text, "an embedding's `index` is past the inputs"))?;
        *slot = Some(vector);
    }
    let vectors = vectors
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| malformed(text, "fewer embeddings than inputs"))?;
    let usage = body.get("usage").and_then(|usage| {
        Some(Usage {
            prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
            completion_tokens: 0,
        })
    });
    Ok(Embeddings {
        vectors,
        usage,
        model: body.get("model").and_then(Value::as_str).map(str::to_owned),
        cached: false,
    })
}

/// An OpenAI-compatible error body is shown as it is: servers differ in its shape.
fn describe_error_body(text: &str) -> String {
    excerpt(text.trim(), BODY_EXCERPT)
}

/// Parses a chat-completions body into an answer.
pub(crate) fn parse_completion(text: &str) -> Result<ModelOutput, ProviderError> {
    let body: Value = serde_json::from_str(text).map_err(|_| malformed(text, "not JSON"))?;
    let choices = body
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(text, "no `choices` array"))?;
    let Some(choice) = choices.first() else {
        return Err(ProviderError::new(
            ProviderErrorKind::Empty,
            "the API returned no choices",
        ));
    };
    let message = choice
        .get("message")
        .ok_or_else(|| malformed(text, "no `message` in the first choice"))?;
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        return Err(ProviderError::new(
            ProviderErrorKind::Refusal,
            format!(
                "the API refused to answer: {}",
                excerpt(refusal, BODY_EXCERPT)
            ),
        ));
    }
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let content = match message.get("content") {
        Some(Value::String(content)) => content.clone(),
        Some(Value::Null) | None if finish_reason.as_deref() == Some("content_filter") => {
            return Err(ProviderError::new(
                ProviderErrorKind::Refusal,
                "the API's content filter blocked the answer",
            ));
        }
        Some(Value::Null) | None => {
            return Err(ProviderError::new(
                ProviderErrorKind::Empty,
                "the API returned no content",
            ));
        }
        Some(_) => return Err(malformed(text, "`content` is not a string")),
    };
    let usage = body.get("usage").and_then(|usage| {
        Some(Usage {
            prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
            completion_tokens: usage.get("completion_tokens")?.as_u64()?,
        })
    });
    Ok(ModelOutput {
        text: content,
        usage,
        model: body.get("model").and_then(Value::as_str).map(str::to_owned),
        finish_reason,
        ..ModelOutput::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_completion_with_usage() {
        let output = parse_completion(
            r#"{"model":"m","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!(output.text, "hi");
        assert_eq!(
            output.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 1
            })
        );
        assert_eq!(output.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn malformed_empty_and_refusal_are_distinct_errors() {
        assert_eq!(
            parse_completion("{\"choices\": [").unwrap_err().kind,
            ProviderErrorKind::Malformed
        );
        assert_eq!(
            parse_completion(r#"{"choices": []}"#).unwrap_err().kind,
            ProviderErrorKind::Empty
        );
        let refusal =
            parse_completion(r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#)
                .unwrap_err();
        assert_eq!(refusal.kind, ProviderErrorKind::Refusal);
        assert_eq!(refusal.message, "the API refused to answer: no");
    }
}
