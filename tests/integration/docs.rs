//! The docs hold: every command in `README.md`, `CONTRIBUTING.md` and `docs/src/**/*.md` runs
//! when pasted, every relative link resolves, and `SUMMARY.md` lists every page.
//!
//! The conventions (also in CONTRIBUTING.md, "Docs"): a fenced block with the info string `sh`
//! is run one command at a time, in a fresh copy of the example project committed to a new git
//! repository, with the built `promptci` first on `PATH`; in a `console` block the lines that
//! start with `$ ` are the commands. A command exits 0 unless its line says `# exit N`.
//! `sh,no-run` and `console,no-run` blocks are shown, not run. A command that would run may
//! not hold a placeholder.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::git;

/// The files of the example project a pasted command may need.
const EXAMPLE_PROJECT: &[&str] = &[
    "promptci.yaml",
    "suites",
    "registry",
    "recordings",
    "fixtures",
    ".gitignore",
    ".gitattributes",
];

/// Info strings a fenced block may start with; any other is a mistake (`bash`, `shell`…).
const LANGUAGES: &[&str] = &["sh", "console", "yaml", "json", "text", "rust", "toml"];

/// The longest one pasted command may take: every runnable example is offline and quick.
const COMMAND_TIMEOUT: Duration = Duration::from_mins(2);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A Markdown file of the docs, by its path relative to the repository root.
struct Page {
    path: PathBuf,
    text: String,
}

/// Returns `README.md`, `CONTRIBUTING.md` and every Markdown file under `docs/src/`.
fn pages() -> Vec<Page> {
    let mut paths = vec![PathBuf::from("README.md"), PathBuf::from("CONTRIBUTING.md")];
    let mut pending = vec![PathBuf::from("docs/src")];
    let mut book = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(repo().join(&dir)).unwrap() {
            let entry = entry.unwrap();
            let path = dir.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "md") {
                book.push(path);
            }
        }
    }
    book.sort();
    paths.extend(book);
    paths
        .into_iter()
        .map(|path| Page {
            text: std::fs::read_to_string(repo().join(&path))
                .unwrap_or_else(|error| panic!("{}: {error}", path.display())),
            path,
        })
        .collect()
}

/// A fenced code block: its info string, and its lines with their 1-based line numbers.
struct Block {
    info: String,
    line: usize,
    lines: Vec<(usize, String)>,
}

impl Block {
    fn language(&self) -> &str {
        self.info.split(',').next().unwrap_or_default().trim()
    }

    fn attributes(&self) -> impl Iterator<Item = &str> {
        self.info.split(',').skip(1).map(str::trim)
    }

    fn is_no_run(&self) -> bool {
        self.attributes().any(|attribute| attribute == "no-run")
    }
}

/// Returns the fenced blocks of a page (backtick or tilde fences, indented ones in lists too).
fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, usize, Block)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let fence_len = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match &mut open {
            None => {
                if let Some(c) = fence_char.filter(|_| fence_len >= 3) {
                    let info = trimmed[fence_len..].trim().to_owned();
                    open = Some((
                        c,
                        fence_len,
                        indent,
                        Block {
                            info,
                            line: number,
                            lines: Vec::new(),
                        },
                    ));
                }
            }
            Some((c, len, open_indent, block)) => {
                if fence_char == Some(*c)
                    && fence_len >= *len
                    && trimmed[fence_len..].trim().is_empty()
                {
                    blocks.push(open.take().expect("a block is open").3);
                } else {
                    let strip = indent.min(*open_indent);
                    block.lines.push((number, line[strip..].to_owned()));
                }
            }
        }
    }
    blocks
}

/// Splits a shell line into its code and its comment (`#` outside quotes, at the start or
/// after whitespace).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && !single {
            escaped = true;
        } else if c == '\'' && !double {
            single = !single;
        } else if c == '"' && !single {
            double = !double;
        } else if c == '#' && !single && !double && previous.is_whitespace() {
            return (&line[..index], Some(&line[index + 1..]));
        }
        previous = c;
    }
    (line, None)
}

/// Returns the word that ends the heredoc a line opens (`<<'EOF'`, `<<EOF`, `<<-EOF`).
fn heredoc_end(code: &str) -> Option<String> {
    let rest = &code[code.find("<<")? + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let word: String = rest
        .chars()
        .filter(|c| *c != '\'' && *c != '"')
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Returns the placeholder in a command (`<live target>`, `…`, `...`), if any.
fn placeholder(code: &str) -> Option<String> {
    if code.contains('…') {
        return Some("…".to_owned());
    }
    if code.contains("...") {
        return Some("...".to_owned());
    }
    let mut rest = code;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        if let Some(end) = after.find('>') {
            let inner = &after[..end];
            let looks_like_a_name = inner.starts_with(|c: char| c.is_ascii_alphabetic())
                && !inner.ends_with(' ')
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " _-.|".contains(c));
            if looks_like_a_name {
                return Some(format!("<{inner}>"));
            }
        }
        rest = after;
    }
    None
}

