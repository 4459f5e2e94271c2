//! The catalog of API methods, read from `api.json`.
//!
//! `api.json` is Taskcluster's API reference format plus three extension members that the router
//! needs and the published format has no place for: `x-params` (top level: the pattern of each
//! validated path parameter), and per entry `x-route` (the routing pattern, see
//! [`crate::route`]), `x-query` (the pattern of each query key) and `x-aliases` (extra routes
//! answered by the same method, such as the legacy colon routes). The entries' order is the
//! router's priority order.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::files::{schema_name_from_ref, API_JSON};
use crate::path_params::ParamValues;
use crate::route::{RouteMatch, RouteOutcome, RoutePattern};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET` (also answers `HEAD`).
    Get,
    /// `PUT`.
    Put,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// Parses a method as written in `api.json` (`get`) or on the wire (`GET`).
    pub fn parse(s: &str) -> Option<HttpMethod> {
        [
            HttpMethod::Get,
            HttpMethod::Put,
            HttpMethod::Post,
            HttpMethod::Delete,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// The upper-case wire form (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Put => "PUT",
            HttpMethod::Post => "POST",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declared query-string key with its pattern.
#[derive(Debug, Clone)]
pub struct QueryParam {
    /// The key.
    pub name: String,
    /// The pattern as written (a JavaScript-style regular expression source).
    pub pattern: String,
    pub(crate) regex: Regex,
}

impl QueryParam {
    /// Whether `value` matches the pattern (unanchored, as the real service tests it).
    pub fn accepts(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

/// One API method.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Method name, e.g. `createWorkerPool`.
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// `stable` or `experimental`.
    pub stability: String,
    /// Documentation category.
    pub category: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// Published route with `<param>` placeholders.
    pub route: String,
    /// Path parameter names, in route order.
    pub args: Vec<String>,
    /// Declared query keys, in declaration order.
    pub query: Vec<QueryParam>,
    /// Scope expression template (`None` for public methods).
    pub scopes: Option<Value>,
    /// Input schema name (`create-worker-pool-request`), if the method takes a body.
    pub input: Option<String>,
    /// Output schema name, if the method declares one.
    pub output: Option<String>,
    /// The routing pattern.
    pub pattern: RoutePattern,
    /// Extra routes answered by this method, as `(routed name, pattern)`.
    pub aliases: Vec<(String, RoutePattern)>,
}

impl Entry {
    /// Looks up a declared query key.
    pub fn query_param(&self, name: &str) -> Option<&QueryParam> {
        self.query.iter().find(|q| q.name == name)
    }

    /// Whether the method needs no credentials at all (no `scopes`).
    pub fn is_public(&self) -> bool {
        self.scopes.is_none()
    }
}

/// Why `api.json` could not be read as a catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Not JSON, or a member has the wrong shape.
    #[error("api.json: {0}")]
    Shape(String),
    /// A route pattern does not compile.
    #[error("api.json: {0}")]
    Pattern(#[from] crate::route::PatternError),
    /// A query or parameter pattern is not a valid regular expression.
    #[error("api.json: bad pattern for `{name}`: {source}")]
    Regex {
        /// Which parameter.
        name: String,
        /// The regex error.
        source: regex::Error,
    },
}

/// The catalog: every method of the API, in route-priority order.
#[derive(Debug)]
pub struct Catalog {
    reference: Value,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    params: BTreeMap<String, (String, Regex)>,
}

fn str_member(v: &Value, key: &str) -> Result<String, CatalogError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CatalogError::Shape(format!("missing string member `{key}` in {v}")))
}

fn compile(name: &str, pattern: &str) -> Result<Regex, CatalogError> {
    Regex::new(pattern).map_err(|source| CatalogError::Regex {
        name: name.to_string(),
        source,
    })
}

impl Catalog {
    /// The catalog of the embedded `api.json` (parsed once, on first use).
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let reference: Value =
                serde_json::from_str(API_JSON).expect("embedded api.json is valid JSON");
            Catalog::from_reference(reference).expect("embedded api.json is a valid catalog")
        })
    }

    /// Builds a catalog from an API reference document with the `x-` routing members.
    pub fn from_reference(reference: Value) -> Result<Catalog, CatalogError> {
        let mut params = BTreeMap::new();
        if let Some(map) = reference.get("x-params").and_then(Value::as_object) {
            for (name, pattern) in map {
                let pattern = pattern
                    .as_str()
                    .ok_or_else(|| CatalogError::Shape(format!("x-params.{name}")))?;
                params.insert(name.clone(), (pattern.to_string(), compile(name, pattern)?));
            }
        }
        let raw_entries = reference
            .get("entries")
            .and_then(Value::as_array)
            .ok_or_else(|| CatalogError::Shape("missing `entries`".into()))?;
        let mut entries = Vec::with_capacity(raw_entries.len());
        for e in raw_entries {
            entries.push(Self::entry(e)?);
        }
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(Catalog {
            reference,
            entries,
            by_name,
            params,
        })
    }

    fn entry(e: &Value) -> Result<Entry, CatalogError> {
        let name = str_member(e, "name")?;
        let method_text = str_member(e, "method")?;
        let method = HttpMethod::parse(&method_text)
            .ok_or_else(|| CatalogError::Shape(format!("{name}: unknown method {method_text}")))?;
        let route = str_member(e, "route")?;
        let pattern = RoutePattern::parse(
            e.get("x-route")
                .and_then(Value::as_str)
                .unwrap_or(route.as_str()),
        )?;
        let args = e
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let x_query = e.get("x-query").and_then(Value::as_object);
        let mut query = Vec::new();
        for key in e
            .get("query")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key
                .as_str()
                .ok_or_else(|| CatalogError::Shape(format!("{name}: query key")))?;
            let pattern = x_query
                .and_then(|q| q.get(key))
                .and_then(Value::as_str)
                .unwrap_or(".*")
                .to_string();
            let regex = compile(key, &pattern)?;
            query.push(QueryParam {
                name: key.to_string(),
                pattern,
                regex,
            });
        }
        let mut aliases = Vec::new();
        for a in e
            .get("x-aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            aliases.push((
                str_member(a, "name")?,
                RoutePattern::parse(&str_member(a, "x-route")?)?,
            ));
        }
        let opt = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(Entry {
            title: opt("title").unwrap_or_default(),
            description: opt("description").unwrap_or_default(),
            stability: opt("stability").unwrap_or_default(),
            category: opt("category").unwrap_or_default(),
            method,
            route,
            args,
            query,
            scopes: e.get("scopes").filter(|s| !s.is_null()).cloned(),
            input: opt("input").map(|r| schema_name_from_ref(&r).to_string()),
            output: opt("output").map(|r| schema_name_from_ref(&r).to_string()),
            pattern,
            aliases,
            name,
        })
    }

    /// The reference document this catalog was built from.
    pub fn reference(&self) -> &Value {
        &self.reference
    }

    /// The reference document as a deployment publishes it: without the `x-` routing members.
    pub fn published_reference(&self) -> Value {
        fn strip(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(k, _)| !k.starts_with("x-"))
                        .map(|(k, v)| (k.clone(), strip(v)))
                        .collect(),
                ),
                Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
                other => other.clone(),
            }
        }
        strip(&self.reference)
    }

    /// Every method, in route-priority order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The method called `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }

    /// The pattern a path parameter must match, if it is validated at all.
    pub fn param_pattern(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(|(p, _)| p.as_str())
    }

    pub(crate) fn param_regex(&self, name: &str) -> Option<(&str, &Regex)> {
        self.params.get(name).map(|(p, r)| (p.as_str(), r))
    }

    /// Routes a request: `method` as on the wire (`HEAD` is routed as `GET`), `raw_path` still
    /// percent-encoded and relative to [`crate::API_PREFIX`], without the query string.
    pub fn match_route<'c: 'p, 'p>(
        &'c self,
        method: &str,
        raw_path: &'p str,
    ) -> RouteOutcome<'c, 'p> {
        let wanted = match method {
            "HEAD" => Some(HttpMethod::Get),
            "OPTIONS" => None,
            m => match HttpMethod::parse(m) {
                Some(x) if m == x.as_str() => Some(x),
                _ => return RouteOutcome::NotFound,
            },
        };
        let Some(wanted) = wanted else {
            return self.options(raw_path);
        };
        let mut scratch = Vec::with_capacity(4);
        for entry in self.entries.iter().filter(|e| e.method == wanted) {
            let routes = entry
                .aliases
                .iter()
                .map(|(n, p)| (n.as_str(), p))
                .chain(std::iter::once((entry.name.as_str(), &entry.pattern)));
            for (routed_name, pattern) in routes {
                match pattern.match_path_with(raw_path, &mut scratch) {
                    Ok(Some(params)) => {
                        return RouteOutcome::Matched(RouteMatch {
                            entry,
                            routed_name,
                            params,
                        })
                    }
                    Ok(None) => {}
                    Err(param) => return RouteOutcome::BadEncoding { entry, param },
                }
            }
        }
        RouteOutcome::NotFound
    }

    fn options<'p>(&self, raw_path: &'p str) -> RouteOutcome<'_, 'p> {
        let mut allow: Vec<&'static str> = Vec::new();
        for entry in &self.entries {
            let hit = entry
                .aliases
                .iter()
                .map(|(_, p)| p)
                .chain(std::iter::once(&entry.pattern))
                .any(|p| !matches!(p.match_path(raw_path), Ok(None)));
            if hit {
                let names: &[&'static str] = match entry.method {
                    HttpMethod::Get => &["GET", "HEAD"],
                    HttpMethod::Put => &["PUT"],
                    HttpMethod::Post => &["POST"],
                    HttpMethod::Delete => &["DELETE"],
                };
                for n in names {
                    if !allow.contains(n) {
                        allow.push(n);
                    }
                }
            }
        }
        if allow.is_empty() {
            RouteOutcome::NotFound
        } else {
            RouteOutcome::Options { allow }
        }
    }

    /// Builds the raw path (relative to [`crate::API_PREFIX`]) of method `name` for `params`,
    /// encoded as the official clients encode it. The inverse of [`Catalog::match_route`].
    pub fn build_path<P: ParamValues + ?Sized>(
        &self,
        name: &str,
        params: &P,
    ) -> Result<String, CatalogError> {
        let entry = self
            .get(name)
            .ok_or_else(|| CatalogError::Shape(format!("no method `{name}`")))?;
        entry
            .pattern
            .build(params)
            .map_err(|p| CatalogError::Shape(format!("{name}: missing parameter `{p}`")))
    }
}
