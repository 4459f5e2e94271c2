//! The service: one mock worker-manager's state and identity, shared by every request.
//!
//! A [`Service`] is what a server (or a tenant, later) runs: the store behind its lock, the clock,
//! the id generator, the known clients, the issuer of worker credentials and the options.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use worker_manager_schemas::{Catalog, Validators};

use crate::auth::memo::AuthMemo;
use crate::clock::Clock;
use crate::credentials::{issuer_scopes, Issuer, ISSUER_CLIENT_ID};
use crate::ids::Ids;
use crate::journal::{Journal, JournalEntry};
use crate::provider::Provider;
use crate::scenario::engine::{Engine, RuleReport};
use crate::scenario::rules::Rule;
use crate::store::Store;

/// The clientId of the root client, which holds scope `*`.
pub const ROOT_CLIENT_ID: &str = "static/taskcluster/root";

/// How strictly requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// As a Taskcluster deployment: Hawk verified, scopes enforced.
    #[default]
    Strict,
    /// Local development: any or no credentials act as root (clientIds are still recorded).
    Permissive,
}

/// A client the mock knows: its secret and scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The secret accessToken.
    pub access_token: String,
    /// Its scopes.
    pub scopes: Vec<String>,
}

/// Options fixed when a service starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Authentication mode.
    pub auth: AuthMode,
    /// Scopes every request has, with or without credentials (the anonymous role).
    pub anonymous_scopes: Vec<String>,
    /// Check response bodies against their output schemas (a mismatch becomes a 500, as the real
    /// service does): every answer, except that answers rendered from typed views (workerPool and
    /// the worker lists, see [`crate::resources::Rendered`]) are sampled in release builds (see
    /// [`Service::check_typed_render`]).
    pub validate_responses: bool,
    /// The configured providers, in order.
    pub providers: Vec<Provider>,
    /// Seed of every generated value (`None`: random).
    pub seed: Option<u64>,
    /// The root client's accessToken (`None`: generated).
    pub root_access_token: Option<String>,
    /// How many requests the journal keeps.
    pub journal_capacity: usize,
    /// About how many bytes of response bodies the journal keeps: beyond it, the oldest entries'
    /// response bodies become a note of their size (the entries stay).
    pub journal_max_bytes: usize,
    /// How long a client may take to send its request head (slow clients are cut off).
    pub header_read_timeout: std::time::Duration,
    /// Rewrites every successful API answer before its output check (`None`: answers as built).
    pub response_transform: Option<std::sync::Arc<dyn ResponseTransform>>,
}

/// A hook that rewrites the body of every successful API answer, after the handler and before
/// the output-schema check (so a transform that breaks the schema still yields a `500`, never an
/// invalid answer). `wm-contract client --response-fuzz` uses it to serve generated variants.
pub trait ResponseTransform: Send + Sync + std::fmt::Debug {
    /// The body to send for `method` (catalog name) in place of `body`.
    fn transform(&self, method: &str, body: serde_json::Value) -> serde_json::Value;
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auth: AuthMode::Strict,
            anonymous_scopes: Vec::new(),
            validate_responses: true,
            providers: crate::provider::default_providers(),
            seed: None,
            root_access_token: None,
            journal_capacity: 10_000,
            journal_max_bytes: crate::journal::DEFAULT_MAX_BYTES,
            header_read_timeout: std::time::Duration::from_secs(10),
            response_transform: None,
        }
    }
}

/// One mock worker-manager.
pub struct Service {
    store: RwLock<Store>,
    /// The clock every time comes from.
    pub clock: Clock,
    /// The generator of ids and secrets.
    pub ids: Ids,
    /// The API definition.
    pub catalog: &'static Catalog,
    /// Compiled schemas.
    pub validators: &'static Validators,
    /// Fixed options.
    pub options: Options,
    issuer: Issuer,
    proof_key: Vec<u8>,
    clients: RwLock<HashMap<String, Client>>,
    roles: RwLock<Vec<(String, Vec<String>)>>,
    /// Authentication's memo of the clients and roles. Lock order: this, then `clients` or
    /// `roles`; whoever changes a client or role empties it while holding it.
    auth_memo: RwLock<AuthMemo>,
    /// The anonymous scopes every caller holds: the options' plus `assume:anonymous`.
    anonymous_scopes: Vec<String>,
    root_url: RwLock<String>,
    journal: Mutex<Journal>,
    engine: RwLock<Engine>,
    baseline: Mutex<Option<Store>>,
    started: Instant,
    /// How many typed renders of each catalog method were produced (release builds' sampled
    /// checks); a fixed map of counters, so counting takes no lock.
    typed_renders: HashMap<String, AtomicU64>,
    /// The last answer to each request a `stale` rule fired on (method, path and query).
    stale_answers: Mutex<HashMap<String, crate::pipeline::Answer>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("root_url", &self.root_url())
            .field("auth", &self.options.auth)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A fresh service with `options` and the system clock.
    pub fn new(options: Options) -> Service {
        Service::with_clock(options, Clock::system())
    }

