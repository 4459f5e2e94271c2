//! Fake cloud identity proofs.
//!
//! Real aws / google / azure proofs are signed by the cloud and cannot be checked offline. The mock
//! issues its own instead, for a worker it knows: a document naming the provider type and the
//! worker, signed with a key only the mock holds. `registerWorker` accepts exactly these (for a
//! worker in state `requested`) and refuses anything else with the provider's usual message.
//!
//! Format: `document` = URL-safe base64 (no padding) of the JSON
//! `{"issuer":"wm-mock","providerType":..,"workerGroup":..,"workerId":..,"workerPoolId":..}`,
//! `signature` = URL-safe base64 of HMAC-SHA256(key, document). The proof is
//! `{"document", "signature"}` for aws, `{"token": "<document>.<signature>"}` for google and
//! `{"document": "<document>.<signature>"}` for azure.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::provider::ProviderType;

fn sign(key: &[u8], document: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(document.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Issues the proof a cloud worker would present, or `None` for non-cloud provider types.
pub fn issue(key: &[u8], kind: ProviderType, pool: &str, group: &str, id: &str) -> Option<Value> {
    let claims = json!({
        "issuer": "wm-mock",
        "providerType": kind.as_str(),
        "workerPoolId": pool,
        "workerGroup": group,
        "workerId": id,
    });
    let document = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = sign(key, &document);
    match kind {
        ProviderType::Aws => Some(json!({"document": document, "signature": signature})),
        ProviderType::Google => Some(json!({"token": format!("{document}.{signature}")})),
        ProviderType::Azure => Some(json!({"document": format!("{document}.{signature}")})),
        _ => None,
    }
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The proof does not have the provider's shape.
    Shape,
    /// The signature does not verify.
    Signature,
    /// It verifies but names another worker.
    Mismatch,
}

/// Checks a proof for the worker `(pool, group, id)` of provider type `kind`.
pub fn verify(
    key: &[u8],
    kind: ProviderType,
    proof: &Value,
    pool: &str,
    group: &str,
    id: &str,
) -> Result<(), ProofError> {
    let text = |k: &str| proof.get(k).and_then(Value::as_str);
    let (document, signature) = match kind {
        ProviderType::Aws => (
            text("document").ok_or(ProofError::Shape)?.to_string(),
            text("signature").ok_or(ProofError::Shape)?.to_string(),
        ),
        ProviderType::Google | ProviderType::Azure => {
            let field = if kind == ProviderType::Google {
                "token"
            } else {
                "document"
            };
            let (d, s) = text(field)
                .and_then(|t| t.split_once('.'))
                .ok_or(ProofError::Shape)?;
            (d.to_string(), s.to_string())
        }
        _ => return Err(ProofError::Shape),
    };
    let expected = sign(key, &document);
    if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Err(ProofError::Signature);
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(&document)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(ProofError::Signature)?;
    let matches = claims["providerType"] == kind.as_str()
        && claims["workerPoolId"] == pool
        && claims["workerGroup"] == group
        && claims["workerId"] == id;
    if matches {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_proofs_verify_only_for_their_worker() {
        let key = b"k";
        for kind in [ProviderType::Aws, ProviderType::Google, ProviderType::Azure] {
            let p = issue(key, kind, "p/x", "g", "i").unwrap();
            assert_eq!(verify(key, kind, &p, "p/x", "g", "i"), Ok(()));
            assert_eq!(
                verify(key, kind, &p, "p/x", "g", "j"),
                Err(ProofError::Mismatch)
            );
            assert_eq!(
                verify(b"other", kind, &p, "p/x", "g", "i"),
                Err(ProofError::Signature)
            );
        }
        assert!(issue(key, ProviderType::Static, "p/x", "g", "i").is_none());
        let aws = issue(key, ProviderType::Aws, "p/x", "g", "i").unwrap();
        assert_eq!(
            verify(key, ProviderType::Google, &aws, "p/x", "g", "i"),
            Err(ProofError::Shape)
        );
    }
}
