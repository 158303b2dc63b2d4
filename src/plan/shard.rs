//! `--shard K/N`: a deterministic partition of a plan's cases, for CI matrix jobs.
//!
//! The main type is [`Shard`]. A case belongs to shard `K` of `N` when
//! `u64::from_be_bytes(first 8 bytes of SHA-256(case id)) % N == K - 1`. The id alone decides, so
//! the partition does not depend on the machine, the order of files, or which other cases
//! exist: adding a case never moves another one to a different shard. Every case is in exactly
//! one shard; small plans may leave a shard empty, which is a valid (empty) run.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::test_plan::{PlannedSuite, TestInstance};

/// Shard `index` of `count` (1-based, `1 <= index <= count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Shard {
    /// Which shard, from 1.
    pub(crate) index: u32,
    /// How many shards.
    pub(crate) count: u32,
}

impl Shard {
    /// Returns the shard `index` of `count`, or why it is not one.
    pub(crate) fn new(index: u32, count: u32) -> Result<Self, String> {
        if count == 0 {
            return Err("the shard count N must be at least 1".to_owned());
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index} of {count} does not exist: K must be between 1 and {count}"
            ));
        }
        Ok(Self { index, count })
    }

    /// Returns whether the case with `id` belongs to this shard.
    #[must_use]
    pub(crate) fn contains(self, id: &str) -> bool {
        bucket(id, self.count) == self.index - 1
    }
}

/// Cuts a shard out of a plan's cases as they come, in plan order, so a plan that is never
/// held whole (a streamed run) is cut exactly as a whole one. A case goes by its id without
/// the target, so a case's targets share a shard and each shard compares its targets on the
/// same cases.
#[derive(Debug)]
pub(crate) struct ShardCut {
    shard: Shard,
    /// The shard's suites, in the order their first kept case came.
    suites: Vec<PlannedSuite>,
    /// For each suite of the whole plan, its index among the shard's suites once kept.
    suite_map: Vec<Option<usize>>,
    /// For each kept case, its position in the whole plan.
    positions: Vec<usize>,
    /// How many cases of the whole plan have come.
    seen: usize,
}

impl ShardCut {
    /// Starts cutting `shard`.
    #[must_use]
    pub(crate) fn new(shard: Shard) -> Self {
        Self {
            shard,
            suites: Vec::new(),
            suite_map: Vec::new(),
            positions: Vec::new(),
            seen: 0,
        }
    }

    /// Returns the next case of the whole plan when the shard keeps it, renumbered to the
    /// shard's suites; `suites` are the whole plan's suites so far.
    pub(crate) fn keep(
        &mut self,
        mut case: TestInstance,
        suites: &[PlannedSuite],
    ) -> Option<TestInstance> {
        let position = self.seen;
        self.seen += 1;
        let suite = &suites[case.suite];
        if !self
            .shard
            .contains(&super::test_plan::case_id_in(&suite.name, &case.name))
        {
            return None;
        }
        if self.suite_map.len() <= case.suite {
            self.suite_map.resize(case.suite + 1, None);
        }
        let kept = &mut self.suites;
        case.suite = *self.suite_map[case.suite].get_or_insert_with(|| {
            kept.push(suite.clone());
            kept.len() - 1
        });
        self.positions.push(position);
        Some(case)
    }

    /// Returns the shard's suites so far.
    #[must_use]
    pub(crate) fn suites(&self) -> &[PlannedSuite] {
        &self.suites
    }

    /// Returns the shard's suites and what the shard remembers about the whole plan.
    #[must_use]
    pub(crate) fn finish(self) -> (Vec<PlannedSuite>, PlanShard) {
        let shard = PlanShard {
            shard: self.shard,
            positions: self.positions,
            plan_cases: self.seen,
        };
        (self.suites, shard)
    }
}

/// What a sharded plan remembers about the whole plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanShard {
    /// The shard.
    pub(crate) shard: Shard,
    /// For each case of the shard, its position in the whole plan.
    pub(crate) positions: Vec<usize>,
    /// How many cases the whole plan has.
    pub(crate) plan_cases: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{text}` is not a shard: write K/N, such as `1/4`");
        let (index, count) = text.trim().split_once('/').ok_or_else(usage)?;
        let index = index.trim().parse().map_err(|_| usage())?;
        let count = count.trim().parse().map_err(|_| usage())?;
        Self::new(index, count)
    }
}

/// Returns the 0-based shard of `id` among `count`.
fn bucket(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bucket = u64::from_be_bytes(first) % u64::from(count);
    u32::try_from(bucket).expect("a remainder of a u32 divisor fits in a u32")
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test_case("1/1", Ok((1, 1)))]
    #[test_case(" 2/3 ", Ok((2, 3)))]
    #[test_case("0/3", Err("shard 0 of 3 does not exist: K must be between 1 and 3"))]
    #[test_case("4/3", Err("shard 4 of 3 does not exist: K must be between 1 and 3"))]
    #[test_case("1/0", Err("the shard count N must be at least 1"))]
    #[test_case("1", Err("`1` is not a shard: write K/N, such as `1/4`"))]
    #[test_case("a/2", Err("`a/2` is not a shard: write K/N, such as `1/4`"))]
    #[test_case("-1/2", Err("`-1/2` is not a shard: write K/N, such as `1/4`"))]
    fn parses_and_validates(text: &str, expected: Result<(u32, u32), &str>) {
        let parsed = text.parse::<Shard>();
        assert_eq!(
            parsed,
            expected
                .map(|(index, count)| Shard { index, count })
                .map_err(str::to_owned)
        );
    }

    #[test]
    fn every_id_is_in_exactly_one_shard_for_every_count() {
        let ids: Vec<String> = (0..500)
            .map(|n| format!("suites/s{}.yaml::case_{n}", n % 7))
            .collect();
        for count in 1..=9 {
            let mut sizes = vec![0usize; count as usize];
            for id in &ids {
                let owners: Vec<u32> = (1..=count)
                    .filter(|&index| Shard { index, count }.contains(id))
                    .collect();
                assert_eq!(owners.len(), 1, "{id} in {owners:?} of {count}");
                sizes[owners[0] as usize - 1] += 1;
            }
            // A hash spreads 500 ids roughly evenly: no shard gets less than half its share.
            let share = ids.len() / count as usize;
            assert!(sizes.iter().all(|&size| size * 2 >= share), "{sizes:?}");
        }
    }

    #[test]
    fn the_partition_is_pinned() {
        // Changing the hash would silently reshuffle every user's CI matrix: these stay fixed.
        let two: Vec<u32> = [
            "a::x",
            "a::y",
            "b::z",
            "suites/support/support.yaml::refund",
        ]
        .iter()
        .map(|id| bucket(id, 2) + 1)
        .collect();
        assert_eq!(two, PINNED_TWO);
    }

    // Computed independently: `int.from_bytes(sha256(id)[:8], "big") % 2 + 1` in Python.
    const PINNED_TWO: [u32; 4] = [2, 1, 1, 2];
}
