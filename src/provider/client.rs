//! [`Provider`]: the closed set of model back-ends, and how a target becomes one.

use super::anthropic::AnthropicProvider;
use super::echo::EchoProvider;
use super::mock::MockProvider;
use super::model::{ChatRequest, EmbedRequest, Embeddings, ProviderError};
use super::openai::OpenAiProvider;
use super::replay::ReplayProvider;
use crate::chat::{ModelOutput, ProviderErrorKind};
use crate::config::{ProviderKind, Target};

/// A model back-end for one target.
#[derive(Debug, Clone)]
pub(crate) enum Provider {
    /// An OpenAI-compatible HTTP API.
    OpenAi(OpenAiProvider),
    /// The Anthropic Messages API.
    Anthropic(AnthropicProvider),
    /// The built-in offline mock.
    Mock(MockProvider),
    /// The built-in offline target that echoes its prompt.
    Echo(EchoProvider),
    /// Answers recorded by an earlier live run.
    Replay(ReplayProvider),
}

impl Provider {
    /// Creates one provider per target (sharing one HTTP client), collecting every target
    /// whose provider cannot be built (a missing API key) before any request.
    pub(crate) fn for_targets(targets: &[Target]) -> Result<Vec<Self>, crate::error::Error> {
        let client = HttpClient::default();
        let mut problems = crate::error::InvalidInput::default();
        let mut providers = Vec::with_capacity(targets.len());
        for target in targets {
            match Self::for_target(target, &client) {
                Ok(provider) => providers.push(provider),
                Err(message) => problems.push(crate::error::Problem::new(message)),
            }
        }
        problems.into_result(providers)
    }

    /// Creates the provider for `target`. Reads the API key from the environment variable the
    /// target names, and fails (before any request) when it is not set.
    pub(crate) fn for_target(target: &Target, client: &HttpClient) -> Result<Self, String> {
        match target.provider {
            ProviderKind::Mock => Ok(Self::Mock(MockProvider::new(target))),
            ProviderKind::Echo => Ok(Self::Echo(EchoProvider::new(target))),
            ProviderKind::Replay => {
                let dir = target.recordings.clone().unwrap_or_else(|| {
                    crate::config::RecordingsDir::new(
                        std::path::Path::new("."),
                        crate::config::DEFAULT_RECORDINGS_DIR,
                    )
                });
                Ok(Self::Replay(ReplayProvider::new(dir.path, dir.shown)))
            }
            ProviderKind::Openai => {
                let api_key = api_key(target)?;
                Ok(Self::OpenAi(OpenAiProvider::new(
                    target,
                    client.get()?,
                    api_key,
                )))
            }
            ProviderKind::Anthropic => {
                let api_key = api_key(target)?;
                Ok(Self::Anthropic(AnthropicProvider::new(
                    target,
                    client.get()?,
                    api_key,
                )))
            }
        }
    }

    /// Sends one request.
    pub(crate) async fn complete(
        &self,
        request: &ChatRequest<'_>,
    ) -> Result<ModelOutput, ProviderError> {
        match self {
            Self::OpenAi(provider) => provider.complete(request).await,
            Self::Anthropic(provider) => provider.complete(request).await,
            Self::Mock(provider) => Ok(provider.complete(request)),
            Self::Echo(provider) => Ok(provider.complete(request)),
            Self::Replay(provider) => provider.complete(request),
        }
    }

    /// Embeds texts (for `similar`).
    pub(crate) async fn embed(
        &self,
        request: &EmbedRequest<'_>,
    ) -> Result<Embeddings, ProviderError> {
        match self {
            Self::OpenAi(provider) => provider.embed(request).await,
            Self::Anthropic(_) => Err(ProviderError::new(
                ProviderErrorKind::Http,
                "the Anthropic API has no embeddings",
            )),
            Self::Mock(provider) => Ok(provider.embed(request)),
            Self::Replay(provider) => provider.embed(request),
            Self::Echo(_) => Err(ProviderError::new(
                ProviderErrorKind::Http,
                "the echo target has no embeddings",
            )),
        }
    }

    /// Returns what decides the vectors of `request`, for the response cache; `None` for
    /// offline targets.
    #[must_use]
    pub(crate) fn canonical_embed_request(
        &self,
        request: &EmbedRequest<'_>,
    ) -> Option<serde_json::Value> {
        match self {
            Self::OpenAi(provider) => Some(provider.canonical_embed_request(request)),
            Self::Anthropic(_) | Self::Mock(_) | Self::Replay(_) | Self::Echo(_) => None,
        }
    }

    /// Returns true when answers come over the network: only those are cached and recorded.
    #[must_use]
    pub(crate) fn is_live(&self) -> bool {
        match self {
            Self::OpenAi(_) | Self::Anthropic(_) => true,
            Self::Mock(_) | Self::Echo(_) | Self::Replay(_) => false,
        }
    }

    /// Returns everything that decides the answer to `request` — provider, endpoint, model,
    /// parameters and messages, never the key — as the response cache's input; `None` for
    /// offline targets, whose answers cost nothing to make again.
    #[must_use]
    pub(crate) fn canonical_request(&self, request: &ChatRequest<'_>) -> Option<serde_json::Value> {
        match self {
            Self::OpenAi(provider) => Some(provider.canonical_request(request)),
            Self::Anthropic(provider) => Some(provider.canonical_request(request)),
            Self::Mock(_) | Self::Echo(_) | Self::Replay(_) => None,
        }
    }
}

/// Fails when a live target's API key variable is unset, as building its provider would.
pub(crate) fn check_api_key(target: &Target) -> Result<(), String> {
    match target.provider {
        ProviderKind::Openai | ProviderKind::Anthropic => api_key(target).map(drop),
        ProviderKind::Mock | ProviderKind::Echo | ProviderKind::Replay => Ok(()),
    }
}

/// Reads a target's API key from the environment variable it names.
fn api_key(target: &Target) -> Result<Option<String>, String> {
    let Some(variable) = &target.api_key_env else {
        return Ok(None);
    };
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
        _ => {
            let place = target
                .defined_at
                .as_deref()
                .map(|at| format!(" ({at})"))
                .unwrap_or_default();
            Err(format!(
                "environment variable `{variable}` is not set; target `{}`{place} reads its API key from it (hint: `export {variable}=…`, or run with `--target mock` to stay offline)",
                target.name
            ))
        }
    }
}

/// How many redirects within one origin a request follows.
const MAX_REDIRECTS: usize = 5;

/// Follows a redirect only to the same scheme, host and port, and only one that keeps the
/// method and body (307, 308). Anything else comes back to the provider as the 3xx it is:
/// reqwest strips `Authorization` across hosts but not `x-api-key`, and re-sends the prompts
/// in the body to wherever a redirect points.
fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same_origin = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    let keeps_method = matches!(attempt.status().as_u16(), 307 | 308);
    if same_origin && keeps_method && attempt.previous().len() <= MAX_REDIRECTS {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// How long establishing a connection may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The one HTTP client of a run, built on first use so offline runs never pay for TLS setup.
#[derive(Debug, Default)]
pub(crate) struct HttpClient {
    client: std::sync::OnceLock<reqwest::Client>,
}

impl HttpClient {
    /// Returns the shared client, building it on first use.
    pub(crate) fn get(&self) -> Result<reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        // reqwest is built without a default crypto provider (to avoid aws-lc's C build); ring
        // must be installed before the first client. A second install is a harmless no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("promptci/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            // A blackholed endpoint fails as a connection error (which trips the circuit
            // breaker) in seconds, not after the whole request timeout.
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(self.client.get_or_init(|| client).clone())
    }
}
