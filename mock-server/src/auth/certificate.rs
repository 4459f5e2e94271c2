//! Temporary credentials: the certificate a client carries in `ext`, its signature, the derived
//! temporary accessToken, the server's validation (in the server's order, with its messages), and
//! issuance as the mock's `registerWorker` hands credentials out.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::hawk::{constant_time_eq, hmac_sha256};
use super::js;
use super::scopes::{is_valid_scope, satisfies, ScopeExpr};

/// How far (ms) a certificate's start may lie in the future, and its expiry in the past.
pub const CLOCK_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The longest lifetime (ms) a certificate may have: 31 days.
pub const MAX_LIFETIME_MS: i64 = 31 * 24 * 60 * 60 * 1000;

/// Why a certificate was refused. Display gives the server's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// `issuer` present but not a string.
    #[error("ext.certificate.issuer must be a string")]
    IssuerNotString,
    /// `issuer` equals the Hawk id.
    #[error("ext.certificate.issuer must differ from the supplied clientId")]
    IssuerIsClientId,
    /// Not a JSON object.
    #[error("ext.certificate must be a JSON object")]
    NotObject,
    /// `version` is not 1.
    #[error("ext.certificate.version must be 1")]
    Version,
    /// `seed` is not a string.
    #[error("ext.certificate.seed must be a string")]
    SeedNotString,
    /// `seed` is not 44 characters long.
    #[error("ext.certificate.seed must be 44 characters")]
    SeedLength,
    /// `start` is not a number.
    #[error("ext.certificate.start must be a number")]
    StartNotNumber,
    /// `expiry` is not a number.
    #[error("ext.certificate.expiry must be a number")]
    ExpiryNotNumber,
    /// `scopes` is not an array.
    #[error("ext.certificate.scopes must be an array")]
    ScopesNotArray,
    /// `scopes` holds something that is not a valid scope.
    #[error("ext.certificate.scopes must be an array of valid scopes")]
    ScopesInvalid,
    /// `start` is more than 5 minutes ahead.
    #[error("ext.certificate.start > now")]
    NotYetValid,
    /// `expiry` is more than 5 minutes past.
    #[error("ext.certificate.expiry < now")]
    Expired,
    /// `expiry - start` exceeds 31 days.
    #[error("ext.certificate cannot last longer than 31 days!")]
    TooLong,
    /// Named credentials whose issuer lacks `auth:create-client:<name>`.
    #[error("ext.certificate issuer `{issuer}` doesn't have `{scope}` for supplied clientId.")]
    MissingCreateClient {
        /// The issuing clientId.
        issuer: String,
        /// `auth:create-client:<name>`.
        scope: String,
    },
    /// Unnamed credentials whose certificate has a `clientId` member.
    #[error("ext.certificate.clientId must only be used with ext.certificate.issuer")]
    ClientIdWithoutIssuer,
    /// The issuer's own scopes do not cover the certificate's.
    #[error(
        "ext.certificate issuer `{issuer}` doesn't satisfy all certificate scopes {scopes}.  The \
         temporary credentials were not generated correctly."
    )]
    ScopesNotCovered {
        /// The issuing clientId.
        issuer: String,
        /// The certificate's scopes joined with `, `.
        scopes: String,
    },
    /// The signature does not match (unnamed credentials).
    #[error("ext.certificate.signature is not valid")]
    BadSignature,
    /// The signature does not match (named credentials: the name is part of what is signed).
    #[error("ext.certificate.signature is not valid, or wrong clientId provided")]
    BadSignatureNamed,
}

/// The issuer a certificate names (`issuer`, when truthy), checked as the server does before it
/// loads any client: it must be a string and differ from the Hawk id `credential_name`.
/// `Ok(None)` means unnamed credentials (the Hawk id itself is the issuer).
pub fn certificate_issuer(
    certificate: &Value,
    credential_name: &str,
) -> Result<Option<String>, CertificateError> {
    let Some(issuer) = certificate.as_object().and_then(|m| m.get("issuer")) else {
        return Ok(None);
    };
    if !super::ext::is_truthy(issuer) {
        return Ok(None);
    }
    let Value::String(issuer) = issuer else {
        return Err(CertificateError::IssuerNotString);
    };
    if issuer == credential_name {
        return Err(CertificateError::IssuerIsClientId);
    }
    Ok(Some(issuer.clone()))
}

