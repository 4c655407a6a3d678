//! What the server keeps between requests so that a request does not reload the model and
//! recompile the rules (`benches/serve_context.rs`: 39 ms against 2.3 ms per request on the
//! demo database, test profile):
//!
//! - **the model**, shared by every request, keyed on the store's revision
//!   ([`AccessStore::revision`](crate::sql::access::AccessStore::revision), which grows with
//!   every committed write of the store, by any process). The revision is read *before* the
//!   model is loaded, so a model cached under revision R is at least as new as R: a request
//!   that read revision R' ≤ R may use it, and a write committed in between only makes a later
//!   request load again. A request therefore sees every change committed before it started —
//!   by this server or by any other process (the CLI, a worker). One request loads while the
//!   others that missed wait for it. Each request gets its own copy of the model (handlers may
//!   change it), which is far cheaper than decoding it from the database.
//! - **the compiled rules**, one per blocking thread (a [`RuleSet`](fieldwork::rules::RuleSet)
//!   holds a Rhai engine that cannot be shared between threads), keyed on the SHA-256 of the
//!   rule files' names and contents: a replacement through `PUT /rules` or an edit on disk is
//!   picked up by the next request. A cached rule set gets its stopped hooks reset and its log
//!   emptied before it is reused, so no request sees another's.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::ApiError;
use crate::cli::context::{Context, Rules, RulesArgs, DEFAULT_RULES_DIR};
use fieldwork::model::Model;

/// The rules of the server: the directory they are read from (none: built-in) and the
/// fingerprint of its rule files.
pub fn rules_fingerprint(args: &RulesArgs) -> Result<[u8; 32], ApiError> {
    let dir: Option<PathBuf> = match &args.rules {
        Some(dir) => Some(dir.clone()),
        None if Path::new(DEFAULT_RULES_DIR).is_dir() => Some(PathBuf::from(DEFAULT_RULES_DIR)),
        None => None,
    };
    let mut hash = Sha256::new();
    let Some(dir) = dir else {
        hash.update(b"built-in");
        return Ok(hash.finalize().into());
    };
    hash.update(dir.as_os_str().as_encoded_bytes());
    // An unreadable directory or file is not an error here: loading the rules reports it.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
                .collect()
        })
        .unwrap_or_default();
    // One pass over the directory's rule files (`PUT /rules` writes at most
    // `rules::MAX_RULE_FILES`; loading reads every one of them anyway).
    files.sort();
    for path in files {
        hash.update([0]);
        hash.update(path.as_os_str().as_encoded_bytes());
        hash.update([0]);
        match std::fs::read(&path) {
            Ok(bytes) => hash.update(&bytes),
            Err(e) => hash.update(e.to_string().as_bytes()),
        }
    }
    Ok(hash.finalize().into())
}

thread_local! {
    /// This thread's compiled rules and their fingerprint.
    static RULES: RefCell<Option<([u8; 32], Rules)>> = const { RefCell::new(None) };
}

/// This thread's rules for `fingerprint`: the cached ones when they match (reset for a new
/// request), else freshly loaded.
pub fn rules_for(args: &RulesArgs, fingerprint: [u8; 32]) -> Result<Rules, ApiError> {
    let cached = RULES.with(|cell| cell.borrow_mut().take());
    match cached {
        Some((key, rules)) if key == fingerprint => {
            rules.set.reset_stopped_hooks();
            let _ = rules.set.log().take();
            Ok(rules)
        }
        _ => Ok(args.load()?),
    }
}

/// Gives the rules back to this thread's cache.
fn keep_rules(fingerprint: [u8; 32], rules: Rules) {
    RULES.with(|cell| *cell.borrow_mut() = Some((fingerprint, rules)));
}

/// The model last loaded and the store revision it is at least as new as.
#[derive(Default)]
pub struct ModelCache {
    inner: Mutex<Option<(i64, Arc<Model>)>>,
    /// Held while a request loads the model, so that the requests that missed at once load
    /// it once.
    loading: Mutex<()>,
}

