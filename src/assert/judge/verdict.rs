//! [`verdict`]: a model-graded assertion's result from what its judge calls returned.

use super::embedding::cosine;
use super::parse::Category;
use super::votes::{Decision, Majority, median};
use super::{
    Check, Embedded, JudgeEvidence, Judged, Judgement, Outcome, SimilarityScore, Vote, VoteAnswer,
    VoteEvidence,
};
use crate::assert::AssertionResult;
use crate::chat::{CaseError, ProviderErrorKind, Usage};
use crate::util::format::excerpt;

/// How much of a reference text a reason quotes.
const QUOTE: usize = 60;

/// Decides a model-graded assertion from its judgement: passed, failed on its merits, or an
/// error when the judge calls could not decide it.
pub(crate) fn verdict(judged: &Judged, judgement: &Judgement) -> AssertionResult {
    let kind = judged.kind();
    let mut evidence = JudgeEvidence {
        grader: judgement.grader.clone(),
        model: None,
        prompt_hash: judgement.prompt_hash.clone(),
        score: None,
        threshold: None,
        category: None,
        similarity: Vec::new(),
        votes: Vec::new(),
        passes: 0,
        agreement: None,
        split: false,
        tokens: None,
    };
    let result = match (&judged.check, &judgement.outcome) {
        (
            Check::Similar {
                references,
                threshold,
            },
            Outcome::Embedded(embedded),
        ) => {
            evidence.threshold = Some(*threshold);
            similar(kind, references, *threshold, embedded, &mut evidence)
        }
        (_, Outcome::Votes(votes)) => graded(kind, &judged.check, votes, &mut evidence),
        _ => errored(
            kind,
            CaseError {
                kind: ProviderErrorKind::Malformed,
                status: None,
                message: format!("`{kind}` got the wrong kind of judge answer"),
            },
        ),
    };
    AssertionResult {
        judge: Some(Box::new(evidence)),
        ..result
    }
}

fn errored(kind: &str, error: CaseError) -> AssertionResult {
    AssertionResult {
        reason: error.message.clone(),
        error: Some(error),
        ..AssertionResult::new(kind, false, String::new())
    }
}

/// Adds a call's usage to the evidence's total.
fn add_usage(total: &mut Option<Usage>, usage: Option<Usage>) {
    if let Some(usage) = usage {
        let sum = total.get_or_insert_with(Usage::default);
        sum.prompt_tokens += usage.prompt_tokens;
        sum.completion_tokens += usage.completion_tokens;
    }
}

