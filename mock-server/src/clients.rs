//! The clients file (`wm-mock serve --clients FILE`): extra clients with their own scopes, and
//! roles their `assume:` scopes expand to.
//!
//! ```json
//! {
//!   "clients": [
//!     {"clientId": "ci/deployer", "accessToken": "s3cr3t", "scopes": ["worker-manager:manage-worker-pool:proj/*"]}
//!   ],
//!   "roles": [
//!     {"roleId": "project:proj", "scopes": ["worker-manager:get-worker-pool:proj/*"]}
//!   ]
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::scopes::is_valid_scope;
use crate::credentials::ISSUER_CLIENT_ID;
use crate::service::ROOT_CLIENT_ID;

/// One configured client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientSpec {
    /// Its clientId.
    pub client_id: String,
    /// Its secret accessToken.
    pub access_token: String,
    /// Its scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One role: holding `assume:<roleId>` grants its scopes (`roleId` may end in `*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleSpec {
    /// The role id.
    pub role_id: String,
    /// The scopes it grants.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The contents of a clients file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientsFile {
    /// Extra clients.
    #[serde(default)]
    pub clients: Vec<ClientSpec>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
}

/// Why a clients file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClientsFileError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// It is not JSON of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// It is JSON of the right shape but says something impossible.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl ClientsFile {
    /// Reads and checks a clients file.
    pub fn load(path: &Path) -> Result<ClientsFile, ClientsFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientsFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        ClientsFile::parse(&text).map_err(|e| match e {
            ClientsFileError::Parse { message, .. } => ClientsFileError::Parse {
                path: path.to_path_buf(),
                message,
            },
            ClientsFileError::Invalid { reason, .. } => ClientsFileError::Invalid {
                path: path.to_path_buf(),
                reason,
            },
            other => other,
        })
    }

    /// Parses and checks the text of a clients file.
    pub fn parse(text: &str) -> Result<ClientsFile, ClientsFileError> {
        let file: ClientsFile =
            serde_json::from_str(text).map_err(|e| ClientsFileError::Parse {
                path: PathBuf::new(),
                message: e.to_string(),
            })?;
        let invalid = |reason: String| ClientsFileError::Invalid {
            path: PathBuf::new(),
            reason,
        };
        let mut seen = std::collections::HashSet::new();
        for c in &file.clients {
            if c.client_id.is_empty() || c.access_token.is_empty() {
                return Err(invalid(
                    "a client needs a clientId and an accessToken".into(),
                ));
            }
            if c.client_id == ROOT_CLIENT_ID || c.client_id == ISSUER_CLIENT_ID {
                return Err(invalid(format!(
                    "clientId `{}` is reserved by the mock",
                    c.client_id
                )));
            }
            if !seen.insert(c.client_id.as_str()) {
                return Err(invalid(format!("clientId `{}` appears twice", c.client_id)));
            }
        }
        let scopes = file
            .clients
            .iter()
            .flat_map(|c| &c.scopes)
            .chain(file.roles.iter().flat_map(|r| &r.scopes));
        for s in scopes {
            if !is_valid_scope(s) {
                return Err(invalid(format!(
                    "`{s}` is not a valid scope (printable ASCII only)"
                )));
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clients_and_roles() {
        let f = ClientsFile::parse(
            r#"{"clients":[{"clientId":"a","accessToken":"t","scopes":["x:*"]}],
                "roles":[{"roleId":"r","scopes":["y"]}]}"#,
        )
        .unwrap();
        assert_eq!(f.clients[0].scopes, vec!["x:*"]);
        assert_eq!(f.roles[0].role_id, "r");
    }

    #[test]
    fn refuses_what_cannot_work() {
        for bad in [
            r#"{"clients":[{"clientId":"a","accessToken":"t"}],"extra":1}"#,
            r#"{"clients":[{"clientId":"static/taskcluster/root","accessToken":"t"}]}"#,
            r#"{"clients":[{"clientId":"a","accessToken":"t"},{"clientId":"a","accessToken":"u"}]}"#,
            r#"{"clients":[{"clientId":"a","accessToken":""}]}"#,
            r#"{"clients":[{"clientId":"a","accessToken":"t","scopes":["tab\there"]}]}"#,
            r#"[1]"#,
        ] {
            assert!(ClientsFile::parse(bad).is_err(), "{bad}");
        }
    }
}
