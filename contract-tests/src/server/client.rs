//! The HTTP side: sending a generated request to `<rootUrl>/api/worker-manager/v1`, signed with
//! Hawk as the official clients sign (path and query in the MAC, payload hash over the JSON body
//! with content type `application/json`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Url;
use serde_json::Value;
use worker_manager_schemas::HttpMethod;

use super::error::{RunError, SendError};

/// Taskcluster credentials (`clientId` and `accessToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The client id.
    pub client_id: String,
    /// The access token (the Hawk key).
    pub access_token: String,
}

/// A response as received: status, content type and body text.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The `content-type` header, if any.
    pub content_type: Option<String>,
    /// The body (lossily decoded as UTF-8).
    pub body: String,
}

impl Response {
    /// The body as JSON, if it parses.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A client of one worker-manager deployment.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    root_url: String,
    api_base: String,
    credentials: Option<Credentials>,
    /// The Hawk `ext` (base64 JSON: certificate, authorizedScopes), if any.
    ext: Option<String>,
    /// Spaces the sends out (`--max-rps`), shared by clones.
    bucket: Option<Arc<Mutex<TokenBucket>>>,
    /// Where every response is counted, if anywhere.
    coverage: Option<super::coverage::Coverage>,
}

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// Takes a token; how long to wait before sending.
    fn take(&mut self) -> Duration {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

const JSON: &str = "application/json";

impl Client {
    /// A client of the deployment at `root_url`, signing with `credentials` when given.
    pub fn new(root_url: &str, credentials: Option<Credentials>) -> Result<Client, RunError> {
        let bad = |reason: &str| RunError::BadRootUrl {
            url: root_url.to_string(),
            reason: reason.to_string(),
        };
        let parsed = Url::parse(root_url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("not an http(s) URL with a host"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| RunError::Client(e.to_string()))?;
        Ok(Client {
            http,
            root_url: root_url.trim_end_matches('/').to_string(),
            api_base: format!("{}/api/worker-manager/v1", root_url.trim_end_matches('/')),
            credentials,
            ext: None,
            bucket: None,
            coverage: None,
        })
    }

    /// The same client sending at most `rps` requests a second (a token bucket with a burst of
    /// one second's worth), shared with its clones.
    pub fn with_max_rps(mut self, rps: f64) -> Client {
        if rps > 0.0 && rps.is_finite() {
            self.bucket = Some(Arc::new(Mutex::new(TokenBucket {
                rate: rps,
                burst: rps.max(1.0),
                tokens: rps.max(1.0),
                last: Instant::now(),
            })));
        }
        self
    }

    /// A client of the same deployment (and rate limit) signing with other credentials:
    /// `certificate` (the JSON string of temporary credentials) and `authorized_scopes` go into
    /// the Hawk `ext`.
    pub fn with_credentials(
        &self,
        credentials: Credentials,
        certificate: Option<&str>,
        authorized_scopes: Option<&[String]>,
    ) -> Result<Client, SendError> {
        let mut ext = serde_json::Map::new();
        if let Some(c) = certificate {
            let parsed: Value = serde_json::from_str(c)
                .map_err(|e| SendError::Sign(format!("the certificate is not JSON: {e}")))?;
            ext.insert("certificate".into(), parsed);
        }
        if let Some(scopes) = authorized_scopes {
            ext.insert("authorizedScopes".into(), Value::from(scopes.to_vec()));
        }
        let mut out = self.clone();
        out.credentials = Some(credentials);
        out.ext = (!ext.is_empty()).then(|| {
            base64::engine::general_purpose::STANDARD.encode(Value::Object(ext).to_string())
        });
        Ok(out)
    }

    /// The same client counting every response in `coverage` (shared with its clones).
    pub fn with_coverage(mut self, coverage: super::coverage::Coverage) -> Client {
        self.coverage = Some(coverage);
        self
    }

    /// The credentials requests are signed with, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The deployment's root URL (no trailing slash).
    pub fn root_url(&self) -> &str {
        &self.root_url
    }

    /// `GET <rootUrl><path>` (outside the API prefix, unsigned): for `/references/...` and
    /// `/schemas/...`.
    pub async fn get_root(&self, path: &str) -> Result<Response, SendError> {
        self.pace().await;
        let url = format!("{}{path}", self.root_url);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| SendError::Http(e.to_string()))?;
        read(response).await
    }

    async fn pace(&self) {
        let wait = match &self.bucket {
            Some(b) => b.lock().unwrap_or_else(|p| p.into_inner()).take(),
            None => Duration::ZERO,
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Whether requests are signed.
    pub fn signs(&self) -> bool {
        self.credentials.is_some()
    }

    /// Sends `method` to `path` (relative to the API prefix, encoded, with its query), with
    /// `body` as JSON.
    pub async fn send(
        &self,
        method: HttpMethod,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, SendError> {
        let text = format!("{}{path}", self.api_base);
        let url = Url::parse(&text).map_err(|e| SendError::Url {
            url: text.clone(),
            reason: e.to_string(),
        })?;
        let resource = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        if !text.ends_with(&resource) {
            return Err(SendError::PathRewritten {
                wanted: path.to_string(),
                sent: resource,
            });
        }
        let payload = body.map(Value::to_string);
        let wire = reqwest::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|e| SendError::Http(e.to_string()))?;
        let mut request = self.http.request(wire, url.clone());
        self.pace().await;
        if let Some(creds) = &self.credentials {
            let header = sign(
                creds,
                method,
                &url,
                &resource,
                payload.as_deref(),
                self.ext.as_deref(),
            )?;
            request = request.header("authorization", header);
        }
        if let Some(p) = payload {
            request = request.header("content-type", JSON).body(p);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Http(e.to_string()))?;
        let response = read(response).await?;
        if let Some(c) = &self.coverage {
            c.record(method, path, response.status, &response.body);
        }
        Ok(response)
    }
}

async fn read(response: reqwest::Response) -> Result<Response, SendError> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response
        .bytes()
        .await
        .map_err(|e| SendError::Http(e.to_string()))?;
    Ok(Response {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// The `Authorization` header value for one request.
fn sign(
    creds: &Credentials,
    method: HttpMethod,
    url: &Url,
    resource: &str,
    payload: Option<&str>,
    ext: Option<&str>,
) -> Result<String, SendError> {
    let err = |e: hawk::Error| SendError::Sign(e.to_string());
    let host = url
        .host_str()
        .ok_or_else(|| SendError::Sign("URL without host".into()))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| SendError::Sign("URL without port".into()))?;
    let hash = payload
        .map(|p| hawk::PayloadHasher::hash(JSON, hawk::SHA256, p.as_bytes()))
        .transpose()
        .map_err(err)?;
    let mut builder = hawk::RequestBuilder::new(method.as_str(), host, port, resource);
    if let Some(h) = &hash {
        builder = builder.hash(&h[..]);
    }
    if let Some(e) = ext {
        builder = builder.ext(e);
    }
    let key = hawk::Key::new(creds.access_token.as_bytes(), hawk::SHA256).map_err(err)?;
    let hawk_creds = hawk::Credentials {
        id: creds.client_id.clone(),
        key,
    };
    let header = builder.request().make_header(&hawk_creds).map_err(err)?;
    Ok(format!("Hawk {header}"))
}
