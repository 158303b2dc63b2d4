//! Model-graded assertions' pure half: the default judge prompts, reading a grader's answer
//! as a verdict ([`parse`]), deciding by majority ([`votes`]) and comparing embeddings
//! ([`embedding`]). The judge calls themselves go through the scheduler like any request to a
//! target.

pub(crate) mod embedding;
pub(crate) mod parse;
pub(crate) mod votes;
