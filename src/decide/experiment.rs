//! Online experiments: sticky user bucketing ([`assign`]) and the analysis of recorded
//! outcomes ([`analyze`], a Welch t-test between control and treatment).
//!
//! Bucketing hashes the experiment name and the user id with SHA-256, so a user lands in the
//! same bucket on every call, in every process and on every machine, and different
//! experiments bucket independently.

use serde::Serialize;
use sha2::{Digest, Sha256};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The variant a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Arm {
    /// The current experience.
    Control,
    /// The experience under test.
    Treatment,
}

impl Arm {
    /// Returns the name used in output and outcome files.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Control => "control",
            Self::Treatment => "treatment",
        }
    }
}

/// Where a user landed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Assignment {
    /// The user's stable position in `[0, 1)`.
    pub(crate) bucket: f64,
    /// `treatment` when `bucket < fraction`, else `control`.
    pub(crate) arm: Arm,
}

/// Assigns `user` in `experiment`: the treatment gets the users whose bucket is below
/// `fraction`, so raising the fraction only moves users from control to treatment.
#[must_use]
pub(crate) fn assign(experiment: &str, user: &str, fraction: f64) -> Assignment {
    let mut hasher = Sha256::new();
    hasher.update(experiment.as_bytes());
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    hasher.update([0]);
    hasher.update(user.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    // The top 53 bits give an exactly representable f64 in [0, 1).
    let bucket = (u64::from_be_bytes(first) >> 11) as f64 / (1_u64 << 53) as f64;
    Assignment {
        bucket,
        arm: if bucket < fraction {
            Arm::Treatment
        } else {
            Arm::Control
        },
    }
}

/// Mean, variance and count of one arm's outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct ArmSummary {
    /// How many outcomes.
    pub(crate) count: usize,
    /// Their mean.
    pub(crate) mean: f64,
    /// Their sample variance.
    pub(crate) variance: f64,
}

impl ArmSummary {
    fn of(values: &[f64]) -> Self {
        let count = values.len();
        let mean = values.iter().sum::<f64>() / count as f64;
        let variance = if count > 1 {
            values
                .iter()
                .map(|value| (value - mean).powi(2))
                .sum::<f64>()
                / (count - 1) as f64
        } else {
            0.0
        };
        Self {
            count,
            mean,
            variance,
        }
    }
}

/// The result of an online experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct OnlineResult {
    /// The control arm.
    pub(crate) control: ArmSummary,
    /// The treatment arm.
    pub(crate) treatment: ArmSummary,
    /// `(treatment − control) / control`, when the control mean is not 0.
    pub(crate) lift: Option<f64>,
    /// Welch's t statistic (treatment − control).
    pub(crate) t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub(crate) degrees_of_freedom: f64,
    /// The two-sided p-value.
    pub(crate) p_value: f64,
    /// Whether `p_value < alpha`.
    pub(crate) significant: bool,
    /// The significance level used.
    pub(crate) alpha: f64,
}

/// Returns Welch's t statistic, degrees of freedom and two-sided p-value, or `None` when an
/// arm has fewer than two values or both variances are 0.
#[must_use]
pub(crate) fn welch(control: &[f64], treatment: &[f64]) -> Option<(f64, f64, f64)> {
    if control.len() < 2 || treatment.len() < 2 {
        return None;
    }
    let (c, t) = (ArmSummary::of(control), ArmSummary::of(treatment));
    let (vc, vt) = (c.variance / c.count as f64, t.variance / t.count as f64);
    if vc + vt <= 0.0 {
        return None;
    }
    let statistic = (t.mean - c.mean) / (vc + vt).sqrt();
    let degrees =
        (vc + vt).powi(2) / (vc.powi(2) / (c.count - 1) as f64 + vt.powi(2) / (t.count - 1) as f64);
    let distribution = StudentsT::new(0.0, 1.0, degrees).ok()?;
    let p_value = (2.0 * (1.0 - distribution.cdf(statistic.abs()))).clamp(0.0, 1.0);
    Some((statistic, degrees, p_value))
}

