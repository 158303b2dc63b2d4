//! [`ResponseCache`]: model answers on disk, addressed by the SHA-256 of the canonical request.
//!
//! The key covers everything that decides an answer — provider, endpoint, model, every
//! generation parameter, the messages, and the attempt number after the first — and never the
//! API key, so an unchanged suite reruns without a single request, and any edit misses. Entries
//! are written to a temporary file and renamed into place, so two runs sharing a cache never
//! read half an entry; the last writer of the same key wins with an identical answer. Only
//! answers are stored: errors are never cached.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::Embeddings;
use crate::chat::{ModelOutput, Usage};
use crate::util::hash::{canonical_json, sha256_hex};

/// The directory of the cache under the project root unless configured.
pub(crate) const DEFAULT_CACHE_DIR: &str = ".promptci/cache";

/// promptci's directory of machine-local state under the project root (the default cache).
pub(crate) const STATE_DIR: &str = ".promptci";

/// Bumped when entries or keys change meaning, so old entries simply miss.
const CACHE_FORMAT: u32 = 1;

/// How a run uses the response cache (`--cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Answer from the cache when possible and store new answers (the default locally).
    ReadWrite,
    /// Answer from the cache when possible; never write (for shared or committed caches).
    ReadOnly,
    /// Neither read nor write (the default when the `CI` variable is set).
    Off,
    /// Ask the model every time and overwrite what the cache holds.
    Refresh,
}

impl CacheMode {
    /// Returns the default: `off` when the `CI` environment variable is set (a CI run should
    /// judge the model, not yesterday's answers), else `read-write`.
    #[must_use]
    pub(crate) fn default_for_environment() -> Self {
        let in_ci = std::env::var("CI")
            .is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false" | "FALSE" | "False"));
        if in_ci { Self::Off } else { Self::ReadWrite }
    }

    /// Returns true when cached answers are used.
    #[must_use]
    pub(crate) fn reads(self) -> bool {
        matches!(self, Self::ReadWrite | Self::ReadOnly)
    }

    /// Returns true when new answers are stored.
    #[must_use]
    pub(crate) fn writes(self) -> bool {
        matches!(self, Self::ReadWrite | Self::Refresh)
    }
}

/// The content address of one request: a lowercase hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey(String);

impl CacheKey {
    /// Computes the key of a provider's canonical request for the given attempt. The attempt
    /// counts only after the first, so single-shot runs share keys with earlier runs while the
    /// repeats of a case stay independent answers.
    #[must_use]
    pub(crate) fn new(canonical_request: &Value, attempt: u32) -> Self {
        let mut keyed = serde_json::json!({
            "cache_format": CACHE_FORMAT,
            "request": canonical_request,
        });
        if attempt > 1 {
            keyed["attempt"] = Value::from(attempt);
        }
        Self(sha256_hex(canonical_json(&keyed).as_bytes()))
    }

    /// Computes the key of a judge call: the grader's canonical request, the attempt whose
    /// answer it judges and the vote, so every vote and attempt is an independent call even
    /// where the API takes no seed or two attempts answered alike.
    #[must_use]
    pub(crate) fn for_judge(canonical_request: &Value, attempt: u32, vote: u32) -> Self {
        let mut keyed = serde_json::json!({
            "cache_format": CACHE_FORMAT,
            "judge": canonical_request,
            "attempt": attempt,
        });
        if vote > 1 {
            keyed["vote"] = Value::from(vote);
        }
        Self(sha256_hex(canonical_json(&keyed).as_bytes()))
    }

    /// Returns the hex digest.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// One stored answer, as it sits on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CacheEntry {
    cache_format: u32,
    key: String,
    text: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    latency_ms: u64,
    #[serde(default)]
    ttft_ms: Option<u64>,
    /// An embedder's vectors, each as base64 of little-endian `f32`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    embeddings: Option<Vec<String>>,
}

/// The on-disk response cache of a run.
#[derive(Debug)]
pub(crate) struct ResponseCache {
    dir: PathBuf,
    mode: CacheMode,
    /// promptci's own state directory holding `dir`, given a `.gitignore` when the first
    /// answer creates it.
    state_dir: Option<PathBuf>,
    /// The first failure to store an answer: a cache that cannot be written slows later runs
    /// but must not fail this one, so it is reported once at the end.
    write_failure: Mutex<Option<String>>,
}

impl ResponseCache {
    /// Opens the cache in `dir` (created on the first write) with `mode`.
    #[must_use]
    pub(crate) fn new(dir: PathBuf, mode: CacheMode) -> Self {
        Self {
            dir,
            mode,
            state_dir: None,
            write_failure: Mutex::new(None),
        }
    }

