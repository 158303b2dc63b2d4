//! A judge [`Calibration`] as console text ([`render`]).

use crate::assert::judge::calibration::{Calibration, Estimate};
use crate::util::format::excerpt;

/// How much of an answer a disagreement line quotes.
const QUOTE: usize = 120;

/// Returns the calibration as console text: what was measured, the confusion matrix, the
/// rates with their intervals, and every example the judge got wrong or could not judge.
#[must_use]
pub(crate) fn render(calibration: &Calibration) -> String {
    let assertion = &calibration.assertion;
    let written = if assertion.text.is_empty() {
        format!("`{}`", assertion.kind)
    } else {
        format!("`{}: {}`", assertion.kind, assertion.text)
    };
    let level = format!("{:.0}%", calibration.confidence * 100.0);
    let counts = &calibration.confusion;
    let mut out = format!(
        "judge of {written}: grader `{}` ({}), judge prompt {}\n",
        calibration.grader.name, calibration.grader.model, calibration.prompt_hash
    );
    out.push_str(&format!(
        "{} examples judged, {} without a verdict\n\n",
        calibration.n, calibration.errors
    ));
    out.push_str(&format!(
        "{:<12}{:>13}{:>13}\n{:<12}{:>13}{:>13}\n{:<12}{:>13}{:>13}\n\n",
        "",
        "people pass",
        "people fail",
        "judge pass",
        counts.true_pass,
        counts.false_pass,
        "judge fail",
        counts.false_fail,
        counts.true_fail
    ));
    let rate = |estimate: Option<Estimate>| {
        estimate.map_or_else(
            || "— (no examples)".to_owned(),
            |estimate| {
                format!(
                    "{:.1}% ({level} interval {:.1}% to {:.1}%)",
                    estimate.value * 100.0,
                    estimate.low * 100.0,
                    estimate.high * 100.0
                )
            },
        )
    };
    out.push_str(&format!("accuracy {}\n", rate(calibration.accuracy)));
    out.push_str(&match calibration.kappa {
        Some(kappa) => format!(
            "kappa {:.2} ({level} interval {:.2} to {:.2}; rough below ~30 examples)\n",
            kappa.value, kappa.low, kappa.high
        ),
        None => "kappa — (undefined: judge and people each gave one verdict only)\n".to_owned(),
    });
    out.push_str(&format!(
        "false-pass rate {}: answers people failed that the judge passed\n",
        rate(calibration.false_pass)
    ));
    out.push_str(&format!(
        "false-fail rate {}: answers people passed that the judge failed\n",
        rate(calibration.false_fail)
    ));
    if !calibration.disagreements.is_empty() {
        out.push_str("\ndisagreements:\n");
        for disagreement in &calibration.disagreements {
            let label = if disagreement.label { "pass" } else { "fail" };
            let judge = match disagreement.judge {
                Some(true) => "pass",
                Some(false) => "fail",
                None => "no verdict",
            };
            out.push_str(&format!(
                "  {}: people {label}, judge {judge}: \"{}\": {}\n",
                disagreement.at,
                excerpt(&disagreement.answer, QUOTE),
                disagreement.reason
            ));
        }
    }
    out
}
