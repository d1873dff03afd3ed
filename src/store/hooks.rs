//! Test hooks of the write path: holding a write transaction after its
//! body ran (its changes logged, their numbers drawn) and before it
//! commits, or making it fail there. Tests use them to show what followers
//! see meanwhile; in use, the one cost is a check of an empty slot per write.

use super::*;

/// A test hook: what the next write transaction does once its body ran
/// (its changes are logged, their numbers drawn) and before it commits.
#[derive(Debug)]
pub(super) enum BeforeCommit {
    /// Says so on `reached`, then waits for `release` (or its sender to go).
    Hold {
        reached: tokio::sync::oneshot::Sender<()>,
        release: tokio::sync::oneshot::Receiver<()>,
    },
    /// Fails, so the transaction rolls back.
    Fail,
}

/// A write held before its commit by [`Store::hold_next_commit`].
pub struct HeldCommit {
    reached: tokio::sync::oneshot::Receiver<()>,
    release: tokio::sync::oneshot::Sender<()>,
}

impl HeldCommit {
    /// Waits until the held write has run its body and waits to commit.
    pub async fn reached(&mut self) {
        let _ = (&mut self.reached).await;
    }

    /// Lets the held write commit.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl Store {
    /// Test hook: holds this store's next write transaction after its
    /// body ran and before it commits, until the returned value says so.
    #[doc(hidden)]
    pub fn hold_next_commit(&self) -> HeldCommit {
        let (reached_tx, reached) = tokio::sync::oneshot::channel();
        let (release, release_rx) = tokio::sync::oneshot::channel();
        *self.before_commit.lock().expect("hook lock") = Some(BeforeCommit::Hold {
            reached: reached_tx,
            release: release_rx,
        });
        HeldCommit { reached, release }
    }

    /// Test hook: makes this store's next write transaction fail after its
    /// body ran (changes logged, numbers drawn), so it rolls back.
    #[doc(hidden)]
    pub fn fail_next_commit(&self) {
        *self.before_commit.lock().expect("hook lock") = Some(BeforeCommit::Fail);
    }

    /// Runs the test hook set for this commit, if any.
    pub(super) async fn before_commit(&self) -> Result<()> {
        let hook = self.before_commit.lock().expect("hook lock").take();
        match hook {
            None => Ok(()),
            Some(BeforeCommit::Hold { reached, release }) => {
                let _ = reached.send(());
                let _ = release.await;
                Ok(())
            }
            Some(BeforeCommit::Fail) => Err(Error::Unsupported(
                "this write was made to fail before its commit (test hook)",
            )),
        }
    }
}
