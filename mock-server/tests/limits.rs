//! Limits that protect the mock from hostile or broken clients: target and header sizes, slow
//! clients.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker_manager_mock::MockServer;

/// A request target over 16 KiB is refused with 414 and a JSON error.
#[tokio::test]
async fn long_targets_are_refused() {
    let api = Api::start().await;
    let r = api.get(&format!("/ping?x={}", "a".repeat(20_000))).await;
    assert_eq!(r.status, 414);
    assert_eq!(r.body["code"], "InputTooLarge");
}

/// Headers over 64 KiB are refused with 431 and a JSON error.
#[tokio::test]
async fn huge_headers_are_refused() {
    let api = Api::start().await;
    let r = api
        .http
        .get(api.url("/ping"))
        .header("x-junk", "b".repeat(70_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 431);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "InputTooLarge");
}

/// A client that never finishes its request head is cut off; the server keeps serving others.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    let api =
        Api::with(MockServer::builder().header_read_timeout(Duration::from_millis(300))).await;
    let mut slow = tokio::net::TcpStream::connect(api.server.address())
        .await
        .unwrap();
    slow.write_all(b"GET /api/worker-manager/v1/ping HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the slow connection");
    api.get("/ping").await.ok();
}
