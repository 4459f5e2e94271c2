//! Test-only: the published Taskcluster authentication vectors (V1–V13 of the reference), as
//! data shared by the tests of every file of this module.

#![allow(dead_code)]

/// A request signed with a Hawk header.
#[derive(Debug, Clone, Copy)]
pub struct HeaderVector {
    /// The reference's name for it.
    pub name: &'static str,
    /// The request method.
    pub method: &'static str,
    /// The raw request target as the server receives it.
    pub resource: &'static str,
    /// What the client signed when it differs from `resource` (the Rust-client shape).
    pub signed_resource: Option<&'static str>,
    /// Host name the client signed.
    pub host: &'static str,
    /// Port the client signed.
    pub port: u16,
    /// The whole `Authorization` header.
    pub authorization: &'static str,
    /// The Hawk id.
    pub id: &'static str,
    /// The `hash` attribute.
    pub hash: Option<&'static str>,
    /// The `ext` attribute.
    pub ext: Option<&'static str>,
    /// The MAC key (accessToken or temporary token).
    pub key: &'static str,
    /// The expected normalized string.
    pub normalized: &'static str,
    /// Request content type.
    pub content_type: Option<&'static str>,
    /// Request body.
    pub body: &'static str,
}

/// A signed URL.
#[derive(Debug, Clone, Copy)]
pub struct BewitVector {
    /// The reference's name for it.
    pub name: &'static str,
    /// The raw request target, bewit included.
    pub resource: &'static str,
    /// The `bewit` query value.
    pub bewit: &'static str,
    /// The bewit decoded.
    pub decoded: &'static str,
    /// Its id.
    pub id: &'static str,
    /// Its expiry, seconds.
    pub exp: i64,
    /// Its MAC.
    pub mac: &'static str,
    /// Its ext (may be empty).
    pub ext: &'static str,
    /// The target without the bewit.
    pub resource_without_bewit: &'static str,
    /// The expected normalized string.
    pub normalized: &'static str,
    /// The MAC key.
    pub key: &'static str,
}

/// V1 `get-permanent`.
pub const V1: HeaderVector = HeaderVector {
    name: "get-permanent",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"5pJCWnvSDyNo2AB8h1pQat3J0gaYRuNput450cCFYZ0=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"e30=\"",
    id: "tester",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("e30="),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\ne30=\n",
    content_type: None,
    body: "",
};

/// V2 `get-with-query`.
pub const V2: HeaderVector = HeaderVector {
    name: "get-with-query",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pools?limit=10&continuationToken=tok%2F%2B%3D+x",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"R4ZEPb+gKNXsraA5d4HVsBcrXc+vkYHhNxpcoUSqp7w=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"e30=\"",
    id: "tester",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("e30="),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pools?limit=10&continuationToken=tok%2F%2B%3D+x\nlocalhost\n8080\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\ne30=\n",
    content_type: None,
    body: "",
};

/// V3 `put-with-payload`.
pub const V3: HeaderVector = HeaderVector {
    name: "put-with-payload",
    method: "PUT",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"vCd7qph+ITGF7Qe0SrM3Ef8JIYecD6dWoOB/5kK/gIY=\", hash=\"hz7abvh0O96uu3dfRIhbvvosCC+m5mwb55rXpg6vJJY=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"e30=\"",
    id: "tester",
    hash: Some("hz7abvh0O96uu3dfRIhbvvosCC+m5mwb55rXpg6vJJY="),
    ext: Some("e30="),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nPUT\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\nhz7abvh0O96uu3dfRIhbvvosCC+m5mwb55rXpg6vJJY=\ne30=\n",
    content_type: Some("application/json"),
    body: "{\"providerId\":\"static\",\"description\":\"d\",\"config\":{},\"owner\":\"me@example.com\",\"emailOnError\":false}",
};

