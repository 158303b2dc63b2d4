//! Prompt templates rendered with minijinja: text templates ([`Renderer`]) and chat templates
//! ([`ChatTemplate`], a list of messages whose contents are templates).
//!
//! Undefined variables are errors, `include`/`import` resolve beside the template, and values
//! are inserted literally: a value containing `{{ … }}` is text, never evaluated.

#[expect(
    dead_code,
    reason = "wired in by the next changes of the suite language; each expectation goes when its module is used"
)]
mod chat;
mod renderer;

#[expect(
    unused_imports,
    reason = "wired in by the next changes of the suite language; each expectation goes when its module is used"
)]
pub(crate) use chat::{ChatTemplate, chat_environment, is_chat_file};
pub(crate) use renderer::{Renderer, describe_error, prompt_environment, template_problem};