/// A vote read against the check: whether it passes, its score and category, or why it
/// cannot decide anything.
fn read_vote(check: &Check, vote: &Vote) -> Result<(bool, Option<f64>, Option<Category>), String> {
    match (check, &vote.answer) {
        (Check::Rubric { threshold, .. }, VoteAnswer::Rubric(answer)) => {
            let pass = match (threshold, answer.pass, answer.score) {
                (Some(threshold), pass, Some(score)) => pass.unwrap_or(true) && score >= *threshold,
                (Some(_), Some(_), None) => {
                    return Err(
                        "the judge gave no `score` to compare with the threshold".to_owned()
                    );
                }
                (None, Some(pass), _) => pass,
                (None, None, _) => {
                    return Err(
                        "the judge gave a `score` but no `pass` (hint: set a `threshold`)"
                            .to_owned(),
                    );
                }
                (Some(_), None, None) => unreachable!("a readable rubric answer has pass or score"),
            };
            Ok((pass, answer.score, None))
        }
        (Check::Factuality { passing, .. }, VoteAnswer::Factuality(answer)) => {
            let pass = passing.contains(&answer.category);
            Ok((
                pass,
                Some(if pass { 1.0 } else { 0.0 }),
                Some(answer.category),
            ))
        }
        _ => Err("the judge answered for another kind of check".to_owned()),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "reading the votes, deciding, and explaining belong together"
)]
fn graded(
    kind: &str,
    check: &Check,
    votes: &[Result<Vote, CaseError>],
    evidence: &mut JudgeEvidence,
) -> AssertionResult {
    let mut decided: Vec<Option<bool>> = Vec::with_capacity(votes.len());
    let mut scores = Vec::new();
    let mut first_error: Option<CaseError> = None;
    for vote in votes {
        let read = match vote {
            Ok(vote) => {
                evidence.model = evidence.model.take().or_else(|| vote.meta.model.clone());
                add_usage(&mut evidence.tokens, vote.meta.usage);
                read_vote(check, vote).map_err(|why| CaseError {
                    kind: ProviderErrorKind::Malformed,
                    status: None,
                    message: format!("grader `{}` {why}", evidence.grader),
                })
            }
            Err(error) => Err(error.clone()),
        };
        let reason = match vote {
            Ok(Vote {
                answer: VoteAnswer::Rubric(answer),
                ..
            }) => answer.reason.clone(),
            Ok(Vote {
                answer: VoteAnswer::Factuality(answer),
                ..
            }) => answer.reason.clone(),
            Err(_) => String::new(),
        };
        let cached = vote.as_ref().is_ok_and(|vote| vote.meta.cached);
        match read {
            Ok((pass, score, category)) => {
                decided.push(Some(pass));
                scores.extend(score);
                evidence.votes.push(VoteEvidence {
                    pass: Some(pass),
                    score,
                    category,
                    reason,
                    cached,
                });
            }
            Err(error) => {
                decided.push(None);
                evidence.votes.push(VoteEvidence {
                    pass: None,
                    score: None,
                    category: None,
                    reason: error.message.clone(),
                    cached,
                });
                first_error.get_or_insert(error);
            }
        }
    }
    let majority = Majority::count(&decided);
    evidence.passes = majority.passes;
    evidence.agreement = majority.agreement();
    evidence.split = majority.is_split();
    evidence.score = median(&scores);
    if let Check::Rubric { threshold, .. } = check {
        evidence.threshold = *threshold;
    }
    let passed = match majority.decision() {
        Decision::Pass => true,
        Decision::Fail => false,
        Decision::Open => {
            let error = first_error.unwrap_or_else(|| CaseError {
                kind: ProviderErrorKind::Malformed,
                status: None,
                message: format!("grader `{}` gave no verdict", evidence.grader),
            });
            let error = if votes.len() > 1 {
                CaseError {
                    message: format!(
                        "{} of {} votes could not be read, so the majority is open: {}",
                        votes.len() - (majority.passes + majority.fails) as usize,
                        votes.len(),
                        error.message
                    ),
                    ..error
                }
            } else {
                error
            };
            return errored(kind, error);
        }
    };
    // The reason of the first vote on the winning side speaks for the verdict.
    let spokesman = evidence
        .votes
        .iter()
        .find(|vote| vote.pass == Some(passed))
        .expect("a decided majority has a vote on its side");
    if let Check::Factuality { .. } = check {
        evidence.category = spokesman.category;
    }
    let mut details = Vec::new();
    if let Some(category) = evidence.category {
        details.push(category.as_str().to_owned());
    }
    if let Some(score) = evidence.score
        && !matches!(check, Check::Factuality { .. })
    {
        details.push(match evidence.threshold {
            Some(threshold) if score >= threshold => format!("score {score:.2} ≥ {threshold:.2}"),
            Some(threshold) => format!("score {score:.2} < {threshold:.2}"),
            None => format!("score {score:.2}"),
        });
    }
    if votes.len() > 1 {
        details.push(format!("{}/{} votes passed", majority.passes, votes.len()));
    }
    let words = if spokesman.reason.is_empty() {
        if passed {
            "the judge passed it"
        } else {
            "the judge failed it"
        }
        .to_owned()
    } else {
        spokesman.reason.clone()
    };
    let reason = if details.is_empty() {
        words
    } else {
        format!("{words} ({})", details.join("; "))
    };
    AssertionResult::new(kind, passed, reason)
}

