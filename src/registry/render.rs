//! The application API: a [`ResolvedPrompt`] (a version picked from the registry or from an
//! exported [`Bundle`]) renders from its stored files into a [`RenderedPrompt`] that carries its
//! version and hash for logging.

use std::collections::HashSet;

use minijinja::{Environment, Value};
use serde::{Deserialize, Serialize};

use super::error::{RegistryError, RegistryErrorKind};
use super::inspect::{Selector, Which};
use super::lifecycle::Status;
use super::model::{PromptVersion, StoredFile, stored_hash};
use super::store::Registry;

/// A version ready to render: its identity and its stored files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPrompt {
    /// The prompt id.
    pub id: String,
    /// The version.
    pub version: semver::Version,
    /// Its status when resolved.
    pub status: Status,
    /// Its content hash (verified against the files when resolved).
    pub content_hash: String,
    /// The model target it was tested on.
    pub model_target: String,
    /// The entry template first, then the files it includes.
    pub files: Vec<StoredFile>,
}

/// A rendered chat prompt: its messages, with what to log next to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedChat {
    /// The messages, in order.
    pub messages: Vec<ChatMessage>,
    /// The prompt id.
    pub id: String,
    /// The version rendered.
    pub version: semver::Version,
    /// The content hash of the files rendered.
    pub content_hash: String,
}

/// One rendered message of a chat prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`, as chat APIs spell it.
    pub role: String,
    /// The rendered content.
    pub content: String,
}

/// A rendered prompt with what to log next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPrompt {
    /// The rendered text.
    pub text: String,
    /// The prompt id.
    pub id: String,
    /// The version rendered.
    pub version: semver::Version,
    /// The content hash of the files rendered.
    pub content_hash: String,
}

impl ResolvedPrompt {
    /// Returns the version as a resolved prompt after checking its files against its hash.
    fn from_version(id: &str, version: &PromptVersion) -> Result<Self, RegistryError> {
        Self {
            id: id.to_owned(),
            version: version.version.clone(),
            status: version.status,
            content_hash: version.content_hash.clone(),
            model_target: version.model_target.clone(),
            files: version.files.clone(),
        }
        .verified()
    }

    /// Returns `self` when its files hash to its content hash: altered content is never served.
    fn verified(self) -> Result<Self, RegistryError> {
        let computed = stored_hash(&self.files);
        if computed == self.content_hash {
            return Ok(self);
        }
        Err(RegistryError::new(
            format!("cannot use `{}` {}", self.id, self.version),
            RegistryErrorKind::Inconsistent {
                path: format!("{}.json", self.id).into(),
                reason: format!(
                    "the stored files hash to `{computed}`, not the recorded `{}`",
                    self.content_hash
                ),
            },
        ))
    }

    /// Returns a template environment that loads only this version's stored files, with the
    /// same settings `promptci run` renders suites with (undefined variables are errors,
    /// nothing is escaped).
    #[must_use]
    pub fn environment(&self) -> Environment<'static> {
        let mut env = crate::template::prompt_environment();
        let files: Vec<(String, String)> = self
            .files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone()))
            .collect();
        // Includes resolve from the stored content, never the disk, so a deployed version renders
        // exactly what was tested.
        env.set_loader(move |name| {
            Ok(files
                .iter()
                .find(|(file, _)| file == name)
                .map(|(_, text)| text.clone()))
        });
        env
    }

    /// Returns whether the prompt is a chat template (a YAML or JSON list of messages), which
    /// [`render_messages`](Self::render_messages) renders.
    #[must_use]
    pub fn is_chat(&self) -> bool {
        crate::template::is_chat_file(self.entry())
    }

    /// The entry file's name. Loading validates that every version stores at least its entry
    /// file, and a bundle's hash check fails for an empty file list, so an empty list here is
    /// a hand-built value.
    fn entry(&self) -> &str {
        self.files.first().map_or("", |f| f.name.as_str())
    }

    fn render_error(&self, source: minijinja::Error) -> RegistryError {
        RegistryError::new(
            format!("cannot render `{}` {}", self.id, self.version),
            RegistryErrorKind::Render { source },
        )
    }

    /// Renders the entry template with `vars` (for example `minijinja::context!{…}` or
    /// `minijinja::value::Serde(&data)`).
    ///
    /// # Errors
    ///
    /// Fails when a variable is undefined, the template does not render, or the prompt is a
    /// chat template (use [`render_messages`](Self::render_messages)).
    pub fn render(&self, vars: impl Into<Value>) -> Result<RenderedPrompt, RegistryError> {
        let fail = |source| self.render_error(source);
        let entry = self.entry();
        if self.is_chat() {
            return Err(fail(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("`{entry}` is a chat template: render it with `render_messages`"),
            )));
        }
        let env = self.environment();
        let text = env
            .get_template(entry)
            .and_then(|template| template.render(vars))
            .map_err(fail)?;
        Ok(RenderedPrompt {
            text,
            id: self.id.clone(),
            version: self.version.clone(),
            content_hash: self.content_hash.clone(),
        })
    }
}

