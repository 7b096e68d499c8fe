//! The seven methods, written once for both clients: `maybe_async!`-style, the blocking
//! client gets them plain and the async one with `async` and `.await`.

/// Expands to the seven methods. `$($async)?` is `async` or nothing; `$($await)*` is
/// `.await` or nothing.
macro_rules! client_methods {
    (
        ctor = $ctor:literal,
        open = $open:literal,
        close = $close:literal,
        awaiting = $aw:literal;
        $($async:ident)? ; $($await:tt)*
    ) => {
        /// Creates an allocation (`POST /greenpin`). Never retried once it may have
        /// reached the service, since a second create would make a second allocation.
        ///
        /// # Errors
        /// [`Error::Validation`] before sending (the field is named); from the service:
        /// 409 code 18 (an allocation exists for this `transaction_id`), 409 code 19 (a
        /// number or PIN already registered on the VN by another allocation, or still in
        /// its vault period), 409 code 13 (every number already registered there), 409
        /// code 14 (a number on both sides), 403 code 15 (an international number without
        /// `intl_num_sup`), 452 code 4 (no free VNs).
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::ALLOCATION);\n", "use greenpin_core::{CreateSpec, PartySpec};\nlet allocation = client.create(\n    &CreateSpec::new(\"order-42\")\n        .a(PartySpec::new().number(\"7987686144\").vn(\"6292134471\").pin_length(4))\n        .b(PartySpec::new().number(\"9956555625\"))\n        .deallocate_after(\"2h\"),\n)", $aw, "?;\nassert_eq!(allocation.a.pin.unwrap().len(), 4);\n", $close, "\n```")]
        pub $($async)? fn create(&self, spec: &CreateSpec) -> Result<Allocation, Error> {
            self.execute(&CreateAllocation::new(spec.clone()))$($await)*.map(|r| r.data)
        }

        /// Reads an allocation, active or in the vault.
        ///
        /// # Errors
        /// [`Error::Validation`] for an id that cannot be one; 404 code 1 for an unknown
        /// (or purged) allocation.
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::ALLOCATION);\n", "let allocation = client.get(\"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d\")", $aw, "?;\nassert_eq!(allocation.state, greenpin_core::State::Active);\n", $close, "\n```")]
        pub $($async)? fn get(&self, greenpin_id: impl IntoGreenPinId) -> Result<Allocation, Error> {
            let op = GetAllocation::new(greenpin_id.into_greenpin_id()?);
            self.execute(&op)$($await)*.map(|r| r.data)
        }

        /// Changes an active allocation (`PUT /greenpin/{greenpin_id}`): what the spec
        /// leaves out keeps its value.
        ///
        /// # Errors
        /// [`Error::Validation`] before sending; 404 code 1 (unknown), 410 code 22 (no
        /// longer active), 409 code 19 (a PIN clash), 409 code 14 (a number on both sides).
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::ALLOCATION);\n", "use greenpin_core::{UpdateSpec, Usage};\nlet id = \"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d\";\nlet allocation = client.update(id, &UpdateSpec::new().usage(Usage::Twoway).deallocate_after(\"20m\"))", $aw, "?;\nassert_eq!(allocation.usage, Usage::Twoway);\n", $close, "\n```")]
        pub $($async)? fn update(
            &self,
            greenpin_id: impl IntoGreenPinId,
            spec: &UpdateSpec,
        ) -> Result<Allocation, Error> {
            let op = UpdateAllocation::new(greenpin_id.into_greenpin_id()?, spec.clone());
            self.execute(&op)$($await)*.map(|r| r.data)
        }

        /// Changes many allocations (`PUT /greenpin`). The service applies the valid
        /// items and answers each item on its own; match results to items by
        /// `greenpin_id`.
        ///
        /// # Errors
        /// [`Error::Validation`] when any item is invalid (nothing is sent); 413 code 17
        /// for more than 100 items. Per-item refusals are results, not errors.
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::BULK);\n", "use greenpin_core::{BulkItemSpec, BulkSpec, Usage};\nlet spec = BulkSpec::new()\n    .item(BulkItemSpec::new(\"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d\").usage(Usage::Oneway));\nlet results = client.bulk_update(&spec)", $aw, "?;\nfor r in &results.greenpins {\n    println!(\"{:?} applied: {}\", r.greenpin_id, r.success); // match by id, not position\n}\n", $close, "\n```")]
        pub $($async)? fn bulk_update(&self, spec: &BulkSpec) -> Result<BulkUpdateResults, Error> {
            self.execute(&BulkUpdate::new(spec.clone()))$($await)*.map(|r| r.data)
        }

        /// Deallocates now (`DELETE /greenpin/{greenpin_id}`): the allocation goes to the
        /// vault and its PINs are freed. Gives the allocation as it now is, when the
        /// service sends it.
        ///
        /// # Errors
        /// 404 code 1 (unknown), 410 code 22 (already deallocated).
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::ALLOCATION);\n", "let now = client.delete(\"d7ffd4b3-5c1e-4bda-a024-0b1d2a3b4c5d\")", $aw, "?;\nprintln!(\"{:?}\", now.map(|a| a.state));\n", $close, "\n```")]
        pub $($async)? fn delete(
            &self,
            greenpin_id: impl IntoGreenPinId,
        ) -> Result<Option<Allocation>, Error> {
            let op = DeleteAllocation::new(greenpin_id.into_greenpin_id()?);
            self.execute(&op)$($await)*.map(|r| r.data)
        }

        /// Reads the account settings (`GET /settings`).
        ///
        /// # Errors
        /// 401 code 7 (credentials), 403 code 8 (another tenant), transport failures.
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::SETTINGS);\n", "let settings = client.settings()", $aw, "?;\nassert_eq!(settings.country.as_deref(), Some(\"IN\"));\n", $close, "\n```")]
        pub $($async)? fn settings(&self) -> Result<Settings, Error> {
            self.execute(&GetSettings::new())$($await)*.map(|r| r.data)
        }

        /// Changes account settings (`PUT /settings`); what the spec leaves out keeps its
        /// value. Gives every setting after the change.
        ///
        /// # Errors
        /// [`Error::Validation`] before sending (an unknown timezone, a callback endpoint
        /// that is not an http(s) URL, …); 400 code 5 from the service.
        ///
        /// # Examples
        #[doc = concat!("```\n", $open, "# let client = greenpin_core::test_util::", $ctor, "(greenpin_core::test_util::SETTINGS);\n", "use greenpin_core::{SettingsSpec, Timezone};\nlet settings = client.update_settings(&SettingsSpec::new().timezone(Timezone::Ist))", $aw, "?;\nassert_eq!(settings.timezone, Some(Timezone::Ist));\n", $close, "\n```")]
        pub $($async)? fn update_settings(&self, spec: &SettingsSpec) -> Result<Settings, Error> {
            self.execute(&UpdateSettings::new(spec.clone()))$($await)*.map(|r| r.data)
        }
    };
}

pub(crate) use client_methods;

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
