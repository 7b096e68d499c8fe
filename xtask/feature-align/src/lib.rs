//! Nothing to use: a CI device that aligns third-party features (see its `Cargo.toml`).
