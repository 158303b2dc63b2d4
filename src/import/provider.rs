//! [`convert_provider`]: a promptfoo provider as a promptci target, or why it is not one.
//!
//! promptfoo names a provider by an id (`openai:gpt-4o-mini`, `anthropic:messages:…`,
//! `groq:…`) and takes settings from `config`; promptci targets name the API kind, the base URL
//! and the *name* of the key variable. Keys written into the config are never copied.

use super::report::{ImportReport, ItemStatus};
use super::source::slug;
use super::yaml_text::Yaml;
use crate::yaml::Node;

/// A converted provider.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImportedTarget {
    /// The promptci target name (the built-in `echo`, or a name for `promptci.yaml`).
    pub(crate) name: String,
    /// The entry for `promptci.yaml`, `None` for the built-in `echo`.
    pub(crate) definition: Option<Yaml>,
    /// promptfoo's label of the provider (its `label`, else its id).
    pub(crate) label: String,
    /// promptfoo's id of the provider.
    pub(crate) id: String,
    /// The prompts it runs (`prompts:` on the provider), by label or id; empty for all.
    pub(crate) prompts: Vec<String>,
}

/// OpenAI-compatible hosts promptfoo knows by prefix: prefix, base URL, key variable.
const HOSTS: &[(&str, &str, Option<&str>)] = &[
    (
        "groq",
        "https://api.groq.com/openai/v1",
        Some("GROQ_API_KEY"),
    ),
    (
        "cerebras",
        "https://api.cerebras.ai/v1",
        Some("CEREBRAS_API_KEY"),
    ),
    (
        "togetherai",
        "https://api.together.xyz/v1",
        Some("TOGETHER_API_KEY"),
    ),
    (
        "together",
        "https://api.together.xyz/v1",
        Some("TOGETHER_API_KEY"),
    ),
    (
        "mistral",
        "https://api.mistral.ai/v1",
        Some("MISTRAL_API_KEY"),
    ),
    (
        "deepseek",
        "https://api.deepseek.com/v1",
        Some("DEEPSEEK_API_KEY"),
    ),
    (
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        Some("FIREWORKS_API_KEY"),
    ),
    (
        "openrouter",
        "https://openrouter.ai/api/v1",
        Some("OPENROUTER_API_KEY"),
    ),
    ("ollama", "http://localhost:11434/v1", None),
    ("vllm", "http://localhost:8000/v1", None),
    ("localai", "http://localhost:8080/v1", None),
];

/// Converts one entry of `providers:`; `None` when it is not converted (the report says why).
pub(crate) fn convert_provider(
    node: &Node,
    at: &str,
    report: &mut ImportReport,
) -> Option<ImportedTarget> {
    // `- openai:gpt-4o: {config: …}` is an id with its options.
    let (id, options) = match (&node.kind, node.as_str()) {
        (_, Some(id)) => (id.to_owned(), None),
        (crate::yaml::NodeKind::Map(entries), None) => match (node.get("id"), entries.as_slice()) {
            (Some(id), _) => (id.scalar_text()?, Some(node)),
            (None, [(key, value)]) if value.is_map() => (key.key_text(), Some(value)),
            _ => {
                report.push(ItemStatus::Unconverted, at, "provider", "it has no `id`");
                return None;
            }
        },
        _ => {
            report.push(
                ItemStatus::Unconverted,
                at,
                "provider",
                format!("a provider is a string or a mapping, not {}", node.shape()),
            );
            return None;
        }
    };
    let label = options
        .and_then(|options| options.get("label"))
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| id.clone());
    let prompts = options
        .and_then(|options| options.get("prompts"))
        .map(super::assertion::list_value)
        .unwrap_or_default();
    let config = options.and_then(|options| options.get("config"));
    let what = format!("provider `{id}`");
    let explicit_label = options.and_then(|options| options.get("label")).is_some();
    let name = slug(if explicit_label { &label } else { &id });
    let name = if name.is_empty() {
        "target".to_owned()
    } else {
        name
    };
    let definition = if id == "echo" {
        if explicit_label {
            Some(Yaml::entry("provider", Yaml::text("echo")))
        } else {
            None
        }
    } else {
        Some(hosted(&id, config, &what, at, report)?)
    };
    report.push(
        ItemStatus::Converted,
        at,
        what,
        if definition.is_some() && id != "echo" {
            format!("target `{name}` in promptci.yaml")
        } else {
            format!("target `{name}` (built in)")
        },
    );
    Some(ImportedTarget {
        name: if definition.is_none() {
            "echo".to_owned()
        } else {
            name
        },
        definition,
        label,
        id,
        prompts,
    })
}

