//! [`judge_pairs`]: asks a grader which of two answers to the same case is better, every pair
//! in both orders (A shown first, then B shown first), through the grader's lane like any
//! other judge call.

use std::sync::Arc;

use futures::StreamExt;

use super::dispatch::Dispatcher;
use super::judge::{JudgeAsk, JudgeCost, ask_readable};
use super::runner::RunOptions;
use crate::assert::judge::parse::{PairwiseAnswer, read_pairwise};
use crate::chat::{CaseError, Message, ProviderErrorKind, Role, Usage};
use crate::config::Target;
use crate::plan::{JudgeContext, JudgePrompt};
use crate::provider::Provider;
use crate::template::Vars;

/// One pair of answers to judge: attempt `attempt` of case `id` on both sides.
#[derive(Debug, Clone)]
pub(crate) struct PairToJudge {
    /// The case id.
    pub(crate) id: String,
    /// The attempt, from 1.
    pub(crate) attempt: u32,
    /// The grader's index in the targets given to [`judge_pairs`].
    pub(crate) grader: usize,
    /// The judge prompt.
    pub(crate) prompt: Arc<JudgePrompt>,
    /// What the user said (the variants' system prompts are what differs, so the judge does
    /// not see them).
    pub(crate) conversation: Arc<[Message]>,
    /// What "better" means.
    pub(crate) rubric: Arc<str>,
    /// A's answer.
    pub(crate) a: String,
    /// B's answer.
    pub(crate) b: String,
    /// The case's variables.
    pub(crate) vars: Option<Arc<Vars>>,
}

/// What the grader said about one pair, in both orders.
#[derive(Debug, Clone)]
pub(crate) struct PairVerdicts {
    /// A's answer shown first.
    pub(crate) a_first: Result<PairwiseAnswer, CaseError>,
    /// B's answer shown first.
    pub(crate) b_first: Result<PairwiseAnswer, CaseError>,
}

/// Every pair's verdicts, in the order given, and what asking cost.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairwiseRun {
    /// One entry per pair.
    pub(crate) verdicts: Vec<PairVerdicts>,
    /// Requests sent to graders (retries and re-asks included).
    pub(crate) requests: u32,
    /// Tokens of every grader answer.
    pub(crate) usage: Usage,
}

/// Judges every pair in both orders with `graders` (one provider each).
pub(crate) fn judge_pairs(
    graders: &[Target],
    providers: &[Provider],
    pairs: &[PairToJudge],
    options: &RunOptions,
) -> Result<PairwiseRun, crate::error::Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| crate::error::Error::Infrastructure {
            message: format!("cannot start the async runtime: {error}"),
        })?;
    let run = runtime.block_on(async {
        let dispatcher = Dispatcher::new(graders);
        let calls = pairs.iter().enumerate().flat_map(|(index, pair)| {
            let dispatcher = &dispatcher;
            [true, false].map(move |a_first| async move {
                let (verdict, cost) =
                    ask_order(pair, a_first, graders, providers, dispatcher, options).await;
                (index, a_first, verdict, cost)
            })
        });
        let mut stream = futures::stream::iter(calls).buffer_unordered(options.concurrency.max(1));
        let mut slots: Vec<[Option<Result<PairwiseAnswer, CaseError>>; 2]> =
            vec![[None, None]; pairs.len()];
        let mut run = PairwiseRun::default();
        while let Some((index, a_first, verdict, cost)) = stream.next().await {
            run.requests += cost.requests;
            for (_, usage) in cost.usage {
                run.usage.prompt_tokens += usage.prompt_tokens;
                run.usage.completion_tokens += usage.completion_tokens;
            }
            slots[index][usize::from(!a_first)] = Some(verdict);
        }
        run.verdicts = slots
            .into_iter()
            .map(|[a_first, b_first]| PairVerdicts {
                a_first: a_first.expect("every order was asked"),
                b_first: b_first.expect("every order was asked"),
            })
            .collect();
        run
    });
    Ok(run)
}

/// Asks one order of one pair.
async fn ask_order(
    pair: &PairToJudge,
    a_first: bool,
    graders: &[Target],
    providers: &[Provider],
    dispatcher: &Dispatcher,
    options: &RunOptions,
) -> (Result<PairwiseAnswer, CaseError>, JudgeCost) {
    let grader = &graders[pair.grader];
    let (first, second) = if a_first {
        (&pair.a, &pair.b)
    } else {
        (&pair.b, &pair.a)
    };
    let question = pair
        .conversation
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .map_or("", |message| message.content.as_str());
    let context = JudgeContext {
        conversation: &pair.conversation,
        question,
        rubric: &pair.rubric,
        first,
        second,
        vars: pair.vars.as_deref(),
        ..JudgeContext::default()
    };
    let messages = match pair.prompt.render(&context) {
        Ok(messages) => messages,
        Err(message) => {
            let error = CaseError {
                kind: ProviderErrorKind::Malformed,
                status: None,
                message: format!(
                    "the pairwise judge prompt of grader `{}` could not be rendered: {message}",
                    grader.name
                ),
            };
            return (Err(error), JudgeCost::default());
        }
    };
    let slot = if a_first {
        "pairwise-a-first"
    } else {
        "pairwise-b-first"
    };
    let call = JudgeAsk {
        case_id: &pair.id,
        attempt: pair.attempt,
        vote: 1,
        slot,
        seed: grader.params.seed,
        messages: &messages,
        grader: &grader.name,
        target: pair.grader,
        provider: &providers[pair.grader],
    };
    let (result, cost) = ask_readable(call, read_pairwise, dispatcher, options).await;
    (result.map(|(answer, _)| answer), cost)
}
