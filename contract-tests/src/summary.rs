//! A plain-text summary of the API definition: one line per method.

use worker_manager_schemas::Catalog;

/// One line per method: name, HTTP method, route, stability.
pub fn methods(catalog: &Catalog) -> String {
    let mut out = String::new();
    for e in catalog.entries() {
        out.push_str(&format!(
            "{:<30} {:<6} {:<70} {}\n",
            e.name,
            e.method.as_str(),
            e.route,
            e.stability
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_method() {
        let c = worker_manager_schemas::Catalog::embedded();
        let text = super::methods(c);
        assert_eq!(text.lines().count(), c.entries().len());
        assert!(text.contains("registerWorker"));
    }
}
