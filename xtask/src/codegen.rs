//! `cargo xtask codegen [--check]`: the generated files (the Indian-number prefix table, the
//! OpenAPI document and the error-code reference), written or checked fresh. The generators
//! are tests beside what they generate, picked by name from the workspace's test build.

use crate::cmd::{cargo, run};

/// The generators live next to what they generate, as tests that rewrite their files when
/// `GREENPIN_CODEGEN=write` and check them otherwise: the Indian-number prefix table
/// (greenpin-core) and the spec and error-code reference (greenpin-spec). They are picked
/// by name from the workspace's own test build, so running them compiles nothing new.
pub(crate) const GENERATORS: &[&str] = &[
    "in_prefix_table_is_fresh",
    "countries_table_is_fresh",
    "openapi_is_fresh",
    "error_codes_are_fresh",
];

pub(crate) fn codegen(check: bool) -> Result<(), String> {
    facades(check)?;
    let mut cmd = cargo();
    cmd.args(["test", "-q", "--workspace", "--"])
        .args(GENERATORS);
    if !check {
        cmd.env("GREENPIN_CODEGEN", "write");
    }
    run(&mut cmd).map_err(|e| {
        if check {
            format!("generated files are stale: run `cargo xtask codegen` and commit ({e})")
        } else {
            e
        }
    })?;
    eprintln!(
        "codegen: {} generator(s) {}",
        GENERATORS.len(),
        if check { "fresh" } else { "written" }
    );
    Ok(())
}

/// The transports' `Client` files, from their template (see [`crate::facade`]).
pub(crate) fn facades(check: bool) -> Result<(), String> {
    let root = std::path::Path::new(".");
    for f in crate::facade::FLAVOURS {
        for (path, want) in [
            (f.path, crate::facade::render(root, f)?),
            (f.sdk_path, crate::facade::render_sdk(root, f)?),
        ] {
            if check {
                let have = std::fs::read_to_string(path).unwrap_or_default();
                if have != want {
                    return Err(format!(
                        "{path} is stale: run `cargo xtask codegen` and commit"
                    ));
                }
            } else {
                std::fs::write(path, want).map_err(|e| format!("{path}: {e}"))?;
            }
        }
    }
    Ok(())
}
