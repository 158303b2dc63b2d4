//! [`judge_answer`]: asks the graders and embedders of a case's model-graded assertions about
//! one answer, and returns what they said as [`Judgements`] for the pure verdicts.
//!
//! Every judge call is a request to a target: it goes through that target's lane (limits,
//! retries, deadline, breaker), is answered from the cache when the cache holds it, and is
//! recorded by `--record` when the grader is live. An answer that cannot be read as a verdict
//! is asked again (at most [`ASKS`] times in all, never from the cache, since only readable
//! answers are stored); after that the vote is an error, never a failure.

use std::sync::Arc;

use futures::future::join_all;

use super::dispatch::Dispatcher;
use super::runner::RunOptions;
use crate::assert::Assertion;
use crate::assert::judge::embedding::encode;
use crate::assert::judge::parse::{Unreadable, read_factuality, read_rubric};
use crate::assert::judge::{
    CallMeta, Check, Embedded, Judged, Judgement, Judgements, Outcome, Vote, VoteAnswer,
};
use crate::chat::{CaseError, Message, ModelOutput, ProviderErrorKind, Role, Usage};
use crate::plan::{JudgeContext, JudgeLeaf, TestInstance};
use crate::provider::{
    CacheKey, ChatRequest, EmbedRequest, JudgeCall, Provider, ProviderError, RecordedAnswer,
    inputs_hash, request_hash,
};
use crate::util::format::excerpt;

/// How many times a grader is asked for a readable verdict before the vote is an error.
pub(crate) const ASKS: u32 = 3;

/// How much of an unreadable answer an error quotes.
const QUOTE: usize = 200;

/// What a case's judge calls cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JudgeCost {
    /// Tokens of every grader and embedder answer, readable or not, by plan target (so each
    /// is priced at its own model's price).
    pub(crate) usage: Vec<(usize, Usage)>,
    /// Requests sent (retries and re-asks included; 0 when answered from cache or recording).
    pub(crate) requests: u32,
}

impl JudgeCost {
    fn add(&mut self, other: Self) {
        self.requests += other.requests;
        for (target, usage) in other.usage {
            self.add_usage(target, Some(usage));
        }
    }

    fn add_usage(&mut self, target: usize, usage: Option<Usage>) {
        let Some(usage) = usage else { return };
        match self.usage.iter_mut().find(|(known, _)| *known == target) {
            Some((_, total)) => {
                total.prompt_tokens += usage.prompt_tokens;
                total.completion_tokens += usage.completion_tokens;
            }
            None => self.usage.push((target, usage)),
        }
    }

    fn requested(requests: u32) -> Self {
        Self {
            usage: Vec::new(),
            requests,
        }
    }
}

/// Where a case's judge calls go and what they may use.
#[derive(Clone, Copy)]
pub(crate) struct JudgeLanes<'a> {
    /// One provider per plan target.
    pub(crate) providers: &'a [Provider],
    /// The plan targets' lanes.
    pub(crate) dispatcher: &'a Dispatcher,
    /// The cache and recorder of the run.
    pub(crate) options: &'a RunOptions,
    /// The seed of each plan target (`seed:`), for votes.
    pub(crate) seeds: &'a [Option<i64>],
}

/// Asks every model-graded assertion's grader or embedder about attempt `attempt`'s answer.
pub(crate) async fn judge_answer(
    case: &TestInstance,
    output: &ModelOutput,
    attempt: u32,
    lanes: JudgeLanes<'_>,
) -> (Judgements, JudgeCost) {
    let leaves = Assertion::judged_leaves(&case.assertions);
    let calls = leaves
        .iter()
        .zip(case.judges.iter())
        .enumerate()
        .map(|(index, (judged, leaf))| {
            judge_leaf(case, output, attempt, index, judged, leaf, lanes)
        });
    let mut cost = JudgeCost::default();
    let mut judgements = Judgements::default();
    for (judgement, leaf_cost) in join_all(calls).await {
        cost.add(leaf_cost);
        judgements.leaves.push(judgement);
    }
    (judgements, cost)
}

