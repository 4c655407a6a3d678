//! [`RuleSet`]: the compiled rule files of a directory and the entry point for calling hooks.
//!
//! # Loading
//!
//! Every file is compiled once; its [`AST`] (functions only) is kept. A file may contain
//! only `fn` definitions and `const` declarations with literal values at its top level.
//! Hooks are called with `CallFnOptions::eval_ast(false)`: the top level never runs at call
//! time. The constants' values are taken from the compiled AST at load time and served by
//! a variable resolver to every function of every file (closures included) wherever the
//! name is not a local variable or parameter; a constant name may therefore be declared
//! only once across all files.
//!
//! Functions are different: each file is its own namespace. A helper function is visible
//! only to the functions of its file, and two files may define helpers of the same name.
//! A hook may be defined only once across all files.
//!
//! # Calling
//!
//! Every call uses a fresh, empty [`Scope`] (no state survives between calls, nothing
//! grows) and a fresh operation budget and wall-clock deadline.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs, Position, Scope, AST};

use super::error::{LimitKind, Location, RuleError, RuleLoadError, RuleLoadErrors};
use super::hooks::{hook_spec, SCORE_PREFIX};
use super::limits::Limits;
use super::outline::{outline, FnItem, Outline};
use super::sandbox::{build_engine, Deadline, RuleLog, MEMORY_TOKEN, WALL_CLOCK_TOKEN};

/// One compiled rule file.
#[derive(Debug, Clone)]
struct RuleFile {
    path: PathBuf,
    ast: AST,
}

/// Where a hook is defined.
#[derive(Debug, Clone)]
struct HookBinding {
    file: usize,
    location: Location,
}

