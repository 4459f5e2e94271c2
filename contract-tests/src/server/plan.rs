//! Generating one method's requests from the catalog and the schema-driven strategies: valid
//! ones (path parameters, query, body) and invalid ones breaking one rule of the body, of one
//! path parameter or of the query. Every pool id is put under the run prefix.

use std::collections::BTreeMap;
use std::fmt;

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;
use worker_manager_schemas::{Catalog, Entry, HttpMethod};

use super::prefix::RunPrefix;
use crate::generate::{self, GenerateError, Violation};

/// Decoded path parameters or query values by name.
pub type ParamMap = BTreeMap<String, String>;

/// What a generated request is meant to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseKind {
    /// Valid path parameters, query and body.
    Valid,
    /// A body breaking one rule of the input schema.
    InvalidBody(Violation),
    /// One path parameter not matching its pattern.
    InvalidPath(Violation),
    /// A query value not matching its pattern, or an undeclared query key.
    InvalidQuery(Violation),
}

impl CaseKind {
    /// Whether the request is invalid (and must be refused with a 4xx).
    pub fn is_invalid(&self) -> bool {
        !matches!(self, CaseKind::Valid)
    }

    /// The broken rule, for invalid requests.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            CaseKind::Valid => None,
            CaseKind::InvalidBody(v) | CaseKind::InvalidPath(v) | CaseKind::InvalidQuery(v) => {
                Some(v)
            }
        }
    }
}

impl fmt::Display for CaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseKind::Valid => f.write_str("valid"),
            CaseKind::InvalidBody(v) => write!(f, "invalid body: {v}"),
            CaseKind::InvalidPath(v) => write!(f, "invalid path parameter: {v}"),
            CaseKind::InvalidQuery(v) => write!(f, "invalid query: {v}"),
        }
    }
}

/// The kinds of request a method can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// All valid.
    Valid,
    /// One body rule broken.
    InvalidBody,
    /// One path parameter broken.
    InvalidPath,
    /// The query broken.
    InvalidQuery,
}

/// One generated request.
#[derive(Debug, Clone)]
pub struct Generated {
    /// What it is meant to be.
    pub kind: CaseKind,
    /// Decoded path parameters.
    pub params: ParamMap,
    /// Query values.
    pub query: ParamMap,
    /// The JSON body, for methods with an input schema.
    pub body: Option<Value>,
}

impl Generated {
    /// The encoded path relative to the API prefix, with the query string.
    pub fn path(&self, entry: &Entry) -> Result<String, String> {
        let mut path = Catalog::embedded()
            .build_path(&entry.name, &self.params)
            .map_err(|e| e.to_string())?;
        if !self.query.is_empty() {
            path.push('?');
            path.push_str(&generate::query_string(&self.query));
        }
        Ok(path)
    }
}

/// The strategies for one method.
pub struct MethodPlan {
    entry: &'static Entry,
    params: BoxedStrategy<ParamMap>,
    query: BoxedStrategy<ParamMap>,
    body: Option<BoxedStrategy<Value>>,
    bad_body: Option<BoxedStrategy<(Violation, Value)>>,
    bad_params: Option<BoxedStrategy<(Violation, ParamMap)>>,
    bad_query: BoxedStrategy<(Violation, ParamMap)>,
}

impl fmt::Debug for MethodPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodPlan")
            .field("method", &self.entry.name)
            .finish_non_exhaustive()
    }
}

impl MethodPlan {
    /// Builds the strategies for `entry`.
    pub fn new(entry: &'static Entry) -> Result<MethodPlan, GenerateError> {
        let (body, bad_body) = match &entry.input {
            Some(name) => {
                let g = generate::SchemaGenerator::embedded(name)?;
                let bad = match g.invalid() {
                    Ok(s) => Some(s),
                    Err(GenerateError::NothingToBreak(_)) => None,
                    Err(e) => return Err(e),
                };
                (Some(g.valid()?), bad)
            }
            None => (None, None),
        };
        Ok(MethodPlan {
            entry,
            params: generate::path_params(entry)?,
            query: generate::query(entry)?,
            body,
            bad_body,
            bad_params: generate::invalid_path_params(entry)?,
            bad_query: generate::invalid_query(entry)?,
        })
    }

    /// The catalog entry.
    pub fn entry(&self) -> &'static Entry {
        self.entry
    }

    /// The variants this method can be sent, valid first.
    pub fn variants(&self) -> Vec<Variant> {
        let mut v = vec![Variant::Valid];
        if self.bad_body.is_some() {
            v.push(Variant::InvalidBody);
        }
        if self.bad_params.is_some() {
            v.push(Variant::InvalidPath);
        }
        v.push(Variant::InvalidQuery);
        v
    }

    /// Generates one request of `variant`, with every pool id under `prefix` (a deliberately
    /// broken pool id of a mutating method is replaced by a broken one under the prefix).
    pub fn generate(
        &self,
        variant: Variant,
        prefix: &RunPrefix,
        runner: &mut TestRunner,
    ) -> Result<Generated, String> {
        let mut params = sample(&self.params, runner)?;
        let mut query = sample(&self.query, runner)?;
        let mut body = match &self.body {
            Some(s) => Some(sample(s, runner)?),
            None => None,
        };
        let mutating = self.entry.method != HttpMethod::Get;
        let kind = match variant {
            Variant::Valid => CaseKind::Valid,
            Variant::InvalidBody => {
                let s = self.bad_body.as_ref().ok_or("no invalid body")?;
                let (v, b) = sample(s, runner)?;
                body = Some(b);
                CaseKind::InvalidBody(v)
            }
            Variant::InvalidPath => {
                let s = self
                    .bad_params
                    .as_ref()
                    .ok_or("no invalid path parameter")?;
                let (v, p) = sample(s, runner)?;
                params = p;
                CaseKind::InvalidPath(v)
            }
            Variant::InvalidQuery => {
                let (v, q) = sample(&self.bad_query, runner)?;
                query = q;
                CaseKind::InvalidQuery(v)
            }
        };
        let broken_param = match &kind {
            CaseKind::InvalidPath(v) => v.pointer.strip_prefix('/').map(str::to_string),
            _ => None,
        };
        prefix.rewrite_params(&mut params, broken_param.as_deref());
        if let Some(name) = &broken_param {
            if mutating
                && name == "workerPoolId"
                && !params.get(name).is_some_and(|p| prefix.owns(p))
            {
                params.insert(name.clone(), prefix.broken_pool_id());
            }
        }
        if let Some(b) = body.as_mut() {
            let body_pool_broken =
                matches!(&kind, CaseKind::InvalidBody(v) if v.changed == "/workerPoolId");
            if body_pool_broken {
                if mutating
                    && b.get("workerPoolId")
                        .is_some_and(|id| id.as_str().is_some_and(|s| !prefix.owns(s)))
                {
                    b["workerPoolId"] = Value::String(prefix.broken_pool_id());
                }
            } else {
                let path_pool = params.get("workerPoolId").cloned();
                prefix.rewrite_body(b, path_pool.as_deref());
            }
        }
        Ok(Generated {
            kind,
            params,
            query,
            body,
        })
    }
}

fn sample<T: fmt::Debug>(s: &BoxedStrategy<T>, runner: &mut TestRunner) -> Result<T, String> {
    s.new_tree(runner)
        .map(|t| t.current())
        .map_err(|reason| format!("generation failed: {reason}"))
}