fn hosted(
    id: &str,
    config: Option<&Node>,
    what: &str,
    at: &str,
    report: &mut ImportReport,
) -> Option<Yaml> {
    let mut entries: Vec<(String, Yaml)> = Vec::new();
    let parts: Vec<&str> = id.splitn(3, ':').collect();
    match parts.as_slice() {
        ["openai", "chat" | "responses", model] | ["openai", model] if !model.is_empty() => {
            entries.push(("provider".to_owned(), Yaml::text("openai")));
            entries.push(("model".to_owned(), Yaml::text(*model)));
            entries.push(("api-key-env".to_owned(), Yaml::text("OPENAI_API_KEY")));
        }
        ["anthropic", "messages", model] => {
            entries.push(("provider".to_owned(), Yaml::text("anthropic")));
            entries.push(("model".to_owned(), Yaml::text(*model)));
            entries.push(("api-key-env".to_owned(), Yaml::text("ANTHROPIC_API_KEY")));
        }
        ["llama" | "llama.cpp"] => {
            entries.push(("provider".to_owned(), Yaml::text("openai")));
            entries.push(("model".to_owned(), Yaml::text("default")));
            entries.push((
                "base-url".to_owned(),
                Yaml::text("http://localhost:8080/v1"),
            ));
            report.push(ItemStatus::Approximated, at, what.to_owned(), "promptfoo's `llama` provider calls llama.cpp's completion API; imported as its OpenAI-compatible chat API at http://localhost:8080/v1");
        }
        [host, rest @ ..]
            if HOSTS.iter().any(|(prefix, _, _)| prefix == host) && !rest.is_empty() =>
        {
            let (_, base_url, key) = HOSTS
                .iter()
                .find(|(prefix, _, _)| prefix == host)
                .expect("checked above");
            let model = match rest {
                ["chat" | "completion", model] | [model] => (*model).to_owned(),
                [first, second] => format!("{first}:{second}"),
                _ => rest.join(":"),
            };
            if *host == "ollama" && rest.first() != Some(&"chat") {
                report.push(ItemStatus::Approximated, at, what.to_owned(), "promptfoo's `ollama:` provider calls Ollama's completion API; imported as its OpenAI-compatible chat API");
            }
            entries.push(("provider".to_owned(), Yaml::text("openai")));
            entries.push(("model".to_owned(), Yaml::text(model)));
            entries.push(("base-url".to_owned(), Yaml::text(*base_url)));
            if let Some(key) = key {
                entries.push(("api-key-env".to_owned(), Yaml::text(*key)));
            }
        }
        _ => {
            let why = if id.starts_with("http") {
                "an HTTP provider with its own request and response shapes; define an OpenAI-compatible target by hand if the API is one"
            } else if id.starts_with("file://")
                || id.starts_with("exec:")
                || id.starts_with("python:")
            {
                "a script provider; promptci calls model APIs only"
            } else {
                "promptci has no target for this provider"
            };
            report.push(ItemStatus::Unconverted, at, what.to_owned(), why);
            return None;
        }
    }
    if let Some(config) = config {
        settings(config, &mut entries, what, report);
    }
    Some(Yaml::Map(entries))
}

