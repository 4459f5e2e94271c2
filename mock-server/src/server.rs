//! [`MockServer`]: a running wm-mock on a local port, for tests and for the `wm-mock` binary.

use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clients::ClientsFile;
use crate::clock::Clock;
use crate::host::Host;
use crate::provider::{check_providers, Provider, ProviderConfigError};
use crate::scenario::{install, LoadMode, Scenario, ScenarioError};
use crate::service::{AuthMode, Client, Options, Service, ROOT_CLIENT_ID};
use crate::store::Store;
use crate::time::Millis;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The provider list is not acceptable.
    #[error(transparent)]
    Providers(#[from] ProviderConfigError),
    /// Permissive authentication on an address other hosts can reach.
    #[error("refusing --auth permissive on {0}, which is not a loopback address: anyone who can reach it would act as root (pass --i-know-this-is-insecure to do it anyway)")]
    Insecure(SocketAddr),
    /// A scenario does not apply.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

/// Builds a [`MockServer`] with non-default options.
///
/// ```no_run
/// # async fn demo() {
/// use worker_manager_mock::{AuthMode, MockServer};
/// let server = MockServer::builder()
///     .auth(AuthMode::Permissive)
///     .seed(42)
///     .start()
///     .await
///     .expect("starts");
/// println!("{}", server.root_url());
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    options: Options,
    listen: Option<String>,
    clock: Option<Clock>,
    clients: Vec<(String, Client)>,
    roles: Vec<(String, Vec<String>)>,
    admin_token: Option<String>,
    scenarios: Vec<Scenario>,
    allow_insecure: bool,
    state: Option<Store>,
}

