//! How often a judge agrees with people: the [`Confusion`] matrix of a calibration run, the
//! statistics `judge calibrate` reports (accuracy, Cohen's κ, false-pass and false-fail rates,
//! each with an interval), and the [`Calibration`] file it writes, which a suite's
//! `min-judge-agreement` reads.
//!
//! "Pass" is the positive class: a *false pass* is a judge passing what a person failed (the
//! costly mistake: a bad answer ships), a *false fail* a judge failing what a person passed.

use serde::{Deserialize, Serialize};

use crate::stats::{wilson, z_for};

/// Judge verdicts against human labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Confusion {
    /// A person passed it and so did the judge.
    pub(crate) true_pass: u64,
    /// A person passed it; the judge failed it.
    pub(crate) false_fail: u64,
    /// A person failed it; the judge passed it.
    pub(crate) false_pass: u64,
    /// A person failed it and so did the judge.
    pub(crate) true_fail: u64,
}

/// A proportion or coefficient with its interval at the report's confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Estimate {
    /// The point estimate.
    pub(crate) value: f64,
    /// The lower end of the interval.
    pub(crate) low: f64,
    /// The upper end of the interval.
    pub(crate) high: f64,
}

/// What `judge calibrate --json` writes: which judge was measured and how well it agreed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Calibration {
    /// The file format's version.
    pub(crate) format_version: u32,
    /// Always [`CALIBRATION_KIND`], so other JSON files are not mistaken for one.
    pub(crate) kind: String,
    /// The assertion whose judge was measured.
    pub(crate) assertion: CalibratedAssertion,
    /// The grader that judged.
    pub(crate) grader: CalibratedGrader,
    /// The hash of the judge prompt (16 hex digits).
    pub(crate) prompt_hash: String,
    /// Examples the judge gave a verdict on.
    pub(crate) n: u64,
    /// Examples the judge could not give a verdict on (left out of every rate).
    pub(crate) errors: u64,
    /// The confidence of the intervals.
    pub(crate) confidence: f64,
    /// Judge verdicts against human labels.
    pub(crate) confusion: Confusion,
    /// Share of agreement (`null` with no examples).
    pub(crate) accuracy: Option<Estimate>,
    /// Cohen's κ (`null` when undefined).
    pub(crate) kappa: Option<Estimate>,
    /// Judge passes among human failures.
    pub(crate) false_pass: Option<Estimate>,
    /// Judge failures among human passes.
    pub(crate) false_fail: Option<Estimate>,
    /// Every example where the judge and the person disagree, or the judge gave no verdict.
    pub(crate) disagreements: Vec<Disagreement>,
}

/// The `kind` of a calibration file.
pub(crate) const CALIBRATION_KIND: &str = "judge-calibration";

/// The version of the calibration file format.
pub(crate) const CALIBRATION_FORMAT: u32 = 1;

/// Which assertion a calibration measured: its kind and text (the rubric; empty for
/// `factuality`, whose reference differs per example).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CalibratedAssertion {
    /// `rubric` or `factuality`.
    pub(crate) kind: String,
    /// The rubric.
    pub(crate) text: String,
}

/// The grader of a calibration: its target name and configured model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CalibratedGrader {
    /// The target name.
    pub(crate) name: String,
    /// The model the target is configured with.
    pub(crate) model: String,
}

/// One example the judge got wrong (or could not judge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Disagreement {
    /// Where the example is (`file:line`, or `file:row` for CSV).
    pub(crate) at: String,
    /// The answer.
    pub(crate) answer: String,
    /// The person's verdict.
    pub(crate) label: bool,
    /// The judge's verdict (`null` when it gave none).
    pub(crate) judge: Option<bool>,
    /// The judge's reason, or why it gave no verdict.
    pub(crate) reason: String,
}

impl Confusion {
    /// Counts one labelled example.
    pub(crate) fn add(&mut self, human_pass: bool, judge_pass: bool) {
        match (human_pass, judge_pass) {
            (true, true) => self.true_pass += 1,
            (true, false) => self.false_fail += 1,
            (false, true) => self.false_pass += 1,
            (false, false) => self.true_fail += 1,
        }
    }

    /// Returns the number of examples counted.
    pub(crate) fn n(&self) -> u64 {
        self.true_pass + self.false_fail + self.false_pass + self.true_fail
    }

    fn agreeing(&self) -> u64 {
        self.true_pass + self.true_fail
    }

    /// Returns the share of examples where judge and person agree, with its Wilson interval;
    /// `None` with no examples.
    pub(crate) fn accuracy(&self, confidence: f64) -> Option<Estimate> {
        proportion(self.agreeing(), self.n(), confidence)
    }

    /// Returns the share of human failures the judge passed, FP / (FP + TN), with its Wilson
    /// interval; `None` when no example was failed by a person.
    pub(crate) fn false_pass_rate(&self, confidence: f64) -> Option<Estimate> {
        proportion(
            self.false_pass,
            self.false_pass + self.true_fail,
            confidence,
        )
    }

