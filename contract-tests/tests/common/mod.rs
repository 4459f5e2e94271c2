//! Set-up shared by the integration tests that run against an in-process mock.

// Each test crate uses only part of this module.
#![allow(dead_code)]

use worker_manager_contract::server::Credentials;
use worker_manager_mock::MockServer;

/// A fresh in-process mock with default settings.
pub async fn mock() -> MockServer {
    MockServer::builder().start().await.expect("mock starts")
}

/// The mock's root credentials, as the contract tool takes them.
pub fn root_credentials(server: &MockServer) -> Credentials {
    let (client_id, access_token) = server.root_credentials();
    Credentials {
        client_id,
        access_token,
    }
}
