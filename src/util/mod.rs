//! Small shared helpers, each with one home: text formatting ([`format`](mod@format)),
//! replacing files atomically ([`file`](mod@file)), running git ([`git`]), showing paths
//! ([`path`]) and URLs ([`url`]), and hashing ([`hash`]).
//!
//! This is the bottom layer: it imports nothing else from the crate, so every other module may
//! use it.

pub(crate) mod file;
pub(crate) mod format;
pub(crate) mod git;
pub(crate) mod hash;
pub(crate) mod path;
pub(crate) mod url;