impl ResolvedPrompt {
    /// Renders a chat template's messages with `vars`, each content exactly as `promptci run`
    /// renders it; a text template renders as one message, `system`.
    ///
    /// # Errors
    ///
    /// Fails when a variable is undefined, a content does not render, or the stored chat file
    /// is not a list of messages.
    pub fn render_messages(&self, vars: impl Into<Value>) -> Result<RenderedChat, RegistryError> {
        let messages = if self.is_chat() {
            let mut environment = self.environment();
            crate::template::keep_trailing_newlines(&mut environment);
            let entry = self.entry();
            let text = self.files.first().map_or("", |f| f.text.as_str());
            let source = crate::error::SourceFile::new(entry.to_owned(), text.to_owned());
            let chat = crate::template::ChatTemplate::parse(entry, source, environment.clone())
                .map_err(|problems| {
                    self.render_error(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        problems
                            .problems
                            .first()
                            .map_or_else(String::new, |problem| problem.message().to_owned()),
                    ))
                })?;
            chat.render_context(&mut environment, &mut HashSet::new(), &vars.into())
                .map_err(|(_, error)| self.render_error(error))?
                .into_iter()
                .map(|message| ChatMessage {
                    role: message.role.as_str().to_owned(),
                    content: message.content,
                })
                .collect()
        } else {
            vec![ChatMessage {
                role: "system".to_owned(),
                content: self.render(vars)?.text,
            }]
        };
        Ok(RenderedChat {
            messages,
            id: self.id.clone(),
            version: self.version.clone(),
            content_hash: self.content_hash.clone(),
        })
    }
}

/// What an application deploys: the chosen version of every prompt, with its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// The bundle format version (1).
    pub format_version: u32,
    /// The status exported.
    pub status: Status,
    /// One entry per prompt that has a version in that status, sorted by id.
    pub prompts: Vec<BundlePrompt>,
}

/// One prompt in a [`Bundle`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundlePrompt {
    /// The prompt id.
    pub id: String,
    /// The version.
    pub version: semver::Version,
    /// Its content hash.
    pub content_hash: String,
    /// The model target it was tested on.
    pub model_target: String,
    /// The entry template first, then the files it includes.
    pub files: Vec<BundleFile>,
}

/// One file in a [`Bundle`], as plain text (the bundle is read by programs, not diffed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// The name relative to the template root.
    pub name: String,
    /// The exact text.
    pub text: String,
}

/// `registry export`: the bundle and the prompts left out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Export {
    /// The bundle to write.
    pub(crate) bundle: Bundle,
    /// Prompts with no version in the exported status.
    pub(crate) without_version: Vec<String>,
}

impl Bundle {
    /// Serialises the bundle as pretty JSON with a final newline.
    ///
    /// # Panics
    ///
    /// Never: a bundle holds only strings and numbers, which always serialise.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut json =
            serde_json::to_string_pretty(self).expect("a bundle of strings always serialises");
        json.push('\n');
        json
    }

    /// Parses a bundle written by [`to_json`](Self::to_json).
    ///
    /// # Errors
    ///
    /// Fails when `json` is not a bundle.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Returns prompt `id` from the bundle, ready to render.
    ///
    /// # Errors
    ///
    /// Fails when the bundle has no such prompt, or its files do not match its hash.
    pub fn get(&self, id: &str) -> Result<ResolvedPrompt, RegistryError> {
        let prompt = self.prompts.iter().find(|p| p.id == id).ok_or_else(|| {
            RegistryError::new(
                format!("cannot use `{id}` from the bundle"),
                RegistryErrorKind::UnknownPrompt { id: id.to_owned() },
            )
        })?;
        ResolvedPrompt {
            id: id.to_owned(),
            version: prompt.version.clone(),
            status: self.status,
            content_hash: prompt.content_hash.clone(),
            model_target: prompt.model_target.clone(),
            files: prompt
                .files
                .iter()
                .map(|f| StoredFile {
                    name: f.name.clone(),
                    text: f.text.clone(),
                })
                .collect(),
        }
        .verified()
    }
}

impl Registry {
    /// Returns the selected version of a prompt, its stored content verified against its hash.
    ///
    /// # Errors
    ///
    /// Fails when the prompt or version does not exist, or its stored content was altered.
    pub fn resolve(&self, selector: &Selector) -> Result<ResolvedPrompt, RegistryError> {
        let record = self.load(&selector.id)?;
        let version = selector
            .which
            .pick(&record)
            .map_err(|kind| RegistryError::new(format!("cannot use `{}`", selector.id), kind))?;
        ResolvedPrompt::from_version(&record.id, version)
    }