/// V4 `get-https-default-port`.
pub const V4: HeaderVector = HeaderVector {
    name: "get-https-default-port",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "tc.example.com",
    port: 443,
    authorization: "Hawk mac=\"7BwAceDGHu9GKNWhPq1CPy+Fli0FiVJYPhQ2xgCSLns=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"e30=\"",
    id: "tester",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("e30="),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\ntc.example.com\n443\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\ne30=\n",
    content_type: None,
    body: "",
};

/// V5 `get-authorized-scopes`.
pub const V5: HeaderVector = HeaderVector {
    name: "get-authorized-scopes",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"hFunh9MhxvcPpJC6MZJv92RT4lRJNKaLLO6yCcdQ4zo=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"eyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV-Il19\"",
    id: "tester",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("eyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV-Il19"),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\neyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV-Il19\n",
    content_type: None,
    body: "",
};

/// V5B `node-style-authorized-scopes-standard-b64`.
pub const V5B: HeaderVector = HeaderVector {
    name: "node-style-authorized-scopes-standard-b64",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"4WSCwHvcpqHAeWKpRmlO/1sJls3pzBMytcVrWN8GzYc=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"eyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV+Il19\"",
    id: "tester",
    hash: None,
    ext: Some("eyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV+Il19"),
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\n\neyJhdXRob3JpemVkU2NvcGVzIjpbIndvcmtlci1tYW5hZ2VyOmdldC13b3JrZXItcG9vbDpwcm9qLXRlc3QvKiIsIndvcmtlci1tYW5hZ2VyOmxpc3Qtd29ya2Vyczpwcm9qLXRlc3Qvd29ya2VyLXR5cGV+Il19\n",
    content_type: None,
    body: "",
};

/// V6 `node-style-no-hash-no-ext`.
pub const V6: HeaderVector = HeaderVector {
    name: "node-style-no-hash-no-ext",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pools?limit=10",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"lcM1jr2yPz9z7G1Am3EComuV6xNVdvV21vr7raLX790=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\"",
    id: "tester",
    hash: None,
    ext: None,
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pools?limit=10\nlocalhost\n8080\n\n\n",
    content_type: None,
    body: "",
};

/// V8 `temp-creds-unnamed`.
pub const V8: HeaderVector = HeaderVector {
    name: "temp-creds-unnamed",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"NC4abNFlviBDzY5Gn5gCzQeUyPq+edwkt4rdQYWdsjo=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3Iiwic2lnbmF0dXJlIjoidVVDQ3l2bGxLM0hpbHRsektWQmYyK1pFZmh5cEQ1djVkMU9kSmJpVk5FST0ifX0=\"",
    id: "tester",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3Iiwic2lnbmF0dXJlIjoidVVDQ3l2bGxLM0hpbHRsektWQmYyK1pFZmh5cEQ1djVkMU9kSmJpVk5FST0ifX0="),
    key: "wzTu3I8PIhXe4-IUdd_IwqjuEontpKATPgm0LZz3wyo",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\neyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3Iiwic2lnbmF0dXJlIjoidVVDQ3l2bGxLM0hpbHRsektWQmYyK1pFZmh5cEQ1djVkMU9kSmJpVk5FST0ifX0=\n",
    content_type: None,
    body: "",
};

/// V9 `temp-creds-named`.
pub const V9: HeaderVector = HeaderVector {
    name: "temp-creds-named",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"QHoH55oovLjH35FtQ5exEVmmgy7jEIv/gOnnKTsgFlU=\", hash=\"B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\", id=\"tester-temp\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=\"",
    id: "tester-temp",
    hash: Some("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="),
    ext: Some("eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0="),
    key: "wzTu3I8PIhXe4-IUdd_IwqjuEontpKATPgm0LZz3wyo",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\nB0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=\neyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=\n",
    content_type: None,
    body: "",
};

/// V10 `node-style-temp-creds-standard-b64-ext`.
pub const V10: HeaderVector = HeaderVector {
    name: "node-style-temp-creds-standard-b64-ext",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    signed_resource: None,
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"+9Bym/wxCkdUwh6iJekbmCcj4HnZPN9aYrfE3TPNw8Y=\", id=\"tester-temp\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=\"",
    id: "tester-temp",
    hash: None,
    ext: Some("eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0="),
    key: "wzTu3I8PIhXe4-IUdd_IwqjuEontpKATPgm0LZz3wyo",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\n\neyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=\n",
    content_type: None,
    body: "",
};

