//! listProviders: the configured providers, paged by decimal offsets as upstream does.

use serde_json::{json, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;

/// Default page size of listProviders (there is no maximum).
pub const DEFAULT_LIMIT: usize = 100;

/// `listProviders`: `providers[offset .. offset+limit]` in configuration order; `null-provider`
/// is never listed; the token is the decimal end offset, given only while more remain.
pub fn list(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let parse = |v: Option<&str>, default: usize| {
        v.map_or(default, |s| {
            s.parse::<u128>()
                .map_or(usize::MAX, |n| n.min(usize::MAX as u128) as usize)
        })
    };
    let offset = parse(call.query("continuationToken"), 0);
    let limit = parse(call.query("limit"), DEFAULT_LIMIT);
    let store = svc.store_read();
    let all = store.providers();
    let end = offset.saturating_add(limit).min(all.len());
    let page: Vec<Value> = all
        .get(offset.min(all.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|p| json!({"providerId": p.provider_id, "providerType": p.provider_type.as_str()}))
        .collect();
    let mut out = json!({ "providers": page });
    if limit > 0 && offset.saturating_add(limit) < all.len() {
        out["continuationToken"] = (offset + limit).to_string().into();
    }
    Ok(out)
}
