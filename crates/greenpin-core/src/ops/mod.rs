//! Every GreenPin operation, sans-IO: each builds an `http::Request<Vec<u8>>` and parses an
//! `http::Response` into its output. No client, no runtime: the caller owns the I/O.
//!
//! An operation says three things: which one it is ([`OperationKind`], which fixes the
//! HTTP method and whether it is idempotent), its path, and its validated body. Building
//! the request and parsing the answer are the same for all seven, and written once here.
//!
//! ```
//! # use greenpin_core::ops::{Operation};
//! # use greenpin_core::{AccountSid, ApiContext, Credentials, GreenPinId};
//! # use greenpin_core::ops::GetAllocation;
//!
//! let ctx = ApiContext::new(AccountSid::new("acme")?, Credentials::new("k", "t"));
//! let op = GetAllocation::new(GreenPinId::new("g-1")?);
//! let req = op.build_request(&ctx)?;
//! assert_eq!(req.uri(), "https://leadassist.exotel.in/v1/tenants/acme/greenpin/g-1");
//!
//! let body = br#"{"success":false,"status":404,"code":1,"message":"not found","data":null}"#;
//! let resp = http::Response::builder().status(404).body(&body[..])?;
//! let err = op.parse_response(&resp).unwrap_err();
//! assert_eq!(err.code().unwrap().code(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod allocation;
pub(crate) mod bulk;
mod settings;

use std::borrow::Cow;

use http::{Method, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use allocation::{CreateAllocation, DeleteAllocation, GetAllocation, UpdateAllocation};
pub use bulk::{BulkItemOutcome, BulkItemOutcomes, BulkUpdate, ValidatedBulkUpdate};
pub use settings::{GetSettings, UpdateSettings};

use crate::api::ApiContext;
use crate::body::ValidationContext;
use crate::envelope::{Reply, read_reply};
use crate::error::Error;
use crate::ids::GreenPinId;
use crate::validation::ValidationError;

/// Which operation: its name in logs, its HTTP method, and whether it is idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// `POST /greenpin`.
    Create,
    /// `GET /greenpin/{id}`.
    Get,
    /// `PUT /greenpin/{id}`.
    Update,
    /// `PUT /greenpin`.
    BulkUpdate,
    /// `DELETE /greenpin/{id}`.
    Delete,
    /// `GET /settings`.
    GetSettings,
    /// `PUT /settings`.
    UpdateSettings,
}

impl OperationKind {
    /// A short name, e.g. `update`.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Create => "create",
            OperationKind::Get => "get",
            OperationKind::Update => "update",
            OperationKind::BulkUpdate => "bulk_update",
            OperationKind::Delete => "delete",
            OperationKind::GetSettings => "get_settings",
            OperationKind::UpdateSettings => "update_settings",
        }
    }

    /// Whether repeating it has the effect of doing it once (GET, PUT, DELETE), and so
    /// whether it may be retried after it may have been sent.
    pub fn idempotency(self) -> crate::retry::Idempotency {
        if matches!(self, OperationKind::Create) {
            crate::retry::Idempotency::NotIdempotent
        } else {
            crate::retry::Idempotency::Idempotent
        }
    }

    /// The HTTP method: the only place it is written.
    pub fn method(self) -> Method {
        match self {
            OperationKind::Create => Method::POST,
            OperationKind::Get | OperationKind::GetSettings => Method::GET,
            OperationKind::Update | OperationKind::BulkUpdate | OperationKind::UpdateSettings => {
                Method::PUT
            }
            OperationKind::Delete => Method::DELETE,
        }
    }
}

/// A GreenPin operation: builds its request, parses its answer.
pub trait Operation {
    /// What a successful call gives: the `data` of the answer's envelope.
    type Output: DeserializeOwned;

    /// Which operation this is.
    fn kind(&self) -> OperationKind;

    /// The allocation it is about, when one (for logs and traces).
    fn greenpin_id(&self) -> Option<&GreenPinId> {
        None
    }

    /// The path below `/v1/tenants/{account_sid}`, e.g. `/greenpin/{id}`.
    fn path(&self) -> Cow<'static, str>;

    /// The validated JSON body, for operations that send one.
    fn body(&self, ctx: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError>;

    /// Whether sending it twice changes nothing more than sending it once, which decides
    /// what the client may retry: its kind's ([`OperationKind::idempotency`]), except that
    /// an update asking the service to generate a PIN (a `pin_length` without a `pin`) is
    /// not idempotent — each application makes a new PIN, and a rider told the first one
    /// would hold a stale one. Such an update is sent again only when the first attempt
    /// provably never reached the service.
    fn idempotency(&self) -> crate::retry::Idempotency {
        self.kind().idempotency()
    }

    /// Validates, then builds the request. Nothing invalid is ever built.
    fn build_request(&self, ctx: &ApiContext) -> Result<Request<Vec<u8>>, Error> {
        let body = self.body(&ctx.validation())?;
        Ok(ctx.request(self.kind().method(), &self.path(), body))
    }

    /// Parses the answer: the data and the service's request id, or the error.
    fn parse_response<B: AsRef<[u8]>>(
        &self,
        response: &Response<B>,
    ) -> Result<Reply<Self::Output>, Error> {
        read_reply(
            response.status(),
            response.headers(),
            response.body().as_ref(),
        )
    }
}

/// Not idempotent when any of `parties` asks the service to generate a PIN.
fn idempotency_of<'p, P: 'p>(
    parties: impl IntoIterator<Item = Option<&'p P>>,
    generates_pin: impl Fn(&P) -> bool,
) -> crate::retry::Idempotency {
    if parties.into_iter().flatten().any(generates_pin) {
        crate::retry::Idempotency::NotIdempotent
    } else {
        crate::retry::Idempotency::Idempotent
    }
}

/// A validated body as JSON bytes.
fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Room for a typical body (an update with two parties is ~300 bytes) from the start,
    // rather than growing from serde_json's 128.
    let mut out = Vec::with_capacity(512);
    // Invariant: our body types have string keys and derive or hand-write infallible
    // Serialize impls, so serialising them to a Vec cannot fail.
    #[expect(clippy::expect_used, reason = "invariant stated above")]
    serde_json::to_writer(&mut out, value).expect("request bodies serialise");
    out
}

fn id_path(id: &GreenPinId) -> Cow<'static, str> {
    let mut path = String::with_capacity("/greenpin/".len() + id.as_str().len());
    path.push_str("/greenpin/");
    path.push_str(id.as_str());
    Cow::Owned(path)
}