/// The last user message of a conversation.
fn question(messages: &[Message]) -> &str {
    messages
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .map_or("", |message| message.content.as_str())
}

async fn judge_leaf(
    case: &TestInstance,
    output: &ModelOutput,
    attempt: u32,
    index: usize,
    judged: &Judged,
    leaf: &JudgeLeaf,
    lanes: JudgeLanes<'_>,
) -> (Judgement, JudgeCost) {
    let grader = lanes.dispatcher.target_name(leaf.target).to_owned();
    let slot = format!("{}-{}", judged.kind(), index + 1);
    let provider = &lanes.providers[leaf.target];
    if let Check::Similar { references, .. } = &judged.check {
        let (embedded, cost) = embed(
            case, output, attempt, &slot, &grader, references, leaf, provider, lanes,
        )
        .await;
        let judgement = Judgement {
            grader,
            prompt_hash: None,
            outcome: Outcome::Embedded(embedded),
        };
        return (judgement, cost);
    }
    let prompt = Arc::clone(leaf.prompt.as_ref().expect("graders have a prompt"));
    let (rubric, reference) = match &judged.check {
        Check::Rubric { text, .. } => (text.as_str(), ""),
        Check::Factuality { reference, .. } => ("", reference.as_str()),
        Check::Similar { .. } => unreachable!("embedders return above"),
    };
    let context = JudgeContext {
        conversation: &case.messages,
        question: question(&case.messages),
        answer: &output.text,
        rubric,
        reference,
        vars: case.vars.as_deref(),
        ..JudgeContext::default()
    };
    let messages = match prompt.render(&context) {
        Ok(messages) => messages,
        Err(message) => {
            let error = CaseError {
                kind: ProviderErrorKind::Malformed,
                status: None,
                message: format!(
                    "the judge prompt of grader `{grader}` could not be rendered: {message}"
                ),
            };
            let votes = (0..judged.votes).map(|_| Err(error.clone())).collect();
            let judgement = Judgement {
                grader,
                prompt_hash: Some(prompt.hash().to_owned()),
                outcome: Outcome::Votes(votes),
            };
            return (judgement, JudgeCost::default());
        }
    };
    let seed = lanes.seeds[leaf.target].or(lanes.seeds[case.target]);
    let votes = (1..=judged.votes).map(|vote| {
        let slot = if vote > 1 {
            format!("{slot}#{vote}")
        } else {
            slot.clone()
        };
        let seed = seed.map(|seed| seed + i64::from(vote) - 1);
        let (messages, grader) = (&messages, &grader);
        async move {
            ask(
                case,
                attempt,
                vote,
                &slot,
                seed,
                messages,
                grader,
                &judged.check,
                leaf,
                provider,
                lanes,
            )
            .await
        }
    });
    let mut cost = JudgeCost::default();
    let mut results = Vec::with_capacity(judged.votes as usize);
    for (vote, vote_cost) in join_all(votes).await {
        cost.add(vote_cost);
        results.push(vote);
    }
    let judgement = Judgement {
        grader,
        prompt_hash: Some(prompt.hash().to_owned()),
        outcome: Outcome::Votes(results),
    };
    (judgement, cost)
}

/// Turns a failed call into the vote's error, naming the grader.
fn call_error(grader: &str, error: &ProviderError) -> CaseError {
    CaseError {
        kind: error.kind,
        status: error.status,
        message: format!("grader `{grader}`: {}", error.message),
    }
}

/// Asks one vote, re-asking while the answer cannot be read.
#[expect(clippy::too_many_arguments, reason = "one call's whole context")]
async fn ask(
    case: &TestInstance,
    attempt: u32,
    vote: u32,
    slot: &str,
    seed: Option<i64>,
    messages: &[Message],
    grader: &str,
    check: &Check,
    leaf: &JudgeLeaf,
    provider: &Provider,
    lanes: JudgeLanes<'_>,
) -> (Result<Vote, CaseError>, JudgeCost) {
    let call = JudgeAsk {
        case_id: &case.id,
        attempt,
        vote,
        slot,
        seed,
        messages,
        grader,
        target: leaf.target,
        provider,
    };
    let read = |text: &str| match check {
        Check::Rubric { .. } => read_rubric(text).map(VoteAnswer::Rubric),
        Check::Factuality { .. } => read_factuality(text).map(VoteAnswer::Factuality),
        Check::Similar { .. } => unreachable!("embedders are not asked for votes"),
    };
    let (result, cost) = ask_readable(call, read, lanes.dispatcher, lanes.options).await;
    (result.map(|(answer, meta)| Vote { answer, meta }), cost)
}