fn similar(
    kind: &str,
    references: &[String],
    threshold: f64,
    embedded: &Result<Embedded, CaseError>,
    evidence: &mut JudgeEvidence,
) -> AssertionResult {
    let embedded = match embedded {
        Ok(embedded) => embedded,
        Err(error) => return errored(kind, error.clone()),
    };
    evidence.model.clone_from(&embedded.meta.model);
    add_usage(&mut evidence.tokens, embedded.meta.usage);
    let mut best: Option<(usize, f64)> = None;
    for (index, (reference, vector)) in references.iter().zip(&embedded.references).enumerate() {
        let Some(score) = cosine(&embedded.answer, vector) else {
            return errored(
                kind,
                CaseError {
                    kind: ProviderErrorKind::Malformed,
                    status: None,
                    message: format!(
                        "embedder `{}` returned vectors whose cosine is undefined (zero, empty or of different lengths)",
                        evidence.grader
                    ),
                },
            );
        };
        evidence.similarity.push(SimilarityScore {
            reference: reference.clone(),
            score,
        });
        if best.is_none_or(|(_, top)| score > top) {
            best = Some((index, score));
        }
    }
    let Some((index, score)) = best else {
        return errored(
            kind,
            CaseError {
                kind: ProviderErrorKind::Malformed,
                status: None,
                message: format!("embedder `{}` returned no vectors", evidence.grader),
            },
        );
    };
    evidence.score = Some(score);
    let passed = score >= threshold;
    let reason = format!(
        "closest reference `{}` at cosine {score:.3} {} {threshold:.2}",
        excerpt(&references[index], QUOTE),
        if passed { "≥" } else { "<" }
    );
    AssertionResult::new(kind, passed, reason)
}

#[cfg(test)]
mod tests {
    use super::super::parse::{FactualityAnswer, RubricAnswer};
    use super::super::{CallMeta, default_passing_categories};
    use super::*;

