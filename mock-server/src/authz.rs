//! Authorization glue between the API and [`crate::auth`]: rendering a method's scope template
//! with the call's parameters and checking the caller's scopes against it, with the real service's
//! 403 messages.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde_json::Value;
use worker_manager_schemas::{Catalog, Entry};

use crate::auth::authenticate::with_anonymous;
use crate::auth::scopes::ScopeExpr;
use crate::auth::{ClientLookup, ClientRecord};
use crate::call::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::service::Service;

/// Collects the `<name>` placeholders of a scope template.
pub fn placeholders(expr: &Value, out: &mut Vec<String>) {
    match expr {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find('<') {
                let tail = &rest[i + 1..];
                let Some(end) = tail.find('>') else { break };
                out.push(tail[..end].to_string());
                rest = &tail[end + 1..];
            }
        }
        Value::Array(a) => a.iter().for_each(|v| placeholders(v, out)),
        Value::Object(m) => m.values().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

fn internal(message: String) -> ApiError {
    ApiError::new(ErrorCode::InternalServerError, message)
}

/// A method's scope template compiled once: what the pipeline checks before validation and
/// handlers check with body or query values.
#[derive(Debug, Clone)]
pub struct ScopePlan {
    /// The compiled template, or why the catalog's template does not compile.
    expr: Result<ScopeExpr, String>,
    /// Whether every placeholder of the template is a path parameter: then the pipeline checks
    /// the scopes before validation; otherwise the handler checks them.
    pub path_only: bool,
}

impl ScopePlan {
    /// The plan of a method with scope `template` and path parameters `args`.
    pub fn new(template: &Value, args: &[String]) -> ScopePlan {
        let mut names = Vec::new();
        placeholders(template, &mut names);
        ScopePlan {
            expr: ScopeExpr::from_json(template).map_err(|e| e.to_string()),
            path_only: names.iter().all(|n| args.contains(n)),
        }
    }

    /// Checks that `caller` satisfies the template with parameters from `lookup`:
    /// `403 InsufficientScopes` (with the real service's message) if not.
    pub fn check<'v>(
        &self,
        caller: &Caller,
        lookup: impl Fn(&str) -> Option<Cow<'v, str>>,
    ) -> Result<(), ApiError> {
        match &self.expr {
            Ok(expr) => check_expr(expr, caller, lookup),
            Err(e) => Err(internal(e.clone())),
        }
    }

    /// The plan of `entry`'s scopes (`None`: it has none). An entry of the embedded catalog gets
    /// the plan compiled on first use for every request; any other entry (a copy whose template
    /// may differ) gets one compiled now.
    pub fn of(entry: &Entry) -> Option<Cow<'static, ScopePlan>> {
        static PLANS: LazyLock<HashMap<&'static str, (&'static Entry, ScopePlan)>> =
            LazyLock::new(|| {
                Catalog::embedded()
                    .entries()
                    .iter()
                    .filter_map(|e| {
                        let plan = ScopePlan::new(e.scopes.as_ref()?, &e.args);
                        Some((e.name.as_str(), (e, plan)))
                    })
                    .collect()
            });
        match PLANS.get(entry.name.as_str()) {
            Some((embedded, plan)) if std::ptr::eq(*embedded, entry) => Some(Cow::Borrowed(plan)),
            _ => Some(Cow::Owned(ScopePlan::new(
                entry.scopes.as_ref()?,
                &entry.args,
            ))),
        }
    }
}

fn check_expr<'v>(
    expr: &ScopeExpr,
    caller: &Caller,
    lookup: impl Fn(&str) -> Option<Cow<'v, str>>,
) -> Result<(), ApiError> {
    let required = expr.render(lookup).map_err(|e| internal(e.to_string()))?;
    match crate::auth::scopes::unsatisfied(&caller.scopes, &required) {
        None => Ok(()),
        Some(missing) => Err(ApiError::new(
            ErrorCode::InsufficientScopes,
            crate::auth::insufficient_scopes_message(
                caller.client_id.as_deref(),
                &required,
                &missing,
            ),
        )),
    }
}

/// The clientId a Hawk `Authorization` header claims (its `id` attribute), without verifying
/// anything: what permissive mode records.
pub fn claimed_client_id(authorization: &str) -> Option<String> {
    let rest = authorization.trim_start();
    let attrs = rest
        .get(..4)
        .filter(|s| s.eq_ignore_ascii_case("hawk"))
        .map(|_| &rest[4..])?;
    attrs.split(',').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == "id").then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The service's clients, as authentication looks them up.
pub struct ServiceClients<'a>(pub &'a Service);

