//! The HTTP side: sending a generated request to `<rootUrl>/api/worker-manager/v1`, signed with
//! Hawk as the official clients sign (path and query in the MAC, payload hash over the JSON body
//! with content type `application/json`).

use std::time::Duration;

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
    api_base: String,
    credentials: Option<Credentials>,
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
            api_base: format!("{}/api/worker-manager/v1", root_url.trim_end_matches('/')),
            credentials,
        })
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
        if let Some(creds) = &self.credentials {
            let header = sign(creds, method, &url, &resource, payload.as_deref())?;
            request = request.header("authorization", header);
        }
        if let Some(p) = payload {
            request = request.header("content-type", JSON).body(p);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Http(e.to_string()))?;
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
}

/// The `Authorization` header value for one request.
fn sign(
    creds: &Credentials,
    method: HttpMethod,
    url: &Url,
    resource: &str,
    payload: Option<&str>,
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
    let key = hawk::Key::new(creds.access_token.as_bytes(), hawk::SHA256).map_err(err)?;
    let hawk_creds = hawk::Credentials {
        id: creds.client_id.clone(),
        key,
    };
    let header = builder.request().make_header(&hawk_creds).map_err(err)?;
    Ok(format!("Hawk {header}"))
}
