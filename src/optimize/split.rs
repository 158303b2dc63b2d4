//! [`Split`]: which cases bootstrap demonstrations (train), which rank candidate sets (dev),
//! and which are held out to measure the winner once (test).
//!
//! Cases tagged `train`, `dev` or `test` keep their tag; without any such tag, a seeded
//! shuffle cuts the cases by [`SplitFractions`]. The test split is never seen by the search.

use super::seeded::Seeded;

/// The tag that puts a case in the train split.
pub(crate) const TRAIN_TAG: &str = "train";
/// The tag that puts a case in the dev split.
pub(crate) const DEV_TAG: &str = "dev";
/// The tag that puts a case in the test split.
pub(crate) const TEST_TAG: &str = "test";

/// The shares of a random split: train, dev and test, summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct SplitFractions {
    /// The share that bootstraps demonstrations.
    pub(crate) train: f64,
    /// The share that ranks candidate sets.
    pub(crate) dev: f64,
    /// The share held out for the final measurement.
    pub(crate) test: f64,
}

impl Default for SplitFractions {
    /// 30% train, 30% dev, 40% test: the held-out share is the largest because it carries the
    /// significance test, and a few passing train cases already give enough demonstrations.
    fn default() -> Self {
        Self {
            train: 0.3,
            dev: 0.3,
            test: 0.4,
        }
    }
}

impl std::str::FromStr for SplitFractions {
    type Err = String;

    /// Parses `TRAIN,DEV,TEST`, like `0.3,0.3,0.4`.
    fn from_str(shares: &str) -> Result<Self, String> {
        let parts: Vec<&str> = shares.split(',').map(str::trim).collect();
        let [train, dev, test] = parts.as_slice() else {
            return Err(format!(
                "`{shares}` is not three shares (hint: `--split 0.3,0.3,0.4` is train, dev, test)"
            ));
        };
        let share = |part: &str| {
            part.parse::<f64>()
                .ok()
                .filter(|share| *share > 0.0 && *share < 1.0)
                .ok_or_else(|| format!("`{part}` is not a share between 0 and 1 (exclusive)"))
        };
        let fractions = Self {
            train: share(train)?,
            dev: share(dev)?,
            test: share(test)?,
        };
        let sum = fractions.train + fractions.dev + fractions.test;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(format!("the shares `{shares}` add up to {sum}, not 1"));
        }
        Ok(fractions)
    }
}

/// Where the split came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SplitSource {
    /// The cases' `train` / `dev` / `test` tags.
    Tags,
    /// A seeded random split.
    Random,
}

/// The cases of each split, as indices into the cases given to [`Split::of`], in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// Cases that bootstrap demonstrations.
    pub(crate) train: Vec<usize>,
    /// Cases that rank candidate sets.
    pub(crate) dev: Vec<usize>,
    /// Cases held out for the final measurement.
    pub(crate) test: Vec<usize>,
    /// Cases left out: untagged cases when others are tagged.
    pub(crate) untagged: usize,
    /// Where the split came from.
    pub(crate) source: SplitSource,
}

impl Split {
    /// Splits cases given by their tags: by tag when any case has a split tag, else at random
    /// with `seed` and `fractions`. A case with two split tags goes to the first of train,
    /// dev, test it has.
    #[must_use]
    pub(crate) fn of(tags: &[&[String]], fractions: SplitFractions, seed: u64) -> Self {
        let has = |tags: &[String], tag: &str| tags.iter().any(|t| t == tag);
        let tagged = tags
            .iter()
            .any(|tags| [TRAIN_TAG, DEV_TAG, TEST_TAG].iter().any(|t| has(tags, t)));
        if tagged {
            let mut split = Self {
                train: Vec::new(),
                dev: Vec::new(),
                test: Vec::new(),
                untagged: 0,
                source: SplitSource::Tags,
            };
            for (index, tags) in tags.iter().enumerate() {
                if has(tags, TRAIN_TAG) {
                    split.train.push(index);
                } else if has(tags, DEV_TAG) {
                    split.dev.push(index);
                } else if has(tags, TEST_TAG) {
                    split.test.push(index);
                } else {
                    split.untagged += 1;
                }
            }
            return split;
        }
        let mut order: Vec<usize> = (0..tags.len()).collect();
        Seeded::new(seed).shuffle(&mut order);
        let count = order.len() as f64;
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a rounded share of a case count is a small non-negative integer"
        )]
        let (train, dev) = (
            ((count * fractions.train).round() as usize).min(order.len()),
            (count * fractions.dev).round() as usize,
        );
        let dev = dev.min(order.len() - train);
        let take = |range: std::ops::Range<usize>| {
            let mut part = order[range].to_vec();
            part.sort_unstable();
            part
        };
        Self {
            train: take(0..train),
            dev: take(train..train + dev),
            test: take(train + dev..order.len()),
            untagged: 0,
            source: SplitSource::Random,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(lists: &[&[&str]]) -> Vec<Vec<String>> {
        lists
            .iter()
            .map(|list| list.iter().map(|tag| (*tag).to_owned()).collect())
            .collect()
    }

    fn split(lists: &[Vec<String>], seed: u64) -> Split {
        let borrowed: Vec<&[String]> = lists.iter().map(Vec::as_slice).collect();
        Split::of(&borrowed, SplitFractions::default(), seed)
    }

    #[test]
    fn tags_decide_when_any_case_has_one() {
        let lists = tags(&[&["train"], &["x"], &["dev", "test"], &["test"], &[]]);
        let split = split(&lists, 0);
        assert_eq!(split.source, SplitSource::Tags);
        assert_eq!(
            (split.train, split.dev, split.test, split.untagged),
            (vec![0], vec![2], vec![3], 2)
        );
    }

    #[test]
    fn a_random_split_covers_every_case_once_and_follows_the_seed() {
        let lists = vec![Vec::new(); 10];
        let first = split(&lists, 3);
        assert_eq!(first.source, SplitSource::Random);
        assert_eq!(
            (first.train.len(), first.dev.len(), first.test.len()),
            (3, 3, 4)
        );
        let mut all: Vec<usize> = [&first.train, &first.dev, &first.test]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(split(&lists, 3), first);
        assert_ne!(split(&lists, 4), first);
    }

    #[test]
    fn split_shares_parse_and_must_add_up() {
        assert_eq!(
            "0.5, 0.25,0.25".parse::<SplitFractions>(),
            Ok(SplitFractions {
                train: 0.5,
                dev: 0.25,
                test: 0.25
            })
        );
        assert!("0.5,0.5".parse::<SplitFractions>().is_err());
        assert!("0.5,0.4,0.4".parse::<SplitFractions>().is_err());
        assert!("0,0.5,0.5".parse::<SplitFractions>().is_err());
    }
}