/// The string a certificate's signature covers: lines joined by `\n` without a final newline —
/// `version:1`, for named credentials `clientId:<name>` and `issuer:<issuer>` (`named` is
/// `Some((name, issuer))`), `seed:`, `start:`, `expiry:`, `scopes:`, then one scope per line.
pub fn certificate_signature_string(
    named: Option<(&str, &str)>,
    seed: &str,
    start_ms: i64,
    expiry_ms: i64,
    scopes: &[String],
) -> String {
    signature_string(
        named,
        seed,
        &start_ms.to_string(),
        &expiry_ms.to_string(),
        scopes,
    )
}

fn signature_string(
    named: Option<(&str, &str)>,
    seed: &str,
    start: &str,
    expiry: &str,
    scopes: &[String],
) -> String {
    let mut lines: Vec<String> = vec!["version:1".to_string()];
    if let Some((name, issuer)) = named {
        lines.push(format!("clientId:{name}"));
        lines.push(format!("issuer:{issuer}"));
    }
    lines.push(format!("seed:{seed}"));
    lines.push(format!("start:{start}"));
    lines.push(format!("expiry:{expiry}"));
    lines.push("scopes:".to_string());
    lines.extend(scopes.iter().cloned());
    lines.join("\n")
}

/// Signs a signature string with the issuer's accessToken: standard base64 of HMAC-SHA256.
pub fn sign_certificate(issuer_access_token: &str, signature_string: &str) -> String {
    STANDARD.encode(hmac_sha256(
        issuer_access_token.as_bytes(),
        signature_string.as_bytes(),
    ))
}

/// The temporary accessToken of a certificate: URL-safe base64 without padding of HMAC-SHA256 of
/// the seed, keyed with the issuer's accessToken (43 characters).
pub fn temporary_access_token(issuer_access_token: &str, seed: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(issuer_access_token.as_bytes(), seed.as_bytes()))
}

/// The issuer as validation needs it.
#[derive(Debug, Clone, Copy)]
pub struct IssuerInfo<'a> {
    /// The issuing clientId.
    pub client_id: &'a str,
    /// Its accessToken (the signing key).
    pub access_token: &'a str,
    /// Its own scopes, role-expanded, without the anonymous role.
    pub scopes: &'a [String],
}

/// What a valid certificate gives the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateGrant {
    /// The temporary accessToken: the key the request's MAC must use.
    pub access_token: String,
    /// The certificate's scopes: the caller's scopes from now on.
    pub scopes: Vec<String>,
    /// The certificate's expiry, ms.
    pub expiry_ms: i64,
}