/// Records and held scope sets come from the service's [`AuthMemo`](crate::auth::memo::AuthMemo);
/// a missing one is computed under the memo's write lock (no client or role can change meanwhile)
/// and remembered.
impl ClientLookup for ServiceClients<'_> {
    fn client(&self, client_id: &str) -> Option<ClientRecord> {
        if let Some(r) = self.0.auth_memo().client(client_id) {
            return Some(r);
        }
        let mut memo = self.0.auth_memo_mut();
        let c = self.0.client(client_id)?;
        let record = ClientRecord {
            access_token: Arc::from(c.access_token),
            scopes: Arc::from(self.0.expand_scopes(&c.scopes)),
            expires_ms: None,
            disabled: false,
        };
        memo.remember_client(client_id, record.clone());
        Some(record)
    }

    fn expand_scopes(&self, scopes: &[String]) -> Vec<String> {
        self.0.expand_scopes(scopes)
    }

    fn held_scopes(&self, scopes: &[String], anonymous_scopes: &[String]) -> Arc<[String]> {
        if let Some(h) = self.0.auth_memo().held(scopes, anonymous_scopes) {
            return h;
        }
        let mut memo = self.0.auth_memo_mut();
        let held: Arc<[String]> = Arc::from(with_anonymous(self, scopes, anonymous_scopes));
        memo.remember_held(scopes, anonymous_scopes, Arc::clone(&held));
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::service::{Client, Options, Service};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_memo_never_outlives_a_client_or_role_change() {
        let svc = Service::new(Options::default());
        let client = |token: &str, scopes: &[&str]| Client {
            access_token: token.into(),
            scopes: strings(scopes),
        };
        svc.put_client("c", client("t1", &["assume:r"]));
        let lookup = ServiceClients(&svc);
        let anon = svc.anonymous_scopes().to_vec();
        let held = |own: &[String]| lookup.held_scopes(own, &anon).to_vec();

        let first = lookup.client("c").unwrap();
        assert_eq!(&*first.access_token, "t1");
        assert_eq!(first.scopes.to_vec(), strings(&["assume:r"]));
        assert_eq!(
            held(&first.scopes),
            strings(&["assume:r", "assume:anonymous"])
        );
        assert_eq!(svc.auth_memo().len(), (1, 1));
        // Remembered: the same record again, without another lookup.
        assert_eq!(lookup.client("c"), Some(first.clone()));

        // A role: the client's expanded scopes and every held set change.
        svc.put_role("r", strings(&["x:y"]));
        assert!(svc.auth_memo().is_empty());
        let second = lookup.client("c").unwrap();
        assert_eq!(second.scopes.to_vec(), strings(&["assume:r", "x:y"]));
        assert_eq!(
            held(&second.scopes),
            strings(&["assume:r", "x:y", "assume:anonymous"])
        );
        svc.put_role("anonymous", strings(&["anon:z"]));
        assert_eq!(
            held(&second.scopes),
            strings(&["assume:r", "x:y", "assume:anonymous", "anon:z"])
        );

        // A client change: its new token and scopes.
        svc.put_client("c", client("t2", &["only:this"]));
        let third = lookup.client("c").unwrap();
        assert_eq!(&*third.access_token, "t2");
        assert_eq!(third.scopes.to_vec(), strings(&["only:this"]));
        assert_eq!(lookup.client("nobody"), None);
    }

    #[test]
    fn embedded_plans_are_the_catalogs_own() {
        let catalog = Catalog::embedded();
        for e in catalog.entries() {
            let plan = ScopePlan::of(e);
            assert_eq!(plan.is_some(), e.scopes.is_some(), "{}", e.name);
            if let (Some(plan), Some(template)) = (plan, &e.scopes) {
                assert!(matches!(plan, Cow::Borrowed(_)), "{}", e.name);
                assert!(plan.expr.is_ok(), "{}", e.name);
                assert_eq!(
                    plan.path_only,
                    ScopePlan::new(template, &e.args).path_only,
                    "{}",
                    e.name
                );
            }
        }
        // A copy is not the catalog's entry: its own template is compiled.
        let mut copy = catalog.get("workerPool").unwrap().clone();
        copy.scopes = Some(serde_json::json!("other:<workerPoolId>"));
        let plan = ScopePlan::of(&copy).unwrap();
        assert!(matches!(plan, Cow::Owned(_)));
        assert_eq!(
            plan.expr.as_ref().ok(),
            Some(&ScopeExpr::Scope("other:<workerPoolId>".into()))
        );
        copy.scopes = None;
        assert!(ScopePlan::of(&copy).is_none());
    }

    #[test]
    fn claimed_ids() {
        assert_eq!(
            claimed_client_id(r#"Hawk id="me", ts="1", nonce="n", mac="m""#).as_deref(),
            Some("me")
        );
        assert_eq!(claimed_client_id("Bearer x"), None);
        assert_eq!(claimed_client_id("Hawk"), None);
    }
}
