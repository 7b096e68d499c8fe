//! What the API answered, counted per operation: how many requests and how many
//! succeeded (2xx), and how many bulk items were applied. A conformance run reads it
//! (`GET /__emulator/stats`) to prove that its generated requests reached the logic, not
//! only the validation.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use serde::Serialize;

/// Counts of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OperationStats {
    /// Requests answered.
    pub total: u64,
    /// Requests answered with a 2xx.
    pub succeeded: u64,
}

/// Counts of every operation, by name (`create`, `get`, `update`, `bulk_update`, `delete`,
/// `get_settings`, `update_settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Per operation.
    pub operations: BTreeMap<&'static str, OperationStats>,
    /// Bulk update items applied.
    pub bulk_items_applied: u64,
    /// Bytes the request journal holds now (headers, paths and bodies).
    pub journal_bytes: usize,
    /// Allocations active now.
    pub allocations_active: usize,
    /// Deallocated allocations kept readable now.
    pub allocations_kept: usize,
}

impl Stats {
    /// Counts an API answer to `method path` (a path under `/v1/tenants/{sid}`).
    pub(crate) fn count(&mut self, method: &Method, path: &str, status: StatusCode) {
        let Some(name) = operation(method, path) else {
            return;
        };
        let entry = self.operations.entry(name).or_default();
        entry.total += 1;
        if status.is_success() {
            entry.succeeded += 1;
        }
    }
}

/// The operation a request is, by method and path.
fn operation(method: &Method, path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix("/v1/tenants/")?;
    let tail = rest.split_once('/').map(|(_, t)| t)?;
    Some(match (method.as_str(), tail) {
        ("POST", "greenpin") => "create",
        ("PUT", "greenpin") => "bulk_update",
        ("GET", t) if t.starts_with("greenpin/") => "get",
        ("PUT", t) if t.starts_with("greenpin/") => "update",
        ("DELETE", t) if t.starts_with("greenpin/") => "delete",
        ("GET", "settings") => "get_settings",
        ("PUT", "settings") => "update_settings",
        _ => return None,
    })
}
