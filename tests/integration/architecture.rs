//! Dependencies point one way: no top-level module of `src/` imports another that imports it
//! back (directly or around a longer cycle), and none imports from a layer above its own, as
//! `ARCHITECTURE.md` lists the layers.
//!
//! An import is any `crate::…` path (in `use` lines or written inline, including
//! `crate::{a, b::c}` groups) or a `super::…` path that climbs to the crate root, outside
//! comment lines. Test modules count too: a test of a low layer may not reach up either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One import of another top-level module: where it is written.
#[derive(Debug, Clone)]
struct Import {
    file: String,
    line: usize,
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level modules of `src/`: `src/x.rs` and `src/x/`, without `lib.rs` and `main.rs`.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            let is_module = path.is_dir() || path.extension().is_some_and(|ext| ext == "rs");
            (is_module && name != "lib" && name != "main").then_some(name)
        })
        .collect()
}

/// The module path of a file below `src/`: `src/a/b.rs` is `["a", "b"]`, `src/a/mod.rs` is
/// `["a"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

/// The identifiers that follow `prefix` in `text` (`crate::x` gives `x`; `crate::{x, y::z}`
/// gives `x` and `y`).
fn names_after(text: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

/// Every import between top-level modules: `graph[a][b]` lists where `a` imports `b`.
fn import_graph(src: &Path) -> BTreeMap<String, BTreeMap<String, Vec<Import>>> {
    let modules = top_level_modules(src);
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<Import>>> = BTreeMap::new();
    for file in rust_files(src) {
        let path = module_path(src, &file);
        let Some(top) = path.first().filter(|top| modules.contains(*top)) else {
            continue;
        };
        // `super::` climbs from the file's module; this many of them reach the crate root.
        let to_root = format!("{}::", vec!["super"; path.len()].join("::"));
        let text = std::fs::read_to_string(&file).unwrap();
        // Joining a `use` group's lines keeps `crate::{…}` on one line; line numbers stay those
        // of the group's first line.
        let mut statement = String::new();
        let mut first_line = 0;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            if statement.is_empty() {
                first_line = index + 1;
            }
            statement.push_str(trimmed);
            statement.push(' ');
            let open = statement.matches('{').count() > statement.matches('}').count();
            if open && statement.trim_start().starts_with("use ") {
                continue;
            }
            let mut names = names_after(&statement, "crate::");
            names.extend(names_after(&statement, &to_root));
            for name in names {
                if modules.contains(&name) && name != *top {
                    graph
                        .entry(top.clone())
                        .or_default()
                        .entry(name)
                        .or_default()
                        .push(Import {
                            file: file.strip_prefix(repo()).unwrap().display().to_string(),
                            line: first_line,
                        });
                }
            }
            statement.clear();
        }
    }
    graph
}

/// The layers of `ARCHITECTURE.md`: the rows of its layer table (`| N | name | `modules` |…`),
/// as module → (layer number, layer name).
fn layers() -> BTreeMap<String, (u32, String)> {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let mut layers = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, number, name, modules, ..] = cells.as_slice() else {
            continue;
        };
        let Ok(number) = number.parse::<u32>() else {
            continue;
        };
        for module in modules.split('`').skip(1).step_by(2) {
            let previous = layers.insert(module.to_owned(), (number, (*name).to_owned()));
            assert!(
                previous.is_none(),
                "ARCHITECTURE.md lists `{module}` in two layers"
            );
        }
    }
    layers
}

/// The cycles of the graph: its strongly connected components of more than one module.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, Vec<Import>>>) -> Vec<Vec<String>> {
    struct Search<'g> {
        graph: &'g BTreeMap<String, BTreeMap<String, Vec<Import>>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        found: Vec<Vec<String>>,
    }
    impl Search<'_> {
        fn visit(&mut self, module: &str) {
            let index = self.index.len();
            self.index.insert(module.to_owned(), index);
            self.low.insert(module.to_owned(), index);
            self.stack.push(module.to_owned());
            let graph = self.graph;
            for next in graph.get(module).into_iter().flat_map(BTreeMap::keys) {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module.to_owned(), low);
                } else if self.stack.contains(next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module.to_owned(), low);
                }
            }
            if self.low[module] == self.index[module] {
                let at = self.stack.iter().rposition(|m| m == module).unwrap();
                let component: Vec<String> = self.stack.split_off(at);
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !search.index.contains_key(module) {
            search.visit(module);
        }
    }
    search.found
}

