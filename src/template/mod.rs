//! Prompt templates rendered with minijinja: text templates ([`Renderer`]) and chat templates
//! ([`ChatTemplate`], a list of messages whose contents are templates).
//!
//! Undefined variables are errors, `include`/`import` resolve beside the template (and never
//! outside the project, see `loader`), and values
//! are inserted literally: a value containing `{{ … }}` is text, never evaluated.

mod chat;
mod loader;
mod renderer;
mod variables;

/// Template variables: names to any YAML value.
pub(crate) type Vars = std::collections::BTreeMap<String, serde_json::Value>;

pub(crate) use chat::{ChatTemplate, chat_environment, is_chat_file, keep_trailing_newlines};
pub(crate) use loader::check_template;
pub(crate) use renderer::{
    Renderer, describe_error, prompt_environment, set_render_fuel, template_problem,
};
pub(crate) use variables::undeclared_variables;