    /// Returns the production version of prompt `id`.
    ///
    /// # Errors
    ///
    /// Fails when the prompt has no production version or its content was altered.
    pub fn production(&self, id: &str) -> Result<ResolvedPrompt, RegistryError> {
        self.resolve(&Selector {
            id: id.to_owned(),
            which: Which::Status(Status::Production),
        })
    }

    /// Returns the staging version of prompt `id`.
    ///
    /// # Errors
    ///
    /// Fails when the prompt has no staging version or its content was altered.
    pub fn staging(&self, id: &str) -> Result<ResolvedPrompt, RegistryError> {
        self.resolve(&Selector {
            id: id.to_owned(),
            which: Which::Status(Status::Staging),
        })
    }

    /// Builds the bundle of every prompt's version in `status` (normally production).
    ///
    /// # Errors
    ///
    /// Fails when a registry file cannot be read or a version's content does not match its
    /// hash: a bundle is never built from unverified content.
    pub(crate) fn export(&self, status: Status) -> Result<Export, RegistryError> {
        let mut prompts = Vec::new();
        let mut without_version = Vec::new();
        for id in self.ids()? {
            let record = self.load(&id)?;
            let Some(version) = record.with_status(status) else {
                without_version.push(id);
                continue;
            };
            let resolved = ResolvedPrompt::from_version(&id, version)?;
            prompts.push(BundlePrompt {
                id,
                version: resolved.version,
                content_hash: resolved.content_hash,
                model_target: resolved.model_target,
                files: resolved
                    .files
                    .into_iter()
                    .map(|f| BundleFile {
                        name: f.name,
                        text: f.text,
                    })
                    .collect(),
            });
        }
        Ok(Export {
            bundle: Bundle {
                format_version: 1,
                status,
                prompts,
            },
            without_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::test_helpers::{ID, Project};
    use crate::registry::{Bump, RegistryErrorKind};

    #[test]
    fn chat_prompts_render_as_messages_from_their_stored_files() {
        let files = vec![
            StoredFile {
                name: "chat.yaml".to_owned(),
                text: "- role: system\n  content: \"You help {{ company }}. {% include 'rules.j2' %}\"\n- role: user\n  content: |\n    {{ question }}\n".to_owned(),
            },
            StoredFile {
                name: "rules.j2".to_owned(),
                text: "Be brief.".to_owned(),
            },
        ];
        let prompt = ResolvedPrompt {
            id: "chat".to_owned(),
            version: semver::Version::new(1, 0, 0),
            status: Status::Production,
            content_hash: stored_hash(&files),
            model_target: "default".to_owned(),
            files,
        };
        assert!(prompt.is_chat());
        let rendered = prompt
            .render_messages(minijinja::context! { company => "Acme", question => "Why?" })
            .expect("render");
        let pairs: Vec<(&str, &str)> = rendered
            .messages
            .iter()
            .map(|message| (message.role.as_str(), message.content.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("system", "You help Acme. Be brief."), ("user", "Why?\n")]
        );
        let text = prompt
            .render(minijinja::context! {})
            .expect_err("a chat template is not one text");
        assert!(
            format!("{:?}", text.kind()).contains("render_messages"),
            "{text}"
        );
        assert!(
            prompt
                .render_messages(minijinja::context! { company => "Acme" })
                .is_err(),
            "strict variables"
        );
    }

    #[test]
    fn rendering_uses_stored_includes_and_strict_variables() {
        let p = Project::new();
        let first = p.released(1, Bump::Major, "first");
        p.write("suites/support/footer.j2", "EDITED ON DISK");

        let prompt = p.registry.production(ID).expect("production");
        let rendered = prompt
            .render(minijinja::context! { company => "Acme" })
            .expect("render");
        assert!(
            rendered
                .text
                .starts_with("You are a support agent for Acme.\nBe kind.\r\n\tThanks"),
            "{:?}",
            rendered.text
        );
        assert!(!rendered.text.contains("EDITED"));
        assert_eq!(
            (rendered.version, rendered.content_hash),
            (first.version.clone(), first.content_hash.clone())
        );
        let strict = prompt
            .render(minijinja::context! {})
            .expect_err("undefined variable");
        assert!(matches!(strict.kind(), RegistryErrorKind::Render { .. }));

        let export = p.registry.export(Status::Production).expect("export");
        assert!(export.without_version.is_empty());
        let bundle = Bundle::from_json(&export.bundle.to_json()).expect("bundle parses");
        assert_eq!(bundle.prompts[0].version, first.version);
        let from_bundle = bundle
            .get(ID)
            .expect("in bundle")
            .render(minijinja::context! { company => "Acme" })
            .expect("render");
        assert_eq!(
            from_bundle.text,
            p.registry
                .production(ID)
                .expect("production")
                .render(minijinja::context! { company => "Acme" })
                .expect("render")
                .text
        );
        assert!(
            p.registry
                .export(Status::Staging)
                .expect("export")
                .bundle
                .prompts
                .is_empty()
        );
        assert!(p.registry.staging(ID).is_err());
    }
}