/// V7 `rust-style-query-not-signed`.
pub const V7: HeaderVector = HeaderVector {
    name: "rust-style-query-not-signed",
    method: "GET",
    resource: "/api/worker-manager/v1/worker-pools?continuationToken=abc&limit=2",
    signed_resource: Some("/api/worker-manager/v1/worker-pools"),
    host: "localhost",
    port: 8080,
    authorization: "Hawk mac=\"qT1Km2ktQY/qjqKip92hQxGeR9i1Q3SoHhax1xu8fCs=\", id=\"tester\", ts=\"1700000000\", nonce=\"Xk9dQ2\"",
    id: "tester",
    hash: None,
    ext: None,
    key: "no-secret",
    normalized: "hawk.1.header\n1700000000\nXk9dQ2\nGET\n/api/worker-manager/v1/worker-pools\nlocalhost\n8080\n\n\n",
    content_type: None,
    body: "",
};

/// Every header vector whose MAC covers the request as received (all but V7).
pub const HEADER_VECTORS: &[HeaderVector] = &[V1, V2, V3, V4, V5, V5B, V6, V8, V9, V10];

/// V3's body.
pub const V3_BODY: &str = "{\"providerId\":\"static\",\"description\":\"d\",\"config\":{},\"owner\":\"me@example.com\",\"emailOnError\":false}";

/// V11 `bewit-permanent`.
pub const V11: BewitVector = BewitVector {
    name: "bewit-permanent",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type?bewit=dGVzdGVyXDE3MDAwMDA5MDBcR1dmT0lqVWtXMWdLeDdKSGFvUkd2cWVRbmRySE4rN293UjFISWNzbTJWRT1cZTMwPQ",
    bewit: "dGVzdGVyXDE3MDAwMDA5MDBcR1dmT0lqVWtXMWdLeDdKSGFvUkd2cWVRbmRySE4rN293UjFISWNzbTJWRT1cZTMwPQ",
    decoded: "tester\\1700000900\\GWfOIjUkW1gKx7JHaoRGvqeQndrHN+7owR1HIcsm2VE=\\e30=",
    id: "tester",
    exp: 1700000900,
    mac: "GWfOIjUkW1gKx7JHaoRGvqeQndrHN+7owR1HIcsm2VE=",
    ext: "e30=",
    resource_without_bewit: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    normalized: "hawk.1.bewit\n1700000900\n\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\n\ne30=\n",
    key: "no-secret",
};

