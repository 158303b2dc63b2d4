//! [`search`]: which demonstration sets to try on the dev split, and which one wins.
//!
//! Half the candidates are seeded random sets of `max-demos` demonstrations; the rest grow a
//! set greedily, one demonstration at a time, trying first the demonstrations that were in
//! the best random sets and keeping an addition only when it passes more dev cases. The
//! search is pure: the caller's `evaluate` closure runs a set and returns its dev passes, or
//! `None` when the budget allows no more runs, so the same seed and the same answers always
//! try the same sets in the same order.

use std::collections::HashMap;

use super::seeded::Seeded;

/// How a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SearchOptions {
    /// The most demonstrations in one set.
    pub(crate) max_demos: usize,
    /// The most sets evaluated.
    pub(crate) candidates: usize,
    /// The seed of the random sets.
    pub(crate) seed: u64,
}

/// How a candidate set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CandidateKind {
    /// A seeded random set.
    Random,
    /// A greedy addition to the best set so far.
    Greedy,
}

/// One evaluated set: indices into the demonstration pool, sorted, and its dev passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tried {
    /// The demonstrations, as sorted indices into the pool.
    pub(crate) demos: Vec<usize>,
    /// How it was chosen.
    pub(crate) kind: CandidateKind,
    /// Dev cases it passed.
    pub(crate) passed: u64,
}

/// What a search tried and which set won.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SearchOutcome {
    /// Every evaluated set, in evaluation order.
    pub(crate) tried: Vec<Tried>,
    /// The index in `tried` of the winner: the most dev passes, then the fewest
    /// demonstrations (a shorter prompt), then the earliest.
    pub(crate) best: Option<usize>,
    /// Whether `evaluate` stopped the search before it ran out of candidates.
    pub(crate) stopped: bool,
}

/// Searches sets of up to `options.max_demos` of `pool` demonstrations; `baseline` is the
/// current prompt's dev passes, which a greedy addition must beat.
pub(crate) fn search<E>(
    pool: usize,
    baseline: u64,
    options: SearchOptions,
    mut evaluate: impl FnMut(&[usize], CandidateKind) -> Result<Option<u64>, E>,
) -> Result<SearchOutcome, E> {
    let size = options.max_demos.min(pool);
    let mut outcome = SearchOutcome::default();
    if size == 0 || options.candidates == 0 {
        return Ok(outcome);
    }
    let mut seen: HashMap<Vec<usize>, u64> = HashMap::new();
    let mut generator = Seeded::new(options.seed);
    let random = options.candidates.div_ceil(2);
    // A few draws per wanted set find the distinct ones; a small pool has fewer sets than
    // that, and the loop ends when no new one turns up.
    let mut draws = 0;
    while outcome.tried.len() < random && draws < random * 20 {
        draws += 1;
        let mut order: Vec<usize> = (0..pool).collect();
        generator.shuffle(&mut order);
        let mut set = order[..size].to_vec();
        set.sort_unstable();
        if seen.contains_key(&set) {
            continue;
        }
        let Some(passed) = evaluate(&set, CandidateKind::Random)? else {
            outcome.stopped = true;
            return Ok(finish(outcome));
        };
        seen.insert(set.clone(), passed);
        outcome.tried.push(Tried {
            demos: set,
            kind: CandidateKind::Random,
            passed,
        });
    }
    let ranked = rank(pool, &outcome.tried);
    let (mut current, mut current_passed) = (Vec::new(), baseline);
    while current.len() < size && outcome.tried.len() < options.candidates {
        let mut step_best: Option<(Vec<usize>, u64)> = None;
        for &demo in &ranked {
            if current.contains(&demo) {
                continue;
            }
            let mut set = current.clone();
            set.push(demo);
            set.sort_unstable();
            let passed = if let Some(&passed) = seen.get(&set) {
                passed
            } else {
                if outcome.tried.len() >= options.candidates {
                    break;
                }
                let Some(passed) = evaluate(&set, CandidateKind::Greedy)? else {
                    outcome.stopped = true;
                    return Ok(finish(outcome));
                };
                seen.insert(set.clone(), passed);
                outcome.tried.push(Tried {
                    demos: set.clone(),
                    kind: CandidateKind::Greedy,
                    passed,
                });
                passed
            };
            if step_best.as_ref().is_none_or(|(_, best)| passed > *best) {
                step_best = Some((set, passed));
            }
        }
        match step_best {
            Some((set, passed)) if passed > current_passed => {
                current = set;
                current_passed = passed;
            }
            _ => break,
        }
    }
    Ok(finish(outcome))
}

