//! Cases kept as data: `cases-from` CSV, JSONL and YAML files, their bad rows, and a 100,000-row
//! file loaded within a memory bound.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Instant;

use crate::harness::{Project, ids};
use crate::mock_server::MockServer;

/// A suite whose user-role prompt is `Answer as {{ persona }}: {{ question }}`, reading its cases
/// from `data`, with a suite-level templated assertion; the built-in mock echoes the prompt.
fn answering_project(data_name: &str, data: &str) -> Project {
    Project::new()
        .file(
            "suites/qa.yaml",
            &format!(
                "prompt: {{id: qa, template: qa.j2, role: user}}\nassert:\n  - contains: \"{{{{ question }}}}\"\ncases-from: {data_name}\n"
            ),
        )
        .file("suites/qa.j2", "Answer as {{ persona }}: {{ question }}")
        .file(&format!("suites/{data_name}"), data)
}

const CSV: &str = "\
name,persona,question,assert,tags
,a pirate,Where is Paris?,\"[{icontains: PIRATE}]\",smoke
teacher,a teacher,What is 2+2?,,
,a poet,Why is the sky blue?,\"[{contains: sonnet}]\",
";

#[test]
fn csv_rows_are_cases_with_their_columns_as_variables() {
    let run = answering_project("qa.csv", CSV).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(
        ids(&report["cases"]),
        [
            "suites/qa.yaml::row-2",
            "suites/qa.yaml::teacher",
            "suites/qa.yaml::row-4"
        ]
    );
    let pirate = run.case("r.json", "suites/qa.yaml::row-2");
    assert_eq!(pirate["status"], "passed");
    assert_eq!(
        pirate["answer"],
        "mock: Answer as a pirate: Where is Paris?"
    );
    assert_eq!(pirate["tags"], serde_json::json!(["smoke"]));
    assert_eq!(pirate["file"], "suites/qa.csv");
    assert_eq!(pirate["line"], 2);
    // The suite's templated assertion comes first, then the row's own.
    let kinds: Vec<_> = pirate["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["contains", "icontains"]);
    let poet = run.case("r.json", "suites/qa.yaml::row-4");
    assert_eq!(poet["status"], "failed");
    assert_eq!(poet["assertions"][1]["reason"], "missing `sonnet`");
    assert_eq!(poet["line"], 4);

    let list = answering_project("qa.csv", CSV).run(&["list", "--tag", "smoke"]);
    list.code(0);
    assert!(
        list.stdout
            .contains("suites/qa.yaml::row-2  suites/qa.csv:2"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("1 case"), "{}", list.stdout);
}

#[test]
fn jsonl_rows_take_native_values_and_a_vars_mapping() {
    let data = "\
{\"persona\": \"a pirate\", \"question\": \"Where is Paris?\", \"assert\": [{\"icontains\": \"pirate\"}]}

{\"name\": \"teacher\", \"vars\": {\"persona\": \"a teacher\"}, \"question\": \"What is 2+2?\", \"skip\": \"not today\"}
{\"persona\": \"a poet\", \"question\": \"Why?\", \"assert\": \"[{contains: sonnet}]\", \"tags\": [\"slow\"]}
";
    let run = answering_project("qa.jsonl", data).run(&["run", "--json", "r.json"]);
    run.code(1);
    let report = run.json("r.json");
    assert_eq!(
        ids(&report["cases"]),
        [
            "suites/qa.yaml::row-1",
            "suites/qa.yaml::teacher",
            "suites/qa.yaml::row-4"
        ]
    );
    assert_eq!(
        run.case("r.json", "suites/qa.yaml::row-1")["status"],
        "passed"
    );
    let teacher = run.case("r.json", "suites/qa.yaml::teacher");
    assert_eq!(teacher["status"], "skipped");
    assert_eq!(teacher["skip_reason"], "not today");
    let poet = run.case("r.json", "suites/qa.yaml::row-4");
    assert_eq!(poet["status"], "failed");
    assert_eq!(poet["tags"], serde_json::json!(["slow"]));
}

#[test]
fn yaml_rows_are_written_like_inline_cases_with_loose_variables() {
    let data = "\
- persona: a pirate
  question: Where is Paris?
  assert:
    - icontains: pirate
- name: teacher
  vars: {persona: a teacher}
  question: What is 2+2?
  mock-answer: 'What is 2+2? Four.'
";
    // `suites/rows.yaml` is found by discovery too; a suite names it as data, so it is no suite.
    let run = answering_project("rows.yaml", data).run(&["run", "--json", "r.json"]);
    run.code(0);
    let report = run.json("r.json");
    assert_eq!(
        ids(&report["cases"]),
        ["suites/qa.yaml::row-1", "suites/qa.yaml::teacher"]
    );
    assert_eq!(
        run.case("r.json", "suites/qa.yaml::teacher")["answer"],
        "What is 2+2? Four."
    );
}

#[test]
fn several_data_files_follow_the_inline_cases_and_name_rows_by_file() {
    let project = Project::new()
        .file(
            "suites/qa.yaml",
            "prompt: {id: qa, template: qa.j2, role: user}\ncases-from: [pirates.csv, poets.jsonl]\ncases:\n  - name: inline\n    vars: {persona: a judge, question: Guilty?}\n    assert: [{contains: judge}]\n",
        )
        .file("suites/qa.j2", "Answer as {{ persona }}: {{ question }}")
        .file(
            "suites/pirates.csv",
            "persona,question,assert\na pirate,Ahoy?,[{contains: pirate}]\n",
        )
        .file(
            "suites/poets.jsonl",
            "{\"persona\": \"a poet\", \"question\": \"Rhyme?\", \"assert\": [{\"contains\": \"poet\"}]}\n",
        );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    assert_eq!(
        ids(&run.json("r.json")["cases"]),
        [
            "suites/qa.yaml::inline",
            "suites/qa.yaml::pirates/row-2",
            "suites/qa.yaml::poets/row-1"
        ]
    );
}

#[test]
fn every_bad_row_of_a_csv_is_reported_at_its_row_and_column_and_nothing_runs() {
    let server = MockServer::always("x");
    let data = "\
persona,question,assert,repeat
a pirate,Where is Paris?,\"[{containz: x}]\",
a child,Why?,[{contains: x}],many
short row
a poet,Fine,,
";
    let run = answering_project("qa.csv", data).run(&["run", "--base-url", &server.base_url()]);
    run.code(2);
    assert_eq!(server.count(), 0, "nothing is sent when a row is bad");
    let err = &run.stderr;
    assert!(err.contains("suites/qa.csv:2:3: column `assert`"), "{err}");
    assert!(err.contains("containz"), "{err}");
    assert!(err.contains("did you mean `contains`"), "{err}");
    assert!(err.contains("suites/qa.csv:3:4: column `repeat`"), "{err}");
    assert!(err.contains("many"), "{err}");
    assert!(err.contains("suites/qa.csv:4:"), "{err}");
    assert!(
        err.contains("1 field") && err.contains("header has 4"),
        "{err}"
    );
    assert!(err.contains("invalid input: 3 problems"), "{err}");
}

#[test]
fn bad_jsonl_and_yaml_rows_are_located_too() {
    let jsonl = "\
{\"persona\": \"a\", \"question\": \"q\"}
{\"persona\": \"b\", \"question\": }
[1, 2]
{\"persona\": \"c\", \"question\": \"q\", \"assert\": [{\"containz\": \"x\"}]}
";
    let run = answering_project("qa.jsonl", jsonl).run(&["check"]);
    run.code(2);
    let err = &run.stderr;
    assert!(err.contains("suites/qa.jsonl:2:"), "{err}");
    assert!(err.contains("suites/qa.jsonl:3:"), "{err}");
    assert!(
        err.contains("not an object") || err.contains("a mapping"),
        "{err}"
    );
    assert!(err.contains("suites/qa.jsonl:4:"), "{err}");
    assert!(
        err.contains("`assert`") && err.contains("containz"),
        "{err}"
    );
    assert!(err.contains("invalid input: 3 problems"), "{err}");

    let yaml = "\
- persona: a
  question: q
- persona: b
  question: q
  assert:
    - containz: x
- just a string
";
    let run = answering_project("rows.yaml", yaml).run(&["check"]);
    run.code(2);
    let err = &run.stderr;
    assert!(err.contains("suites/rows.yaml:6:7"), "{err}");
    assert!(err.contains("containz"), "{err}");
    assert!(err.contains("suites/rows.yaml:7:"), "{err}");
}

#[test]
fn a_missing_column_names_the_variable_and_the_data_file() {
    let data = "persona\na pirate\na poet\n";
    let run = answering_project("qa.csv", data).run(&["check"]);
    run.code(2);
    let err = &run.stderr;
    assert!(
        err.contains("suites/qa.j2:1:") && err.contains("undefined variable in `question`"),
        "{err}"
    );
    assert!(err.contains("suites/qa.yaml::row-2"), "{err}");
    assert!(err.contains("suites/qa.csv"), "{err}");
    // Reported once, not once per row.
    assert_eq!(
        err.matches("undefined variable in `question`").count(),
        1,
        "{err}"
    );
}

#[test]
fn a_missing_data_file_and_an_unknown_format_are_located_in_the_suite() {
    let run = Project::new()
        .file("suites/s.yaml", "cases-from: [nope.csv, data.txt]\n")
        .file("suites/data.txt", "x")
        .run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/s.yaml:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("nope.csv"), "{}", run.stderr);
    assert!(run.stderr.contains("data.txt"), "{}", run.stderr);
    assert!(run.stderr.contains(".jsonl"), "{}", run.stderr);
}

#[test]
fn a_row_name_that_collides_with_an_inline_case_points_at_both() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "cases-from: rows.csv\ncases:\n  - name: dup\n    user: a\n    assert: [{contains: a}]\n",
        )
        .file("suites/rows.csv", "name,user\ndup,b\n");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/rows.csv:2:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("duplicate case name `dup`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("suites/s.yaml"), "{}", run.stderr);
}

/// Peak resident memory of `promptci list` over a 100,000-row CSV, and how long it took.
///
/// The child cannot finish while its 100,000-line output sits unread in the pipe (far beyond
/// the pipe's buffer), so once the first line arrives — proof the plan is built — its
/// `/proc/<pid>/status` is still there and its `VmHWM` is the peak so far; the test samples
/// it then and again while draining, and keeps the highest.
#[cfg(target_os = "linux")]
#[test]
fn a_100000_row_csv_loads_within_a_memory_bound() {
    const ROWS: usize = 100_000;
    // Measured: see the notes in the assertion message; the bound leaves room for a loaded CI
    // machine and allocator noise, while a loader that kept the file several times over (or a
    // per-row B-tree and merged variable maps) would cross it.
    const PEAK_LIMIT_KB: u64 = 200 * 1024;
    let mut csv = String::with_capacity(ROWS * 64);
    csv.push_str("persona,question\n");
    for row in 0..ROWS {
        csv.push_str(&format!(
            "persona {},Question number {row} about tides and moons?\n",
            row % 7
        ));
    }
    let file_kb = csv.len() as u64 / 1024;
    let project = answering_project("big.csv", &csv);
    let started = Instant::now();
    let mut child = project
        .command(&["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("suites/qa.yaml::row-2  "), "{first}");
    let mut peak_kb = vm_hwm_kb(pid).expect("the child is alive while its output is unread");
    let mut rest = Vec::new();
    let mut chunk = vec![0_u8; 1 << 16];
    loop {
        let read = stdout.read(&mut chunk).unwrap();
        if read == 0 {
            break;
        }
        rest.extend_from_slice(&chunk[..read]);
        if let Some(now) = vm_hwm_kb(pid) {
            peak_kb = peak_kb.max(now);
        }
    }
    let status = child.wait().unwrap();
    let elapsed = started.elapsed();
    let stderr = stderr.join().unwrap();
    assert!(status.success(), "{stderr}");
    let text = String::from_utf8(rest).unwrap();
    assert!(
        text.ends_with(&format!("{ROWS} cases\n")),
        "{}",
        &text[text.len() - 200..]
    );
    assert_eq!(text.lines().count() + 1, ROWS + 1);
    assert!(
        peak_kb <= PEAK_LIMIT_KB,
        "peak RSS {peak_kb} KB for a {file_kb} KB file of {ROWS} rows (limit {PEAK_LIMIT_KB} KB), listed in {elapsed:?}"
    );
}

/// Reads `VmHWM` (peak resident set size) of a live process, in KB.
#[cfg(target_os = "linux")]
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
