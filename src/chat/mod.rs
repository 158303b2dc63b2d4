//! The values that cross the provider boundary and that several stages read: a chat
//! [`Message`] and its [`Role`] (suites write them, plans render them, providers send them),
//! the [`ModelOutput`] with its [`Usage`] (providers return it, assertions judge it), and the
//! [`ProviderErrorKind`] of an answer that could not be had (results record it).
//!
//! These are plain values with no behaviour of their own, so suites, assertions, providers and
//! reports share them without importing each other.

mod case_error;
mod message;
mod model_output;
mod provider_error_kind;

pub(crate) use case_error::CaseError;
pub(crate) use message::{Message, Role};
pub(crate) use model_output::{ModelOutput, Usage};
pub(crate) use provider_error_kind::ProviderErrorKind;