/// One judge call: whose, about what, and where it goes.
#[derive(Clone, Copy)]
pub(crate) struct JudgeAsk<'a> {
    /// The case the call judges (replay and recordings key judge answers by it).
    pub(crate) case_id: &'a str,
    /// The attempt whose answer is judged, from 1.
    pub(crate) attempt: u32,
    /// The vote, from 1 (cache keys of later votes differ).
    pub(crate) vote: u32,
    /// The call's key within its case and attempt, for recordings.
    pub(crate) slot: &'a str,
    /// The seed sent with the call.
    pub(crate) seed: Option<i64>,
    /// The rendered judge prompt.
    pub(crate) messages: &'a [Message],
    /// The grader's name, for errors.
    pub(crate) grader: &'a str,
    /// The grader's index among the dispatcher's targets.
    pub(crate) target: usize,
    /// The grader's provider.
    pub(crate) provider: &'a Provider,
}

/// Asks a grader until `read` can read its answer (at most [`ASKS`] times); the answer comes
/// from the cache when the cache holds it, and a readable live answer is cached and recorded.
pub(crate) async fn ask_readable<A>(
    call: JudgeAsk<'_>,
    read: impl Fn(&str) -> Result<A, Unreadable>,
    dispatcher: &Dispatcher,
    options: &RunOptions,
) -> (Result<(A, CallMeta), CaseError>, JudgeCost) {
    let JudgeAsk {
        case_id,
        attempt,
        vote,
        slot,
        seed,
        messages,
        grader,
        target,
        provider,
    } = call;
    let request = ChatRequest {
        case_id,
        attempt,
        messages,
        mock_answer: None,
        chat_prompt: false,
        judge: Some(JudgeCall { slot, seed }),
    };
    let cache = options.cache.as_deref().and_then(|cache| {
        let key = CacheKey::for_judge(&provider.canonical_request(&request)?, attempt, vote);
        Some((cache, key))
    });
    let mut cost = JudgeCost::default();
    let mut last_unreadable: Option<(Unreadable, String, Option<String>)> = None;
    for ask in 1..=ASKS {
        // Only readable answers are cached, so only the first ask may come from the cache.
        let cached = (ask == 1)
            .then(|| cache.as_ref().and_then(|(cache, key)| cache.lookup(key)))
            .flatten();
        let output = if let Some(output) = cached {
            output
        } else {
            let sent = dispatcher.send(target, provider, &request).await;
            cost.add(JudgeCost::requested(sent.requests));
            match sent.result {
                Ok(output) => output,
                Err(error) => return (Err(call_error(grader, &error)), cost),
            }
        };
        if output.cached {
            // Answered from the cache or a recording: nothing was requested.
            cost.requests = 0;
        }
        cost.add_usage(target, output.usage);
        match read(&output.text) {
            Ok(answer) => {
                if let Some((cache, key)) = &cache {
                    cache.store(key, &output);
                }
                if let Some(recorder) = options.recorder.as_deref()
                    && provider.is_live()
                {
                    recorder.add_judge(
                        case_id,
                        attempt,
                        slot,
                        RecordedAnswer {
                            request_hash: request_hash(messages),
                            model: output.model.clone(),
                            answer: output.text.clone(),
                            embeddings: None,
                            finish_reason: output.finish_reason.clone(),
                            usage: output.usage,
                        },
                    );
                }
                let meta = CallMeta {
                    model: output.model,
                    usage: output.usage,
                    cached: output.cached,
                };
                return (Ok((answer, meta)), cost);
            }
            Err(why) => last_unreadable = Some((why, output.text, output.model)),
        }
    }
    let (why, text, model) = last_unreadable.expect("every ask either returned or was unreadable");
    let model = model.map(|model| format!(" ({model})")).unwrap_or_default();
    let error = CaseError {
        kind: ProviderErrorKind::Malformed,
        status: None,
        message: format!(
            "grader `{grader}`{model} did not answer with a verdict after {ASKS} asks ({}): `{}`",
            why.why,
            excerpt(text.trim(), QUOTE)
        ),
    };
    (Err(error), cost)
}