/// V12 `bewit-temp-creds-with-query`.
pub const V12: BewitVector = BewitVector {
    name: "bewit-temp-creds-with-query",
    resource: "/api/worker-manager/v1/worker-pools?limit=5&bewit=dGVzdGVyLXRlbXBcMTcwMDAwMDYwMFxodUJ0OVVGMmVvckpHaWZWR1JNK1dLYTVhdkZMVWtIWG02L1hiTzBaOTgwPVxleUpqWlhKMGFXWnBZMkYwWlNJNmV5SjJaWEp6YVc5dUlqb3hMQ0p6WTI5d1pYTWlPbHNpZDI5eWEyVnlMVzFoYm1GblpYSTZaMlYwTFhkdmNtdGxjaTF3YjI5c09uQnliMm90ZEdWemRDOHFJaXdpZDI5eWEyVnlMVzFoYm1GblpYSTZiR2x6ZEMxM2IzSnJaWEl0Y0c5dmJITWlYU3dpYzNSaGNuUWlPakUyT1RrNU9Ua3lNREF3TURBc0ltVjRjR2x5ZVNJNk1UY3dNREE0TlRZd01EQXdNQ3dpYzJWbFpDSTZJa2h1YzBsYWFETnpWRXB4T0ZWbVdIbDRNemhNUzJka2RrdHdUbEZJWlZKQ2NVMTZlVXhTUWsxWVdsaDNJaXdpYVhOemRXVnlJam9pZEdWemRHVnlJaXdpYzJsbmJtRjBkWEpsSWpvaWJXeHlXVWM0ZG5aQ1ZDdGxlRzFzZW01eU9UTklRbGM0U1VKR1JGZGpkR2xFTW5SdU16aGtPVEl6WXowaWZYMD0",
    bewit: "dGVzdGVyLXRlbXBcMTcwMDAwMDYwMFxodUJ0OVVGMmVvckpHaWZWR1JNK1dLYTVhdkZMVWtIWG02L1hiTzBaOTgwPVxleUpqWlhKMGFXWnBZMkYwWlNJNmV5SjJaWEp6YVc5dUlqb3hMQ0p6WTI5d1pYTWlPbHNpZDI5eWEyVnlMVzFoYm1GblpYSTZaMlYwTFhkdmNtdGxjaTF3YjI5c09uQnliMm90ZEdWemRDOHFJaXdpZDI5eWEyVnlMVzFoYm1GblpYSTZiR2x6ZEMxM2IzSnJaWEl0Y0c5dmJITWlYU3dpYzNSaGNuUWlPakUyT1RrNU9Ua3lNREF3TURBc0ltVjRjR2x5ZVNJNk1UY3dNREE0TlRZd01EQXdNQ3dpYzJWbFpDSTZJa2h1YzBsYWFETnpWRXB4T0ZWbVdIbDRNemhNUzJka2RrdHdUbEZJWlZKQ2NVMTZlVXhTUWsxWVdsaDNJaXdpYVhOemRXVnlJam9pZEdWemRHVnlJaXdpYzJsbmJtRjBkWEpsSWpvaWJXeHlXVWM0ZG5aQ1ZDdGxlRzFzZW01eU9UTklRbGM0U1VKR1JGZGpkR2xFTW5SdU16aGtPVEl6WXowaWZYMD0",
    decoded: "tester-temp\\1700000600\\huBt9UF2eorJGifVGRM+WKa5avFLUkHXm6/XbO0Z980=\\eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=",
    id: "tester-temp",
    exp: 1700000600,
    mac: "huBt9UF2eorJGifVGRM+WKa5avFLUkHXm6/XbO0Z980=",
    ext: "eyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=",
    resource_without_bewit: "/api/worker-manager/v1/worker-pools?limit=5",
    normalized: "hawk.1.bewit\n1700000600\n\nGET\n/api/worker-manager/v1/worker-pools?limit=5\nlocalhost\n8080\n\neyJjZXJ0aWZpY2F0ZSI6eyJ2ZXJzaW9uIjoxLCJzY29wZXMiOlsid29ya2VyLW1hbmFnZXI6Z2V0LXdvcmtlci1wb29sOnByb2otdGVzdC8qIiwid29ya2VyLW1hbmFnZXI6bGlzdC13b3JrZXItcG9vbHMiXSwic3RhcnQiOjE2OTk5OTkyMDAwMDAsImV4cGlyeSI6MTcwMDA4NTYwMDAwMCwic2VlZCI6Ikhuc0laaDNzVEpxOFVmWHl4MzhMS2dkdktwTlFIZVJCcU16eUxSQk1YWlh3IiwiaXNzdWVyIjoidGVzdGVyIiwic2lnbmF0dXJlIjoibWxyWUc4dnZCVCtleG1sem5yOTNIQlc4SUJGRFdjdGlEMnRuMzhkOTIzYz0ifX0=\n",
    key: "wzTu3I8PIhXe4-IUdd_IwqjuEontpKATPgm0LZz3wyo",
};

