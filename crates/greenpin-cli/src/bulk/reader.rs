//! The reader: rows in file order into batches, one queue a worker. Every row of one
//! allocation goes to the same worker (sharded by its id), so two rows for one id are
//! applied in the order the file gives them, never raced; and a batch never holds two rows
//! of one allocation, since the service's answer need not keep the items' order and one
//! id's two results could not be told apart. Queues hold three batches each, so memory does not
//! grow with the file.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

use greenpin_core::ops::{BulkUpdate, Operation};
use greenpin_core::retry::Idempotency;

use super::input::{Fnv, Row};
use super::results::{Earlier, Settled};
use super::summary::{LISTED, UnknownRow};
use super::{Msg, RetryUnknown};
use crate::exit::CommandError;

/// A row's allocation id, hashed (FNV-1a): it picks the row's worker, and tells apart the
/// allocations of a batch.
fn id_hash(row: &Row) -> Option<u64> {
    row.greenpin_id().map(|id| {
        let mut hash = Fnv::new();
        hash.write(id.as_bytes());
        hash.0
    })
}

/// The worker a row goes to: by its allocation id, so one id's rows keep their order.
fn shard_of(id: Option<u64>, shards: usize) -> usize {
    // By the hash's high bits, which depend on every byte of the id (FNV's low bits depend
    // only on the bytes' low bits).
    ((u128::from(id.unwrap_or(0)) * shards as u128) >> 64) as usize
}

/// A batch being filled for one worker.
struct Filling {
    rows: Vec<Row>,
    /// The hashes of the allocation ids the batch holds (at most 100: a scan is quicker
    /// than a set). Two ids with one hash end the batch early, which is only slower.
    ids: Vec<u64>,
}

impl Filling {
    fn new(capacity: usize) -> Self {
        Filling {
            rows: Vec::with_capacity(capacity),
            ids: Vec::with_capacity(capacity),
        }
    }

    /// Whether a row of allocation `id` may join: not when that allocation already has a
    /// row here.
    fn admits(&self, id: Option<u64>) -> bool {
        id.is_none_or(|id| !self.ids.contains(&id))
    }

    fn push(&mut self, row: Row, id: Option<u64>) {
        if let Some(id) = id {
            self.ids.push(id);
        }
        self.rows.push(row);
    }

    fn take(&mut self, capacity: usize) -> Vec<Row> {
        self.ids.clear();
        std::mem::replace(&mut self.rows, Vec::with_capacity(capacity))
    }
}

/// Whether a second application of the row would change more than the first: it asks the
/// service for a new PIN. The core decides, as it does for its own retries.
fn asks_new_pin(row: &Row) -> bool {
    row.item.as_ref().is_ok_and(|item| {
        let op = BulkUpdate::new(greenpin_core::BulkSpec::new().item(item.clone()));
        op.idempotency() == Idempotency::NotIdempotent
    })
}

/// Reads `rows` into batches of `batch` for the workers' queues, skipping those an earlier
/// run applied, and those it may have applied unless `retry_unknown` says to send them; stops early when
/// `stop` is set or the input breaks (told as `Msg::Fatal`). Says how many rows it skipped,
/// and how many applied rows it sends again: once a row of an allocation an earlier run
/// touched is sent, that allocation's later rows follow it again, in the file's order.
pub(super) fn read(
    rows: impl Iterator<Item = Result<Row, CommandError>>,
    settled: &mut Settled,
    retry_unknown: RetryUnknown,
    batch: usize,
    queues: &[SyncSender<Vec<Row>>],
    stop: &AtomicBool,
    tell: &SyncSender<Msg>,
) {
    let mut filling: Vec<Filling> = queues.iter().map(|_| Filling::new(batch)).collect();
    let (mut applied, mut unknown, mut resent) = (0u64, 0u64, 0u64);
    let mut unknown_rows = Vec::new();
    // Allocations an earlier run touched with a row sent again now: their later rows are
    // sent after it too, so that the file's order holds (the later row wins).
    let mut reopened: HashSet<u64> = HashSet::new();
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
        let id = id_hash(&row);
        let reopen = id.is_some_and(|id| reopened.contains(&id));
        match settled.take(row.key) {
            Some(Earlier::Applied) if reopen => resent += 1,
            Some(Earlier::Applied) => {
                applied += 1;
                continue;
            }
            Some(Earlier::Unknown)
                if retry_unknown == RetryUnknown::No
                    || (retry_unknown == RetryUnknown::Safe && asks_new_pin(&row)) =>
            {
                unknown += 1;
                if unknown_rows.len() < LISTED {
                    unknown_rows.push(UnknownRow {
                        line: row.line,
                        greenpin_id: row.greenpin_id().map(str::to_owned),
                        new_pin: asks_new_pin(&row),
                    });
                }
                continue;
            }
            Some(Earlier::Unknown) | None => {}
        }
        if let (Some(id), Some(name)) = (id, row.greenpin_id())
            && !reopen
            && settled.knows(name)
        {
            reopened.insert(id);
        }
        let shard = shard_of(id, queues.len());
        let batch_for = &mut filling[shard];
        if !batch_for.admits(id) && queues[shard].send(batch_for.take(batch)).is_err() {
            return;
        }
        batch_for.push(row, id);
        if batch_for.rows.len() == batch && queues[shard].send(batch_for.take(batch)).is_err() {
            return;
        }
    }
    for (mut batch_for, queue) in filling.into_iter().zip(queues) {
        if !batch_for.rows.is_empty() && !stop.load(Ordering::Relaxed) {
            let _ = queue.send(batch_for.take(0));
        }
    }
    let _ = tell.send(Msg::Earlier {
        applied,
        unknown,
        resent,
        unknown_rows,
    });
}
