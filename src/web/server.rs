//! The server loop: accepts TCP connections and serves each with hyper's
//! HTTP/1.1 connection, with a deadline for every request head and for
//! every stalled write, a longest life per connection, caps on open
//! connections in all and per client address, and a graceful shutdown
//! bounded in time.
//!
//! `axum::serve` gives hyper no timer, so a client sending its request head a
//! byte at a time would hold a connection forever; this loop configures one.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt as _;

/// Deadlines and caps for client connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request head, counted from the
    /// moment the server starts waiting for it (so also how long an idle
    /// keep-alive connection stays open).
    pub header_read_timeout: Duration,
    /// How long a write to a client may stall (a client that does not read
    /// its answers) before the connection is closed.
    pub write_timeout: Duration,
    /// The longest a connection stays open, however busy.
    pub max_life: Duration,
    /// Most connections open at once; further clients wait in the listen
    /// backlog. [`fit_open_files`] keeps it below the open-file limit.
    pub max_connections: usize,
    /// Most connections open at once from one client address; more are
    /// closed at once. Trusted proxies are not held to it.
    pub per_address: usize,
    /// Addresses of reverse proxies, which speak for many clients.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long shutdown waits for in-flight requests before closing their connections.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_life: Duration::from_secs(3600),
            max_connections: 10_000,
            per_address: 256,
            trusted_proxies: Vec::new(),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Bytes the kernel may hold for one connection's unsent answers.
const SEND_BUFFER: usize = 256 * 1024;

/// File descriptors kept for the database, the index and the log.
const RESERVED_FILES: u64 = 512;

/// Raises the process's open-file limit as far as the system lets it and
/// returns the connections that fit below it with [`RESERVED_FILES`] to
/// spare: `wanted`, or fewer. Each connection holds one descriptor.
pub fn fit_open_files(wanted: usize) -> (usize, u64) {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or_else(|_| {
        rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
    });
    let room = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    (wanted.min(room), limit)
}

/// Open connections per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    /// Counts a new connection from `ip`, or refuses it past `cap`.
    fn enter(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        let mut open = self.0.lock().expect("per-address lock");
        let count = open.entry(ip).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot(self.clone(), ip))
    }
}

/// One open connection from an address; dropping it frees the slot.
struct AddressSlot(Arc<PerAddress>, IpAddr);

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().expect("per-address lock");
        if let Some(count) = open.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, lets in-flight requests finish (at most `shutdown_grace`) and
/// returns.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let address_slot = if limits.trusted_proxies.contains(&remote.ip()) {
            None
        } else {
            match per_address.enter(remote.ip(), limits.per_address) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%remote, "too many connections from one address; closed");
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // A bounded send buffer: a client that does not read fills it with
        // a few pages' worth, so its writes stall and the write timeout
        // drops it, rather than the kernel buffering megabytes for it.
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            app.clone().oneshot(request)
        });
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(Box::pin(stream)), service));
        let max_life = limits.max_life;
        tokio::spawn(async move {
            match tokio::time::timeout(max_life, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!(%remote, error = %e, "connection closed with an error")
                }
                Err(_) => tracing::debug!(%remote, "connection closed at the end of its life"),
            }
            drop((permit, address_slot));
        });
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        open,
        "stopped accepting connections; finishing in-flight requests"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?limits.shutdown_grace,
            "requests still running after the shutdown grace period; closing their connections"
        );
    }
}
