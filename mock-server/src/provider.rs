//! Providers: the configured set (like a deployment's `PROVIDERS`), their types, and what each
//! type can do.

use serde::{Deserialize, Serialize};

/// The id of the implicit provider that marks a pool for deletion.
pub const NULL_PROVIDER: &str = "null-provider";

/// The kinds of provider worker-manager knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    /// Hardware the user runs; workers are created through the API.
    Static,
    /// The test suite's provider: accepts any registration proof.
    Testing,
    /// Amazon EC2.
    Aws,
    /// Google Compute Engine.
    Google,
    /// Microsoft Azure.
    Azure,
    /// The null provider of pools being deleted.
    Null,
}

impl ProviderType {
    /// The wire form (`static`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Static => "static",
            ProviderType::Testing => "testing",
            ProviderType::Aws => "aws",
            ProviderType::Google => "google",
            ProviderType::Azure => "azure",
            ProviderType::Null => "null",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<ProviderType> {
        [
            ProviderType::Static,
            ProviderType::Testing,
            ProviderType::Aws,
            ProviderType::Google,
            ProviderType::Azure,
            ProviderType::Null,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether this is a cloud provider (aws, google, azure): workers start `requested`, pools have
    /// launch configurations.
    pub fn is_cloud(self) -> bool {
        matches!(
            self,
            ProviderType::Aws | ProviderType::Google | ProviderType::Azure
        )
    }

    /// The schema a pool's `config` must match for this provider type.
    pub fn config_schema(self) -> &'static str {
        match self {
            ProviderType::Static => "config-static",
            ProviderType::Testing => "config-testing",
            ProviderType::Aws => "config-aws",
            ProviderType::Google => "config-google",
            ProviderType::Azure => "config-azure",
            ProviderType::Null => "config-null",
        }
    }
}

/// A configured provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// Its id (`static`, `aws`, ...).
    pub provider_id: String,
    /// Its type.
    pub provider_type: ProviderType,
    /// Whether its startup failed: methods that need it answer `503 ProviderSetupFailed`.
    #[serde(default)]
    pub setup_failed: bool,
}

impl Provider {
    /// A working provider.
    pub fn new(id: &str, kind: ProviderType) -> Provider {
        Provider {
            provider_id: id.to_string(),
            provider_type: kind,
            setup_failed: false,
        }
    }
}

/// Why a provider list is not acceptable (the real service refuses to start).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderConfigError {
    /// `null-provider` is implicit and cannot be configured.
    #[error("provider id `null-provider` is reserved")]
    ReservedId,
    /// Only `null-provider` has type `null`.
    #[error("provider `{0}` cannot have type `null`")]
    NullType(String),
    /// Two providers with one id.
    #[error("provider `{0}` is configured twice")]
    Duplicate(String),
}

/// Checks a configured provider list as the real service does at startup.
pub fn check_providers(providers: &[Provider]) -> Result<(), ProviderConfigError> {
    let mut seen = std::collections::HashSet::new();
    for p in providers {
        if p.provider_id == NULL_PROVIDER {
            return Err(ProviderConfigError::ReservedId);
        }
        if p.provider_type == ProviderType::Null {
            return Err(ProviderConfigError::NullType(p.provider_id.clone()));
        }
        if !seen.insert(p.provider_id.as_str()) {
            return Err(ProviderConfigError::Duplicate(p.provider_id.clone()));
        }
    }
    Ok(())
}

/// The default providers, like a small real deployment's: one of each type.
pub fn default_providers() -> Vec<Provider> {
    vec![
        Provider::new("static", ProviderType::Static),
        Provider::new("aws", ProviderType::Aws),
        Provider::new("google", ProviderType::Google),
        Provider::new("azure", ProviderType::Azure),
        Provider::new("testing", ProviderType::Testing),
    ]
}

/// The implicit null provider.
pub fn null_provider() -> Provider {
    Provider::new(NULL_PROVIDER, ProviderType::Null)
}
