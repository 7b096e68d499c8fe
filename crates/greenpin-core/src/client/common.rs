//! What a client is besides its loop and its seven methods, the same for both flavours
//! (the struct's `Clone` and `Debug`, its constructors and accessors). The seven methods are
//! written out in `blocking.rs` and `nonblocking.rs`, each a line over `execute`, their
//! prose shared from `docs/*.md` and their examples each flavour's own.

/// What a client is besides its loop, the same for both flavours: the struct, `Clone`
/// (clones share the transport and the retry budget), a `Debug` that shows no secret, and
/// the constructors and accessors.
macro_rules! client_common {
    ($name:ident, $send:ident) => {
        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name {
                    transport: std::sync::Arc::clone(&self.transport),
                    config: std::sync::Arc::clone(&self.config),
                    budget: std::sync::Arc::clone(&self.budget),
                }
            }
        }

        impl<T> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("config", &self.config)
                    .field("retry_budget", &self.budget.available())
                    .finish_non_exhaustive()
            }
        }

        impl<T: $send> $name<T> {
            /// A client of `config` over `transport`.
            pub fn new(config: ClientConfig, transport: T) -> Self {
                let budget = std::sync::Arc::new(RetryBudget::new(&config.retry));
                $name {
                    transport: std::sync::Arc::new(transport),
                    config: std::sync::Arc::new(config),
                    budget,
                }
            }

            /// A builder with the defaults.
            pub fn builder() -> ClientBuilder<T> {
                ClientBuilder::new()
            }

            /// A builder reading `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN`
            /// and `GREENPIN_BASE_URL`.
            pub fn from_env() -> ClientBuilder<T> {
                ClientBuilder::from_env()
            }

            /// The configuration.
            pub fn config(&self) -> &ClientConfig {
                &self.config
            }

            /// The retry budget this client and its clones share.
            pub fn retry_budget(&self) -> &RetryBudget {
                &self.budget
            }
        }
    };
}

pub(crate) use client_common;