    /// Marks `dir` as inside promptci's own state directory `state_dir`: when storing an
    /// answer creates that directory, it gets a `.gitignore` ignoring everything, so cached
    /// answers never end up in a commit.
    #[must_use]
    pub(crate) fn in_state_dir(mut self, state_dir: PathBuf) -> Self {
        self.state_dir = Some(state_dir);
        self
    }

    /// Returns the stored answer for `key`, marked as cached, when the mode reads and there is
    /// a readable entry. A corrupt or foreign entry is a miss, never an error.
    #[must_use]
    pub(crate) fn lookup(&self, key: &CacheKey) -> Option<ModelOutput> {
        if !self.mode.reads() {
            return None;
        }
        let entry = self.read(key)?;
        Some(ModelOutput {
            text: entry.text,
            usage: entry.usage,
            latency_ms: entry.latency_ms,
            ttft_ms: entry.ttft_ms,
            model: entry.model,
            finish_reason: entry.finish_reason,
            cached: true,
        })
    }

    fn read(&self, key: &CacheKey) -> Option<CacheEntry> {
        if !self.mode.reads() {
            return None;
        }
        let text = std::fs::read_to_string(self.entry_path(key)).ok()?;
        let entry: CacheEntry = serde_json::from_str(&text).ok()?;
        (entry.cache_format == CACHE_FORMAT && entry.key == key.0).then_some(entry)
    }

    /// Returns the stored vectors for `key`, like [`lookup`](Self::lookup).
    #[must_use]
    pub(crate) fn lookup_embeddings(&self, key: &CacheKey) -> Option<Embeddings> {
        let entry = self.read(key)?;
        let vectors = entry
            .embeddings?
            .iter()
            .map(|text| crate::assert::judge::embedding::decode(text))
            .collect::<Option<Vec<_>>>()?;
        Some(Embeddings {
            vectors,
            usage: entry.usage,
            model: entry.model,
            cached: true,
        })
    }

    /// Stores an answer under `key` when the mode writes. Answers that came from a cache or a
    /// recording are not stored again.
    pub(crate) fn store(&self, key: &CacheKey, output: &ModelOutput) {
        if output.cached {
            return;
        }
        self.write(&CacheEntry {
            cache_format: CACHE_FORMAT,
            key: key.0.clone(),
            text: output.text.clone(),
            model: output.model.clone(),
            finish_reason: output.finish_reason.clone(),
            usage: output.usage,
            latency_ms: output.latency_ms,
            ttft_ms: output.ttft_ms,
            embeddings: None,
        });
    }

    /// Stores vectors under `key`, like [`store`](Self::store).
    pub(crate) fn store_embeddings(&self, key: &CacheKey, embeddings: &Embeddings) {
        if embeddings.cached {
            return;
        }
        self.write(&CacheEntry {
            cache_format: CACHE_FORMAT,
            key: key.0.clone(),
            text: String::new(),
            model: embeddings.model.clone(),
            finish_reason: None,
            usage: embeddings.usage,
            latency_ms: 0,
            ttft_ms: None,
            embeddings: Some(
                embeddings
                    .vectors
                    .iter()
                    .map(|vector| crate::assert::judge::embedding::encode(vector))
                    .collect(),
            ),
        });
    }

    fn write(&self, entry: &CacheEntry) {
        if !self.mode.writes() {
            return;
        }
        let key = CacheKey(entry.key.clone());
        let path = self.entry_path(&key);
        let written = match &self.state_dir {
            Some(state_dir) => crate::util::file::create_ignored_dir(state_dir),
            None => Ok(()),
        }
        .and_then(|()| write_entry(&path, entry));
        if let Err(error) = written {
            let mut failure = self
                .write_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            failure.get_or_insert_with(|| format!("`{}`: {error}", path.display()));
        }
    }

    /// Returns the first failure to store an answer, if any.
    #[must_use]
    pub(crate) fn write_failure(&self) -> Option<String> {
        self.write_failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Two hex digits of fan-out keep directories small for large suites.
    fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.0[..2]).join(format!("{}.json", key.0))
    }
}

