//! Reading and checking GreenPin's wire bodies, for programs that receive them rather than
//! send them: servers implementing the API (the emulator) and tools that take bodies from
//! their users (the `greenpin` command's `--body` and bulk input). An SDK user needs none
//! of this: the clients build and check every body themselves.

pub use crate::body::{
    DOCUMENTED_UPDATE, NEWER_SHAPE_FIELDS, WireBulkItem, from_json, from_json_noting_unknown,
};
pub use crate::credentials::redact_userinfo;
pub use crate::party::check_parties_disjoint;
