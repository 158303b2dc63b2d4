//! Prompt shapes end to end: a user-role template, chat files with several turns, the `echo`
//! target, and templated assertion values.

use serde_json::json;

use crate::harness::Project;
use crate::mock_server::{MockServer, Reply};

/// The messages of the `index`-th request the server received.
fn sent(server: &MockServer, index: usize) -> serde_json::Value {
    server.requests()[index].body["messages"].clone()
}

#[test]
fn a_user_role_template_is_the_user_message_and_cases_need_no_user() {
    let server = MockServer::always("Arr, Paris be in France.");
    let project = Project::new()
        .file(
            "suites/ask.yaml",
            "prompt:\n  id: ask\n  template: ask.j2\n  role: user\ncases:\n  - name: paris\n    vars: {persona: a pirate, question: Where is Paris?}\n    assert:\n      - icontains: france\n",
        )
        .file("suites/ask.j2", "Answer as {{ persona }}: {{ question }}");
    let run = project.run(&["run", "--base-url", &server.base_url(), "--json", "r.json"]);
    run.code(0);
    assert_eq!(
        sent(&server, 0),
        json!([{"role": "user", "content": "Answer as a pirate: Where is Paris?"}])
    );
    let case = run.case("r.json", "suites/ask.yaml::paris");
    assert_eq!(case["status"], "passed");
}

#[test]
fn a_case_user_after_a_user_role_template_is_one_more_user_turn() {
    let server = MockServer::always("ok");
    let project = Project::new()
        .file(
            "suites/ask.yaml",
            "prompt: {id: ask, template: ask.j2, role: user}\nvars: {topic: tides}\ncases:\n  - name: follow_up\n    user: And in one word?\n    assert: [{contains: ok}]\n",
        )
        .file("suites/ask.j2", "Explain {{ topic }}.");
    project
        .run(&["run", "--base-url", &server.base_url()])
        .code(0);
    assert_eq!(
        sent(&server, 0),
        json!([
            {"role": "user", "content": "Explain tides."},
            {"role": "user", "content": "And in one word?"}
        ])
    );
}

#[test]
fn the_default_role_is_still_system_and_a_case_without_user_is_still_an_error_there() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: s.j2}\ncases:\n  - name: lonely\n    assert: [{contains: x}]\n",
        )
        .file("suites/s.j2", "You help.");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("case `lonely` has neither `user` nor `messages`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("role: user"), "{}", run.stderr);
}

#[test]
fn an_unknown_prompt_role_is_located() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt:\n  id: s\n  template: s.j2\n  role: robot\ncases:\n  - name: a\n    user: hi\n",
        )
        .file("suites/s.j2", "You help.");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/s.yaml:4:9"), "{}", run.stderr);
    assert!(run.stderr.contains("robot"), "{}", run.stderr);
}

const THREE_TURNS: &str = "\
- role: system
  content: You are {{ persona }}. {% include 'rules.j2' %}
- role: user
  content: What is {{ a }} + {{ b }}?
- role: assistant
  content: \"{{ a + b }}\"
- role: user
  content: |
    Now say it in words.
    Keep it {{ style }}.
";

#[test]
fn a_chat_file_with_three_turns_is_sent_as_written_with_every_content_rendered() {
    let server = MockServer::always("Five.");
    let project = Project::new()
        .file(
            "suites/math.yaml",
            "prompt: {id: math, template: chat.yaml}\nvars: {persona: a tutor, style: short}\ncases:\n  - name: two_plus_three\n    vars: {a: 2, b: 3}\n    assert: [{contains: Five}]\n",
        )
        .file("suites/chat.yaml", THREE_TURNS)
        .file("suites/rules.j2", "Never guess.");
    let run = project.run(&["run", "--base-url", &server.base_url(), "--json", "r.json"]);
    run.code(0);
    assert_eq!(
        sent(&server, 0),
        json!([
            {"role": "system", "content": "You are a tutor. Never guess."},
            {"role": "user", "content": "What is 2 + 3?"},
            {"role": "assistant", "content": "5"},
            {"role": "user", "content": "Now say it in words.\nKeep it short.\n"}
        ])
    );
    // `render` shows the same conversation.
    let render = project.run(&["render", "suites/math.yaml::two_plus_three", "--json"]);
    render.code(0);
    let rendered: serde_json::Value = serde_json::from_str(&render.stdout).unwrap();
    assert_eq!(rendered, sent(&server, 0));
    // The chat file and its include are the prompt's content: editing the include changes the
    // hash the report records.
    let before = run.case("r.json", "suites/math.yaml::two_plus_three")["prompt_hash"].clone();
    assert!(before.as_str().unwrap().starts_with("sha256:"), "{before}");
    let edited = project.file("suites/rules.j2", "Never guess. Ever.");
    let again = edited.run(&["run", "--base-url", &server.base_url(), "--json", "r.json"]);
    again.code(0);
    assert_ne!(
        again.case("r.json", "suites/math.yaml::two_plus_three")["prompt_hash"],
        before
    );
}