/// Embeds the answer and the references in one request.
#[expect(clippy::too_many_arguments, reason = "one call's whole context")]
#[expect(
    clippy::too_many_lines,
    reason = "one call: cache, lane, checks, recording, in order"
)]
async fn embed(
    case: &TestInstance,
    output: &ModelOutput,
    attempt: u32,
    slot: &str,
    embedder: &str,
    references: &[String],
    leaf: &JudgeLeaf,
    provider: &Provider,
    lanes: JudgeLanes<'_>,
) -> (Result<Embedded, CaseError>, JudgeCost) {
    let mut inputs = Vec::with_capacity(references.len() + 1);
    inputs.push(output.text.clone());
    inputs.extend(references.iter().cloned());
    let request = EmbedRequest {
        case_id: &case.id,
        attempt,
        slot,
        inputs: &inputs,
    };
    let cache = lanes.options.cache.as_deref().and_then(|cache| {
        let key = CacheKey::for_judge(&provider.canonical_embed_request(&request)?, attempt, 1);
        Some((cache, key))
    });
    let mut cost = JudgeCost::default();
    let cached = cache
        .as_ref()
        .and_then(|(cache, key)| cache.lookup_embeddings(key));
    let embeddings = if let Some(embeddings) = cached {
        embeddings
    } else {
        let tokens = u32::try_from(
            inputs
                .iter()
                .map(|text| text.len().div_ceil(4))
                .sum::<usize>(),
        )
        .unwrap_or(u32::MAX);
        let sent = lanes
            .dispatcher
            .send_with(leaf.target, tokens, || provider.embed(&request))
            .await;
        cost.add(JudgeCost::requested(sent.requests));
        match sent.result {
            Ok(embeddings) => embeddings,
            Err(error) => {
                let error = CaseError {
                    message: format!("embedder `{embedder}`: {}", error.message),
                    ..call_error(embedder, &error)
                };
                return (Err(error), cost);
            }
        }
    };
    if embeddings.cached {
        cost.requests = 0;
    }
    cost.add_usage(leaf.target, embeddings.usage);
    if embeddings.vectors.len() != inputs.len() {
        let error = CaseError {
            kind: ProviderErrorKind::Malformed,
            status: None,
            message: format!(
                "embedder `{embedder}` returned {} vectors for {} texts",
                embeddings.vectors.len(),
                inputs.len()
            ),
        };
        return (Err(error), cost);
    }
    if let Some((cache, key)) = &cache {
        cache.store_embeddings(key, &embeddings);
    }
    if let Some(recorder) = lanes.options.recorder.as_deref()
        && provider.is_live()
    {
        recorder.add_judge(
            &case.id,
            attempt,
            slot,
            RecordedAnswer {
                request_hash: inputs_hash(&inputs),
                model: embeddings.model.clone(),
                answer: String::new(),
                embeddings: Some(
                    embeddings
                        .vectors
                        .iter()
                        .map(|vector| encode(vector))
                        .collect(),
                ),
                finish_reason: None,
                usage: embeddings.usage,
            },
        );
    }
    let mut vectors = embeddings.vectors.into_iter();
    let answer = vectors
        .next()
        .expect("one vector per input, the answer first");
    let result = Embedded {
        answer,
        references: vectors.collect(),
        meta: CallMeta {
            model: embeddings.model,
            usage: embeddings.usage,
            cached: embeddings.cached,
        },
    };
    (Ok(result), cost)
}
