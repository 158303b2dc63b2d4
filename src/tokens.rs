//! Offline token counts with the model's own tokenizer: [`Tokenizer`].
//!
//! The `tiktoken` crate carries each family's vocabulary compiled in (zstd-compressed), so
//! counting needs no network. Building an encoding's tables takes 18–33 MB and ~0.1–0.3 s
//! (release), so each [`Encoding`] is built once, on first use, and only when a count is
//! really needed: a run whose provider reports `usage` and whose suites set no
//! `prompt-tokens` budget never builds one. [`prewarm`] starts a build early for commands
//! that will count.
//!
//! Models map to encodings as their publishers document them: `o200k_base` for gpt-4o,
//! gpt-4.1, gpt-5 and the o-series, `cl100k_base` for gpt-4 and gpt-3.5, `llama3` for Llama 3
//! to 3.3, `qwen2` for Qwen 2 to 3, `deepseek_v3` for DeepSeek V3, R1 and V4 (same vocabulary),
//! `mistral_tekken` for Mistral's tekken models. Every other model (Claude, Gemini, older
//! Mistral and Llama models, the offline mock) is counted with the nearest encoding and
//! labelled an estimate.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tiktoken::CoreBpe;
use unicode_normalization::UnicodeNormalization;

use crate::chat::Message;

/// A BPE encoding `promptci` counts with.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub(crate) enum Encoding {
    /// gpt-4o, gpt-4.1, gpt-5, o1, o3, o4 (and the estimate for unknown models).
    #[serde(rename = "o200k_base")]
    O200kBase,
    /// gpt-4, gpt-3.5-turbo and the ada-002/-3 embeddings.
    #[serde(rename = "cl100k_base")]
    Cl100kBase,
    /// Llama 3, 3.1, 3.2 and 3.3.
    #[serde(rename = "llama3")]
    Llama3,
    /// Qwen 2, 2.5 and 3, QwQ and the Qwen API models.
    #[serde(rename = "qwen2")]
    Qwen2,
    /// DeepSeek V3, R1 and V4 (V4 adds special tokens only).
    #[serde(rename = "deepseek_v3")]
    DeepseekV3,
    /// Mistral's tekken tokenizer: Nemo, Pixtral 12B, Ministral, Small 3, Medium 3 and later.
    #[serde(rename = "mistral_tekken")]
    MistralTekken,
}

/// Every encoding, for tests and documentation.
pub(crate) const ENCODINGS: [Encoding; 6] = [
    Encoding::O200kBase,
    Encoding::Cl100kBase,
    Encoding::Llama3,
    Encoding::Qwen2,
    Encoding::DeepseekV3,
    Encoding::MistralTekken,
];

