//! One API call after the request pipeline has routed, authenticated and validated it: what a
//! resource handler gets.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use worker_manager_schemas::Entry;

use crate::error::ApiError;
use crate::provider::Provider;
use crate::store::paging::PageRequest;
use crate::store::Store;
use crate::time::Millis;
use worker_manager_schemas::PathParams;

/// Changes a scenario rule makes to how one call is handled (see [`crate::scenario`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Providers to treat as failed for this call (`503 ProviderSetupFailed` where they are used).
    pub failed_providers: Vec<String>,
    /// Page size to use whatever `limit` says.
    pub page_size: Option<usize>,
    /// Page with upstream's offset tokens.
    pub offset_tokens: bool,
    /// Lifetime of worker credentials issued by this call.
    pub credential_lifetime: Option<Millis>,
}

/// Who is calling, as authentication established it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The clientId the request was signed with (`None`: no credentials).
    pub client_id: Option<String>,
    /// The caller's scopes (with the anonymous ones), shared with authentication's memo.
    pub scopes: Arc<[String]>,
}

/// A validated call of one API method.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The method's catalog entry.
    pub entry: &'a Entry,
    /// Decoded, validated path parameters.
    pub params: &'a PathParams<'a>,
    /// Decoded, validated query values.
    pub query: &'a BTreeMap<String, String>,
    /// The body (validated against the input schema when the method has one; `{}` otherwise).
    pub body: &'a Value,
    /// The caller.
    pub caller: &'a Caller,
    /// The mock's clock when the call started.
    pub now: Millis,
    /// What scenario rules changed for this call.
    pub overrides: &'a Overrides,
}

impl Call<'_> {
    /// A path parameter (empty if absent, which validation rules out for declared ones).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).unwrap_or("")
    }

    /// A query value.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A string member of the body (empty if absent).
    pub fn body_str(&self, name: &str) -> &str {
        self.body.get(name).and_then(Value::as_str).unwrap_or("")
    }

    /// The page this list call asks for (`limit`, `continuationToken`, and scenario overrides).
    pub fn page_request(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(
            self.query("limit"),
            self.query("continuationToken"),
            self.overrides.page_size,
            self.overrides.offset_tokens,
        )
    }

    /// The provider `id` as this call sees it: configured, and failed if it is, or if a scenario
    /// outage covers this call.
    pub fn provider(&self, store: &Store, id: &str) -> Option<Provider> {
        store.provider(id).map(|mut p| {
            if self.overrides.failed_providers.contains(&p.provider_id) {
                p.setup_failed = true;
            }
            p
        })
    }

    /// Checks the method's scope expression with parameters taken from the path and from `extra`
    /// (body or query values), for methods whose scopes the real service checks in the handler.
    pub fn authorize(&self, extra: &[(&str, &str)]) -> Result<(), ApiError> {
        let Some(plan) = crate::authz::ScopePlan::of(self.entry) else {
            return Ok(());
        };
        plan.check(self.caller, |name| {
            extra
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| Cow::Borrowed(*v))
                .or_else(|| self.params.get(name).map(Cow::Borrowed))
        })
    }
}