    fn rubric(threshold: Option<f64>, votes: u32) -> Judged {
        Judged {
            check: Check::Rubric {
                text: "polite".to_owned(),
                threshold,
            },
            votes,
            grader: None,
            at: (1, 1),
        }
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "votes are results; the tests mix these with errors"
    )]
    fn vote(pass: Option<bool>, score: Option<f64>, reason: &str) -> Result<Vote, CaseError> {
        Ok(Vote {
            answer: VoteAnswer::Rubric(RubricAnswer {
                pass,
                score,
                reason: reason.to_owned(),
            }),
            meta: CallMeta {
                model: Some("m".to_owned()),
                usage: Some(Usage {
                    prompt_tokens: 10,
                    completion_tokens: 5,
                }),
                cached: false,
            },
        })
    }

    fn unreadable() -> Result<Vote, CaseError> {
        Err(CaseError {
            kind: ProviderErrorKind::Malformed,
            status: None,
            message: "grader `g` did not answer with a verdict".to_owned(),
        })
    }

    fn judgement(outcome: Outcome) -> Judgement {
        Judgement {
            grader: "g".to_owned(),
            prompt_hash: Some("0123456789abcdef".to_owned()),
            outcome,
        }
    }

    #[test]
    fn a_rubric_vote_passes_or_fails_with_the_judges_reason() {
        let result = verdict(
            &rubric(None, 1),
            &judgement(Outcome::Votes(vec![vote(Some(false), Some(0.2), "rude")])),
        );
        assert!(!result.passed);
        assert_eq!(result.error, None);
        assert_eq!(result.reason, "rude (score 0.20)");
        let evidence = result.judge.unwrap();
        assert_eq!(evidence.model.as_deref(), Some("m"));
        assert_eq!(evidence.prompt_hash.as_deref(), Some("0123456789abcdef"));
        assert_eq!(evidence.tokens.unwrap().prompt_tokens, 10);
        assert!(!evidence.split);
    }

    #[test]
    fn a_threshold_needs_the_score_and_the_pass() {
        let judged = rubric(Some(0.7), 1);
        let at = |pass, score| {
            verdict(
                &judged,
                &judgement(Outcome::Votes(vec![vote(pass, score, "r")])),
            )
        };
        assert!(at(Some(true), Some(0.8)).passed);
        assert!(!at(Some(true), Some(0.6)).passed);
        assert!(!at(Some(false), Some(0.9)).passed);
        assert!(at(None, Some(0.7)).passed);
        assert_eq!(at(None, Some(0.6)).reason, "r (score 0.60 < 0.70)");
        let no_score = at(Some(true), None);
        assert!(no_score.error.is_some(), "{no_score:?}");
    }

    #[test]
    fn a_score_without_pass_or_threshold_is_an_error() {
        let result = verdict(
            &rubric(None, 1),
            &judgement(Outcome::Votes(vec![vote(None, Some(0.9), "r")])),
        );
        assert!(!result.passed);
        assert!(
            result.reason.contains("set a `threshold`"),
            "{}",
            result.reason
        );
    }

    #[test]
    fn votes_decide_by_majority_and_flag_a_split() {
        let result = verdict(
            &rubric(None, 3),
            &judgement(Outcome::Votes(vec![
                vote(Some(true), Some(0.9), "good"),
                vote(Some(false), Some(0.2), "bad"),
                vote(Some(true), Some(0.8), "fine"),
            ])),
        );
        assert!(result.passed);
        assert_eq!(result.reason, "good (score 0.80; 2/3 votes passed)");
        let evidence = result.judge.unwrap();
        assert!(evidence.split);
        assert_eq!(evidence.passes, 2);
        assert_eq!(evidence.votes.len(), 3);
        assert_eq!(evidence.tokens.unwrap().completion_tokens, 15);
    }

    #[test]
    fn an_unread_vote_that_could_decide_makes_an_error() {
        let open = verdict(
            &rubric(None, 3),
            &judgement(Outcome::Votes(vec![
                vote(Some(true), None, "good"),
                vote(Some(false), None, "bad"),
                unreadable(),
            ])),
        );
        assert!(!open.passed);
        let error = open.error.unwrap();
        assert_eq!(error.kind, ProviderErrorKind::Malformed);
        assert!(
            error.message.starts_with("1 of 3 votes could not be read"),
            "{}",
            error.message
        );
        let outvoted = verdict(
            &rubric(None, 3),
            &judgement(Outcome::Votes(vec![
                vote(Some(false), None, "bad"),
                vote(Some(false), None, "worse"),
                unreadable(),
            ])),
        );
        assert!(!outvoted.passed);
        assert_eq!(outvoted.error, None);
    }

    #[test]
    fn factuality_passes_on_the_configured_categories() {
        let judged = Judged {
            check: Check::Factuality {
                reference: "r".to_owned(),
                passing: default_passing_categories(),
            },
            votes: 1,
            grader: None,
            at: (1, 1),
        };
        let at = |category| {
            verdict(
                &judged,
                &judgement(Outcome::Votes(vec![Ok(Vote {
                    answer: VoteAnswer::Factuality(FactualityAnswer {
                        category,
                        reason: "because".to_owned(),
                    }),
                    meta: CallMeta::default(),
                })])),
            )
        };
        assert!(at(Category::Subset).passed);
        let disagrees = at(Category::Disagrees);
        assert!(!disagrees.passed);
        assert_eq!(disagrees.reason, "because (disagrees)");
        assert_eq!(disagrees.judge.unwrap().category, Some(Category::Disagrees));
    }

    #[test]
    fn similar_takes_the_closest_reference() {
        let judged = Judged {
            check: Check::Similar {
                references: vec!["far".to_owned(), "near".to_owned()],
                threshold: 0.75,
            },
            votes: 1,
            grader: None,
            at: (1, 1),
        };
        let embedded = |answer: Vec<f32>| {
            Outcome::Embedded(Ok(Embedded {
                answer,
                references: vec![vec![0.0, 1.0], vec![1.0, 0.1]],
                meta: CallMeta::default(),
            }))
        };
        let near = verdict(&judged, &judgement(embedded(vec![1.0, 0.0])));
        assert!(near.passed, "{near:?}");
        assert!(
            near.reason
                .starts_with("closest reference `near` at cosine 0.995"),
            "{}",
            near.reason
        );
        assert_eq!(near.judge.as_ref().unwrap().similarity.len(), 2);
        let neither = verdict(&judged, &judgement(embedded(vec![1.0, -1.0])));
        assert!(!neither.passed);
        let broken = verdict(&judged, &judgement(embedded(vec![0.0, 0.0])));
        assert!(broken.error.is_some());
    }
}