/// Validates a certificate as the server does, in its order: shape, time window (±5 minutes, at
/// most 31 days), `auth:create-client:<name>` for named credentials (or no `clientId` member for
/// unnamed ones), issuer scopes covering the certificate's, then the signature. `credential_name`
/// is the Hawk id; `issuer_name` is [`certificate_issuer`]'s result.
pub fn validate_certificate(
    certificate: &Value,
    credential_name: &str,
    issuer_name: Option<&str>,
    issuer: &IssuerInfo<'_>,
    now_ms: i64,
) -> Result<CertificateGrant, CertificateError> {
    let fields = match certificate {
        Value::Object(map) => Some(map),
        Value::Array(_) => None,
        _ => return Err(CertificateError::NotObject),
    };
    let field = |name: &str| fields.and_then(|m| m.get(name));
    if field("version").and_then(Value::as_f64) != Some(1.0) {
        return Err(CertificateError::Version);
    }
    let Some(Value::String(seed)) = field("seed") else {
        return Err(CertificateError::SeedNotString);
    };
    if js::utf16_len(seed) != 44 {
        return Err(CertificateError::SeedLength);
    }
    let start = field("start")
        .and_then(Value::as_f64)
        .ok_or(CertificateError::StartNotNumber)?;
    let expiry = field("expiry")
        .and_then(Value::as_f64)
        .ok_or(CertificateError::ExpiryNotNumber)?;
    let Some(Value::Array(scope_values)) = field("scopes") else {
        return Err(CertificateError::ScopesNotArray);
    };
    let scopes = scope_values
        .iter()
        .map(|v| match v {
            Value::String(s) if is_valid_scope(s) => Some(s.clone()),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .ok_or(CertificateError::ScopesInvalid)?;

    let now = now_ms as f64;
    let tolerance = CLOCK_TOLERANCE_MS as f64;
    if start > now + tolerance {
        return Err(CertificateError::NotYetValid);
    }
    if expiry < now - tolerance {
        return Err(CertificateError::Expired);
    }
    if expiry - start > MAX_LIFETIME_MS as f64 {
        return Err(CertificateError::TooLong);
    }

    match issuer_name {
        Some(_) => {
            let scope = format!("auth:create-client:{credential_name}");
            if !satisfies(issuer.scopes, &ScopeExpr::Scope(scope.clone())) {
                return Err(CertificateError::MissingCreateClient {
                    issuer: issuer.client_id.to_string(),
                    scope,
                });
            }
        }
        None => {
            if fields.is_some_and(|m| m.contains_key("clientId")) {
                return Err(CertificateError::ClientIdWithoutIssuer);
            }
        }
    }

    let required = ScopeExpr::AllOf(scopes.iter().cloned().map(ScopeExpr::Scope).collect());
    if !satisfies(issuer.scopes, &required) {
        return Err(CertificateError::ScopesNotCovered {
            issuer: issuer.client_id.to_string(),
            scopes: scopes.join(", "),
        });
    }

    let expected = sign_certificate(
        issuer.access_token,
        &signature_string(
            issuer_name.map(|i| (credential_name, i)),
            seed,
            &js::number_to_string(start),
            &js::number_to_string(expiry),
            &scopes,
        ),
    );
    let signature_ok =
        matches!(field("signature"), Some(Value::String(sig)) if constant_time_eq(sig, &expected));
    if !signature_ok {
        return Err(if issuer_name.is_some() {
            CertificateError::BadSignatureNamed
        } else {
            CertificateError::BadSignature
        });
    }

    Ok(CertificateGrant {
        access_token: temporary_access_token(issuer.access_token, seed),
        scopes,
        // A float-to-int cast saturates; the window checks above keep the value sane anyway.
        expiry_ms: expiry as i64,
    })
}

/// Temporary credentials as a client receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// The clientId to use: the name for named credentials, else the issuer's clientId.
    pub client_id: String,
    /// The temporary accessToken.
    pub access_token: String,
    /// The certificate, as a JSON string with members in the order version, scopes, start,
    /// expiry, seed, issuer (named only), signature — the order the official clients produce.
    pub certificate: String,
}

/// The certificate's JSON members, in the clients' order.
#[derive(Serialize)]
struct CertificateJson<'a> {
    version: u32,
    scopes: &'a [String],
    start: i64,
    expiry: i64,
    seed: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<&'a str>,
    signature: String,
}

