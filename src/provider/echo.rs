//! [`EchoProvider`]: the built-in offline target that answers with the prompt it was sent, so
//! template logic can be asserted without a model.
//!
//! The answer is what promptfoo's `echo` provider returns for the same prompt, so a suite
//! ported from promptfoo keeps its verdicts. promptfoo calls a provider with the rendered
//! prompt as one string: a text prompt is its text; a chat prompt (a JSON or YAML list of
//! messages) is `JSON.stringify(messages, null, 2)`. So:
//! - a text prompt sent as the only, `user`, message answers with that message's text;
//! - anything else (a chat template, a system message, several turns) answers with the
//!   conversation as a JSON array of `{"role", "content"}` objects, two-space indented, with
//!   the same escapes as JavaScript's `JSON.stringify`.

use super::model::ChatRequest;
use crate::chat::{Message, ModelOutput, Role};
use crate::config::Target;

/// The built-in target that echoes its prompt.
#[derive(Debug, Clone)]
pub(crate) struct EchoProvider {
    model: String,
}

impl EchoProvider {
    /// Creates the echo target for `target`.
    #[must_use]
    pub(crate) fn new(target: &Target) -> Self {
        Self {
            model: target.model.clone(),
        }
    }

    /// Answers a request at once.
    #[must_use]
    pub(crate) fn complete(&self, request: &ChatRequest<'_>) -> ModelOutput {
        ModelOutput {
            text: echo(request.messages, request.chat_prompt),
            model: Some(self.model.clone()),
            finish_reason: Some("stop".to_owned()),
            // The whole answer is there at once.
            ttft_ms: Some(0),
            ..ModelOutput::default()
        }
    }
}

/// Returns the echo of a conversation; `chat_prompt` says whether its prompt is a chat file.
fn echo(messages: &[Message], chat_prompt: bool) -> String {
    match messages {
        [only] if only.role == Role::User && !chat_prompt => only.content.clone(),
        _ => serde_json::to_string_pretty(messages).expect("messages always serialise"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_user_message_of_a_text_prompt_is_echoed_as_is() {
        let messages = [Message::new(Role::User, "Answer as a pirate: \"Where?\"\n")];
        assert_eq!(echo(&messages, false), "Answer as a pirate: \"Where?\"\n");
    }

    #[test]
    fn chat_prompts_and_conversations_are_echoed_as_promptfoo_stringifies_them() {
        // `JSON.stringify([{role: "user", content: "Hi"}], null, 2)` in Node.
        let lone = [Message::new(Role::User, "Hi")];
        assert_eq!(
            echo(&lone, true),
            "[\n  {\n    \"role\": \"user\",\n    \"content\": \"Hi\"\n  }\n]"
        );
        // JSON.stringify escapes quotes, backslashes and control characters (\b \f \n \r \t,
        // others as lowercase \u00xx) and leaves every other character, non-ASCII included, as is.
        let messages = [
            Message::new(Role::System, "Tab\there, bell\u{7}, é, \\"),
            Message::new(Role::User, "line\r\nnext \"quoted\""),
        ];
        assert_eq!(
            echo(&messages, false),
            "[\n  {\n    \"role\": \"system\",\n    \"content\": \"Tab\\there, bell\\u0007, é, \\\\\"\n  },\n  {\n    \"role\": \"user\",\n    \"content\": \"line\\r\\nnext \\\"quoted\\\"\"\n  }\n]"
        );
    }
}
