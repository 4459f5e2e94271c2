//! The texts of the two 403 `InsufficientScopes` answers (before the service's common footer).

use super::scopes::ScopeExpr;

/// The 403 message for a caller whose scopes do not satisfy `required`: `client_id` is `None` when
/// the request carried no credentials, and `unsatisfied` is what is missing
/// ([`super::scopes::unsatisfied`]).
pub fn insufficient_scopes_message(
    client_id: Option<&str>,
    required: &ScopeExpr,
    unsatisfied: &ScopeExpr,
) -> String {
    let required = required.to_message_text();
    match client_id {
        None => format!(
            "This request requires Taskcluster credentials that satisfy the following scope \
             expression:\n\n```\n{required}\n```"
        ),
        Some(id) => format!(
            "Client ID {id} does not have sufficient scopes and is missing the following \
             scopes:\n\n```\n{}\n```\n\nThis request requires the client to satisfy the following \
             scope expression:\n\n```\n{required}\n```",
            unsatisfied.to_message_text()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scopes::unsatisfied;

    #[test]
    fn no_credentials() {
        let required = ScopeExpr::Scope("worker-manager:list-worker-pools".into());
        assert_eq!(
            insufficient_scopes_message(None, &required, &required),
            "This request requires Taskcluster credentials that satisfy the following scope expression:\n\n```\nworker-manager:list-worker-pools\n```"
        );
    }

    #[test]
    fn authenticated_client() {
        let required = ScopeExpr::AllOf(vec![
            ScopeExpr::Scope("worker-manager:manage-worker-pool:a/b".into()),
            ScopeExpr::Scope("queue:foo".into()),
        ]);
        let held = vec!["worker-manager:*".to_string()];
        let missing = unsatisfied(&held, &required).unwrap();
        assert_eq!(
            insufficient_scopes_message(Some("tester"), &required, &missing),
            "Client ID tester does not have sufficient scopes and is missing the following scopes:\n\n```\nqueue:foo\n```\n\nThis request requires the client to satisfy the following scope expression:\n\n```\n{\n  \"AllOf\": [\n    \"worker-manager:manage-worker-pool:a/b\",\n    \"queue:foo\"\n  ]\n}\n```"
        );
    }
}