/// One command of a block, as pasted.
struct Pasted {
    line: usize,
    text: String,
    expected: i32,
}

/// Splits a block into commands, and returns the problems that would stop it from running.
fn commands(block: &Block) -> (Vec<Pasted>, Vec<String>) {
    let console = block.language() == "console";
    let mut commands = Vec::new();
    let mut problems = Vec::new();
    let mut lines = block.lines.iter().peekable();
    while let Some((number, line)) = lines.next() {
        let first = if console {
            match line.strip_prefix("$ ") {
                Some(command) => command,
                None => continue,
            }
        } else {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            line.as_str()
        };
        let mut text = first.to_owned();
        let mut code_lines = vec![first.to_owned()];
        while text.ends_with('\\') {
            let Some((_, next)) = lines.next() else { break };
            text.push('\n');
            text.push_str(next);
            code_lines.push(next.clone());
        }
        let mut body = Vec::new();
        if let Some(end) = code_lines
            .iter()
            .find_map(|line| heredoc_end(split_comment(line).0))
        {
            loop {
                let Some((_, next)) = lines.next() else {
                    problems.push(format!(
                        "line {number}: the heredoc never ends with `{end}`"
                    ));
                    break;
                };
                text.push('\n');
                text.push_str(next);
                if next.trim() == end {
                    break;
                }
                body.push(next.clone());
            }
        }
        let mut expected = 0;
        for code_line in &code_lines {
            let (code, comment) = split_comment(code_line);
            if let Some(found) = placeholder(code) {
                problems.push(format!(
                    "line {number}: placeholder `{found}` in `{}`",
                    first.trim()
                ));
            }
            let exit = comment.and_then(|comment| comment.trim().strip_prefix("exit "));
            if let Some(exit) = exit {
                let digits: String = exit.chars().take_while(char::is_ascii_digit).collect();
                expected = digits.parse().unwrap_or_else(|_| {
                    problems.push(format!("line {number}: `# exit` needs a number"));
                    0
                });
            }
        }
        for body_line in &body {
            if let Some(found) = placeholder(body_line) {
                problems.push(format!("line {number}: placeholder `{found}` in a heredoc"));
            }
        }
        commands.push(Pasted {
            line: *number,
            text,
            expected,
        });
    }
    (commands, problems)
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().expect("a file has a directory")).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// A fresh copy of the example project in a git repository with one commit, as a clone is.
fn example_project() -> tempfile::TempDir {
    let sandbox = tempfile::tempdir().unwrap();
    let project = sandbox.path().join("project");
    for entry in EXAMPLE_PROJECT {
        copy_tree(&repo().join(entry), &project.join(entry));
    }
    git(&project, &["init", "-q", "-b", "main"]);
    git(&project, &["config", "user.name", "Docs Reader"]);
    git(&project, &["config", "user.email", "reader@example.com"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-qm", "the example project"]);
    sandbox
}

/// What one pasted command did.
struct Outcome {
    code: Option<i32>,
    output: String,
}

/// Runs one command with `sh` in the project of `sandbox`, as a workstation would.
fn paste(sandbox: &Path, command: &str) -> Outcome {
    let binary = assert_cmd::cargo::cargo_bin!("promptci");
    let bin_dir = binary.parent().expect("the binary has a directory");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let stdout_path = sandbox.join("stdout");
    let stderr_path = sandbox.join("stderr");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(sandbox.join("project"))
        .env("PATH", path)
        .env("NO_COLOR", "1")
        // Commands that install into the home directory (completions, man pages) stay in the
        // sandbox.
        .env("HOME", sandbox.join("home"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GITHUB_STEP_SUMMARY", sandbox.join("step-summary.md"))
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("PROMPTCI_AUTHOR")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = format!(
        "--- stdout\n{}\n--- stderr\n{}",
        tail(&std::fs::read_to_string(stdout_path).unwrap_or_default()),
        tail(&std::fs::read_to_string(stderr_path).unwrap_or_default()),
    );
    Outcome { code, output }
}

/// The last lines of an output, enough to see why a command failed.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// A block to run: where it is and its commands.
struct Runnable {
    page: String,
    commands: Vec<Pasted>,
}

/// Runs a block's commands in order in a fresh example project; returns what went wrong.
fn run_block(block: &Runnable) -> Vec<String> {
    let sandbox = example_project();
    let mut problems = Vec::new();
    for command in &block.commands {
        let outcome = paste(sandbox.path(), &command.text);
        if outcome.code != Some(command.expected) {
            let got = outcome
                .code
                .map_or("no exit code (timed out or killed)".to_owned(), |code| {
                    format!("exit {code}")
                });
            problems.push(format!(
                "{}:{}: `{}` expected exit {}, got {got} (mark a block that cannot run here `sh,no-run`)\n{}",
                block.page, command.line, command.text, command.expected, outcome.output
            ));
        }
    }
    problems
}

#[test]
fn every_command_the_docs_show_runs_when_pasted() {
    let mut problems = Vec::new();
    let mut runnable = Vec::new();
    let mut skipped = 0;
    for page in pages() {
        let name = page.path.display().to_string();
        for block in blocks(&page.text) {
            let language = block.language();
            if !LANGUAGES.contains(&language) {
                problems.push(format!(
                    "{name}:{}: info string `{}`: use one of {LANGUAGES:?}",
                    block.line, block.info
                ));
                continue;
            }
            let runs = language == "sh" || language == "console";
            for attribute in block.attributes() {
                if !(runs && attribute == "no-run") {
                    problems.push(format!(
                        "{name}:{}: unknown attribute `{attribute}` (only `sh,no-run` and `console,no-run`)",
                        block.line
                    ));
                }
            }
            if !runs {
                continue;
            }
            let (commands, found) = commands(&block);
            if block.is_no_run() {
                skipped += commands.len();
            } else if found.is_empty() {
                runnable.push(Runnable {
                    page: name.clone(),
                    commands,
                });
            } else {
                problems.extend(
                    found
                        .into_iter()
                        .map(|problem| format!("{name}: {problem}")),
                );
            }
        }
    }
    let ran: usize = runnable.iter().map(|block| block.commands.len()).sum();
    assert!(
        ran >= 50 && runnable.len() >= 20 && skipped >= 5,
        "the docs test found too little: {ran} commands in {} blocks, {skipped} skipped",
        runnable.len()
    );
    // Blocks are independent, and most of a command's time is the binary starting up, so a
    // few run at once.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let found = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(block) = runnable.get(index) else {
                        break;
                    };
                    let block_problems = run_block(block);
                    found.lock().unwrap().push((index, block_problems));
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap();
    found.sort_by_key(|(index, _)| *index);
    problems.extend(
        found
            .into_iter()
            .flat_map(|(_, block_problems)| block_problems),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// `.ci/run` runs "the README's test command": it must be in the README's first block.
#[test]
fn the_readme_shows_the_test_command_that_ci_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    let first_shell_block = blocks(&readme)
        .into_iter()
        .find(|block| block.language() == "sh")
        .expect("the README shows commands");
    assert!(
        first_shell_block
            .lines
            .iter()
            .any(|(_, line)| split_comment(line).0.trim() == "cargo test --locked"),
        "the README's first commands must include `cargo test --locked`"
    );
    assert!(ci.lines().any(|line| line.trim() == "cargo test --locked"));
}

/// Returns the anchors of a page's headings, as GitHub and mdBook spell them.
fn anchors(text: &str) -> BTreeSet<String> {
    let in_code: BTreeSet<usize> = blocks(text)
        .iter()
        .flat_map(|block| block.lines.iter().map(|(number, _)| *number))
        .collect();
    text.lines()
        .enumerate()
        .filter(|(index, _)| !in_code.contains(&(index + 1)))
        .filter_map(|(_, line)| {
            let title = line.trim_start_matches('#');
            (line.starts_with('#') && title.starts_with(' ')).then(|| slug(title.trim()))
        })
        .collect()
}

fn slug(title: &str) -> String {
    title
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Returns the targets of the inline links of a page, with their line numbers, outside code
/// blocks and code spans.
fn links(text: &str) -> Vec<(usize, String)> {
    let in_code: BTreeSet<usize> = blocks(text)
        .iter()
        .flat_map(|block| block.lines.iter().map(|(number, _)| *number))
        .chain(blocks(text).iter().map(|block| block.line))
        .collect();
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if in_code.contains(&(index + 1)) {
            continue;
        }
        let mut prose = String::new();
        for (part, piece) in line.split('`').enumerate() {
            if part % 2 == 0 {
                prose.push_str(piece);
            }
        }
        let mut rest = prose.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let end = after.find(')').unwrap_or(after.len());
            found.push((index + 1, after[..end].to_owned()));
            rest = &after[end..];
        }
    }
    found
}

fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        for (line, target) in links(&page.text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let resolved = if file.is_empty() {
                page.path.clone()
            } else {
                normalize(&page.path.parent().unwrap_or(Path::new("")).join(file))
            };
            let where_ = format!("{}:{line}: `{target}`", page.path.display());
            checked += 1;
            let full = repo().join(&resolved);
            if !full.exists() {
                problems.push(format!("{where_}: no file {}", resolved.display()));
                continue;
            }
            let is_markdown = resolved
                .extension()
                .is_some_and(|extension| extension == "md");
            if !anchor.is_empty() && is_markdown {
                let text = std::fs::read_to_string(&full).unwrap();
                if !anchors(&text).contains(anchor) {
                    problems.push(format!(
                        "{where_}: no heading `#{anchor}` in {}",
                        resolved.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 50, "only {checked} links found");
}

#[test]
fn the_book_summary_lists_every_page_and_only_pages_that_exist() {
    let book = repo().join("docs");
    assert!(
        std::fs::read_to_string(book.join("book.toml"))
            .unwrap()
            .contains("src = \"src\"")
    );
    let summary = std::fs::read_to_string(book.join("src/SUMMARY.md")).unwrap();
    let listed: BTreeSet<PathBuf> = links(&summary)
        .into_iter()
        .map(|(_, target)| PathBuf::from("docs/src").join(target))
        .collect();
    let on_disk: BTreeSet<PathBuf> = pages()
        .into_iter()
        .map(|page| page.path)
        .filter(|path| path.starts_with("docs/src") && !path.ends_with("SUMMARY.md"))
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(
        listed, on_disk,
        "SUMMARY.md and the pages of docs/src differ"
    );
}

#[test]
fn the_library_api_page_shows_the_example_that_cargo_test_compiles() {
    let page = std::fs::read_to_string(repo().join("docs/src/library-api.md")).unwrap();
    let example = std::fs::read_to_string(repo().join("examples/render_prompt.rs")).unwrap();
    let rust: Vec<Block> = blocks(&page)
        .into_iter()
        .filter(|block| block.language() == "rust")
        .collect();
    assert_eq!(rust.len(), 1, "one Rust example on the page");
    let mut shown = String::new();
    for (_, line) in &rust[0].lines {
        shown.push_str(line);
        shown.push('\n');
    }
    assert!(
        example.ends_with(&shown),
        "docs/src/library-api.md must show examples/render_prompt.rs from its `use` lines on"
    );
}

#[test]
fn placeholders_and_exit_comments_are_read_as_documented() {
    assert_eq!(
        placeholder("promptci run --target <live target>"),
        Some("<live target>".to_owned())
    );
    assert_eq!(
        placeholder("promptci registry new ID --changelog \"…\""),
        Some("…".to_owned())
    );
    assert_eq!(placeholder("cat > suites/x.yaml <<'EOF'"), None);
    assert_eq!(placeholder("cat <<EOF > out.txt"), None);
    assert_eq!(placeholder("promptci diff a.json b.json > diff.txt"), None);
    assert_eq!(
        split_comment("echo '# not a comment' # exit 1"),
        ("echo '# not a comment' ", Some(" exit 1"))
    );
    assert_eq!(heredoc_end("cat > a.yaml <<'EOF'"), Some("EOF".to_owned()));
    let headings = anchors(
        "# Title\n## A/B of prompt versions\n```sh\n# not a heading\n```\n### The static gate: check\n",
    );
    assert_eq!(
        headings.into_iter().collect::<Vec<_>>(),
        ["ab-of-prompt-versions", "the-static-gate-check", "title"]
    );
    assert_eq!(
        links("See [a](b.md#c) and `[not](a link)`.\n```sh\n[x](y)\n```\n"),
        [(1, "b.md#c".to_owned())]
    );
    let block = Block {
        info: "sh".to_owned(),
        line: 1,
        lines: vec![
            (2, "# a comment".to_owned()),
            (3, "promptci check   # exit 1: over budget".to_owned()),
            (4, "cat > a.txt <<'EOF'".to_owned()),
            (5, "text".to_owned()),
            (6, "EOF".to_owned()),
            (7, "promptci list \\".to_owned()),
            (8, "    --tag support".to_owned()),
        ],
    };
    let (commands, problems) = commands(&block);
    assert!(problems.is_empty(), "{problems:?}");
    let read: Vec<(usize, i32)> = commands.iter().map(|c| (c.line, c.expected)).collect();
    assert_eq!(read, [(3, 1), (4, 0), (7, 0)]);
    assert_eq!(commands[1].text, "cat > a.txt <<'EOF'\ntext\nEOF");
}
