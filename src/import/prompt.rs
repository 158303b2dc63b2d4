//! [`ImportedPrompt`]: the prompts of a promptfoo config (inline, `file://` text files split at
//! `---`, Jinja files, chat JSON and YAML, `id`/`raw`/`label` objects, the default
//! `{{prompt}}`), each ready to be written as a promptci template.

use std::path::Path;

use super::report::ItemStatus;
use super::source::{ImportSource, extension_of, is_script, slug};
use crate::yaml::{Node, NodeKind};

/// A prompt's template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PromptTemplate {
    /// A text template, sent as the user message.
    Text(String),
    /// A chat template: a JSON list of `{role, content}` messages.
    Chat(String),
}

/// One prompt of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportedPrompt {
    /// A unique name for files and the prompt id.
    pub(crate) name: String,
    /// promptfoo's label of the prompt.
    pub(crate) label: String,
    /// What a `prompts:` filter may name it by: its label and its id.
    pub(crate) keys: Vec<String>,
    /// The template.
    pub(crate) template: PromptTemplate,
    /// Where it is written.
    pub(crate) at: String,
}

/// Reads the `prompts` of a config (the default `{{prompt}}` when there are none).
pub(crate) fn load_prompts(config: &Node, import: &mut ImportSource<'_>) -> Vec<ImportedPrompt> {
    let mut prompts = Vec::new();
    let Some(node) = config.get("prompts") else {
        let at = import.at(config);
        import.report.push(
            ItemStatus::Converted,
            at.clone(),
            "no `prompts`",
            "promptfoo's default prompt `{{prompt}}` (the `prompt` variable)",
        );
        prompts.push(ImportedPrompt {
            name: "prompt".to_owned(),
            label: "{{prompt}}".to_owned(),
            keys: vec!["{{prompt}}".to_owned()],
            template: PromptTemplate::Text("{{prompt}}".to_owned()),
            at,
        });
        return prompts;
    };
    let items: Vec<(Node, Option<String>)> = match &node.kind {
        NodeKind::Text(_) => vec![(node.clone(), None)],
        NodeKind::List(items) => items.iter().map(|item| (item.clone(), None)).collect(),
        // The old form: `prompts: {file://a.txt: label}`.
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(key, value)| (key.clone(), value.scalar_text()))
            .collect(),
        _ => {
            let problem = import.problem(
                node,
                format!(
                    "`prompts` is a string, a list or a mapping, not {}",
                    node.shape()
                ),
            );
            import.problems.push(problem);
            return prompts;
        }
    };
    for (item, label) in items {
        load_prompt(&item, label, import, &mut prompts);
    }
    let single = prompts.len() == 1;
    let mut names = Vec::new();
    for (index, prompt) in prompts.iter_mut().enumerate() {
        if prompt.name.is_empty() {
            prompt.name = if single {
                "prompt".to_owned()
            } else {
                format!("prompt-{}", index + 1)
            };
        }
        let mut name = prompt.name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{}-{n}", prompt.name);
            n += 1;
        }
        names.push(name.clone());
        prompt.name = name;
    }
    prompts
}

