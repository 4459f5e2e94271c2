//! Running a sequence of operations against a server: every request (pages included) with its
//! response, in order.

use serde::Serialize;
use serde_json::Value;

use super::op::{Namespace, Op, RequestSpec, MAX_PAGES};
use crate::server::{Client, Response};

/// One request of a sequence and what came back.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// The index of the operation in the sequence.
    pub op_index: usize,
    /// The request sent.
    pub request: RequestSpec,
    /// The response, or why there was none (transport failure, request not buildable).
    #[serde(serialize_with = "ser_response")]
    pub response: Result<Response, String>,
}

fn ser_response<S: serde::Serializer>(
    r: &Result<Response, String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(None)?;
    match r {
        Ok(r) => {
            m.serialize_entry("status", &r.status)?;
            m.serialize_entry("body", &r.json().unwrap_or(Value::String(r.body.clone())))?;
        }
        Err(e) => m.serialize_entry("error", e)?,
    }
    m.end()
}

impl Exchange {
    /// The status, if a response came.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().ok().map(|r| r.status)
    }

    /// The JSON body, if a response came and parses.
    pub fn json(&self) -> Option<Value> {
        self.response.as_ref().ok().and_then(Response::json)
    }
}

/// Sends every request of `op` (following continuation tokens of a paging operation, up to
/// [`MAX_PAGES`] pages) and returns the exchanges in order.
pub async fn run_op(client: &Client, ns: &Namespace, op_index: usize, op: &Op) -> Vec<Exchange> {
    let mut out = Vec::new();
    let mut next = Some(op.request(ns));
    while let Some(spec) = next.take() {
        let spec = match spec {
            Ok(s) => s,
            Err(e) => {
                let request = RequestSpec {
                    method: op.method(),
                    http: worker_manager_schemas::HttpMethod::Get,
                    path: String::new(),
                    body: None,
                };
                out.push(Exchange {
                    op_index,
                    request,
                    response: Err(e.to_string()),
                });
                break;
            }
        };
        let response = client
            .send(spec.http, &spec.path, spec.body.as_ref())
            .await
            .map_err(|e| e.to_string());
        if let Ok(r) = &response {
            if r.status == 200 && out.len() + 1 < MAX_PAGES {
                if let Some(body) = r.json() {
                    next = op.next_page(ns, &body);
                }
            }
        }
        out.push(Exchange {
            op_index,
            request: spec,
            response,
        });
    }
    out
}

/// Sends every operation of `ops` in order and returns all exchanges (for `wm-contract diff`:
/// run the same sequence in the same namespace against two servers and compare).
pub async fn run_sequence(client: &Client, ns: &Namespace, ops: &[Op]) -> Vec<Exchange> {
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        out.extend(run_op(client, ns, i, op).await);
    }
    out
}
