//! `promptci probes list`: the probe catalogue, as text or JSON.

use std::io::Write;

use serde::Serialize;

use crate::cli::args::{ProbesArgs, ProbesCommand};
use crate::cli::support::stdout;
use crate::error::exit_code;
use crate::probe::catalogue::{CANARY_CHECK, CheckKind, Delivery, Family, FamilyKind, ProbeDef};
use crate::util::format::plural;

/// One probe of the catalogue as `probes list --json` prints it.
#[derive(Debug, Serialize)]
struct ListedProbe {
    kind: &'static str,
    family: &'static str,
    name: String,
    description: &'static str,
    judged_by: String,
}

impl ListedProbe {
    fn new(family: Family, probe: &ProbeDef) -> Self {
        Self {
            kind: family.kind().name(),
            family: family.name(),
            name: match probe.delivery {
                Delivery::UserMessage => probe.name.to_owned(),
                Delivery::UntrustedVar => format!("{}-via-<var>", probe.name),
            },
            description: probe.description,
            judged_by: family.judged_by(),
        }
    }

    fn id(&self) -> String {
        format!("{}/{}", self.family, self.name)
    }
}

/// Runs a `promptci probes` command.
pub(crate) fn run(args: &ProbesArgs) -> i32 {
    match &args.command {
        ProbesCommand::List(output) => {
            let probes: Vec<ListedProbe> = crate::probe::catalogue()
                .map(|(family, probe)| ListedProbe::new(family, probe))
                .collect();
            let mut out = stdout();
            if output.json {
                let text = serde_json::to_string_pretty(&probes).expect("the catalogue serialises");
                let _ = writeln!(out, "{text}");
            } else {
                let _ = out.write_all(render(&probes).as_bytes());
            }
            exit_code::SUCCESS
        }
    }
}

/// Renders the catalogue: one line per probe (id, what it sends, how it is judged) under a
/// header per kind, then a legend of the checks.
fn render(probes: &[ListedProbe]) -> String {
    let id_width = probes
        .iter()
        .map(|probe| probe.id().len())
        .max()
        .unwrap_or(0);
    let description_width = probes
        .iter()
        .map(|probe| probe.description.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for kind in [FamilyKind::EdgeCase, FamilyKind::Injection] {
        text.push_str(&format!("{}:\n", kind.key()));
        for probe in probes.iter().filter(|probe| probe.kind == kind.name()) {
            text.push_str(&format!(
                "  {:<id_width$}  {:<description_width$}  [{}]\n",
                probe.id(),
                probe.description,
                probe.judged_by
            ));
        }
        text.push('\n');
    }
    text.push_str("checks:\n");
    let checks = CheckKind::ALL
        .iter()
        .map(|check| (check.name(), check.describe()))
        .chain([CANARY_CHECK]);
    for (name, description) in checks {
        text.push_str(&format!("  {name:<17}  {description}\n"));
    }
    text.push_str(&format!(
        "\n{} in {} families. A suite opts in with `probes: {{edge-cases: all, injection: all}}`; its cases are named `<suite>::probe/<family>/<name>` and must also pass `probes.assert`. `indirect` probes repeat for each `untrusted-vars` variable.\n",
        plural(probes.len(), "probe", "probes"),
        Family::ALL.len()
    ));
    text
}