/// Orders the pool by the mean dev passes of the random sets each demonstration was in
/// (best first; demonstrations in no set last, in pool order).
fn rank(pool: usize, tried: &[Tried]) -> Vec<usize> {
    let mut totals = vec![(0_u64, 0_u64); pool];
    for set in tried {
        for &demo in &set.demos {
            totals[demo].0 += set.passed;
            totals[demo].1 += 1;
        }
    }
    let mean = |demo: usize| {
        let (sum, count) = totals[demo];
        (count > 0).then(|| sum as f64 / count as f64)
    };
    let mut order: Vec<usize> = (0..pool).collect();
    order.sort_by(|a, b| {
        mean(*b)
            .unwrap_or(-1.0)
            .total_cmp(&mean(*a).unwrap_or(-1.0))
            .then(a.cmp(b))
    });
    order
}

/// Picks the winner.
fn finish(mut outcome: SearchOutcome) -> SearchOutcome {
    outcome.best = outcome
        .tried
        .iter()
        .enumerate()
        .min_by(|(a_index, a), (b_index, b)| {
            b.passed
                .cmp(&a.passed)
                .then(a.demos.len().cmp(&b.demos.len()))
                .then(a_index.cmp(b_index))
        })
        .map(|(index, _)| index);
    outcome
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn options(max_demos: usize, candidates: usize, seed: u64) -> SearchOptions {
        SearchOptions {
            max_demos,
            candidates,
            seed,
        }
    }

    /// Dev passes when a set holds demonstration 5 (and one more pass with 2 as well).
    fn helped_by_five(set: &[usize]) -> u64 {
        u64::from(set.contains(&5)) * 6 + u64::from(set.contains(&5) && set.contains(&2))
    }

    #[test]
    fn the_search_finds_the_helpful_demonstration_within_its_candidates() {
        let outcome = search(8, 0, options(2, 8, 1), |set, _| {
            Ok::<_, Infallible>(Some(helped_by_five(set)))
        })
        .unwrap();
        assert!(outcome.tried.len() <= 8);
        let best = &outcome.tried[outcome.best.unwrap()];
        assert!(best.demos.contains(&5), "{outcome:?}");
        assert!(!outcome.stopped);
    }

    #[test]
    fn one_seed_tries_the_same_sets_and_another_seed_others() {
        let run = |seed| {
            search(10, 0, options(3, 6, seed), |set, _| {
                Ok::<_, Infallible>(Some(helped_by_five(set)))
            })
            .unwrap()
        };
        assert_eq!(run(4), run(4));
        assert_ne!(run(4).tried, run(5).tried);
    }

    #[test]
    fn greedy_sets_grow_from_the_demonstrations_of_the_best_random_sets() {
        let run = |seed| {
            search(6, 0, options(2, 6, seed), |set, _| {
                Ok::<_, Infallible>(Some(helped_by_five(set)))
            })
            .unwrap()
        };
        // A seed whose random sets include demonstration 5.
        let outcome = (0..1000)
            .map(run)
            .find(|outcome| {
                outcome
                    .tried
                    .iter()
                    .any(|tried| tried.kind == CandidateKind::Random && tried.demos.contains(&5))
            })
            .unwrap();
        let greedy: Vec<&Tried> = outcome
            .tried
            .iter()
            .filter(|tried| tried.kind == CandidateKind::Greedy)
            .collect();
        assert!(!greedy.is_empty());
        let best_random = outcome
            .tried
            .iter()
            .filter(|tried| tried.kind == CandidateKind::Random)
            .max_by_key(|tried| tried.passed)
            .unwrap();
        assert!(
            best_random.demos.contains(&greedy[0].demos[0]),
            "the first greedy try comes from the best random set: {outcome:?}"
        );
        assert!(outcome.tried[outcome.best.unwrap()].demos.contains(&5));
        assert!(outcome.tried.iter().all(|tried| tried.demos.len() <= 2));
        let mut sets: Vec<&Vec<usize>> = outcome.tried.iter().map(|tried| &tried.demos).collect();
        sets.sort();
        sets.dedup();
        assert_eq!(sets.len(), outcome.tried.len(), "no set is evaluated twice");
    }

    #[test]
    fn ties_prefer_fewer_demonstrations_and_a_stop_keeps_what_was_tried() {
        let outcome = search(4, 0, options(3, 10, 2), |set, _| {
            Ok::<_, Infallible>(Some(u64::from(set.contains(&1))))
        })
        .unwrap();
        let best = &outcome.tried[outcome.best.unwrap()];
        assert_eq!(best.demos, [1]);
        let mut budget = 2;
        let stopped = search(4, 0, options(3, 10, 2), |_, _| {
            budget -= 1;
            Ok::<_, Infallible>((budget >= 0).then_some(1))
        })
        .unwrap();
        assert!(stopped.stopped);
        assert_eq!(stopped.tried.len(), 2);
        assert_eq!(stopped.best, Some(0));
    }

    #[test]
    fn an_empty_pool_tries_nothing() {
        let outcome = search(0, 0, options(4, 8, 0), |_, _| Ok::<_, Infallible>(Some(1))).unwrap();
        assert!(outcome.tried.is_empty());
        assert_eq!(outcome.best, None);
    }
}
