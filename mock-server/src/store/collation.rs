//! Sort order of worker pool ids.
//!
//! Upstream sorts with the database's en-US collation (`0 < a < A < b < B`): letters compare
//! case-insensitively first, and only where two ids differ in nothing but case does lower case come
//! first. [`PoolSortKey`] approximates that: (1) the id lower-cased, (2) a case mask where lower
//! case sorts first, (3) the raw bytes. Punctuation (`-`, `_`, `/`) sorts by its code point, which
//! can differ from ICU for ids that differ only in punctuation.

use std::sync::Arc;

/// A worker pool id together with its collation key; ordered as upstream lists pools.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolSortKey {
    folded: String,
    case_mask: Vec<bool>,
    /// The id itself (tie-breaker, and what the key stands for).
    pub id: Arc<str>,
}

impl PoolSortKey {
    /// The key of `id`.
    pub fn new(id: Arc<str>) -> PoolSortKey {
        PoolSortKey {
            folded: id.to_lowercase(),
            case_mask: id.chars().map(char::is_uppercase).collect(),
            id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_first_but_letters_group_together() {
        let mut ids = vec!["b/x", "A/x", "a/x", "B/x", "0/x"];
        ids.sort_by_key(|s| PoolSortKey::new(Arc::from(*s)));
        assert_eq!(ids, vec!["0/x", "a/x", "A/x", "b/x", "B/x"]);
    }
}