impl MockServerBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = Some(addr.into());
        self
    }

    /// Strict (default) or permissive authentication.
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.options.auth = mode;
        self
    }

    /// Seed of every generated value, for reproducible runs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = Some(seed);
        self
    }

    /// The configured providers, in order (default: static, aws, google, azure, testing).
    pub fn providers(mut self, providers: Vec<Provider>) -> Self {
        self.options.providers = providers;
        self
    }

    /// Scopes every request has, even without credentials.
    pub fn anonymous_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.options.anonymous_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The root client's accessToken (default: generated).
    pub fn root_access_token(mut self, token: impl Into<String>) -> Self {
        self.options.root_access_token = Some(token.into());
        self
    }

    /// Adds a client with its own scopes.
    pub fn client(
        mut self,
        client_id: impl Into<String>,
        access_token: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.clients.push((
            client_id.into(),
            Client {
                access_token: access_token.into(),
                scopes: scopes.into_iter().map(Into::into).collect(),
            },
        ));
        self
    }

    /// Adds a role: holding `assume:<role_id>` grants `scopes` (`role_id` may end in `*`).
    pub fn role(
        mut self,
        role_id: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.roles
            .push((role_id.into(), scopes.into_iter().map(Into::into).collect()));
        self
    }

    /// Adds every client and role of a clients file (see [`crate::clients`]).
    pub fn clients_file(mut self, file: ClientsFile) -> Self {
        for c in file.clients {
            self = self.client(c.client_id, c.access_token, c.scopes);
        }
        for r in file.roles {
            self = self.role(r.role_id, r.scopes);
        }
        self
    }

    /// Loads a scenario (seed and rules) at start; several are applied in order.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// Starts from this store (a loaded state file), in place of whatever the scenarios' seeds
    /// built (their rules still apply); it becomes the state `reset` goes back to.
    pub fn state(mut self, store: Store) -> Self {
        self.state = Some(store);
        self
    }

    /// Allows permissive authentication on a non-loopback address (refused by default).
    pub fn allow_insecure(mut self, yes: bool) -> Self {
        self.allow_insecure = yes;
        self
    }

    /// A bearer token that opens the admin API (`/__mock__/`) besides root credentials.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Starts with the clock frozen at `at` (ms since the epoch).
    pub fn frozen_clock(mut self, at: Millis) -> Self {
        self.clock = Some(Clock::frozen_at(at));
        self
    }

    /// How long a client may take to send its request head (default 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.options.header_read_timeout = timeout;
        self
    }

    /// Whether to check every response against its output schema (default: on).
    pub fn validate_responses(mut self, on: bool) -> Self {
        self.options.validate_responses = on;
        self
    }

    /// Rewrites every successful API answer before its output check (see
    /// [`ResponseTransform`](crate::service::ResponseTransform)).
    pub fn response_transform(
        mut self,
        t: impl crate::service::ResponseTransform + 'static,
    ) -> Self {
        self.options.response_transform = Some(Arc::new(t));
        self
    }

    /// All options at once.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Builds the service and starts serving it.
    pub async fn start(self) -> Result<MockServer, StartError> {
        check_providers(&self.options.providers)?;
        let svc = Arc::new(Service::with_clock(
            self.options,
            self.clock.unwrap_or_default(),
        ));
        for (id, c) in self.clients {
            svc.put_client(&id, c);
        }
        for (id, scopes) in self.roles {
            svc.put_role(&id, scopes);
        }
        for scenario in &self.scenarios {
            install(&svc, scenario, LoadMode::Append)?;
        }
        if let Some(store) = self.state {
            *svc.store() = store;
        }
        let addr = self.listen.unwrap_or_else(|| "127.0.0.1:0".to_string());
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        if svc.options.auth == AuthMode::Permissive
            && !local.ip().is_loopback()
            && !self.allow_insecure
        {
            return Err(StartError::Insecure(local));
        }
        svc.set_root_url(&format!("http://{local}"));
        svc.snapshot_baseline();
        let host = Arc::new(Host::new(Arc::clone(&svc), self.admin_token));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            Arc::clone(&host),
            svc.options.header_read_timeout,
            rx,
        ));
        Ok(MockServer {
            svc,
            host,
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// How long open connections get to finish when the server shuts down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The accept loop: every connection is served by hyper (HTTP/1.1 and HTTP/2) with a header read
/// timeout, so a slow or silent client cannot hold a connection forever; on shutdown, open
/// connections finish their requests (up to a grace period).
async fn serve(
    listener: TcpListener,
    host: Arc<Host>,
    header_read_timeout: Duration,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let host = Arc::clone(&host);
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let host = Arc::clone(&host);
                    async move {
                        let resp = crate::http::handle(host, req.map(axum::body::Body::new)).await;
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                let watched = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// A running mock worker-manager. Stops when dropped.
///
/// ```no_run
/// # async fn demo() {
/// let server = worker_manager_mock::MockServer::start().await;
/// let (client_id, access_token) = server.root_credentials();
/// // point a Taskcluster client at server.root_url() with these credentials
/// # let _ = (client_id, access_token);
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    svc: Arc<Service>,
    host: Arc<Host>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock with default options on a free local port.
    ///
    /// # Panics
    /// If no local port can be bound (use [`MockServer::builder`] to handle that).
    pub async fn start() -> MockServer {
        MockServer::builder()
            .start()
            .await
            .expect("wm-mock could not bind a local port")
    }

    /// A builder for non-default options.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Taskcluster root URL to give clients (the same as [`MockServer::uri`]).
    pub fn root_url(&self) -> String {
        self.uri()
    }

    /// The root client's `(clientId, accessToken)`: scope `*`.
    pub fn root_credentials(&self) -> (String, String) {
        (ROOT_CLIENT_ID.to_string(), self.svc.root_access_token())
    }

    /// The service behind the server (state, clock, journal).
    pub fn service(&self) -> &Arc<Service> {
        &self.svc
    }

    /// The mock's clock.
    pub fn clock(&self) -> &Clock {
        &self.svc.clock
    }

    /// The request journal, oldest first.
    pub fn journal(&self) -> Vec<crate::journal::JournalEntry> {
        self.svc.journal().into_iter().collect()
    }

    /// Every scenario rule with how often it matched and fired.
    pub fn rule_hits(&self) -> Vec<crate::scenario::engine::RuleReport> {
        self.svc.rule_reports()
    }

    /// The host: the main service and its tenants.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    /// Stops serving and waits until the server has shut down.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
