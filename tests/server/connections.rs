//! Connections cannot pile up: one that answers nothing and sends nothing (idle between
//! keep-alive requests, or stuck half-way through its headers) is closed after the idle
//! timeout (within two periods), and at most `max_connections` are served at once, the rest waiting their turn.

use crate::common::*;
use std::time::{Duration, Instant};
use stepyard::{Config, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server_with(idle: Duration, max_connections: usize) -> stepyard::RunningServer {
    Server::start(Config {
        idle_timeout: idle,
        max_connections,
        ..Config::ephemeral()
    })
    .await
    .expect("server")
}

/// Reads until the server closes the connection; how long that took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let begun = Instant::now();
    let mut sink = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut sink))
        .await
        .expect("the server closes the connection")
        .expect("read");
    begun.elapsed()
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = server_with(Duration::from_millis(300), 16).await;
    let mut stream = TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    let waited = closed_after(&mut stream).await;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
}

#[tokio::test]
async fn a_connection_stuck_half_way_through_its_headers_is_closed() {
    let server = server_with(Duration::from_millis(300), 16).await;
    let mut stream = TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Tar")
        .await
        .expect("write");
    closed_after(&mut stream).await;
}

#[tokio::test]
async fn a_keep_alive_connection_serves_requests_then_closes_when_idle() {
    let server = server_with(Duration::from_millis(300), 16).await;
    let mut stream = TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    let request = b"GET /_stepyard/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for _ in 0..2 {
        stream.write_all(request).await.expect("write");
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).await.expect("read");
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    closed_after(&mut stream).await;
}

#[tokio::test]
async fn clients_past_the_connection_cap_are_served_once_a_connection_closes() {
    let server = server_with(Duration::from_millis(400), 2).await;
    // Two idle connections take both slots...
    let _a = TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    let _b = TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // ...so an SDK call waits in the backlog until the idle timeout frees one, then succeeds.
    let begun = Instant::now();
    let listed = sqs(&server).list_queues().send().await;
    assert!(listed.is_ok(), "{listed:?}");
    let waited = begun.elapsed();
    assert!(
        waited >= Duration::from_millis(200),
        "served before a slot was free: {waited:?}"
    );
}