/// Analyses recorded outcomes: CSV with a header naming a `variant` column (`control` or
/// `treatment`) and a numeric `value` column (for example 1/0 for converted or not).
pub(crate) fn analyze(csv: &str, alpha: f64) -> Result<OnlineResult, String> {
    let mut lines = csv
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let (_, header) = lines.next().ok_or("the outcomes file is empty")?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| {
        columns
            .iter()
            .position(|column| *column == name)
            .ok_or_else(|| {
                format!("line 1: no `{name}` column (hint: the header needs `variant` and `value`)")
            })
    };
    let (variant_at, value_at) = (column("variant")?, column("value")?);
    let (mut control, mut treatment) = (Vec::new(), Vec::new());
    for (index, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let field = |at: usize| {
            fields
                .get(at)
                .copied()
                .ok_or_else(|| format!("line {}: has {} fields", index + 1, fields.len()))
        };
        let value: f64 = field(value_at)?.parse().map_err(|_| {
            format!(
                "line {}: value `{}` is not a number",
                index + 1,
                fields[value_at]
            )
        })?;
        match field(variant_at)? {
            "control" => control.push(value),
            "treatment" => treatment.push(value),
            other => {
                return Err(format!(
                    "line {}: variant `{other}` is neither `control` nor `treatment`",
                    index + 1
                ));
            }
        }
    }
    let (t, degrees_of_freedom, p_value) = welch(&control, &treatment)
        .ok_or("each variant needs at least two outcomes, and the outcomes must vary")?;
    let (control, treatment) = (ArmSummary::of(&control), ArmSummary::of(&treatment));
    Ok(OnlineResult {
        lift: (control.mean != 0.0).then(|| (treatment.mean - control.mean) / control.mean),
        control,
        treatment,
        t,
        degrees_of_freedom,
        p_value,
        significant: p_value < alpha,
        alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_is_sticky_independent_and_close_to_the_fraction() {
        let first = assign("new-greeting", "user-42", 0.2);
        assert_eq!(first, assign("new-greeting", "user-42", 0.2));
        let treated = (0..10_000)
            .filter(|user| assign("exp", &format!("u{user}"), 0.2).arm == Arm::Treatment)
            .count();
        assert!((1_850..=2_150).contains(&treated), "{treated}");
        let other = (0..10_000)
            .filter(|user| {
                assign("exp", &format!("u{user}"), 0.2).arm
                    == assign("other", &format!("u{user}"), 0.2).arm
            })
            .count();
        assert!(other < 7_000, "experiments bucket independently: {other}");
        for user in 0..100 {
            let user = format!("u{user}");
            if assign("exp", &user, 0.1).arm == Arm::Treatment {
                assert_eq!(assign("exp", &user, 0.3).arm, Arm::Treatment);
            }
        }
    }

    #[test]
    fn welch_matches_the_textbook_example() {
        // Wikipedia, "Welch's t-test", example 1: t = −2.46, ν ≈ 25.0, p = 0.021; recomputed
        // with Python (Simpson integration of the t density): t = −2.455356, ν = 24.98853,
        // p = 0.021378.
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let (t, degrees, p) = welch(&a2, &a1).unwrap();
        assert!((t + 2.455_356).abs() < 1e-5, "{t}");
        assert!((degrees - 24.988_53).abs() < 1e-4, "{degrees}");
        assert!((p - 0.021_378).abs() < 1e-5, "{p}");
    }

    #[test]
    fn analyze_reads_outcomes_and_reports_lift() {
        let mut csv = String::from("user,variant,value\n");
        for (index, value) in [1, 0, 1, 1, 0, 1, 1, 1, 0, 1].iter().enumerate() {
            csv.push_str(&format!("t{index},treatment,{value}\n"));
        }
        for (index, value) in [0, 0, 1, 0, 0, 1, 0, 0, 0, 1].iter().enumerate() {
            csv.push_str(&format!("c{index},control,{value}\n"));
        }
        let result = analyze(&csv, 0.05).unwrap();
        assert!((result.treatment.mean - 0.7).abs() < 1e-12);
        assert!((result.control.mean - 0.3).abs() < 1e-12);
        assert!((result.lift.unwrap() - 4.0 / 3.0).abs() < 1e-12);
        // Python: t = 1.851640, ν = 18, p = 0.080554.
        assert!((result.t - 1.851_640).abs() < 1e-5);
        assert!(
            (result.p_value - 0.080_554).abs() < 1e-5,
            "{}",
            result.p_value
        );
        assert!(!result.significant);
        assert!(
            analyze("variant,value\ncontrol,x\n", 0.05)
                .unwrap_err()
                .contains("line 2: value `x` is not a number")
        );
        assert!(
            analyze("a,b\n", 0.05)
                .unwrap_err()
                .contains("no `variant` column")
        );
    }
}
