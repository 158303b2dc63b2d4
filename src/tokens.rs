//! Offline token counts with the model's own tokenizer: [`Tokenizer`].
//!
//! `tiktoken-rs` carries OpenAI's rank files compiled in, so counting needs no network. The
//! BPE tables take ~100 ms (release) to build, so each [`Encoding`] is built once, on first
//! use, and [`prewarm`] can start building it on a background thread while suites load: a
//! command that never counts (`--version`, `list`) never pays for it.
//!
//! Models map to encodings as OpenAI documents them: `o200k_base` for gpt-4o, gpt-4.1, gpt-5
//! and the o-series, `cl100k_base` for gpt-4 and gpt-3.5. Every other model (Claude, Llama,
//! the offline mock) is counted with `o200k_base` and labelled an estimate.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tiktoken_rs::CoreBPE;

use crate::chat::Message;

/// A BPE encoding `promptci` counts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Encoding {
    /// gpt-4o, gpt-4.1, gpt-5, o1, o3, o4 (and the estimate for unknown models).
    #[serde(rename = "o200k_base")]
    O200kBase,
    /// gpt-4, gpt-3.5-turbo and the ada-002/-3 embeddings.
    #[serde(rename = "cl100k_base")]
    Cl100kBase,
}

impl Encoding {
    /// Returns the encoding's name as tiktoken spells it.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
        }
    }

    /// Returns the BPE tables, building them on first use (blocking while another thread
    /// builds them).
    fn bpe(self) -> &'static CoreBPE {
        static O200K: OnceLock<CoreBPE> = OnceLock::new();
        static CL100K: OnceLock<CoreBPE> = OnceLock::new();
        match self {
            Self::O200kBase => O200K.get_or_init(|| {
                tiktoken_rs::o200k_base().expect("the compiled-in o200k_base ranks parse")
            }),
            Self::Cl100kBase => CL100K.get_or_init(|| {
                tiktoken_rs::cl100k_base().expect("the compiled-in cl100k_base ranks parse")
            }),
        }
    }

    /// Returns the number of tokens of `text`, treating special-token text such as
    /// `<|endoftext|>` as ordinary text, as the chat APIs do for message content.
    #[must_use]
    pub(crate) fn count(self, text: &str) -> u64 {
        u64::try_from(self.bpe().count_ordinary(text)).unwrap_or(u64::MAX)
    }
}

/// How a model's text is counted: its encoding, and whether that is the model's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tokenizer {
    /// The encoding used.
    pub(crate) encoding: Encoding,
    /// True when the encoding is not the model's own, so counts are estimates.
    pub(crate) estimate: bool,
}

/// Tokens every chat message costs beyond its content (OpenAI's documented framing:
/// `<|start|>`, the role, `<|message|>`), for gpt-3.5-turbo-0613 and every later model.
const TOKENS_PER_MESSAGE: u64 = 3;

/// Tokens that prime the assistant's reply (`<|start|>assistant<|message|>`).
const TOKENS_PER_REPLY: u64 = 3;

impl Tokenizer {
    /// Returns the tokenizer for a model name such as `gpt-4o-mini`, `openai/gpt-4.1` or
    /// `claude-sonnet-4`.
    #[must_use]
    pub(crate) fn for_model(model: &str) -> Self {
        let name = model
            .rsplit('/')
            .next()
            .unwrap_or(model)
            .to_ascii_lowercase();
        let exact = |encoding| Self {
            encoding,
            estimate: false,
        };
        let o200k = [
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "chatgpt-4o",
            "o1",
            "o3",
            "o4",
        ];
        let cl100k = [
            "gpt-4",
            "gpt-3.5",
            "gpt-35",
            "text-embedding-3",
            "text-embedding-ada-002",
        ];
        let family = |prefix: &str| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', ':', '.']))
        };
        if o200k.iter().any(|prefix| family(prefix)) {
            exact(Encoding::O200kBase)
        } else if cl100k.iter().any(|prefix| family(prefix)) {
            exact(Encoding::Cl100kBase)
        } else {
            Self {
                encoding: Encoding::O200kBase,
                estimate: true,
            }
        }
    }

    /// Returns the tokens of a plain text.
    #[must_use]
    pub(crate) fn count(self, text: &str) -> u64 {
        self.encoding.count(text)
    }

    /// Returns the prompt tokens of a chat request, as
    /// [`count_messages_cached`](Self::count_messages_cached) counts them.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn count_messages(self, messages: &[Message]) -> u64 {
        self.count_messages_cached(messages, &mut HashMap::new())
    }

    /// Returns the prompt tokens of a chat request: each message's role and content, its
    /// framing, and the reply priming, as the provider bills them. Each content's count is
    /// remembered in `cache`: the cases of a suite share their rendered system prompt, so it is
    /// counted once.
    pub(crate) fn count_messages_cached<'a>(
        self,
        messages: &'a [Message],
        cache: &mut HashMap<(Encoding, &'a str), u64>,
    ) -> u64 {
        let mut total = TOKENS_PER_REPLY;
        for message in messages {
            let role = *cache
                .entry((self.encoding, message.role.as_str()))
                .or_insert_with(|| self.count(message.role.as_str()));
            let content = *cache
                .entry((self.encoding, message.content.as_str()))
                .or_insert_with(|| self.count(&message.content));
            total += TOKENS_PER_MESSAGE + role + content;
        }
        total
    }
}