#[test]
fn a_chat_file_json_works_like_yaml_and_a_case_user_is_appended() {
    let server = MockServer::always("ok");
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.json}\nvars: {company: Acme}\ncases:\n  - name: hi\n    user: Hello there\n    assert: [{contains: ok}]\n",
        )
        .file(
            "suites/chat.json",
            "[\n\t{\"role\": \"system\", \"content\": \"You work for {{ company }}.\"},\n\t{\"role\": \"user\", \"content\": \"Hi\"},\n\t{\"role\": \"assistant\", \"content\": \"How can I help?\"}\n]\n",
        );
    project
        .run(&["run", "--base-url", &server.base_url()])
        .code(0);
    assert_eq!(
        sent(&server, 0),
        json!([
            {"role": "system", "content": "You work for Acme."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "How can I help?"},
            {"role": "user", "content": "Hello there"}
        ])
    );
}

#[test]
fn a_chat_file_ending_with_assistant_needs_a_case_user() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: user\n  content: Hi\n- role: assistant\n  content: Hello\n",
        );
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("case `a` has neither `user` nor `messages`"),
        "{}",
        run.stderr
    );
}

#[test]
fn chat_file_problems_are_located_in_the_chat_file() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\nvars: {company: Acme}\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: system\n  content: You help {{ company }}.\n- role: user\n  content: |\n    Line one.\n    Tell me about {{ missing_thing }}.\n",
        );
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("suites/chat.yaml:6:22: undefined variable in `missing_thing`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("suites/s.yaml::a"), "{}", run.stderr);

    let bad_role = project.file("suites/chat.yaml", "- role: robot\n  content: hi\n");
    let run = bad_role.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr.contains("suites/chat.yaml:1:9"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("robot"), "{}", run.stderr);

    let syntax = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: system\n  content: fine\n- role: user\n  content: \"{% if %}\"\n",
        );
    let run = syntax.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/chat.yaml:4:"), "{}", run.stderr);
    assert!(run.stderr.contains("syntax error"), "{}", run.stderr);

    let late_system = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: user\n  content: hi\n- role: system\n  content: late\n",
        );
    let run = late_system.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/chat.yaml:3:"), "{}", run.stderr);
    assert!(run.stderr.contains("system"), "{}", run.stderr);
}

#[test]
fn prompt_role_on_a_chat_file_is_an_error() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt:\n  id: s\n  template: chat.yaml\n  role: user\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file("suites/chat.yaml", "- role: user\n  content: hi\n");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(run.stderr.contains("suites/s.yaml:4:"), "{}", run.stderr);
    assert!(run.stderr.contains("chat"), "{}", run.stderr);
}

#[test]
fn echo_answers_a_user_role_prompt_with_its_rendered_text() {
    let project = Project::new()
        .file(
            "suites/echo.yaml",
            "prompt: {id: ask, template: ask.j2, role: user}\ntarget: echo\ncases:\n  - name: pirate\n    vars: {persona: a pirate, question: Where is Paris?}\n    assert:\n      - equals: \"Answer as a pirate: Where is Paris?\"\n      - starts-with: \"Answer as {{ persona }}\"\n  - name: wrong\n    vars: {persona: a poet, question: Why?}\n    assert:\n      - contains: pirate\n",
        )
        .file("suites/ask.j2", "Answer as {{ persona }}: {{ question }}");
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(1);
    let pirate = run.case("r.json", "suites/echo.yaml::pirate");
    assert_eq!(pirate["status"], "passed");
    assert_eq!(pirate["answer"], "Answer as a pirate: Where is Paris?");
    assert_eq!(pirate["target"], "echo");
    let wrong = run.case("r.json", "suites/echo.yaml::wrong");
    assert_eq!(wrong["status"], "failed");
    assert_eq!(wrong["answer"], "Answer as a poet: Why?");
}

