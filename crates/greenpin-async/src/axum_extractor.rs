//! Receiving GreenPin's callbacks in an [axum] server: the [`GreenPinCallback`] extractor
//! reads the request with the state's [`CallbackReceiver`] (secret check, JSON or form,
//! typed event) and answers a forgery 403 and an unreadable body 400 before your handler
//! runs.
//!
//! ```
//! use axum::{Router, routing::post};
//! use greenpin_async::callbacks::GreenPinCallback;
//! use greenpin_async::callbacks::{CallbackEvent, CallbackReceiver, CallbackSecret};
//!
//! async fn on_callback(GreenPinCallback(callback): GreenPinCallback) -> &'static str {
//!     // Exotel may deliver an event twice: drop the keys already seen.
//!     let _key = callback.key();
//!     match callback.event {
//!         CallbackEvent::CallCompleted(call) => println!("call {:?} ended", call.call_sid),
//!         CallbackEvent::Deallocated(d) => println!("{} deallocated", d.greenpin_id),
//!         _ => {}
//!     }
//!     "ok"
//! }
//!
//! let secret = CallbackSecret::new("s3cr3t-0123456789abcdef")?;
//! let app: Router = Router::new()
//!     .route("/hooks/greenpin/{secret}", post(on_callback))
//!     .with_state(CallbackReceiver::new(secret));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With a larger state, implement `FromRef<YourState> for CallbackReceiver`.

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use greenpin_core::callbacks::{Callback, CallbackReceiver, MAX_CALLBACK_BYTES, Rejection};

/// A callback, read and checked by the state's [`CallbackReceiver`].
#[derive(Debug, Clone)]
pub struct GreenPinCallback(pub Callback);

/// Why the extractor refused a request: answered with [`Rejection::status`] and its
/// message (which never holds the secret).
#[derive(Debug)]
pub struct CallbackRejection(pub Rejection);

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        (self.0.status(), self.0.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for GreenPinCallback
where
    S: Send + Sync,
    CallbackReceiver: FromRef<S>,
{
    type Rejection = CallbackRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = CallbackReceiver::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, MAX_CALLBACK_BYTES)
            .await
            .map_err(|_| CallbackRejection(Rejection::TooLarge(MAX_CALLBACK_BYTES + 1)))?;
        receiver
            .receive(&parts.method, &parts.uri, &parts.headers, &body)
            .map(GreenPinCallback)
            .map_err(CallbackRejection)
    }
}
