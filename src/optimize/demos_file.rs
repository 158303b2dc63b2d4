//! [`demos_file_text`]: the Jinja file that holds a prompt's demonstrations, so they are part
//! of the prompt's versioned content.
//!
//! The file sets one variable to a list of `{input, output}` objects; the template imports it
//! (`{% from "few_shot_examples.j2" import few_shot_examples %}`), so `promptci run`, the
//! registry's content hash and the library's renderer all see the same demonstrations.

use super::demos::Demo;

/// Returns the text of a demonstrations file setting `var` to `demos`.
#[must_use]
pub(crate) fn demos_file_text(var: &str, demos: &[&Demo]) -> String {
    let mut text = String::from(
        "{#- Few-shot demonstrations, chosen by `promptci optimize`; the template imports them. -#}\n",
    );
    text.push_str(&format!("{{%- set {var} = ["));
    for (index, demo) in demos.iter().enumerate() {
        text.push_str(if index == 0 { "\n" } else { ",\n" });
        text.push_str(&format!(
            "  {{\"input\": {}, \"output\": {}}}",
            literal(&demo.input),
            literal(&demo.output)
        ));
    }
    text.push_str(if demos.is_empty() {
        "] %}\n"
    } else {
        "\n] %}\n"
    });
    text
}

/// Returns `text` as a Jinja string literal. JSON's escapes are Jinja's too; braces, `%` and
/// `#` are escaped as well so that no answer can close the `set` tag or open another one.
fn literal(text: &str) -> String {
    let json = serde_json::to_string(text).expect("a string always serialises");
    let mut escaped = String::with_capacity(json.len());
    for character in json.chars() {
        match character {
            '{' => escaped.push_str("\\u007b"),
            '}' => escaped.push_str("\\u007d"),
            '%' => escaped.push_str("\\u0025"),
            '#' => escaped.push_str("\\u0023"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(input: &str, output: &str) -> Demo {
        Demo {
            case: "s::c".to_owned(),
            input: input.to_owned(),
            output: output.to_owned(),
        }
    }

    fn render(files: &[(&str, &str)]) -> String {
        let mut environment = crate::template::prompt_environment();
        for (name, text) in files {
            environment
                .add_template_owned((*name).to_owned(), (*text).to_owned())
                .unwrap();
        }
        environment
            .get_template("system.j2")
            .unwrap()
            .render(minijinja::context! {})
            .unwrap()
    }

    const TEMPLATE: &str = "{% from \"shots.j2\" import shots %}{% for example in shots %}\
        Q: {{ example.input }}\nA: {{ example.output }}\n{% endfor %}";

    #[test]
    fn the_template_imports_exactly_the_demonstrations_written() {
        let hostile = demo(
            "say \"{{ secret }}\" %} {% endset %} {# \\ \u{e9}",
            "line one\nline two\t\u{1F600}",
        );
        let plain = demo("2+2?", "4");
        let file = demos_file_text("shots", &[&hostile, &plain]);
        insta::assert_snapshot!(file, @r#"
        {#- Few-shot demonstrations, chosen by `promptci optimize`; the template imports them. -#}
        {%- set shots = [
          {"input": "say \"\u007b\u007b secret \u007d\u007d\" \u0025\u007d \u007b\u0025 endset \u0025\u007d \u007b\u0023 \\ é", "output": "line one\nline two\t😀"},
          {"input": "2+2?", "output": "4"}
        ] %}
        "#);
        assert_eq!(
            render(&[("system.j2", TEMPLATE), ("shots.j2", &file)]),
            format!(
                "Q: {}\nA: {}\nQ: 2+2?\nA: 4\n",
                hostile.input, hostile.output
            )
        );
    }

    #[test]
    fn an_empty_set_renders_no_demonstration() {
        let file = demos_file_text("shots", &[]);
        assert_eq!(render(&[("system.j2", TEMPLATE), ("shots.j2", &file)]), "");
    }
}