impl Encoding {
    /// Returns the encoding's name as reports spell it.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
            Self::Llama3 => "llama3",
            Self::Qwen2 => "qwen2",
            Self::DeepseekV3 => "deepseek_v3",
            Self::MistralTekken => "mistral_tekken",
        }
    }

    /// Returns the BPE tables, building them on first use (blocking while another thread
    /// builds them).
    fn bpe(self) -> &'static CoreBpe {
        static TABLES: [OnceLock<CoreBpe>; 6] = [const { OnceLock::new() }; 6];
        let index = ENCODINGS
            .iter()
            .position(|encoding| *encoding == self)
            .expect("every encoding is listed");
        TABLES[index].get_or_init(|| match self {
            Self::O200kBase => tiktoken::encoding::o200k_base(),
            Self::Cl100kBase => tiktoken::encoding::cl100k_base(),
            Self::Llama3 => tiktoken::encoding::llama3(),
            Self::Qwen2 => tiktoken::encoding::qwen2(),
            Self::DeepseekV3 => tiktoken::encoding::deepseek_v3(),
            Self::MistralTekken => tiktoken::encoding::mistral_v3(),
        })
    }

    /// Returns the number of tokens of `text`, treating special-token text such as
    /// `<|endoftext|>` as ordinary text, as the chat APIs do for message content.
    #[must_use]
    pub(crate) fn count(self, text: &str) -> u64 {
        // Qwen's tokenizer composes text to NFC before splitting it; the others take it as is.
        let count = if self == Self::Qwen2
            && unicode_normalization::is_nfc_quick(text.chars())
                != unicode_normalization::IsNormalized::Yes
        {
            self.bpe().count(&text.nfc().collect::<String>())
        } else {
            self.bpe().count(text)
        };
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    /// Returns the tokens the family's chat template adds around messages.
    fn framing(self) -> Framing {
        match self {
            // `<|start|>role<|message|>content<|end|>`, reply `<|start|>assistant<|message|>`.
            Self::O200kBase | Self::Cl100kBase => Framing {
                per_message: 3,
                per_reply: 3,
                counts_role: true,
            },
            // `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` after
            // `<|begin_of_text|>`; the reply opens the same header for `assistant`.
            Self::Llama3 => Framing {
                per_message: 4,
                per_reply: 5,
                counts_role: true,
            },
            // ChatML: `<|im_start|>role\ncontent<|im_end|>\n`, reply `<|im_start|>assistant\n`.
            Self::Qwen2 => Framing {
                per_message: 4,
                per_reply: 3,
                counts_role: true,
            },
            // `<｜begin▁of▁sentence｜>` then one role token (`<｜User｜>`, `<｜Assistant｜>`)
            // per turn; the reply opens with `<｜Assistant｜>`.
            Self::DeepseekV3 => Framing {
                per_message: 1,
                per_reply: 2,
                counts_role: false,
            },
            // `<s>` then `[SYSTEM_PROMPT]…[/SYSTEM_PROMPT]` or `[INST]…[/INST]` around each turn.
            Self::MistralTekken => Framing {
                per_message: 2,
                per_reply: 1,
                counts_role: false,
            },
        }
    }
}

/// The tokens a chat template adds: per message, once for the reply, and whether the role is
/// spelled out as text.
#[derive(Debug, Clone, Copy)]
struct Framing {
    per_message: u64,
    per_reply: u64,
    counts_role: bool,
}

/// How a model's text is counted: its encoding, and whether that is the model's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tokenizer {
    /// The encoding used.
    pub(crate) encoding: Encoding,
    /// True when the encoding is not the model's own, so counts are estimates.
    pub(crate) estimate: bool,
}