impl ModelCache {
    /// The cached model, if it is at least as new as `revision` (revisions only grow).
    pub fn get(&self, revision: i64) -> Option<Arc<Model>> {
        let cached = self.inner.lock().ok()?;
        cached
            .as_ref()
            .filter(|(r, _)| *r >= revision)
            .map(|(_, m)| m.clone())
    }

    /// Caches `model`, loaded after `revision` was read (unless a newer one is cached).
    pub fn put(&self, revision: i64, model: Arc<Model>) {
        if let Ok(mut cached) = self.inner.lock() {
            if cached.as_ref().is_none_or(|(r, _)| *r <= revision) {
                *cached = Some((revision, model));
            }
        }
    }

    /// The model at least as new as `revision`: the cached one, else `load`'s (cached), one
    /// loader at a time.
    pub fn get_or_load<E>(
        &self,
        revision: i64,
        load: impl FnOnce() -> Result<Model, E>,
    ) -> Result<Model, E> {
        if let Some(model) = self.get(revision) {
            return Ok(Model::clone(&model));
        }
        let _loading = self.loading.lock();
        // Another request may have loaded it meanwhile.
        if let Some(model) = self.get(revision) {
            return Ok(Model::clone(&model));
        }
        let model = load()?;
        self.put(revision, Arc::new(model.clone()));
        Ok(model)
    }
}

/// The context of one request: derefs to the CLI's [`Context`]; when dropped, its compiled
/// rules go back to the thread's cache.
pub struct RequestContext {
    context: Option<Context>,
    fingerprint: [u8; 32],
}

impl RequestContext {
    /// Wraps `context`, whose rules have `fingerprint`.
    pub fn new(context: Context, fingerprint: [u8; 32]) -> Self {
        Self {
            context: Some(context),
            fingerprint,
        }
    }
}

impl Deref for RequestContext {
    type Target = Context;

    fn deref(&self) -> &Context {
        // Some from construction until drop.
        self.context.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for RequestContext {
    fn deref_mut(&mut self) -> &mut Context {
        self.context.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for RequestContext {
    fn drop(&mut self) {
        if let Some(context) = self.context.take() {
            keep_rules(self.fingerprint, context.rules);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_the_rule_files_contents() {
        let dir = tempfile::tempdir().unwrap();
        let args = RulesArgs {
            rules: Some(dir.path().to_owned()),
        };
        let empty = rules_fingerprint(&args).unwrap();
        std::fs::write(dir.path().join("a.rhai"), "fn x() { 1 }").unwrap();
        let one = rules_fingerprint(&args).unwrap();
        assert_ne!(empty, one);
        assert_eq!(one, rules_fingerprint(&args).unwrap());
        std::fs::write(dir.path().join("a.rhai"), "fn x() { 2 }").unwrap();
        assert_ne!(one, rules_fingerprint(&args).unwrap());
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let two = rules_fingerprint(&args).unwrap();
        std::fs::remove_file(dir.path().join("notes.txt")).unwrap();
        assert_eq!(two, rules_fingerprint(&args).unwrap());
    }

    #[test]
    fn the_model_cache_answers_only_for_its_revision_or_older() {
        let cache = ModelCache::default();
        assert!(cache.get(1).is_none());
        cache.put(2, Arc::new(Model::default()));
        assert!(cache.get(2).is_some());
        assert!(
            cache.get(1).is_some(),
            "a newer model serves an older revision"
        );
        assert!(cache.get(3).is_none());
        let mut loads = 0;
        let mut load = || {
            loads += 1;
            Ok::<_, ()>(Model::default())
        };
        cache.get_or_load(3, &mut load).unwrap();
        cache.get_or_load(3, &mut load).unwrap();
        assert_eq!(loads, 1);
        // An older load never replaces a newer model.
        cache.put(1, Arc::new(Model::default()));
        assert!(cache.get(3).is_some());
    }
}