/// A loaded, compiled set of rule files and the sandboxed engine that runs them.
///
/// `RuleSet` is not `Send`: Rhai is built without its `sync` feature (which would cost
/// ~17% per call). Load one rule set per thread if rules must run on several threads.
///
/// # Example
///
/// ```
/// use fieldwork::rules::{RuleSet, Verdict};
///
/// let rules = RuleSet::from_sources(&[(
///     "dispatch.rhai",
///     r#"
///     const MAX_KM = 80;
///     fn dispatch_policy() { #{ max_travel_km: MAX_KM } }
///     fn eligible(order, tech) {
///         if order.km > MAX_KM { `too far: ${order.km} km` } else { true }
///     }
///     "#,
/// )])?;
///
/// // A defined hook returns Some(value).
/// let policy = rules.call_hook("dispatch_policy", ())?.expect("defined");
/// let km = rules.value("dispatch_policy", policy).field("max_travel_km")?.expect("set").number()?;
/// assert_eq!(km, 80.0);
///
/// let mut order = rhai::Map::new();
/// order.insert("km".into(), 120_i64.into());
/// let verdict = rules.call_hook("eligible", (order, ()))?.expect("defined");
/// assert_eq!(
///     rules.expect_bool_or_reason("eligible", verdict)?,
///     Verdict::No("too far: 120 km".into())
/// );
///
/// // An absent hook returns None: the caller uses its built-in default.
/// assert!(rules.call_hook("order_profile", ((), ()))?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RuleSet {
    engine: Engine,
    files: Vec<RuleFile>,
    hooks: HashMap<String, HookBinding>,
    log: RuleLog,
    deadline: Deadline,
    limits: Limits,
    /// Hooks stopped for the rest of the run: a call ran into the operation, time, memory or
    /// call-depth limit.
    stopped: RefCell<HashMap<String, LimitKind>>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("files", &self.files())
            .field("hooks", &self.hook_names())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RuleSet {
    /// A rule set without files: every hook is absent, callers use their defaults.
    pub fn empty() -> Self {
        Self::new_with(&Limits::default())
    }

    fn new_with(limits: &Limits) -> Self {
        let (engine, log, deadline) = build_engine(limits);
        Self {
            engine,
            files: Vec::new(),
            hooks: HashMap::new(),
            log,
            deadline,
            limits: limits.clone(),
            stopped: RefCell::new(HashMap::new()),
        }
    }

    /// Loads every `*.rhai` file of `dir` (sorted by file name) with the default
    /// [`Limits`].
    ///
    /// # Errors
    /// Every problem found in every file (unreadable files, syntax errors, hooks with the
    /// wrong parameter count or defined twice, top-level statements…), each with its
    /// `path:line:col`.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, RuleLoadErrors> {
        Self::load_dir_with(dir, &Limits::default())
    }

    /// Like [`load_dir`](Self::load_dir), with explicit limits.
    ///
    /// # Errors
    /// As [`load_dir`](Self::load_dir).
    pub fn load_dir_with(dir: impl AsRef<Path>, limits: &Limits) -> Result<Self, RuleLoadErrors> {
        let (sources, mut errors) = read_dir_sources(dir.as_ref());
        let result = Self::build(&sources, limits);
        match result {
            Ok(rules) if errors.is_empty() => Ok(rules),
            Ok(_) => Err(RuleLoadErrors(errors)),
            Err(more) => {
                errors.extend(more);
                Err(RuleLoadErrors(errors))
            }
        }
    }

    /// Compiles rule sources given in memory as `(name, source)` pairs, in the given order,
    /// with the default [`Limits`]. The name stands for the path in locations.
    ///
    /// # Errors
    /// As [`load_dir`](Self::load_dir).
    pub fn from_sources<N: AsRef<str>, S: AsRef<str>>(
        sources: &[(N, S)],
    ) -> Result<Self, RuleLoadErrors> {
        Self::from_sources_with(sources, &Limits::default())
    }

    /// Like [`from_sources`](Self::from_sources), with explicit limits.
    ///
    /// # Errors
    /// As [`load_dir`](Self::load_dir).
    pub fn from_sources_with<N: AsRef<str>, S: AsRef<str>>(
        sources: &[(N, S)],
        limits: &Limits,
    ) -> Result<Self, RuleLoadErrors> {
        let owned: Vec<(PathBuf, String)> = sources
            .iter()
            .map(|(n, s)| (PathBuf::from(n.as_ref()), s.as_ref().to_string()))
            .collect();
        Self::build(&owned, limits).map_err(RuleLoadErrors)
    }

    fn build(sources: &[(PathBuf, String)], limits: &Limits) -> Result<Self, Vec<RuleLoadError>> {
        let mut rules = Self::new_with(limits);
        let mut errors = Vec::new();
        let mut constants: Vec<Constant> = Vec::new();
        for (path, source) in sources {
            if let Some((ast, file_constants)) =
                compile_file(&rules.engine, path, source, &mut errors)
            {
                rules.bind_hooks(path, source, ast, &mut errors);
                for c in file_constants {
                    if let Some(first) = constants.iter().find(|k| k.name == c.name) {
                        errors.push(RuleLoadError::DuplicateConstant {
                            location: c.location,
                            name: c.name,
                            first: first.location.clone(),
                        });
                    } else {
                        constants.push(c);
                    }
                }
            }
        }
        if !constants.is_empty() {
            install_constants(&mut rules.engine, constants);
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            errors.sort_by(|a, b| a.location().cmp(b.location()));
            Err(errors)
        }
    }

    /// Registers the hooks of a compiled file and keeps its AST.
    fn bind_hooks(&mut self, path: &Path, source: &str, ast: AST, errors: &mut Vec<RuleLoadError>) {
        let items = outline(source).fns;
        let index = self.files.len();
        for f in ast.iter_functions() {
            if f.this_type.is_some() {
                continue;
            }
            let Some(spec) = hook_spec(f.name) else {
                continue;
            };
            let location = fn_location(path, &items, f.name, f.params.len());
            if f.params.len() != spec.arity() {
                errors.push(RuleLoadError::WrongArity {
                    location,
                    hook: f.name.to_string(),
                    signature: spec.signature(),
                    expected: spec.arity(),
                    found: f.params.len(),
                });
            } else if let Some(first) = self.hooks.get(f.name) {
                errors.push(RuleLoadError::DuplicateHook {
                    location,
                    hook: f.name.to_string(),
                    first: first.location.clone(),
                });
            } else {
                self.hooks.insert(
                    f.name.to_string(),
                    HookBinding {
                        file: index,
                        location,
                    },
                );
            }
        }
        self.files.push(RuleFile {
            path: path.to_path_buf(),
            ast,
        });
    }

    /// Whether the rules define hook `name` (for `score_*` hooks: that exact name).
    pub fn has_hook(&self, name: &str) -> bool {
        self.hooks.contains_key(name)
    }

    /// The hooks defined, sorted by name.
    pub fn hook_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.hooks.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The custom objectives defined as `score_<name>(order, tech)`, as `<name>`s, sorted.
    pub fn score_objectives(&self) -> Vec<&str> {
        self.hook_names()
            .into_iter()
            .filter_map(|n| n.strip_prefix(SCORE_PREFIX))
            .collect()
    }

    /// Where hook `name` is defined (its name in the `fn` line).
    pub fn hook_location(&self, name: &str) -> Option<&Location> {
        self.hooks.get(name).map(|b| &b.location)
    }

    /// The rule files loaded, in load order.
    pub fn files(&self) -> Vec<&Path> {
        self.files.iter().map(|f| f.path.as_path()).collect()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The buffer collecting the rules' `print` and `debug` output.
    pub fn log(&self) -> &RuleLog {
        &self.log
    }

    /// Calls hook `name` with `args` (a tuple of values convertible to [`Dynamic`], `()`
    /// for none, or a `Vec<Dynamic>`).
    ///
    /// Returns `Ok(None)` when the rules do not define the hook: the caller then applies
    /// the built-in default documented in the [hook registry](super::HOOKS).
    ///
    /// # Errors
    /// [`RuleError::UnknownHook`] and [`RuleError::ArgumentCount`] for host mistakes (a
    /// name not in the registry, a wrong number of arguments: checked even when the hook
    /// is absent); [`RuleError::Runtime`] for a script error, located at its innermost
    /// position; [`RuleError::LimitExceeded`] when a sandbox limit stopped the script.
    pub fn call_hook(&self, name: &str, args: impl FuncArgs) -> Result<Option<Dynamic>, RuleError> {
        let spec = hook_spec(name).ok_or_else(|| RuleError::UnknownHook {
            hook: name.to_string(),
        })?;
        let mut argv: Vec<Dynamic> = Vec::with_capacity(spec.arity());
        args.parse(&mut argv);
        if argv.len() != spec.arity() {
            return Err(RuleError::ArgumentCount {
                hook: name.to_string(),
                expected: spec.arity(),
                found: argv.len(),
            });
        }
        let Some(binding) = self.hooks.get(name) else {
            return Ok(None);
        };
        let Some(file) = self.files.get(binding.file) else {
            return Ok(None);
        };

        // A hook that ran away once (operations, wall clock, memory, call depth) is not called
        // again this run: the limits are per call, and a runaway hook called once per order
        // would cost the limit once per order.
        if let Some(limit) = self.stopped.borrow().get(name) {
            return Err(RuleError::Stopped {
                hook: name.to_string(),
                location: binding.location.clone(),
                limit: limit.clone(),
            });
        }

        self.deadline.start(self.limits.max_duration);
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let mut scope = Scope::new();
        let result = self
            .engine
            .call_fn_with_options::<Dynamic>(options, &mut scope, &file.ast, name, argv);
        self.deadline.clear();

        result.map(Some).map_err(|err| {
            let err = convert_error(
                name,
                &file.path,
                &binding.location,
                self.limits.max_memory,
                *err,
            );
            if let RuleError::LimitExceeded {
                limit:
                    limit @ (LimitKind::Operations
                    | LimitKind::Duration
                    | LimitKind::Memory(_)
                    | LimitKind::CallLevels),
                ..
            } = &err
            {
                self.stopped
                    .borrow_mut()
                    .insert(name.to_string(), limit.clone());
            }
            err
        })
    }

    /// Lets every hook stopped by [`RuleError::Stopped`] run again. A rule set normally lives for
    /// one run of a command, so hooks stop for that run; an application that keeps a rule set
    /// across runs calls this at the start of each run.
    ///
    /// ```
    /// use fieldwork::rules::{Limits, RuleError, RuleSet};
    /// let limits = Limits { max_operations: 1_000, ..Limits::default() };
    /// let rules = RuleSet::from_sources_with(
    ///     &[("sla.rhai", "fn sla_targets(o, c, a) { loop {} }")], &limits)?;
    /// let call = || rules.call_hook("sla_targets", ((), (), ()));
    /// assert!(matches!(call(), Err(RuleError::LimitExceeded { .. })));
    /// assert!(matches!(call(), Err(RuleError::Stopped { .. })));  // not run again
    /// rules.reset_stopped_hooks();
    /// assert!(matches!(call(), Err(RuleError::LimitExceeded { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset_stopped_hooks(&self) {
        self.stopped.borrow_mut().clear();
    }

    /// The location of hook `name`'s definition, or a file-less placeholder.
    pub(crate) fn location_of(&self, hook: &str) -> Location {
        self.hooks
            .get(hook)
            .map(|b| b.location.clone())
            .unwrap_or_else(|| Location::file("<rules>"))
    }
}

