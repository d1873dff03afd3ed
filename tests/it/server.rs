//! The server loop against real TCP clients: slow heads and stalled bodies
//! are cut off while everyone else is served, idle connections do not block
//! anyone, and shutdown finishes in-flight requests.

use std::net::SocketAddr;
use std::time::Duration;

use newsarchive::archive::Archive;
use newsarchive::auth;
use newsarchive::web::{Config, ConnectionLimits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A real server on 127.0.0.1:0 with short deadlines.
struct Server {
    _dir: tempfile::TempDir,
    archive: Archive,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let archive = crate::helpers::open_archive(dir.path()).await;
        let config = Config {
            body_timeout: Some(Duration::from_secs(1)),
            connections: ConnectionLimits {
                header_read_timeout: Duration::from_secs(1),
                max_connections: 5_000,
                shutdown_grace: Duration::from_secs(10),
                // Every test client comes from 127.0.0.1.
                per_address: 100_000,
                ..ConnectionLimits::default()
            },
            ..Config::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(newsarchive::web::serve(
            archive.clone(),
            config,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        Server {
            _dir: dir,
            archive,
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn token(&self) -> String {
        let token = auth::new_token();
        self.archive
            .store()
            .create_token(&newsarchive::store::NewTokenRecord {
                name: "test",
                prefix: &token.prefix,
                secret_hash: &token.hash,
                scopes: &auth::Scopes::admin(),
                expires_at: None,
            })
            .await
            .unwrap();
        token.secret
    }

    /// Sends one whole request on a new connection and returns the response text.
    async fn fetch(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        read_all(&mut stream).await
    }
}

async fn read_all(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut bytes)).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

const GET_HOME: &str = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// True once the server has closed the connection (reads end or fail).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_client_sending_its_head_a_byte_at_a_time_is_cut_off_and_others_are_served() {
    let server = Server::start().await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut sent = 0;
    let mut cut_off = false;
    for byte in head {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        sent += 1;
        if sent == 5 {
            // Everyone else is answered while the slow client trickles.
            let reply = server.fetch(GET_HOME).await;
            assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        cut_off || closed_by_server(&mut slow).await,
        "the slow client kept its connection"
    );
    assert!(
        sent < head.len(),
        "the head deadline (1 s) let a {}-byte head sent over {} s through",
        head.len(),
        head.len() / 10
    );
}

#[tokio::test]
async fn idle_connections_do_not_block_others_and_are_closed() {
    let server = Server::start().await;
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let reply = server.fetch(GET_HOME).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    for stream in &mut idle[..20] {
        assert!(
            closed_by_server(stream).await,
            "an idle connection stayed open"
        );
    }
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_a_408_problem() {
    let server = Server::start().await;
    let token = server.token().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"headline\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let reply = read_all(&mut stream).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(
        reply.contains("application/problem+json"),
        "the answer is a problem document: {reply}"
    );
    assert!(reply.contains("request body"), "{reply}");
    assert_eq!(server.archive.store().article_count().await.unwrap(), 0);
}

#[tokio::test]
async fn shutdown_stops_accepting_and_finishes_in_flight_requests() {
    let mut server = Server::start().await;
    let token = server.token().await;
    let body = r#"{"headline": "Finished during shutdown", "body": "The request was in flight when the server was told to stop."}"#;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..20]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "a new connection was accepted after shutdown began"
    );
    stream.write_all(&body.as_bytes()[20..]).await.unwrap();
    let reply = read_all(&mut stream).await;
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    server.task.await.unwrap().unwrap();
    assert!(
        server
            .archive
            .wait_indexed(Duration::from_secs(60))
            .await
            .unwrap()
    );
    let report = server.archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.articles, 1);
    server.archive.close().await.unwrap();
}