/// Copies the generation settings of a provider's `config` into target entries.
fn settings(
    config: &Node,
    entries: &mut Vec<(String, Yaml)>,
    what: &str,
    report: &mut ImportReport,
) {
    let mut params: Vec<(String, Yaml)> = Vec::new();
    let set = |entries: &mut Vec<(String, Yaml)>, key: &str, value: Yaml| {
        entries.retain(|(existing, _)| existing != key);
        entries.push((key.to_owned(), value));
    };
    for (key, value) in config.entries() {
        let name = key.key_text();
        let at = format!("{}:{}", key.line, key.column);
        let json = Yaml::from_json(&value.to_json());
        match name.as_str() {
            "temperature" => set(entries, "temperature", json),
            "max_tokens" | "maxTokens" | "max_completion_tokens" => {
                set(entries, "max-tokens", json);
            }
            "seed" => set(entries, "seed", json),
            "apiBaseUrl" | "apiHost" | "baseUrl" => set(entries, "base-url", json),
            "apiKeyEnvar" => set(entries, "api-key-env", json),
            "apiKey" => report.push(
                ItemStatus::Unconverted,
                at,
                format!("`apiKey` of {what}"),
                "keys are never copied: promptci reads them from the variable in `api-key-env`",
            ),
            "top_p" | "top_k" | "stop" | "presence_penalty" | "frequency_penalty"
            | "response_format" => {
                params.push((name, json));
            }
            _ => report.push(
                ItemStatus::Unconverted,
                at,
                format!("`{name}` of {what}"),
                "promptci has no counterpart for this setting",
            ),
        }
    }
    if !params.is_empty() {
        entries.push(("params".to_owned(), Yaml::Map(params)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourceFile;

    fn convert(yaml: &str) -> (Option<ImportedTarget>, ImportReport) {
        let node: Node = crate::yaml::parse_yaml(&SourceFile::new("c.yaml", yaml)).unwrap();
        let mut report = ImportReport::default();
        (convert_provider(&node, "c.yaml:1:1", &mut report), report)
    }

    #[test]
    fn hosted_providers_become_targets_without_their_keys() {
        let (target, report) = convert(
            "{id: 'openai:chat:gpt-4.1', label: gpt41, config: {temperature: 0.2, max_tokens: 300, top_p: 0.9, apiKey: sk-secret}}",
        );
        let target = target.unwrap();
        assert_eq!(target.name, "gpt41");
        let text = target.definition.unwrap().to_text();
        assert_eq!(
            text,
            "provider: openai\nmodel: gpt-4.1\napi-key-env: OPENAI_API_KEY\ntemperature: 0.2\nmax-tokens: 300\nparams:\n  top_p: 0.9\n"
        );
        assert!(!format!("{report:?}").contains("sk-secret"));
        let (target, _) = convert("groq:llama-3.3-70b-versatile");
        assert!(
            target
                .unwrap()
                .definition
                .unwrap()
                .to_text()
                .contains("base-url: \"https://api.groq.com/openai/v1\"")
        );
    }

    #[test]
    fn echo_is_the_built_in_target_unless_labelled() {
        assert_eq!(convert("echo").0.unwrap().name, "echo");
        let labelled = convert("{id: echo, label: echo-b, prompts: [long]}")
            .0
            .unwrap();
        assert_eq!(
            (labelled.name.as_str(), labelled.prompts.as_slice()),
            ("echo-b", ["long".to_owned()].as_slice())
        );
    }

    #[test]
    fn script_and_unknown_providers_are_reported() {
        for id in [
            "'exec: python chain.py'",
            "file://p.py",
            "vertex:gemini-2.5-pro",
        ] {
            let (target, report) = convert(id);
            assert!(target.is_none());
            assert_eq!(report.count(ItemStatus::Unconverted), 1, "{id}");
        }
    }
}