/// Reads the `*.rhai` files of `dir`, sorted by file name.
fn read_dir_sources(dir: &Path) -> (Vec<(PathBuf, String)>, Vec<RuleLoadError>) {
    let mut errors = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(RuleLoadError::Io {
                location: Location::file(dir),
                message: e.to_string(),
            });
            return (Vec::new(), errors);
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "rhai") && path.is_file() {
                    paths.push(path);
                }
            }
            Err(e) => errors.push(RuleLoadError::Io {
                location: Location::file(dir),
                message: e.to_string(),
            }),
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut sources = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(source) => sources.push((path, source)),
            Err(e) => errors.push(RuleLoadError::Io {
                location: Location::file(&path),
                message: e.to_string(),
            }),
        }
    }
    (sources, errors)
}

/// A top-level constant of a file.
struct Constant {
    name: String,
    value: Dynamic,
    location: Location,
}

/// Compiles one file, checking its top level; pushes problems to `errors`. Returns the
/// functions-only AST and the file's literal constants unless the file does not compile.
fn compile_file(
    engine: &Engine,
    path: &Path,
    source: &str,
    errors: &mut Vec<RuleLoadError>,
) -> Option<(AST, Vec<Constant>)> {
    let ast = match engine.compile(source) {
        Ok(ast) => ast,
        Err(e) => {
            errors.push(RuleLoadError::Syntax {
                location: Location::from_position(path, e.position()),
                message: e.err_type().to_string(),
            });
            return None;
        }
    };
    let Outline { consts, stray, .. } = outline(source);
    for (line, column) in stray {
        errors.push(RuleLoadError::TopLevelStatement {
            location: Location::new(path, line, column),
        });
    }

    let mut literals: Vec<(String, Dynamic)> = ast
        .iter_literal_variables(true, false)
        .map(|(name, _, value)| (name.to_string(), value))
        .collect();
    let mut constants = Vec::new();
    for c in consts {
        let location = Location::new(path, c.line, c.column);
        match literals.iter().position(|(n, _)| *n == c.name) {
            Some(i) => {
                let (name, value) = literals.remove(i);
                constants.push(Constant {
                    name,
                    value,
                    location,
                });
            }
            None => errors.push(RuleLoadError::NonLiteralConstant {
                location,
                name: c.name,
            }),
        }
    }
    // Even with top-level problems the file's hooks and constants are registered, so that
    // every problem (arity, duplicates) is reported in one pass.
    // The top level (constant declarations only) is never run at call time.
    let mut ast = ast.clone_functions_only();
    ast.set_source(path.to_string_lossy().as_ref());
    Some((ast, constants))
}