impl Tokenizer {
    /// Returns the tokenizer for a model name such as `gpt-4o-mini`, `openai/gpt-4.1`,
    /// `meta-llama/Llama-3.3-70B-Instruct`, `qwen2.5:7b` or `claude-sonnet-4`.
    #[must_use]
    pub(crate) fn for_model(model: &str) -> Self {
        let name = model
            .rsplit('/')
            .next()
            .unwrap_or(model)
            .to_ascii_lowercase();
        let family = |prefix: &str| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', ':', '.', '_']))
        };
        let any = |prefixes: &[&str]| prefixes.iter().any(|prefix| family(prefix));
        let exact = |encoding| Self {
            encoding,
            estimate: false,
        };
        let estimate = |encoding| Self {
            encoding,
            estimate: true,
        };
        if any(&[
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "chatgpt-4o",
            "o1",
            "o3",
            "o4",
        ]) {
            exact(Encoding::O200kBase)
        } else if any(&[
            "gpt-4",
            "gpt-3.5",
            "gpt-35",
            "text-embedding-3",
            "text-embedding-ada-002",
        ]) {
            exact(Encoding::Cl100kBase)
        } else if any(&["llama3", "llama-3", "meta-llama-3"]) {
            exact(Encoding::Llama3)
        } else if any(&["qwen3.5", "qwen3.6", "qwen-3.5", "qwen-3.6"]) {
            // A newer vocabulary than the one compiled in.
            estimate(Encoding::Qwen2)
        } else if any(&[
            "qwen2",
            "qwen-2",
            "qwen3",
            "qwen-3",
            "qwq",
            "qwen-max",
            "qwen-plus",
            "qwen-turbo",
        ]) {
            exact(Encoding::Qwen2)
        } else if any(&[
            "deepseek-v3",
            "deepseek-r1",
            "deepseek-v4",
            "deepseek-chat",
            "deepseek-reasoner",
        ]) {
            exact(Encoding::DeepseekV3)
        } else if any(&[
            "mistral-nemo",
            "open-mistral-nemo",
            "pixtral-12b",
            "ministral",
            "mistral-small-2501",
            "mistral-small-2503",
            "mistral-small-2506",
            "mistral-small-3",
            "mistral-small-latest",
            "mistral-medium-2505",
            "mistral-medium-2508",
            "mistral-medium-3",
            "mistral-medium-latest",
            "magistral",
            "devstral",
            "codestral-2501",
            "codestral-2508",
            "codestral-latest",
        ]) {
            exact(Encoding::MistralTekken)
        } else if any(&[
            "mistral",
            "mixtral",
            "open-mistral",
            "open-mixtral",
            "codestral",
            "pixtral",
        ]) {
            // SentencePiece models: tekken is the nearest compiled-in vocabulary.
            estimate(Encoding::MistralTekken)
        } else if any(&["llama", "meta-llama"]) {
            estimate(Encoding::Llama3)
        } else if any(&["qwen"]) {
            estimate(Encoding::Qwen2)
        } else if any(&["deepseek"]) {
            estimate(Encoding::DeepseekV3)
        } else {
            estimate(Encoding::O200kBase)
        }
    }

    /// Returns the tokens of a plain text.
    #[must_use]
    pub(crate) fn count(self, text: &str) -> u64 {
        self.encoding.count(text)
    }

    /// Returns the prompt tokens of a chat request, as
    /// [`count_messages_cached`](Self::count_messages_cached) counts them.
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
        let framing = self.encoding.framing();
        let mut total = framing.per_reply;
        for message in messages {
            let role = if framing.counts_role {
                *cache
                    .entry((self.encoding, message.role.as_str()))
                    .or_insert_with(|| self.count(message.role.as_str()))
            } else {
                0
            };
            let content = *cache
                .entry((self.encoding, message.content.as_str()))
                .or_insert_with(|| self.count(&message.content));
            total += framing.per_message + role + content;
        }
        total
    }
}

/// The most tokens any family's chat template adds per message and for the reply.
const MAX_PER_MESSAGE: u64 = 4;
const MAX_PER_REPLY: u64 = 5;