/// Issues temporary credentials signed by `issuer_client_id`/`issuer_access_token`, named `name`
/// when given, with `scopes`, valid from `start_ms` to `expiry_ms`, derived from the 44-character
/// `seed`. The caller is responsible for the issuer actually holding the scopes (and
/// `auth:create-client:<name>`), as the server will check on use.
pub fn issue_temporary_credentials(
    issuer_client_id: &str,
    issuer_access_token: &str,
    name: Option<&str>,
    scopes: &[String],
    start_ms: i64,
    expiry_ms: i64,
    seed: &str,
) -> TemporaryCredentials {
    let signed = certificate_signature_string(
        name.map(|n| (n, issuer_client_id)),
        seed,
        start_ms,
        expiry_ms,
        scopes,
    );
    let certificate = CertificateJson {
        version: 1,
        scopes,
        start: start_ms,
        expiry: expiry_ms,
        seed,
        issuer: name.map(|_| issuer_client_id),
        signature: sign_certificate(issuer_access_token, &signed),
    };
    TemporaryCredentials {
        client_id: name.unwrap_or(issuer_client_id).to_string(),
        access_token: temporary_access_token(issuer_access_token, seed),
        // Serializing strings, integers and a string slice cannot fail.
        certificate: serde_json::to_string(&certificate).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_vectors::*;
    use serde_json::json;

    fn temp_scopes() -> Vec<String> {
        TEMP_SCOPES.iter().map(|s| s.to_string()).collect()
    }

    fn tester_scopes() -> Vec<String> {
        vec![
            "worker-manager:*".to_string(),
            "auth:create-client:tester-temp".to_string(),
        ]
    }

    fn issuer(scopes: &[String]) -> IssuerInfo<'_> {
        IssuerInfo {
            client_id: "tester",
            access_token: "no-secret",
            scopes,
        }
    }

    #[test]
    fn v8_unnamed_issuance_is_byte_exact() {
        let c = issue_temporary_credentials(
            "tester",
            "no-secret",
            None,
            &temp_scopes(),
            TEMP_START_MS,
            TEMP_EXPIRY_MS,
            TEMP_SEED,
        );
        assert_eq!(c.client_id, "tester");
        assert_eq!(c.access_token, TEMP_ACCESS_TOKEN);
        assert_eq!(c.certificate, V8_CERTIFICATE);
        assert_eq!(
            certificate_signature_string(
                None,
                TEMP_SEED,
                TEMP_START_MS,
                TEMP_EXPIRY_MS,
                &temp_scopes()
            ),
            V8_SIGNATURE_STRING
        );
        assert_eq!(
            sign_certificate("no-secret", V8_SIGNATURE_STRING),
            "uUCCyvllK3HiltlzKVBf2+ZEfhypD5v5d1OdJbiVNEI="
        );
    }

    #[test]
    fn v9_named_issuance_is_byte_exact() {
        let c = issue_temporary_credentials(
            "tester",
            "no-secret",
            Some("tester-temp"),
            &temp_scopes(),
            TEMP_START_MS,
            TEMP_EXPIRY_MS,
            TEMP_SEED,
        );
        assert_eq!(c.client_id, "tester-temp");
        assert_eq!(c.access_token, TEMP_ACCESS_TOKEN);
        assert_eq!(c.certificate, V9_CERTIFICATE);
        assert_eq!(
            certificate_signature_string(
                Some(("tester-temp", "tester")),
                TEMP_SEED,
                TEMP_START_MS,
                TEMP_EXPIRY_MS,
                &temp_scopes()
            ),
            V9_SIGNATURE_STRING
        );
        assert_eq!(
            sign_certificate("no-secret", V9_SIGNATURE_STRING),
            "mlrYG8vvBT+exmlznr93HBW8IBFDWctiD2tn38d923c="
        );
        assert_eq!(temporary_access_token("no-secret", TEMP_SEED).len(), 43);
    }

    #[test]
    fn empty_scope_list_ends_with_scopes_line() {
        assert!(certificate_signature_string(None, "s", 1, 2, &[]).ends_with("\nscopes:"));
    }

    fn cert(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn issued_certificates_validate() {
        let held = tester_scopes();
        for (name, text) in [
            (None, V8_CERTIFICATE),
            (Some("tester-temp"), V9_CERTIFICATE),
        ] {
            let c = cert(text);
            let hawk_id = name.unwrap_or("tester");
            let issuer_name = certificate_issuer(&c, hawk_id).unwrap();
            assert_eq!(issuer_name.as_deref(), name.map(|_| "tester"));
            let grant =
                validate_certificate(&c, hawk_id, issuer_name.as_deref(), &issuer(&held), NOW_MS)
                    .unwrap();
            assert_eq!(grant.access_token, TEMP_ACCESS_TOKEN);
            assert_eq!(grant.scopes, temp_scopes());
            assert_eq!(grant.expiry_ms, TEMP_EXPIRY_MS);
        }
    }

    fn check(
        c: &Value,
        hawk_id: &str,
        held: &[String],
        now: i64,
    ) -> Result<CertificateGrant, CertificateError> {
        let issuer_name = certificate_issuer(c, hawk_id)?;
        validate_certificate(c, hawk_id, issuer_name.as_deref(), &issuer(held), now)
    }

    #[test]
    fn time_window() {
        let held = tester_scopes();
        let c = cert(V9_CERTIFICATE);
        let edge = TEMP_EXPIRY_MS + CLOCK_TOLERANCE_MS;
        assert!(check(&c, "tester-temp", &held, edge).is_ok());
        assert_eq!(
            check(&c, "tester-temp", &held, edge + 1),
            Err(CertificateError::Expired)
        );
        let early = TEMP_START_MS - CLOCK_TOLERANCE_MS;
        assert!(check(&c, "tester-temp", &held, early).is_ok());
        assert_eq!(
            check(&c, "tester-temp", &held, early - 1),
            Err(CertificateError::NotYetValid)
        );
    }

    #[test]
    fn named_and_scope_checks() {
        // N8: the issuer lacks auth:create-client:tester-temp.
        let only_wm = vec!["worker-manager:*".to_string()];
        assert_eq!(
            check(&cert(V9_CERTIFICATE), "tester-temp", &only_wm, NOW_MS).unwrap_err().to_string(),
            "ext.certificate issuer `tester` doesn't have `auth:create-client:tester-temp` for supplied clientId."
        );
        // N9: the issuer holds only queue:*.
        let queue = vec!["queue:*".to_string()];
        assert_eq!(
            check(&cert(V8_CERTIFICATE), "tester", &queue, NOW_MS).unwrap_err().to_string(),
            "ext.certificate issuer `tester` doesn't satisfy all certificate scopes worker-manager:get-worker-pool:proj-test/*, worker-manager:list-worker-pools.  The temporary credentials were not generated correctly."
        );
        // N10: V9's certificate under another Hawk id.
        let broad = vec!["*".to_string()];
        assert_eq!(
            check(&cert(V9_CERTIFICATE), "other-name", &only_wm, NOW_MS).unwrap_err().to_string(),
            "ext.certificate issuer `tester` doesn't have `auth:create-client:other-name` for supplied clientId."
        );
        assert_eq!(
            check(&cert(V9_CERTIFICATE), "other-name", &broad, NOW_MS),
            Err(CertificateError::BadSignatureNamed)
        );
        assert_eq!(
            check(&cert(V9_CERTIFICATE), "tester", &broad, NOW_MS),
            Err(CertificateError::IssuerIsClientId)
        );
    }

    #[test]
    fn shape_checks_in_order() {
        let held = vec!["*".to_string()];
        let base = cert(V8_CERTIFICATE);
        let with = |key: &str, value: Value| {
            let mut c = base.clone();
            c[key] = value;
            c
        };
        let cases: Vec<(Value, CertificateError)> = vec![
            (json!("str"), CertificateError::NotObject),
            (json!(5), CertificateError::NotObject),
            (json!([1]), CertificateError::Version),
            (with("version", json!(2)), CertificateError::Version),
            (with("version", json!("1")), CertificateError::Version),
            (with("seed", json!(5)), CertificateError::SeedNotString),
            (with("seed", json!("short")), CertificateError::SeedLength),
            (with("start", json!("1")), CertificateError::StartNotNumber),
            (
                with("expiry", json!(null)),
                CertificateError::ExpiryNotNumber,
            ),
            (with("scopes", json!("a")), CertificateError::ScopesNotArray),
            (
                with("scopes", json!(["a", 1])),
                CertificateError::ScopesInvalid,
            ),
            (
                with("start", json!(TEMP_EXPIRY_MS - MAX_LIFETIME_MS - 1)),
                CertificateError::TooLong,
            ),
            (
                with("clientId", json!("x")),
                CertificateError::ClientIdWithoutIssuer,
            ),
            (with("signature", json!(1)), CertificateError::BadSignature),
            (
                with("signature", json!("AAAA")),
                CertificateError::BadSignature,
            ),
            (with("issuer", json!(7)), CertificateError::IssuerNotString),
        ];
        for (c, want) in cases {
            assert_eq!(check(&c, "tester", &held, NOW_MS), Err(want.clone()), "{c}");
        }
        // version 1.0 is the number 1; a falsy issuer means unnamed.
        assert!(check(&with("version", json!(1.0)), "tester", &held, NOW_MS).is_ok());
        assert!(check(&with("issuer", json!("")), "tester", &held, NOW_MS).is_ok());
    }

    #[test]
    fn fractional_times_are_signed_as_javascript_prints_them() {
        let held = vec!["*".to_string()];
        let scopes = temp_scopes();
        let start = 1_699_999_200_000.5;
        let text = signature_string(None, TEMP_SEED, "1699999200000.5", "1700085600000", &scopes);
        let c = json!({
            "version": 1, "scopes": scopes, "start": start, "expiry": TEMP_EXPIRY_MS,
            "seed": TEMP_SEED, "signature": sign_certificate("no-secret", &text),
        });
        assert!(check(&c, "tester", &held, NOW_MS).is_ok());
    }
}