/// Returns a bound no exact count of [`Tokenizer::count_messages_cached`] can exceed, without a
/// tokenizer: every BPE token of these encodings covers at least one byte of UTF-8, so a
/// prompt of `n` bytes has at most `n` tokens. `check` decides generous budgets with it and
/// builds the tables only for prompts the bound cannot clear.
#[must_use]
pub(crate) fn upper_bound(messages: &[Message]) -> u64 {
    let bytes: usize = messages
        .iter()
        .map(|message| message.role.as_str().len() + message.content.len())
        .sum();
    TOKENS_PER_REPLY
        + TOKENS_PER_MESSAGE * messages.len() as u64
        + u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// Starts building the tables of `encodings` on background threads, so the first count does
/// not wait for them. Returns at once; a count made before the build finishes waits for it.
pub(crate) fn prewarm(encodings: impl IntoIterator<Item = Encoding>) {
    let mut started = Vec::new();
    for encoding in encodings {
        if started.contains(&encoding) {
            continue;
        }
        started.push(encoding);
        // A failed spawn only loses the head start: the first count builds the tables.
        let _ = std::thread::Builder::new()
            .name(format!("tokenizer-{}", encoding.as_str()))
            .spawn(move || {
                let _ = encoding.bpe();
            });
    }
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;
    use crate::chat::Role;

    #[test_case("gpt-4o-mini", Encoding::O200kBase, false)]
    #[test_case("gpt-4o", Encoding::O200kBase, false)]
    #[test_case("gpt-4.1-nano", Encoding::O200kBase, false)]
    #[test_case("o3-mini", Encoding::O200kBase, false)]
    #[test_case("o1", Encoding::O200kBase, false)]
    #[test_case("openai/o4-mini", Encoding::O200kBase, false)]
    #[test_case("gpt-4", Encoding::Cl100kBase, false)]
    #[test_case("gpt-4-turbo", Encoding::Cl100kBase, false)]
    #[test_case("gpt-3.5-turbo", Encoding::Cl100kBase, false)]
    #[test_case("claude-sonnet-4", Encoding::O200kBase, true)]
    #[test_case("mock", Encoding::O200kBase, true)]
    #[test_case("o1x", Encoding::O200kBase, true)]
    fn models_map_to_encodings(model: &str, encoding: Encoding, estimate: bool) {
        assert_eq!(
            Tokenizer::for_model(model),
            Tokenizer { encoding, estimate }
        );
    }

    // Known values from OpenAI's tiktoken.
    #[test_case(Encoding::Cl100kBase, "hello world", 2)]
    #[test_case(Encoding::Cl100kBase, "tiktoken is great!", 6)]
    #[test_case(Encoding::O200kBase, "hello world", 2)]
    #[test_case(Encoding::Cl100kBase, "", 0)]
    fn counts_match_tiktoken(encoding: Encoding, text: &str, expected: u64) {
        assert_eq!(encoding.count(text), expected);
    }

    #[test]
    fn token_ids_match_tiktoken() {
        assert_eq!(
            Encoding::Cl100kBase.bpe().encode_ordinary("hello world"),
            [15339, 1917]
        );
        assert_eq!(
            Encoding::O200kBase.bpe().encode_ordinary("hello world"),
            [24912, 2375]
        );
    }

    #[test]
    fn special_token_text_is_ordinary_text() {
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
    }

    #[test]
    fn chat_framing_is_counted() {
        let tokenizer = Tokenizer::for_model("gpt-4o");
        let messages = [
            Message::new(Role::System, "hello world"),
            Message::new(Role::User, "hello world"),
        ];
        // 3 (reply) + 2 × (3 framing + 1 role + 2 content).
        assert_eq!(tokenizer.count_messages(&messages), 15);
    }

    #[test]
    fn the_upper_bound_is_never_below_the_count() {
        let messages = [
            Message::new(
                Role::System,
                "Réponds en français, s'il te plaît. 日本語も。",
            ),
            Message::new(Role::User, "<|endoftext|> hello"),
        ];
        for model in ["gpt-4o", "gpt-4", "claude"] {
            let tokenizer = Tokenizer::for_model(model);
            assert!(tokenizer.count_messages(&messages) <= upper_bound(&messages));
        }
    }

    #[test]
    fn prewarm_then_count_agree() {
        prewarm([Encoding::Cl100kBase, Encoding::Cl100kBase]);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
    }

    #[test]
    fn counts_with_the_models_tokenizer() {
        let count = |model: &str, text: &str| Tokenizer::for_model(model).count(text);
        assert_eq!(count("gpt-4o", ""), 0);
        assert_eq!(count("gpt-4o", "hello world"), 2);
        assert_eq!(count("gpt-4", "hello world"), 2);
    }
}
