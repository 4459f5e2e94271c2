//! A memo of what authentication derives from a deployment's clients and roles, so that a request
//! from a known client does not re-expand its roles: each client's [`ClientRecord`] (scopes
//! role-expanded) and, for each scope set, the scopes its holder has in all (with the anonymous
//! role, [`super::authenticate::with_anonymous`]).
//!
//! Both are pure functions of the clients and the roles. The owner empties the memo whenever a
//! client or a role changes, and computes a missing answer while holding the memo's write lock, so
//! an answer computed from an older client or role set is never kept (see
//! [`crate::authz::ServiceClients`]).

use std::collections::HashMap;
use std::sync::Arc;

use super::ClientRecord;

/// Most entries of each table; past that the table starts over (a deployment whose callers
/// present more distinct scope sets than this only loses the speed-up).
pub const MOST_ENTRIES: usize = 4096;

type Fast<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A held scope set and the anonymous scopes it was computed with.
#[derive(Debug)]
struct Held {
    anonymous: Box<[String]>,
    scopes: Arc<[String]>,
}

/// The memo: client records by clientId, held scope sets by the scopes they were computed from.
#[derive(Debug, Default)]
pub struct AuthMemo {
    clients: Fast<Box<str>, ClientRecord>,
    held: Fast<Box<[String]>, Held>,
}

impl AuthMemo {
    /// The remembered record of `client_id`.
    pub fn client(&self, client_id: &str) -> Option<ClientRecord> {
        self.clients.get(client_id).cloned()
    }

    /// Remembers the record of `client_id`.
    pub fn remember_client(&mut self, client_id: &str, record: ClientRecord) {
        if self.clients.len() >= MOST_ENTRIES {
            self.clients.clear();
        }
        self.clients.insert(client_id.into(), record);
    }

    /// The remembered scopes held by a caller with `scopes`, when they were computed with the same
    /// `anonymous` scopes.
    pub fn held(&self, scopes: &[String], anonymous: &[String]) -> Option<Arc<[String]>> {
        self.held
            .get(scopes)
            .filter(|h| *h.anonymous == *anonymous)
            .map(|h| Arc::clone(&h.scopes))
    }

    /// Remembers what a caller with `scopes` holds, given `anonymous`.
    pub fn remember_held(&mut self, scopes: &[String], anonymous: &[String], held: Arc<[String]>) {
        if self.held.len() >= MOST_ENTRIES {
            self.held.clear();
        }
        self.held.insert(
            scopes.into(),
            Held {
                anonymous: anonymous.into(),
                scopes: held,
            },
        );
    }

    /// Forgets everything (a client or a role changed).
    pub fn clear(&mut self) {
        self.clients.clear();
        self.held.clear();
    }

    /// How many answers are remembered (clients, held scope sets).
    pub fn len(&self) -> (usize, usize) {
        (self.clients.len(), self.held.len())
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn record(token: &str) -> ClientRecord {
        ClientRecord {
            access_token: Arc::from(token),
            scopes: Arc::from(strings(&["a:*"])),
            expires_ms: None,
            disabled: false,
        }
    }

    #[test]
    fn held_sets_are_keyed_by_scopes_and_anonymous_scopes() {
        let mut m = AuthMemo::default();
        let own = strings(&["a", "b"]);
        let anon = strings(&["assume:anonymous"]);
        assert_eq!(m.held(&own, &anon), None);
        m.remember_held(&own, &anon, Arc::from(strings(&["a", "b", "x"])));
        assert_eq!(
            m.held(&own, &anon).as_deref(),
            Some(&strings(&["a", "b", "x"])[..])
        );
        assert_eq!(m.held(&own, &[]), None, "other anonymous scopes");
        assert_eq!(m.held(&strings(&["b", "a"]), &anon), None, "order matters");
        m.clear();
        assert_eq!(m.held(&own, &anon), None);
        assert!(m.is_empty());
    }

    #[test]
    fn clients_are_remembered_until_cleared() {
        let mut m = AuthMemo::default();
        m.remember_client("c", record("t1"));
        assert_eq!(m.client("c").map(|r| r.access_token), Some(Arc::from("t1")));
        assert_eq!(m.client("d"), None);
        m.remember_client("c", record("t2"));
        assert_eq!(m.client("c").map(|r| r.access_token), Some(Arc::from("t2")));
        m.clear();
        assert_eq!(m.client("c"), None);
    }

    #[test]
    fn tables_start_over_when_full() {
        let mut m = AuthMemo::default();
        for i in 0..MOST_ENTRIES {
            m.remember_client(&format!("c{i}"), record("t"));
            m.remember_held(&[format!("s{i}")], &[], Arc::from(Vec::new()));
        }
        assert_eq!(m.len(), (MOST_ENTRIES, MOST_ENTRIES));
        m.remember_client("one-more", record("t"));
        m.remember_held(&strings(&["one-more"]), &[], Arc::from(Vec::new()));
        assert_eq!(m.len(), (1, 1));
    }
}
