//! The statistics behind repeated verdicts: Wilson intervals for a pass rate, Newcombe's
//! interval for a difference of rates, and the exact one-sided tests (Fisher's on two counts,
//! McNemar's on paired outcomes) that decide whether a pass rate fell.
//!
//! Distributions come from `statrs`; this file only combines them. Every function is pure and
//! tested against published or independently computed values.

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Hypergeometric, Normal};

/// An interval of probabilities, both ends in `[0, 1]` (or `[-1, 1]` for a difference).
#[derive(
    Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub(crate) struct Interval {
    /// The lower end.
    pub(crate) low: f64,
    /// The upper end.
    pub(crate) high: f64,
}

impl Interval {
    /// Returns whether the whole interval lies strictly above `value`.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn is_above(self, value: f64) -> bool {
        self.low > value
    }

    /// Returns whether the whole interval lies strictly below `value`.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn is_below(self, value: f64) -> bool {
        self.high < value
    }
}

/// Returns the two-sided standard normal quantile for `confidence` (1.96 for 0.95).
#[must_use]
pub(crate) fn z_for(confidence: f64) -> f64 {
    let normal = Normal::standard();
    normal.inverse_cdf(1.0 - (1.0 - confidence.clamp(1e-9, 1.0 - 1e-9)) / 2.0)
}

/// Returns the Wilson score interval of `successes` out of `trials` at `confidence`
/// (two-sided). With no trials the interval is `[0, 1]`: nothing is known.
///
/// Wilson's interval keeps its coverage near the nominal level even for small samples and
/// rates near 0 or 1, where the textbook normal interval collapses to a point.
#[must_use]
pub(crate) fn wilson(successes: u64, trials: u64, confidence: f64) -> Interval {
    if trials == 0 {
        return Interval {
            low: 0.0,
            high: 1.0,
        };
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z = z_for(confidence);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Interval {
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
    }
}

/// Returns Newcombe's hybrid score interval (his method 10) for the difference
/// `x2/n2 − x1/n1`, built from the two Wilson intervals.
///
/// It treats the two samples as independent; for paired samples it is slightly conservative.
#[must_use]
pub(crate) fn newcombe_difference(x1: u64, n1: u64, x2: u64, n2: u64, confidence: f64) -> Interval {
    let rate = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    let (p1, p2) = (rate(x1, n1), rate(x2, n2));
    let (w1, w2) = (wilson(x1, n1, confidence), wilson(x2, n2, confidence));
    let difference = p2 - p1;
    Interval {
        low: difference - ((p2 - w2.low).powi(2) + (w1.high - p1).powi(2)).sqrt(),
        high: difference + ((w2.high - p2).powi(2) + (p1 - w1.low).powi(2)).sqrt(),
    }
}

/// Returns `P(X ≥ k)` for `X ~ Binomial(n, p)`.
#[must_use]
pub(crate) fn binomial_at_least(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let binomial = Binomial::new(p.clamp(0.0, 1.0), n).expect("p is clamped to [0, 1]");
    (1.0 - binomial.cdf(k - 1)).clamp(0.0, 1.0)
}

/// Returns the exact one-sided McNemar p-value for "things got worse": with `worse` pairs
/// that passed before and fail now and `better` pairs the other way round, the probability
/// of at least `worse` of the `worse + better` discordant pairs falling that way if both
/// directions were equally likely. 1 when there are no discordant pairs.
#[must_use]
pub(crate) fn mcnemar_worse(worse: u64, better: u64) -> f64 {
    binomial_at_least(worse, worse + better, 0.5)
}

/// Returns the exact one-sided Fisher p-value that the rate `after_passed / after_trials`
/// is lower than `before_passed / before_trials`: the hypergeometric probability of
/// `after_passed` or fewer passes landing in the later sample, given all the passes seen.
#[must_use]
pub(crate) fn fisher_fell(
    before_passed: u64,
    before_trials: u64,
    after_passed: u64,
    after_trials: u64,
) -> f64 {
    let before_passed = before_passed.min(before_trials);
    let after_passed = after_passed.min(after_trials);
    let population = before_trials + after_trials;
    let successes = before_passed + after_passed;
    if after_trials == 0 || before_trials == 0 {
        return 1.0;
    }
    let hypergeometric = Hypergeometric::new(population, successes, after_trials)
        .expect("successes and draws never exceed the population");
    hypergeometric.cdf(after_passed).clamp(0.0, 1.0)
}

/// A pass rate with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct PassRate {
    /// Passed over judged.
    pub(crate) rate: f64,
    /// The Wilson interval of the rate.
    pub(crate) interval: Interval,
}

impl PassRate {
    /// Returns the rate of `passed` out of `judged` with its interval at `confidence`, or
    /// `None` when nothing was judged.
    #[must_use]
    pub(crate) fn of(passed: u64, judged: u64, confidence: f64) -> Option<Self> {
        (judged > 0).then(|| Self {
            rate: passed.min(judged) as f64 / judged as f64,
            interval: wilson(passed, judged, confidence),
        })
    }
}