fn write_entry(path: &Path, entry: &CacheEntry) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(entry).expect("a cache entry always serialises");
    bytes.push(b'\n');
    crate::util::file::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(text: &str) -> ModelOutput {
        ModelOutput {
            text: text.to_owned(),
            usage: Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 2,
            }),
            latency_ms: 40,
            model: Some("m".to_owned()),
            ..ModelOutput::default()
        }
    }

    #[test]
    fn keys_ignore_field_order_and_count_attempts_after_the_first() {
        let a = json!({"model": "m", "body": {"temperature": 0, "messages": ["hi"]}});
        let b = json!({"body": {"messages": ["hi"], "temperature": 0}, "model": "m"});
        assert_eq!(CacheKey::new(&a, 1), CacheKey::new(&b, 1));
        assert_eq!(CacheKey::new(&a, 1), CacheKey::new(&a, 0));
        assert_ne!(CacheKey::new(&a, 1), CacheKey::new(&a, 2));
        assert_ne!(CacheKey::new(&a, 2), CacheKey::new(&a, 3));
        let edited = json!({"model": "m", "body": {"temperature": 0, "messages": ["hi!"]}});
        assert_ne!(CacheKey::new(&a, 1), CacheKey::new(&edited, 1));
        assert_eq!(CacheKey::new(&a, 1).as_str().len(), 64);
    }

    #[test]
    fn stores_and_reads_back_marked_as_cached() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResponseCache::new(dir.path().join("cache"), CacheMode::ReadWrite);
        let key = CacheKey::new(&json!({"m": 1}), 1);
        assert_eq!(cache.lookup(&key), None);
        cache.store(&key, &answer("hello"));
        let hit = cache.lookup(&key).unwrap();
        assert!(hit.cached);
        assert_eq!(hit.text, "hello");
        assert_eq!(hit.latency_ms, 40);
        assert_eq!(hit.usage, answer("x").usage);
        assert_eq!(cache.write_failure(), None);
    }

    #[test]
    fn modes_decide_reading_and_writing() {
        let dir = tempfile::tempdir().unwrap();
        let key = CacheKey::new(&json!({"m": 1}), 1);
        ResponseCache::new(dir.path().to_owned(), CacheMode::ReadOnly).store(&key, &answer("a"));
        ResponseCache::new(dir.path().to_owned(), CacheMode::Off).store(&key, &answer("a"));
        let read_write = ResponseCache::new(dir.path().to_owned(), CacheMode::ReadWrite);
        assert_eq!(
            read_write.lookup(&key),
            None,
            "read-only and off never write"
        );
        let refresh = ResponseCache::new(dir.path().to_owned(), CacheMode::Refresh);
        refresh.store(&key, &answer("fresh"));
        assert_eq!(refresh.lookup(&key), None, "refresh never reads");
        assert_eq!(read_write.lookup(&key).unwrap().text, "fresh");
        let read_only = ResponseCache::new(dir.path().to_owned(), CacheMode::ReadOnly);
        assert_eq!(read_only.lookup(&key).unwrap().text, "fresh");
        assert_eq!(
            ResponseCache::new(dir.path().to_owned(), CacheMode::Off).lookup(&key),
            None
        );
    }

    #[test]
    fn corrupt_entries_miss_and_cached_answers_are_not_restored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResponseCache::new(dir.path().to_owned(), CacheMode::ReadWrite);
        let key = CacheKey::new(&json!({"m": 1}), 1);
        let path = cache.entry_path(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"cache_format\": 1, \"key\"").unwrap();
        assert_eq!(cache.lookup(&key), None);
        let mut cached = answer("old");
        cached.cached = true;
        cache.store(&key, &cached);
        assert_eq!(cache.lookup(&key), None);
    }

    #[test]
    fn concurrent_writers_leave_a_whole_entry() {
        let dir = tempfile::tempdir().unwrap();
        let key = CacheKey::new(&json!({"m": 1}), 1);
        std::thread::scope(|scope| {
            for writer in 0..8 {
                let dir = dir.path().to_owned();
                let key = key.clone();
                scope.spawn(move || {
                    let cache = ResponseCache::new(dir, CacheMode::ReadWrite);
                    for _ in 0..20 {
                        cache.store(&key, &answer(&format!("answer {writer}")));
                        let read = cache.lookup(&key).expect("readers see whole entries");
                        assert!(read.text.starts_with("answer "));
                    }
                });
            }
        });
        let files = std::fs::read_dir(dir.path().join(&key.as_str()[..2]))
            .unwrap()
            .count();
        assert_eq!(files, 1, "no temp files left behind");
    }

    #[test]
    fn unwritable_cache_reports_once_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let cache = ResponseCache::new(blocker.join("cache"), CacheMode::ReadWrite);
        cache.store(&CacheKey::new(&json!(1), 1), &answer("a"));
        assert!(cache.write_failure().is_some());
    }
}