#[test]
fn echo_answers_a_chat_prompt_with_its_messages_as_promptfoo_does() {
    // promptfoo hands providers a chat prompt as `JSON.stringify(messages, null, 2)`, and its
    // echo provider returns that string: two-space indent, `role` then `content`, JSON escapes.
    let project = Project::new()
        .file(
            "suites/echo.yaml",
            "prompt: {id: chat, template: chat.yaml}\ntarget: echo\nvars: {persona: a pirate}\ncases:\n  - name: one\n    vars: {question: 'Where is \"Paris\"?'}\n    assert:\n      - is-json: true\n      - contains: '\"role\": \"system\"'\n      - contains: '\\\"Paris\\\"'\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: system\n  content: You are {{ persona }}.\n- role: user\n  content: |-\n    {{ question }}\n    Answer briefly.\n",
        );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    let case = run.case("r.json", "suites/echo.yaml::one");
    let expected = "[\n  {\n    \"role\": \"system\",\n    \"content\": \"You are a pirate.\"\n  },\n  {\n    \"role\": \"user\",\n    \"content\": \"Where is \\\"Paris\\\"?\\nAnswer briefly.\"\n  }\n]";
    assert_eq!(case["answer"], expected);
}

#[test]
fn echo_answers_a_single_user_chat_file_as_json_and_a_system_prompt_with_its_turns() {
    let project = Project::new()
        .file(
            "suites/a.yaml",
            "prompt: {id: a, template: chat.yaml}\ntarget: echo\ncases:\n  - name: one\n    assert: [{starts-with: '['}]\n",
        )
        .file("suites/chat.yaml", "- role: user\n  content: Hi\n")
        .file(
            "suites/b.yaml",
            "prompt: {id: b, template: b.j2}\ntarget: echo\ncases:\n  - name: two\n    user: Hello\n    assert: [{is-json: true}]\n",
        )
        .file("suites/b.j2", "You help.");
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    assert_eq!(
        run.case("r.json", "suites/a.yaml::one")["answer"],
        "[\n  {\n    \"role\": \"user\",\n    \"content\": \"Hi\"\n  }\n]"
    );
    assert_eq!(
        run.case("r.json", "suites/b.yaml::two")["answer"],
        "[\n  {\n    \"role\": \"system\",\n    \"content\": \"You help.\"\n  },\n  {\n    \"role\": \"user\",\n    \"content\": \"Hello\"\n  }\n]"
    );
}

#[test]
fn echo_is_a_provider_kind_too() {
    let project = Project::new()
        .file(
            "promptci.yaml",
            "targets:\n  offline:\n    provider: echo\n    model: echo-1\n",
        )
        .file(
            "suites/s.yaml",
            "target: offline\ncases:\n  - name: a\n    user: ping\n    assert: [{equals: ping}]\n",
        );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    let case = run.case("r.json", "suites/s.yaml::a");
    assert_eq!(case["answer"], "ping");
    assert_eq!(case["model"], "echo-1");
}