    /// Returns the share of human passes the judge failed, FN / (FN + TP), with its Wilson
    /// interval; `None` when no example was passed by a person.
    pub(crate) fn false_fail_rate(&self, confidence: f64) -> Option<Estimate> {
        proportion(
            self.false_fail,
            self.false_fail + self.true_pass,
            confidence,
        )
    }

    /// Returns Cohen's κ, the agreement beyond what two raters with these pass rates would
    /// reach by chance: `κ = (p_o − p_e) / (1 − p_e)`, with `p_o` the observed agreement and
    /// `p_e = p_J·p_H + (1 − p_J)(1 − p_H)`. The interval is `κ ± z·SE` with Cohen's
    /// large-sample `SE = √(p_o(1 − p_o) / (n(1 − p_e)²))`, clamped to [−1, 1]; it is rough
    /// for small n. `None` when κ is undefined: no examples, or `p_e = 1` (judge and people
    /// each gave one verdict only, the same one, so chance explains everything).
    pub(crate) fn kappa(&self, confidence: f64) -> Option<Estimate> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let n_f = n as f64;
        let observed = self.agreeing() as f64 / n_f;
        let judge_pass = (self.true_pass + self.false_pass) as f64 / n_f;
        let human_pass = (self.true_pass + self.false_fail) as f64 / n_f;
        let chance = judge_pass * human_pass + (1.0 - judge_pass) * (1.0 - human_pass);
        if (1.0 - chance).abs() < 1e-12 {
            return None;
        }
        let kappa = (observed - chance) / (1.0 - chance);
        let error = (observed * (1.0 - observed) / (n_f * (1.0 - chance).powi(2))).sqrt();
        let half = z_for(confidence) * error;
        Some(Estimate {
            value: kappa,
            low: (kappa - half).max(-1.0),
            high: (kappa + half).min(1.0),
        })
    }
}

fn proportion(successes: u64, trials: u64, confidence: f64) -> Option<Estimate> {
    (trials > 0).then(|| {
        let interval = wilson(successes, trials, confidence);
        Estimate {
            value: successes as f64 / trials as f64,
            low: interval.low,
            high: interval.high,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() < tolerance,
            "{actual} is not {expected}"
        );
    }

    fn confusion(true_pass: u64, false_fail: u64, false_pass: u64, true_fail: u64) -> Confusion {
        Confusion {
            true_pass,
            false_fail,
            false_pass,
            true_fail,
        }
    }

    #[test]
    fn a_hand_computed_example() {
        // p_o = 7/10; the judge passes 6/10, people 5/10: p_e = 0.6·0.5 + 0.4·0.5 = 0.5,
        // κ = 0.2/0.5 = 0.4; SE = √(0.21 / (10 · 0.25)) = 0.28983, so 0.4 ± 0.56806.
        let counts = confusion(4, 1, 2, 3);
        assert_eq!(counts.n(), 10);
        let kappa = counts.kappa(0.95).unwrap();
        close(kappa.value, 0.4, 1e-12);
        close(kappa.low, -0.16806, 1e-4);
        close(kappa.high, 0.96806, 1e-4);
        let accuracy = counts.accuracy(0.95).unwrap();
        close(accuracy.value, 0.7, 1e-12);
        // Wilson at 95% for 7/10: 0.39677 to 0.89221.
        close(accuracy.low, 0.39677, 1e-4);
        close(accuracy.high, 0.89221, 1e-4);
        close(counts.false_pass_rate(0.95).unwrap().value, 0.4, 1e-12);
        close(counts.false_fail_rate(0.95).unwrap().value, 0.2, 1e-12);
    }

    #[test]
    fn perfect_chance_and_worse_than_chance() {
        close(confusion(5, 0, 0, 5).kappa(0.95).unwrap().value, 1.0, 1e-12);
        // A judge that passes everything agrees with people half the time, by chance alone.
        close(confusion(5, 0, 5, 0).kappa(0.95).unwrap().value, 0.0, 1e-12);
        // A judge that always answers the opposite.
        close(
            confusion(0, 5, 5, 0).kappa(0.95).unwrap().value,
            -1.0,
            1e-12,
        );
    }

    #[test]
    fn undefined_cases() {
        assert_eq!(Confusion::default().kappa(0.95), None);
        assert_eq!(Confusion::default().accuracy(0.95), None);
        // Everyone passes everything: κ has no meaning.
        assert_eq!(confusion(8, 0, 0, 0).kappa(0.95), None);
        assert_eq!(confusion(8, 0, 0, 0).false_pass_rate(0.95), None);
        let mut counted = Confusion::default();
        counted.add(true, false);
        counted.add(false, true);
        assert_eq!(counted, confusion(0, 1, 1, 0));
    }
}