/// Serves the constants through Rhai's variable resolver: only for names the parser did
/// not resolve to a local slot (`index == 0`) and that are not in scope, so parameters
/// and local variables always shadow constants.
fn install_constants(engine: &mut Engine, constants: Vec<Constant>) {
    let table: HashMap<String, Dynamic> =
        constants.into_iter().map(|c| (c.name, c.value)).collect();
    // `on_var` is marked deprecated only as "volatile API"; it is the one hook that lets
    // closures capture constants (Rhai skips sharing a resolved variable).
    #[allow(deprecated)]
    engine.on_var(move |name, index, context| {
        if index > 0 {
            return Ok(None);
        }
        match table.get(name) {
            Some(value) if !context.scope().contains(name) => Ok(Some(value.clone())),
            _ => Ok(None),
        }
    });
}

/// The position of function `name`/`arity` in the outline (by name alone if need be).
fn fn_location(path: &Path, items: &[FnItem], name: &str, arity: usize) -> Location {
    items
        .iter()
        .find(|f| f.name == name && f.arity == arity && !f.is_method)
        .or_else(|| items.iter().find(|f| f.name == name))
        .map(|f| Location::new(path, f.line, f.column))
        .unwrap_or_else(|| Location::file(path))
}

/// Converts a Rhai error into a [`RuleError`], unwrapping nested function calls down to
/// the innermost position.
fn convert_error(
    hook: &str,
    path: &Path,
    hook_location: &Location,
    max_memory: usize,
    err: EvalAltResult,
) -> RuleError {
    let mut err = err;
    let mut call_chain = Vec::new();
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, _) = err {
        call_chain.push(name);
        err = *inner;
    }
    let limit = match &err {
        EvalAltResult::ErrorTooManyOperations(..) => Some(LimitKind::Operations),
        EvalAltResult::ErrorTerminated(token, ..)
            if token
                .clone()
                .into_string()
                .is_ok_and(|t| t == WALL_CLOCK_TOKEN) =>
        {
            Some(LimitKind::Duration)
        }
        EvalAltResult::ErrorTerminated(token, ..)
            if token.clone().into_string().is_ok_and(|t| t == MEMORY_TOKEN) =>
        {
            Some(LimitKind::Memory(max_memory))
        }
        EvalAltResult::ErrorStackOverflow(..) => Some(LimitKind::CallLevels),
        EvalAltResult::ErrorDataTooLarge(what, ..) => Some(LimitKind::DataSize(what.clone())),
        EvalAltResult::ErrorTooManyVariables(..) => Some(LimitKind::Variables),
        EvalAltResult::ErrorTooManyModules(..) | EvalAltResult::ErrorModuleNotFound(..) => {
            Some(LimitKind::Modules)
        }
        _ => None,
    };
    if let Some(limit) = limit {
        return RuleError::LimitExceeded {
            hook: hook.to_string(),
            location: hook_location.clone(),
            limit,
        };
    }
    let pos = err.take_position();
    let location = if pos == Position::NONE {
        hook_location.clone()
    } else {
        Location::from_position(path, pos)
    };
    RuleError::Runtime {
        hook: hook.to_string(),
        location,
        call_chain,
        message: err.to_string(),
    }
}