#[test]
fn assertion_values_are_templated_per_case_with_raw_for_literal_braces() {
    let project = Project::new().file(
        "suites/t.yaml",
        "vars: {greeting: Hello}\nassert:\n  - starts-with: \"{{ greeting }}\"\ncases:\n  - name: paris\n    vars: {city: Paris}\n    user: q\n    mock-answer: Hello, Paris is lovely.\n    assert:\n      - contains: \"{{ city }}\"\n      - regex: \"^{{ greeting }}, {{ city | lower | capitalize }} \"\n  - name: rome\n    vars: {city: Rome}\n    user: q\n    mock-answer: Hello, Paris is lovely.\n    assert:\n      - contains: \"{{ city }}\"\n  - name: braces\n    user: q\n    mock-answer: \"Hello {{ name }}\"\n    assert:\n      - ends-with: \"{% raw %}{{ name }}{% endraw %}\"\n",
    );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(1);
    assert_eq!(
        run.case("r.json", "suites/t.yaml::paris")["status"],
        "passed"
    );
    assert_eq!(
        run.case("r.json", "suites/t.yaml::braces")["status"],
        "passed"
    );
    let rome = run.case("r.json", "suites/t.yaml::rome");
    assert_eq!(rome["status"], "failed");
    assert_eq!(rome["assertions"][1]["reason"], "missing `Rome`");
    // The suite-level assertion was rendered for the case, and passed.
    assert_eq!(rome["assertions"][0]["kind"], "starts-with");
    assert_eq!(rome["assertions"][0]["passed"], true);
}

#[test]
fn an_undefined_variable_in_an_assertion_is_a_located_error_and_nothing_is_sent() {
    let server = MockServer::always("x");
    let project = Project::new().file(
        "suites/t.yaml",
        "cases:\n  - name: a\n    user: q\n    assert:\n      - contains: \"{{ expected_city }}\"\n",
    );
    let run = project.run(&["run", "--base-url", &server.base_url()]);
    run.code(2);
    assert_eq!(server.count(), 0);
    assert!(
        run.stderr
            .contains("suites/t.yaml:5:9: undefined variable in `expected_city`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("suites/t.yaml::a"), "{}", run.stderr);
    assert!(run.stderr.contains("{% raw %}"), "{}", run.stderr);
}

#[test]
fn command_lists_are_templated_as_arguments_never_as_shell_code() {
    // A value full of shell syntax reaches the judge as one argument.
    let project = Project::new().file(
        "suites/t.yaml",
        "cases:\n  - name: a\n    vars: {word: \"x; exit 1\"}\n    user: q\n    mock-answer: \"says x; exit 1 here\"\n    assert:\n      - command: [sh, -c, 'grep -qF -- \"$0\"', \"{{ word }}\"]\n",
    );
    let run = project.run(&["run", "--json", "r.json"]);
    run.code(0);
    assert_eq!(run.case("r.json", "suites/t.yaml::a")["status"], "passed");
}

#[test]
fn user_role_prompts_reach_the_mock_and_rules() {
    // The mock answers from the last user message, which is now the rendered template.
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: s.j2, role: user}\ncases:\n  - name: a\n    vars: {q: refund}\n    assert: [{contains: \"mock: Please help with a refund\"}]\n",
        )
        .file("suites/s.j2", "Please help with a {{ q }}");
    project.run(&["run"]).code(0);
}

#[test]
fn the_answer_of_a_live_target_to_a_chat_prompt_is_judged_like_any_other() {
    let server = MockServer::start(|request, _| {
        let turns = request.body["messages"].as_array().map_or(0, Vec::len);
        Reply::answer(format!("I saw {turns} messages"))
    });
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\ncases:\n  - name: a\n    user: last\n    assert: [{contains: 3 messages}]\n",
        )
        .file(
            "suites/chat.yaml",
            "- role: system\n  content: sys\n- role: user\n  content: first\n",
        );
    project
        .run(&["run", "--base-url", &server.base_url()])
        .code(0);
}

#[test]
fn a_yaml_list_no_suite_names_is_reported_as_no_suite_with_what_to_do() {
    let project = Project::new()
        .file(
            "suites/s.yaml",
            "prompt: {id: s, template: chat.yaml}\ncases:\n  - name: a\n    assert: [{contains: x}]\n",
        )
        .file("suites/chat.yaml", "- role: user\n  content: hi\n")
        .file("suites/stray.yaml", "# a comment first\n- role: user\n  content: hi\n");
    let run = project.run(&["check"]);
    run.code(2);
    assert!(
        run.stderr
            .contains("suites/stray.yaml:1:1: `suites/stray.yaml` is a list, not a suite"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cases-from"), "{}", run.stderr);
    assert!(!run.stderr.contains("suites/chat.yaml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid input: 1 problem"),
        "{}",
        run.stderr
    );
}
