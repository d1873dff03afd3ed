//! Waking the nodes that follow the change log: on PostgreSQL every write
//! transaction notifies a channel as it commits (see `Store::write`), and
//! each node listens to it. Notifications only hurry a follower along: it
//! polls the log anyway, so a lost connection or notification delays it by
//! a poll at most.

use std::sync::Arc;

use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::{Notify, watch};

use super::*;

/// How long to wait before listening again after the connection failed.
const RETRY: Duration = Duration::from_secs(2);

impl Store {
    /// Calls `wake.notify_one()` whenever another process (or this one)
    /// commits a write, until `stop` turns true. Returns at once on SQLite,
    /// whose writers share this machine and are found by polling.
    pub async fn notify_on_changes(&self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        let Backend::Postgres { pool } = &self.backend else {
            return;
        };
        // A pool of its own: the listener keeps its connection for good,
        // which must not take one of the pool's (there may be only one).
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with((*pool.connect_options()).clone());
        while !*stop.borrow() {
            let listening = async {
                let mut listener = PgListener::connect_with(&own).await?;
                listener.listen(CHANGES_CHANNEL).await?;
                // What was written before we listened is found by the next poll.
                wake.notify_one();
                loop {
                    // Reconnects by itself when the connection is lost
                    // (notifications sent meanwhile are lost: the poll finds
                    // their changes).
                    listener.recv().await?;
                    wake.notify_one();
                }
            };
            let failed: std::result::Result<(), sqlx::Error> = tokio::select! {
                result = listening => result,
                _ = stop.wait_for(|stopped| *stopped) => return,
            };
            if let Err(e) = failed {
                tracing::warn!(error = %e, "not listening for changes from other nodes; polling meanwhile");
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }
}
