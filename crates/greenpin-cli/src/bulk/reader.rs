//! The reader: rows in file order into batches, one queue a worker. Every row of one
//! allocation goes to the same worker (sharded by its id), so two rows for one id are
//! applied in the order the file gives them, never raced; and a batch never holds two rows
//! of one allocation, since the service's answer need not keep the items' order and one
//! id's two results could not be told apart. Queues hold one batch each, so memory does not
//! grow with the file.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

use super::Msg;
use super::input::Row;
use super::results::Applied;
use crate::exit::CommandError;

/// The worker a row goes to: by its allocation id, so one id's rows keep their order.
fn shard_of(row: &Row, shards: usize) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(row.greenpin_id());
    (h % shards as u64) as usize
}

/// A batch being filled for one worker.
struct Filling {
    rows: Vec<Row>,
    ids: HashSet<String>,
}

impl Filling {
    fn new(capacity: usize) -> Self {
        Filling {
            rows: Vec::with_capacity(capacity),
            ids: HashSet::new(),
        }
    }

    /// Whether `row` may join: not when its allocation already has a row here.
    fn admits(&self, row: &Row) -> bool {
        row.greenpin_id().is_none_or(|id| !self.ids.contains(id))
    }

    fn push(&mut self, row: Row) {
        if let Some(id) = row.greenpin_id() {
            self.ids.insert(id.to_owned());
        }
        self.rows.push(row);
    }

    fn take(&mut self, capacity: usize) -> Vec<Row> {
        self.ids.clear();
        std::mem::replace(&mut self.rows, Vec::with_capacity(capacity))
    }
}

/// Reads `rows` into batches of `batch` for the workers' queues, skipping those an earlier
/// run applied; stops early when `stop` is set or the input breaks (told as `Msg::Fatal`).
/// Says how many rows it skipped.
pub(super) fn read(
    rows: impl Iterator<Item = Result<Row, CommandError>>,
    applied: &mut Applied,
    batch: usize,
    queues: &[SyncSender<Vec<Row>>],
    stop: &AtomicBool,
    tell: &SyncSender<Msg>,
) {
    let mut filling: Vec<Filling> = queues.iter().map(|_| Filling::new(batch)).collect();
    let mut skipped = 0u64;
    for row in rows {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let row = match row {
            Ok(row) => row,
            Err(failure) => {
                let _ = tell.send(Msg::Fatal(failure));
                return;
            }
        };
        if applied.take(row.key) {
            skipped += 1;
            continue;
        }
        let shard = shard_of(&row, queues.len());
        let batch_for = &mut filling[shard];
        if !batch_for.admits(&row) && queues[shard].send(batch_for.take(batch)).is_err() {
            return;
        }
        batch_for.push(row);
        if batch_for.rows.len() == batch && queues[shard].send(batch_for.take(batch)).is_err() {
            return;
        }
    }
    for (mut batch_for, queue) in filling.into_iter().zip(queues) {
        if !batch_for.rows.is_empty() && !stop.load(Ordering::Relaxed) {
            let _ = queue.send(batch_for.take(0));
        }
    }
    let _ = tell.send(Msg::AlreadyDone(skipped));
}
