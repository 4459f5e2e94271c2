//! Authorization glue between the API and [`crate::auth`]: rendering a method's scope template
//! with the call's parameters and checking the caller's scopes against it, with the real service's
//! 403 messages.

use serde_json::Value;

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

/// Checks that `caller` satisfies the scope `template` with parameters from `lookup`:
/// `403 InsufficientScopes` (with the real service's message) if not.
pub fn check(
    template: &Value,
    caller: &Caller,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), ApiError> {
    let internal = |e: String| ApiError::new(ErrorCode::InternalServerError, e);
    let expr = ScopeExpr::from_json(template).map_err(|e| internal(e.to_string()))?;
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

impl ClientLookup for ServiceClients<'_> {
    fn client(&self, client_id: &str) -> Option<ClientRecord> {
        self.0.client(client_id).map(|c| ClientRecord {
            access_token: c.access_token,
            scopes: self.0.expand_scopes(&c.scopes),
            expires_ms: None,
            disabled: false,
        })
    }

    fn expand_scopes(&self, scopes: &[String]) -> Vec<String> {
        self.0.expand_scopes(scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