    /// A fresh service with `options` and a given clock.
    pub fn with_clock(options: Options, clock: Clock) -> Service {
        let ids = Ids::new(options.seed);
        let issuer = Issuer {
            client_id: ISSUER_CLIENT_ID.to_string(),
            access_token: ids.access_token(),
        };
        let proof_key = ids.access_token().into_bytes();
        let root_token = options
            .root_access_token
            .clone()
            .unwrap_or_else(|| ids.access_token());
        let mut clients = HashMap::new();
        clients.insert(
            ROOT_CLIENT_ID.to_string(),
            Client {
                access_token: root_token,
                scopes: vec!["*".to_string()],
            },
        );
        clients.insert(
            issuer.client_id.clone(),
            Client {
                access_token: issuer.access_token.clone(),
                scopes: issuer_scopes(),
            },
        );
        let mut anonymous_scopes = options.anonymous_scopes.clone();
        anonymous_scopes.push(crate::auth::authenticate::ANONYMOUS_ROLE_SCOPE.to_string());
        Service {
            store: RwLock::new(Store::new(options.providers.clone())),
            clock,
            ids,
            catalog: Catalog::embedded(),
            validators: Validators::embedded(),
            journal: Mutex::new(Journal::with_budget(
                options.journal_capacity,
                options.journal_max_bytes,
            )),
            engine: RwLock::new(Engine::new()),
            baseline: Mutex::new(None),
            options,
            issuer,
            proof_key,
            clients: RwLock::new(clients),
            roles: RwLock::new(Vec::new()),
            auth_memo: RwLock::new(AuthMemo::default()),
            anonymous_scopes,
            root_url: RwLock::new("http://localhost".to_string()),
            started: Instant::now(),
            typed_renders: Catalog::embedded()
                .entries()
                .iter()
                .map(|e| (e.name.clone(), AtomicU64::new(0)))
                .collect(),
            stale_answers: Mutex::new(HashMap::new()),
        }
    }