/// Returns the shortest cycle through the modules of `component`, as the modules in order
/// (the first one again at the end).
fn shortest_cycle(
    component: &[String],
    graph: &BTreeMap<String, BTreeMap<String, Vec<Import>>>,
) -> Vec<String> {
    let members: BTreeSet<&String> = component.iter().collect();
    let mut best: Vec<String> = Vec::new();
    for start in component {
        // Breadth-first from `start` back to `start`, inside the component.
        let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        while let Some(module) = queue.pop_front() {
            for next in graph[module].keys().filter(|next| members.contains(next)) {
                if next == start {
                    closing = Some(module);
                    break;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, module);
                    queue.push_back(next);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let Some(mut module) = closing else {
            continue;
        };
        let mut path = vec![start.clone(), module.clone()];
        while module != start {
            module = previous[module];
            path.push(module.clone());
        }
        path.reverse();
        if best.is_empty() || path.len() < best.len() {
            best = path;
        }
    }
    best
}

/// Describes a cycle: its shortest loop with where each module imports the next, and every
/// module caught in it.
fn describe_cycle(
    component: &[String],
    graph: &BTreeMap<String, BTreeMap<String, Vec<Import>>>,
) -> String {
    let path = shortest_cycle(component, graph);
    let mut lines = vec![format!(
        "cycle between top-level modules: {}",
        path.join(" → ")
    )];
    for hop in path.windows(2) {
        let at = &graph[&hop[0]][&hop[1]][0];
        lines.push(format!(
            "  {} imports {} at {}:{}",
            hop[0], hop[1], at.file, at.line
        ));
    }
    if component.len() + 1 > path.len() {
        let mut all = component.to_vec();
        all.sort();
        lines.push(format!("  (modules caught in it: {})", all.join(", ")));
    }
    lines.join("\n")
}

#[test]
fn top_level_modules_import_only_their_own_layer_or_lower_ones_and_never_in_a_cycle() {
    let src = repo().join("src");
    let graph = import_graph(&src);
    let problems: Vec<String> = cycles(&graph)
        .iter()
        .map(|cycle| describe_cycle(cycle, &graph))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let layers = layers();
    let modules = top_level_modules(&src);
    let listed: BTreeSet<String> = layers.keys().cloned().collect();
    let unlisted: Vec<&String> = modules.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "ARCHITECTURE.md's layer table does not list {unlisted:?}: add each to the layer it belongs to"
    );
    let gone: Vec<&String> = layers.keys().filter(|m| !modules.contains(*m)).collect();
    assert!(
        gone.is_empty(),
        "ARCHITECTURE.md lists modules that are not in src/: {gone:?}"
    );
    let mut upward = Vec::new();
    for (from, imports) in &graph {
        for (to, places) in imports {
            let ((from_layer, from_name), (to_layer, to_name)) = (&layers[from], &layers[to]);
            if to_layer > from_layer {
                let at = &places[0];
                upward.push(format!(
                    "`{from}` (layer {from_layer}, {from_name}) imports `{to}` (layer {to_layer}, {to_name}) at {}:{}",
                    at.file, at.line
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "a module imports from a layer above its own:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_import_scan_finds_groups_inline_paths_and_super_paths() {
    let names = names_after(
        "use crate::{error::Error, util::format::plural}; x(crate::plan::build); mycrate::no",
        "crate::",
    );
    assert_eq!(names, ["error", "util", "plan"]);
    assert_eq!(
        names_after("use super::super::results::JsonReport;", "super::super::"),
        ["results"]
    );
    let graph = BTreeMap::from([
        (
            "a".to_owned(),
            BTreeMap::from([(
                "b".to_owned(),
                vec![Import {
                    file: "src/a.rs".to_owned(),
                    line: 3,
                }],
            )]),
        ),
        (
            "b".to_owned(),
            BTreeMap::from([(
                "a".to_owned(),
                vec![Import {
                    file: "src/b/c.rs".to_owned(),
                    line: 7,
                }],
            )]),
        ),
    ]);
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    let described = describe_cycle(&found[0], &graph);
    assert!(
        described.starts_with("cycle between top-level modules: a → b → a")
            || described.starts_with("cycle between top-level modules: b → a → b"),
        "{described}"
    );
    assert!(
        described.contains("a imports b at src/a.rs:3"),
        "{described}"
    );
    assert!(
        described.contains("b imports a at src/b/c.rs:7"),
        "{described}"
    );
}