/// Returns the nearest-rank `percentile` (0–100) of `values`, sorting them; `None` when empty.
#[must_use]
pub(crate) fn percentile(values: &mut [u64], percentile: usize) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (percentile.min(100) * values.len()).div_ceil(100);
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    #[test]
    fn normal_quantiles() {
        // Standard normal table values.
        close(z_for(0.95), 1.959_964, 1e-6);
        close(z_for(0.99), 2.575_829, 1e-6);
        close(z_for(0.90), 1.644_854, 1e-6);
    }

    #[test]
    fn wilson_matches_newcombe_1998_single_proportion_examples() {
        // Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        // Statistics in Medicine 17:857–872, Table I, method 3 (score, no continuity
        // correction), rounded to four places there; also recomputed with Python's
        // statistics.NormalDist for six places.
        for (successes, trials, low, high) in [
            (81, 263, 0.255_289, 0.366_210),
            (15, 148, 0.062_386, 0.160_487),
            (0, 20, 0.0, 0.161_125),
            (1, 29, 0.006_113, 0.171_755),
            (8, 10, 0.490_162, 0.943_318),
        ] {
            let interval = wilson(successes, trials, 0.95);
            close(interval.low, low, 1e-5);
            close(interval.high, high, 1e-5);
        }
        assert_eq!(
            wilson(0, 0, 0.95),
            Interval {
                low: 0.0,
                high: 1.0
            }
        );
        assert!(wilson(36, 40, 0.95).is_above(0.75));
        assert!(wilson(10, 40, 0.95).is_below(0.5));
    }

    #[test]
    fn newcombe_difference_matches_the_published_examples() {
        // Newcombe (1998), "Interval estimation for the difference between independent
        // proportions", Statistics in Medicine 17:873–890, Table II, method 10. The function
        // returns second − first, so the published p1 − p2 are passed in reverse.
        for (x1, n1, x2, n2, low, high) in [
            (48, 80, 56, 70, 0.0524, 0.3339),
            (3, 10, 9, 10, 0.1705, 0.8090),
            (0, 29, 5, 56, -0.0381, 0.1926),
        ] {
            let interval = newcombe_difference(x1, n1, x2, n2, 0.95);
            close(interval.low, low, 1e-4);
            close(interval.high, high, 1e-4);
        }
    }

    #[test]
    fn binomial_tails_match_exact_sums() {
        // Exact sums of C(40, k) p^k (1-p)^(40-k), computed with Python's math.comb: the gate
        // `repeat: 40, pass-rate: 0.8` fails a p = 0.9 case 1.55% of the time and passes a
        // p = 0.6 case 0.61% of the time.
        close(1.0 - binomial_at_least(32, 40, 0.9), 0.015_495_305, 1e-9);
        close(binomial_at_least(32, 40, 0.6), 0.006_064_628, 1e-9);
        close(binomial_at_least(0, 5, 0.3), 1.0, 0.0);
        close(binomial_at_least(6, 5, 0.3), 0.0, 0.0);
    }

    #[test]
    fn mcnemar_exact_one_sided() {
        // (C(12,10) + C(12,11) + C(12,12)) / 2^12 = 79 / 4096.
        close(mcnemar_worse(10, 2), 79.0 / 4096.0, 1e-12);
        // 5 of 5 discordant pairs got worse: 1 / 32.
        close(mcnemar_worse(5, 0), 1.0 / 32.0, 1e-12);
        close(mcnemar_worse(0, 0), 1.0, 0.0);
        close(mcnemar_worse(0, 7), 1.0, 1e-12);
    }

    #[test]
    fn fisher_one_sided() {
        // Fisher's tea-tasting table [[3, 1], [1, 3]]: one-sided p = 17/70.
        close(fisher_fell(3, 4, 1, 4), 17.0 / 70.0, 1e-12);
        // Recomputed with Python's math.comb (hypergeometric sums).
        close(fisher_fell(20, 20, 15, 20), 0.023_562_024, 1e-9);
        close(fisher_fell(10, 10, 0, 10), 5.412_544e-6, 1e-11);
        close(fisher_fell(7, 10, 5, 10), 0.324_958_323, 1e-9);
        // A rate that rose is never significant.
        assert!(fisher_fell(2, 10, 9, 10) > 0.99);
        close(fisher_fell(3, 0, 1, 4), 1.0, 0.0);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut values: Vec<u64> = (1..=20).rev().collect();
        assert_eq!(percentile(&mut values, 95), Some(19));
        assert_eq!(percentile(&mut values, 50), Some(10));
        assert_eq!(percentile(&mut values, 100), Some(20));
        assert_eq!(percentile(&mut [7], 95), Some(7));
        assert_eq!(percentile(&mut [], 95), None);
    }

    #[test]
    fn pass_rates_need_a_judged_case() {
        assert_eq!(PassRate::of(0, 0, 0.95), None);
        let rate = PassRate::of(19, 20, 0.95).unwrap();
        close(rate.rate, 0.95, 1e-12);
        assert!(rate.interval.low < 0.95 && rate.interval.high > 0.95);
    }
}