/// V13 `bewit-no-ext`.
pub const V13: BewitVector = BewitVector {
    name: "bewit-no-ext",
    resource: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type?bewit=dGVzdGVyXDE3MDAwMDA5MDBcY01Ca0FNSXB5WTg5bTJ5SGxDNmZMd2RhZVRKOVNrQ1htemt6VVZ6WkVEYz1c",
    bewit: "dGVzdGVyXDE3MDAwMDA5MDBcY01Ca0FNSXB5WTg5bTJ5SGxDNmZMd2RhZVRKOVNrQ1htemt6VVZ6WkVEYz1c",
    decoded: "tester\\1700000900\\cMBkAMIpyY89m2yHlC6fLwdaeTJ9SkCXmzkzUVzZEDc=\\",
    id: "tester",
    exp: 1700000900,
    mac: "cMBkAMIpyY89m2yHlC6fLwdaeTJ9SkCXmzkzUVzZEDc=",
    ext: "",
    resource_without_bewit: "/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type",
    normalized: "hawk.1.bewit\n1700000900\n\nGET\n/api/worker-manager/v1/worker-pool/proj-test%2Fworker-type\nlocalhost\n8080\n\n\n",
    key: "no-secret",
};

/// Every bewit vector.
pub const BEWIT_VECTORS: &[BewitVector] = &[V11, V12, V13];

/// The scopes of the V8/V9 temporary credentials.
pub const TEMP_SCOPES: [&str; 2] = [
    "worker-manager:get-worker-pool:proj-test/*",
    "worker-manager:list-worker-pools",
];
/// Their start (2023-11-14T22:00:00Z), ms.
pub const TEMP_START_MS: i64 = 1_699_999_200_000;
/// Their expiry (2023-11-15T22:00:00Z), ms.
pub const TEMP_EXPIRY_MS: i64 = 1_700_085_600_000;
/// Their seed (the two slugids concatenated).
pub const TEMP_SEED: &str = "HnsIZh3sTJq8UfXyx38LKgdvKpNQHeRBqMzyLRBMXZXw";
/// Their accessToken.
pub const TEMP_ACCESS_TOKEN: &str = "wzTu3I8PIhXe4-IUdd_IwqjuEontpKATPgm0LZz3wyo";
/// V8's certificate string.
pub const V8_CERTIFICATE: &str = "{\"version\":1,\"scopes\":[\"worker-manager:get-worker-pool:proj-test/*\",\"worker-manager:list-worker-pools\"],\"start\":1699999200000,\"expiry\":1700085600000,\"seed\":\"HnsIZh3sTJq8UfXyx38LKgdvKpNQHeRBqMzyLRBMXZXw\",\"signature\":\"uUCCyvllK3HiltlzKVBf2+ZEfhypD5v5d1OdJbiVNEI=\"}";
/// V8's signature string.
pub const V8_SIGNATURE_STRING: &str = "version:1\nseed:HnsIZh3sTJq8UfXyx38LKgdvKpNQHeRBqMzyLRBMXZXw\nstart:1699999200000\nexpiry:1700085600000\nscopes:\nworker-manager:get-worker-pool:proj-test/*\nworker-manager:list-worker-pools";
/// V9's certificate string.
pub const V9_CERTIFICATE: &str = "{\"version\":1,\"scopes\":[\"worker-manager:get-worker-pool:proj-test/*\",\"worker-manager:list-worker-pools\"],\"start\":1699999200000,\"expiry\":1700085600000,\"seed\":\"HnsIZh3sTJq8UfXyx38LKgdvKpNQHeRBqMzyLRBMXZXw\",\"issuer\":\"tester\",\"signature\":\"mlrYG8vvBT+exmlznr93HBW8IBFDWctiD2tn38d923c=\"}";
/// V9's signature string.
pub const V9_SIGNATURE_STRING: &str = "version:1\nclientId:tester-temp\nissuer:tester\nseed:HnsIZh3sTJq8UfXyx38LKgdvKpNQHeRBqMzyLRBMXZXw\nstart:1699999200000\nexpiry:1700085600000\nscopes:\nworker-manager:get-worker-pool:proj-test/*\nworker-manager:list-worker-pools";
/// The pinned clock of the vectors, ms.
pub const NOW_MS: i64 = 1_700_000_000_000;