/// Returns a bound no exact count of [`Tokenizer::count_messages_cached`] can exceed, without a
/// tokenizer: every BPE token of these encodings covers at least one byte of UTF-8, so a
/// prompt of `n` bytes has at most `n` tokens (three times that for text Qwen must first
/// compose to NFC, which can lengthen it). `check` decides generous budgets with it and builds
/// the tables only for prompts the bound cannot clear.
#[must_use]
pub(crate) fn upper_bound(messages: &[Message]) -> u64 {
    let bytes: usize = messages
        .iter()
        .map(|message| {
            let content = message.content.len();
            let composed = unicode_normalization::is_nfc_quick(message.content.chars())
                == unicode_normalization::IsNormalized::Yes;
            message.role.as_str().len() + if composed { content } else { content * 3 }
        })
        .sum();
    MAX_PER_REPLY
        + MAX_PER_MESSAGE * messages.len() as u64
        + u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// Starts building the tables of `encodings` on background threads, so the first count does
/// not wait for them. Returns at once; a count made before the build finishes waits for it.
/// Only for commands that will count (`tokens`, `check` with a default prompt budget).
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
    #[test_case("meta-llama/Llama-3.3-70B-Instruct", Encoding::Llama3, false)]
    #[test_case("meta-llama/Meta-Llama-3-8B-Instruct", Encoding::Llama3, false)]
    #[test_case("llama3.1:8b", Encoding::Llama3, false)]
    #[test_case("llama-3.1-8b-instant", Encoding::Llama3, false)]
    #[test_case("llama-4-scout", Encoding::Llama3, true)]
    #[test_case("Qwen/Qwen2.5-7B-Instruct", Encoding::Qwen2, false)]
    #[test_case("qwen3:8b", Encoding::Qwen2, false)]
    #[test_case("qwen-max", Encoding::Qwen2, false)]
    #[test_case("qwen3.5-plus", Encoding::Qwen2, true)]
    #[test_case("deepseek-ai/DeepSeek-V3", Encoding::DeepseekV3, false)]
    #[test_case("deepseek-chat", Encoding::DeepseekV3, false)]
    #[test_case("deepseek-r1:14b", Encoding::DeepseekV3, false)]
    #[test_case("mistral-small-latest", Encoding::MistralTekken, false)]
    #[test_case("mistralai/Mistral-Nemo-Instruct-2407", Encoding::MistralTekken, false)]
    #[test_case("open-mixtral-8x7b", Encoding::MistralTekken, true)]
    #[test_case("mistral:7b", Encoding::MistralTekken, true)]
    #[test_case("claude-sonnet-4", Encoding::O200kBase, true)]
    #[test_case("gemini-2.5-pro", Encoding::O200kBase, true)]
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
            Encoding::Cl100kBase.bpe().encode("hello world"),
            [15339, 1917]
        );
        assert_eq!(
            Encoding::O200kBase.bpe().encode("hello world"),
            [24912, 2375]
        );
    }

    /// The reference counts in `fixtures/tokenizers/expected.json` come from each family's
    /// publisher (OpenAI's tiktoken, Meta's llama3 tokenizer, Hugging Face `tokenizers` on
    /// Qwen's and DeepSeek's `tokenizer.json`, Mistral's tekkenizer); see
    /// `scripts/tokenizer-reference/`.
    #[test]
    fn counts_match_each_familys_reference_tokenizer() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/tokenizers/expected.json"
        )))
        .unwrap();
        let corpus: Vec<&str> = fixture["corpus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|text| text.as_str().unwrap())
            .collect();
        for encoding in ENCODINGS {
            let expected = fixture["counts"][encoding.as_str()].as_array().unwrap();
            assert_eq!(expected.len(), corpus.len());
            let wrong: Vec<String> = corpus
                .iter()
                .zip(expected)
                .filter(|(text, count)| Some(encoding.count(text)) != count.as_u64())
                .map(|(text, count)| format!("{text:?}: {} != {count}", encoding.count(text)))
                .collect();
            assert!(wrong.is_empty(), "{}: {wrong:#?}", encoding.as_str());
        }
    }

    #[test]
    fn prewarm_then_count_agree() {
        prewarm([Encoding::Cl100kBase, Encoding::Cl100kBase]);
        assert_eq!(Encoding::Cl100kBase.count("hello world"), 2);
    }

    #[test]
    fn special_token_text_is_ordinary_text() {
        assert!(Encoding::O200kBase.count("<|endoftext|>") > 1);
        assert!(Encoding::Qwen2.count("<|im_start|>") > 1);
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
        // Llama 3: 5 (begin + reply header) + 2 × (4 framing + 1 role + 2 content).
        assert_eq!(
            Tokenizer::for_model("llama3.1").count_messages(&messages),
            19
        );
    }

    #[test]
    fn the_upper_bound_is_never_below_the_count() {
        let messages = [
            Message::new(
                Role::System,
                "Réponds en français, s'il te plaît. 日本語も。",
            ),
            Message::new(Role::User, "<|endoftext|> hello cafe\u{301} \u{958}"),
        ];
        for model in [
            "gpt-4o",
            "gpt-4",
            "claude",
            "llama3",
            "qwen3",
            "deepseek-v3",
            "ministral",
        ] {
            let tokenizer = Tokenizer::for_model(model);
            assert!(tokenizer.count_messages(&messages) <= upper_bound(&messages));
        }
    }
}
