//! [`AuthError`]: every way presented credentials can fail (a 401 `AuthenticationFailed`), each
//! displaying the real service's message.

use super::bewit::BewitError;
use super::certificate::CertificateError;
use super::ext::ExtError;
use super::hawk::HeaderError;

/// Why authentication failed. Display is the exact message the real service returns (before its
/// common footer); every variant means 401 `AuthenticationFailed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Both an `Authorization` header and a bewit.
    #[error(
        "Cannot use two authentication schemes at once this request has both bewit in \
         querystring and 'authorization' header"
    )]
    TwoSchemes,
    /// The `Authorization` header is malformed.
    #[error("{kind}: {0}", kind = .0.reply_error())]
    Header(HeaderError),
    /// The bewit is malformed, expired, or used with a method other than GET/HEAD.
    #[error("{kind}: {0}", kind = .0.reply_error())]
    Bewit(BewitError),
    /// No client with that id.
    #[error("Client with clientId '{0}' not found")]
    ClientNotFound(String),
    /// The client is disabled.
    #[error("Client with clientId '{0}' is disabled")]
    ClientDisabled(String),
    /// The client's expiry has passed.
    #[error("Client with clientId: '{0}' has expired")]
    ClientExpired(String),
    /// The `ext` attribute is unusable.
    #[error("{0}")]
    Ext(ExtError),
    /// The temporary-credentials certificate is invalid.
    #[error("{0}")]
    Certificate(CertificateError),
    /// The caller's scopes do not cover its `authorizedScopes`.
    #[error(
        "Supplied credentials do not satisfy authorizedScopes; credentials have scopes:\n\n```\n{}\n```\n\nauthorizedScopes are:\n\n```\n{}\n```",
        .held.join("\n"),
        .authorized.join("\n")
    )]
    AuthorizedScopesNotSatisfied {
        /// The caller's scopes (with the anonymous ones), as listed in the message.
        held: Vec<String>,
        /// The requested `authorizedScopes`.
        authorized: Vec<String>,
    },
    /// The MAC does not match.
    #[error("Unauthorized: Bad mac")]
    BadMac,
    /// The MAC does not match, but it does match the path without its query string: the request
    /// was signed the way the Rust `taskcluster` crate (114 and earlier) signs requests with a
    /// query. Rejected like [`AuthError::BadMac`], with an explanation.
    #[error(
        "Unauthorized: Bad mac. The signature matches the request path without its query string, \
         which is what the Rust `taskcluster` crate (version 114 and earlier) sends; Taskcluster \
         signs the path plus the query string, so the real service rejects this request too."
    )]
    QueryNotSigned,
    /// `ts` is more than 15 minutes away from the server clock.
    #[error("Unauthorized: Stale timestamp")]
    StaleTimestamp,
    /// The `hash` attribute does not match the body. (`{{hash}}` really stays unreplaced.)
    #[error(
        "Invalid payload hash: {{{{hash}}}}\nComputed payload hash: {computed}\nThis happens when \
         your request carries a signed hash of the payload and the hash doesn't match the hash \
         we've computed on the server-side."
    )]
    PayloadHash {
        /// The hash the server computed.
        computed: String,
    },
}

impl From<HeaderError> for AuthError {
    fn from(e: HeaderError) -> Self {
        AuthError::Header(e)
    }
}

impl From<BewitError> for AuthError {
    fn from(e: BewitError) -> Self {
        AuthError::Bewit(e)
    }
}

impl From<ExtError> for AuthError {
    fn from(e: ExtError) -> Self {
        AuthError::Ext(e)
    }
}

impl From<CertificateError> for AuthError {
    fn from(e: CertificateError) -> Self {
        AuthError::Certificate(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let cases: Vec<(AuthError, &str)> = vec![
            (HeaderError::NotHawk.into(), "Unauthorized: Unauthorized"),
            (HeaderError::InvalidSyntax.into(), "Bad Request: Invalid header syntax"),
            (HeaderError::BadFormat.into(), "Bad Request: Bad header format"),
            (HeaderError::MissingAttributes.into(), "Bad Request: Missing attributes"),
            (HeaderError::UnknownAttribute("foo".into()).into(), "Bad Request: Unknown attribute: foo"),
            (HeaderError::DuplicateAttribute("id".into()).into(), "Bad Request: Duplicate attribute: id"),
            (HeaderError::BadAttributeValue("ext".into()).into(), "Bad Request: Bad attribute value: ext"),
            (HeaderError::TooLong.into(), "Bad Request: Header length too long"),
            (AuthError::ClientNotFound("nobody".into()), "Client with clientId 'nobody' not found"),
            (AuthError::ClientDisabled("x".into()), "Client with clientId 'x' is disabled"),
            (AuthError::ClientExpired("x".into()), "Client with clientId: 'x' has expired"),
            (AuthError::BadMac, "Unauthorized: Bad mac"),
            (AuthError::StaleTimestamp, "Unauthorized: Stale timestamp"),
            (ExtError::Unparseable.into(), "Failed to parse ext"),
            (CertificateError::Expired.into(), "ext.certificate.expiry < now"),
            (BewitError::Expired.into(), "Unauthorized: Access expired"),
            (BewitError::InvalidMethod.into(), "Unauthorized: Invalid method"),
            (BewitError::Empty.into(), "Unauthorized: Empty bewit"),
            (BewitError::InvalidEncoding.into(), "Bad Request: Invalid bewit encoding"),
            (BewitError::InvalidStructure.into(), "Bad Request: Invalid bewit structure"),
            (BewitError::MissingAttributes.into(), "Bad Request: Missing bewit attributes"),
            (
                AuthError::TwoSchemes,
                "Cannot use two authentication schemes at once this request has both bewit in querystring and 'authorization' header",
            ),
            (
                AuthError::PayloadHash { computed: "abc=".into() },
                "Invalid payload hash: {{hash}}\nComputed payload hash: abc=\nThis happens when your request carries a signed hash of the payload and the hash doesn't match the hash we've computed on the server-side.",
            ),
            (
                AuthError::AuthorizedScopesNotSatisfied {
                    held: vec!["a".into(), "assume:anonymous".into()],
                    authorized: vec!["b".into()],
                },
                "Supplied credentials do not satisfy authorizedScopes; credentials have scopes:\n\n```\na\nassume:anonymous\n```\n\nauthorizedScopes are:\n\n```\nb\n```",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
        assert!(AuthError::QueryNotSigned
            .to_string()
            .starts_with("Unauthorized: Bad mac"));
    }
}