#[expect(
    clippy::too_many_lines,
    reason = "every shape of promptfoo prompt, read in one place"
)]
fn load_prompt(
    item: &Node,
    label: Option<String>,
    import: &mut ImportSource<'_>,
    prompts: &mut Vec<ImportedPrompt>,
) {
    let at = import.at(item);
    let (raw, label) = match &item.kind {
        NodeKind::Text(text) => (text.clone(), label),
        NodeKind::Map(_) => {
            for (key, _) in item.entries() {
                let name = key.key_text();
                if !["id", "raw", "label", "config", "function"].contains(&name.as_str()) {
                    let at = import.at(key);
                    import.report.push(
                        ItemStatus::Ignored,
                        at,
                        format!("key `{name}` of a prompt"),
                        "promptfoo ignores it",
                    );
                }
            }
            let Some(raw) = item
                .get("raw")
                .or_else(|| item.get("id"))
                .and_then(Node::scalar_text)
            else {
                let problem = import.problem(item, "a prompt object needs `raw` or `id`");
                import.problems.push(problem);
                return;
            };
            if let Some(config) = item.get("config") {
                let at = import.at(config);
                import.report.push(
                    ItemStatus::Unconverted,
                    at,
                    "`config` of a prompt",
                    "promptci has no per-prompt provider settings; set them on the target",
                );
            }
            (raw, item.get("label").and_then(Node::scalar_text).or(label))
        }
        _ => {
            let problem = import.problem(
                item,
                format!("a prompt is a string or a mapping, not {}", item.shape()),
            );
            import.problems.push(problem);
            return;
        }
    };
    let Some(path) = raw.strip_prefix("file://") else {
        if raw.contains('/') && !raw.contains('\n') {
            import.report.push(
                ItemStatus::Approximated,
                at.clone(),
                format!("prompt `{raw}`"),
                "promptfoo reads a one-line prompt with a `/` as a file path and stops when there is no such file; imported as inline text",
            );
        }

        let (template, own_label) = match chat_json(&raw) {
            Some(chat) => {
                let own_label = chat_label(&chat);
                (PromptTemplate::Chat(chat), own_label)
            }
            None => (PromptTemplate::Text(raw.clone()), raw.clone()),
        };
        import.report.push(
            ItemStatus::Converted,
            at.clone(),
            "inline prompt",
            "a template",
        );
        prompts.push(ImportedPrompt {
            name: label.as_deref().map(slug).unwrap_or_default(),
            label: label.clone().unwrap_or(own_label),
            keys: [Some(raw.clone()), label].into_iter().flatten().collect(),
            template,
            at,
        });
        return;
    };
    if path.contains('*') || path.contains(':') && !path.contains(":\\") {
        import.report.push(
            ItemStatus::Unconverted,
            at,
            format!("prompt `{raw}`"),
            "a glob or a function in a script; promptci prompts are templates",
        );
        return;
    }
    let extension = extension_of(path);
    if is_script(&extension) {
        import.report.push(
            ItemStatus::Unconverted,
            at,
            format!("prompt `{raw}`"),
            "a prompt built by a script; promptci prompts are templates",
        );
        return;
    }
    let Some(text) = import.read_file(path, item) else {
        return;
    };
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .map(slug)
        .unwrap_or_default();
    let base_name = label.as_deref().map_or(stem, slug);
    let mut found: Vec<(PromptTemplate, String)> = Vec::new();
    match extension.as_str() {
        "json" | "yaml" | "yml" => {
            let Some(chat) = chat_file(&text, &extension) else {
                let problem = import.problem(
                    item,
                    format!("`{path}` is not a list of chat messages (`role` and `content`)"),
                );
                import.problems.push(problem);
                return;
            };
            let label_text = chat_label(&chat);
            found.push((PromptTemplate::Chat(chat), label_text));
        }
        "txt" | "md" | "" => {
            let separator = regex::Regex::new(r"\n-{3,}\n").expect("a valid pattern");
            for part in separator.split(&text) {
                let part = part.trim();
                if !part.is_empty() {
                    found.push((PromptTemplate::Text(part.to_owned()), part.to_owned()));
                }
            }
        }
        _ => found.push((PromptTemplate::Text(text.clone()), text.clone())),
    }
    let several = found.len() > 1;
    for (index, (template, text_label)) in found.into_iter().enumerate() {
        let name = if several {
            format!("{base_name}-{}", index + 1)
        } else {
            base_name.clone()
        };
        let file_label = format!("{path}: {text_label}");
        import.report.push(
            ItemStatus::Converted,
            at.clone(),
            format!("prompt `{path}`"),
            if several {
                format!("part {} of the file", index + 1)
            } else {
                "a template".to_owned()
            },
        );
        prompts.push(ImportedPrompt {
            name,
            label: match &label {
                Some(label) => format!("{label}: {file_label}"),
                None => file_label,
            },
            keys: [Some(raw.clone()), label.clone()]
                .into_iter()
                .flatten()
                .collect(),
            template,
            at: at.clone(),
        });
    }
}

/// Returns the chat messages of an inline prompt that is a JSON list of messages.
fn chat_json(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('[') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).ok()?;
    messages_json(&value)
}

fn chat_file(text: &str, extension: &str) -> Option<String> {
    let value: serde_json::Value = if extension == "json" {
        serde_json::from_str(text).ok()?
    } else {
        crate::yaml::parse_yaml_text(text).ok()?
    };
    messages_json(&value)
}

/// Returns a list of `{role, content}` messages as JSON text, `role` first as promptfoo
/// writes it.
fn messages_json(value: &serde_json::Value) -> Option<String> {
    let messages = value.as_array()?;
    let mut lines = Vec::new();
    for message in messages {
        let role = message.get("role")?.as_str()?;
        let content = message.get("content")?.as_str()?;
        lines.push(format!(
            "  {{\"role\": {}, \"content\": {}}}",
            serde_json::to_string(role).ok()?,
            serde_json::to_string(content).ok()?
        ));
    }
    (!lines.is_empty()).then(|| format!("[\n{}\n]\n", lines.join(",\n")))
}

/// Returns promptfoo's label text of a chat prompt: its messages as compact JSON.
fn chat_label(chat: &str) -> String {
    let value: serde_json::Value =
        serde_json::from_str(chat).expect("chat text is written as JSON");
    let items: Vec<String> = value
        .as_array()
        .expect("chat text is a list")
        .iter()
        .map(|message| {
            format!(
                "{{\"role\":{},\"content\":{}}}",
                message["role"], message["content"]
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lists_are_recognised_and_written_role_first() {
        let chat = chat_json(r#"[{"content": "Be brief.", "role": "system"}, {"role": "user", "content": "Hi {{name}}"}]"#).unwrap();
        assert_eq!(
            chat,
            "[\n  {\"role\": \"system\", \"content\": \"Be brief.\"},\n  {\"role\": \"user\", \"content\": \"Hi {{name}}\"}\n]\n"
        );
        assert_eq!(
            chat_label(&chat),
            r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi {{name}}"}]"#
        );
        assert!(chat_json("[not json").is_none());
        assert!(chat_json("Plain {{ text }}").is_none());
    }
}