    /// Locks the store for changes (exclusive). Hold the guard only for plain computation, never
    /// across an await.
    pub fn store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks the store for reading: readers run side by side (a page of 100 workers takes tens
    /// of microseconds to render, and under an exclusive lock the other cores queued behind it).
    pub fn store_read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds since the service started.
    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The root URL clients use (set once the server is listening).
    pub fn root_url(&self) -> String {
        self.root_url
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Sets the root URL.
    pub fn set_root_url(&self, url: &str) {
        let mut r = self.root_url.write().unwrap_or_else(|p| p.into_inner());
        *r = url.trim_end_matches('/').to_string();
    }

    /// The identity that signs worker credentials.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The key of the fake cloud identity proofs ([`crate::proofs`]).
    pub fn proof_key(&self) -> &[u8] {
        &self.proof_key
    }

    /// The client `client_id`, if known.
    pub fn client(&self, client_id: &str) -> Option<Client> {
        self.clients
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(client_id)
            .cloned()
    }

    /// Adds or replaces a client.
    pub fn put_client(&self, client_id: &str, client: Client) {
        let mut memo = self.auth_memo_mut();
        self.clients
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(client_id.to_string(), client);
        memo.clear();
    }

    /// Adds or replaces a role: holding `assume:<role_id>` grants `scopes`.
    pub fn put_role(&self, role_id: &str, scopes: Vec<String>) {
        let mut memo = self.auth_memo_mut();
        let mut roles = self.roles.write().unwrap_or_else(|p| p.into_inner());
        roles.retain(|(id, _)| id != role_id);
        roles.push((role_id.to_string(), scopes));
        memo.clear();
    }

    /// Authentication's memo, for reading ([`crate::authz::ServiceClients`]).
    pub fn auth_memo(&self) -> RwLockReadGuard<'_, AuthMemo> {
        self.auth_memo.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Authentication's memo, for filling in a missing answer: while the guard is held no client
    /// or role changes (see the lock order on the field).
    pub fn auth_memo_mut(&self) -> RwLockWriteGuard<'_, AuthMemo> {
        self.auth_memo.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The scopes every caller holds, credentials or not: the configured anonymous scopes and
    /// `assume:anonymous`.
    pub fn anonymous_scopes(&self) -> &[String] {
        &self.anonymous_scopes
    }

    /// Expands `scopes` with the configured roles (to a fixed point).
    pub fn expand_scopes(&self, scopes: &[String]) -> Vec<String> {
        let roles = self.roles.read().unwrap_or_else(|p| p.into_inner());
        if roles.is_empty() {
            return scopes.to_vec();
        }
        crate::auth::expand_roles(scopes, &roles)
    }

    /// The root client's accessToken.
    pub fn root_access_token(&self) -> String {
        self.client(ROOT_CLIENT_ID)
            .map(|c| c.access_token)
            .unwrap_or_default()
    }

    /// The scenario rule engine (read access: deciding, reports).
    pub fn engine(&self) -> RwLockReadGuard<'_, Engine> {
        self.engine.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends scenario rules.
    pub fn add_rules(&self, rules: &[Rule]) {
        let now = self.clock.now_ms();
        self.engine
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .add_rules(rules, now);
    }

    /// What a `stale` rule answers for `request` (method, path and query): the answer this
    /// request got the previous time, with `fresh` kept for the next time; `fresh` itself the first
    /// time.
    pub fn stale_answer(
        &self,
        request: String,
        fresh: crate::pipeline::Answer,
    ) -> crate::pipeline::Answer {
        let mut answers = self.stale_answers.lock().unwrap_or_else(|p| p.into_inner());
        answers.insert(request, fresh.clone()).unwrap_or(fresh)
    }

    /// Removes every scenario rule (and what `stale` rules remembered).
    pub fn clear_rules(&self) {
        self.engine
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.forget_stale_answers();
    }

    fn forget_stale_answers(&self) {
        self.stale_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Every rule with how often it matched and fired.
    pub fn rule_reports(&self) -> Vec<RuleReport> {
        self.engine().reports()
    }

    /// Remembers the current state as the one [`Service::reset`] goes back to.
    pub fn snapshot_baseline(&self) {
        let copy = self.store().clone();
        *self.baseline.lock().unwrap_or_else(|p| p.into_inner()) = Some(copy);
    }

    /// Goes back to the state of the last [`Service::snapshot_baseline`] (or an empty store with
    /// the configured providers), and sets every rule counter back to zero.
    pub fn reset(&self) {
        let baseline = self
            .baseline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| Store::new(self.options.providers.clone()));
        *self.store() = baseline;
        self.engine().reset_counters();
        self.forget_stale_answers();
    }

    /// Clears the journal.
    pub fn clear_journal(&self) {
        let mut j = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        *j = Journal::with_budget(
            self.options.journal_capacity,
            self.options.journal_max_bytes,
        );
    }

    /// Whether to check this answer of `method`, rendered from typed views
    /// ([`crate::resources::Rendered`]), against the output schema: always in debug builds (every
    /// test); in release builds a sample (below). A typed view has the
    /// schema's shape by construction (a property test checks random records against the
    /// schema), so checking every answer would re-prove it at the cost of building a `Value` per
    /// record; release builds check the 1st, 2nd, 4th, 8th, ... answer of each method per
    /// service, so a long run keeps being checked, ever more rarely.
    pub fn check_typed_render(&self, method: &str) -> bool {
        if cfg!(debug_assertions) {
            return true;
        }
        // A method outside the catalog has no counter: always checked.
        self.typed_renders
            .get(method)
            .is_none_or(|n| (n.fetch_add(1, Ordering::Relaxed) + 1).is_power_of_two())
    }

    /// Appends to the request journal.
    pub fn record(&self, entry: JournalEntry) {
        let evicted = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
        // Freed here, after the lock is released.
        drop(evicted);
    }

    /// A copy of the journal, oldest first, with each entry's path parameters filled in
    /// ([`JournalEntry::route_params`]).
    pub fn journal(&self) -> VecDeque<JournalEntry> {
        let mut entries = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries()
            .clone();
        for e in &mut entries {
            e.params = e.route_params(self.catalog);
        }
        entries
    }
}
