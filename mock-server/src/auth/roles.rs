//! Role expansion: holding `assume:<roleId>` grants the role's scopes, repeatedly, until nothing
//! new appears. Role ids ending in `*` match a whole family, and `<..>` in their scopes is replaced
//! by the part of the `assume:` scope that the `*` matched.

use std::collections::HashSet;

use super::scopes::scope_satisfies;

/// Upper bound on the size of an expansion, so that a badly configured (cyclic, growing) role set
/// cannot make expansion run forever.
const MAX_EXPANDED_SCOPES: usize = 10_000;

/// Expands `scopes` with the `roles` (pairs of roleId and the role's scopes) to a fixed point.
/// The result starts with `scopes` (duplicates removed) and continues with granted scopes in the
/// order they were found.
pub fn expand_roles(scopes: &[String], roles: &[(String, Vec<String>)]) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        if seen.insert(s.clone()) {
            out.push(s.clone());
        }
    }
    let mut i = 0;
    while i < out.len() && out.len() < MAX_EXPANDED_SCOPES {
        let held = out[i].clone();
        for (role_id, role_scopes) in roles {
            let Some(matched) = role_grant(&held, role_id) else {
                continue;
            };
            for template in role_scopes {
                let granted = substitute(template, matched.as_deref());
                if seen.insert(granted.clone()) {
                    out.push(granted);
                }
            }
        }
        i += 1;
    }
    out
}

/// Whether the held scope `held` assumes the role `role_id`: `None` if not; otherwise the text
/// that replaces `<..>` in the role's scopes (`Some(None)` for roles without a trailing `*`).
fn role_grant(held: &str, role_id: &str) -> Option<Option<String>> {
    match role_id.strip_suffix('*') {
        None => scope_satisfies(held, &format!("assume:{role_id}")).then_some(None),
        Some(prefix) => {
            let target = format!("assume:{prefix}");
            if let Some(rest) = held.strip_prefix(target.as_str()) {
                Some(Some(rest.to_string()))
            } else if held
                .strip_suffix('*')
                .is_some_and(|p| target.starts_with(p))
            {
                Some(Some("*".to_string()))
            } else {
                None
            }
        }
    }
}

/// A role scope with `<..>` replaced by `matched`; when `matched` ends in `*`, everything from
/// `<..>` on is replaced by it.
fn substitute(template: &str, matched: Option<&str>) -> String {
    let (Some(m), Some(at)) = (matched, template.find("<..>")) else {
        return template.to_string();
    };
    if m.ends_with('*') {
        format!("{}{m}", &template[..at])
    } else {
        format!("{}{m}{}", &template[..at], &template[at + 4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn roles(defs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        defs.iter().map(|(id, s)| (id.to_string(), v(s))).collect()
    }

    fn expansion(input: &str, roles: &[(String, Vec<String>)]) -> Vec<String> {
        expand_roles(&v(&[input]), roles)[1..].to_vec()
    }

    #[test]
    fn nested_exact_roles() {
        let r = roles(&[
            ("group:admins", &["admin-scope", "assume:group:devs"]),
            ("group:devs", &["dev-scope"]),
        ]);
        assert_eq!(
            expansion("assume:group:admins", &r),
            v(&["admin-scope", "assume:group:devs", "dev-scope"])
        );
        assert_eq!(
            expansion("assume:group:*", &r),
            v(&["admin-scope", "assume:group:devs", "dev-scope"])
        );
        assert_eq!(expansion("*", &r).len(), 3);
        assert!(expansion("assume:group:other", &r).is_empty());
    }

    #[test]
    fn parameterized_roles() {
        let r = roles(&[(
            "worker-pool:proj-a/*",
            &[
                "queue:claim-work:proj-a/<..>",
                "secrets:get:worker-pool:<..>/x",
            ],
        )]);
        assert_eq!(
            expansion("assume:worker-pool:proj-a/linux", &r),
            v(&[
                "queue:claim-work:proj-a/linux",
                "secrets:get:worker-pool:linux/x"
            ])
        );
        assert_eq!(
            expansion("assume:worker-pool:*", &r),
            v(&["queue:claim-work:proj-a/*", "secrets:get:worker-pool:*"])
        );
        assert!(expansion("assume:worker-pool:proj-b/linux", &r).is_empty());
        let admin = roles(&[(
            "project-admin:*",
            &[
                "auth:create-role:project-<..>/*",
                "secrets:get:project/<..>/*",
            ],
        )]);
        assert_eq!(
            expansion("assume:project-admin:ops*", &admin),
            v(&["auth:create-role:project-ops*", "secrets:get:project/ops*"])
        );
    }

    #[test]
    fn cycles_terminate() {
        let r = roles(&[("a", &["assume:b"]), ("b", &["assume:a", "x"])]);
        assert_eq!(expansion("assume:a", &r), v(&["assume:b", "x"]));
        let growing = roles(&[("g*", &["assume:g<..>x"])]);
        assert!(expand_roles(&v(&["assume:g"]), &growing).len() <= MAX_EXPANDED_SCOPES + 1);
    }
}
