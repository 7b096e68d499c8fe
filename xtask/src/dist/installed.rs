//! The packages installed the way a user installs them, and their tests run there: the
//! wheel into a fresh virtualenv, the npm tarball into a fresh project, both offline, from
//! directories under `target/dist-check/`, with nothing of the checkout on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Dist, PACKAGING, PYTEST, copy};
use crate::cmd::run;

/// A fresh directory under `target/dist-check/`.
fn fresh(dir: &str) -> Result<PathBuf, String> {
    let path = crate::cmd::target_dir().join("dist-check").join(dir);
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// A command that finds only what a user's machine has: no variable pointing at a binary
/// of ours, and a PATH without `.tools`, `target` or any directory holding a
/// `greenpin-emulator` (one from `cargo install`, say): the package's own must be found.
fn as_a_user(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("GREENPIN_EMULATOR_BIN")
        .env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONPATH");
    if let Some(path) = std::env::var_os("PATH") {
        let kept: Vec<PathBuf> = std::env::split_paths(&path)
            .filter(|p| {
                let text = p.to_string_lossy();
                !text.contains(".tools")
                    && !text.contains("target")
                    && !p.join("greenpin-emulator").exists()
            })
            .collect();
        if let Ok(joined) = std::env::join_paths(kept) {
            cmd.env("PATH", joined);
        }
    }
    cmd
}

/// Installs the wheel into a fresh virtualenv, offline, and runs the pytest file that
/// uses only the `greenpin_emulator` fixture, and the README's example, from a directory outside the sources (so
/// the installed package is what is imported) and without activating the virtualenv
/// (the package finds the binary in the virtualenv's scripts). Returns the tests passed.
pub(super) fn check_wheel(d: &Dist) -> Result<u32, String> {
    let dir = fresh("python")?;
    let venv = dir.join("venv");
    run(as_a_user("python3").args(["-m", "venv"]).arg(&venv))?;
    let python = venv.join("bin/python");
    run(as_a_user(&python)
        .args(["-m", "pip", "install", "-q", "--no-index", "--find-links"])
        .arg(crate::setup::path("wheels"))
        .arg(&d.wheel)
        .arg(PYTEST))?;
    copy(
        &Path::new(PACKAGING).join("python/tests/test_emulator.py"),
        &dir.join("test_emulator.py"),
    )?;
    write(
        &dir.join("test_readme.py"),
        &readme_example("python", "def test_")?,
    )?;
    let said = test_output(
        as_a_user(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .args(["test_emulator.py", "test_readme.py"])
            .current_dir(&dir),
    )?;
    count(&said, " passed").ok_or_else(|| format!("no pytest test passed:\n{said}"))
}

/// Installs the npm tarball into a fresh project, offline, and runs the package's test
/// file and the README's example there with `node --test`. Returns the tests passed.
pub(super) fn check_npm(d: &Dist) -> Result<u32, String> {
    let dir = fresh("npm")?;
    std::fs::write(
        dir.join("package.json"),
        "{\"name\": \"a-greenpin-user\", \"version\": \"1.0.0\", \"private\": true}\n",
    )
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    run(as_a_user("npm")
        .args(["install", "--offline", "--no-audit", "--no-fund", "--quiet"])
        .arg(&d.npm)
        .current_dir(&dir))?;
    std::fs::create_dir_all(dir.join("test")).map_err(|e| e.to_string())?;
    copy(
        &Path::new(PACKAGING).join("npm/test/emulator.test.js"),
        &dir.join("test/emulator.test.js"),
    )?;
    write(
        &dir.join("test/readme.test.js"),
        &readme_example("js", "node:test")?,
    )?;
    let said = test_output(
        as_a_user("node")
            .args(["--test", "test/"])
            .current_dir(&dir),
    )?;
    said.lines()
        .find_map(|l| l.strip_prefix("# pass ")?.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("no node test passed:\n{said}"))
}

/// Runs a test command and returns its standard output; when it fails, the error holds
/// all it said (test runners report failures on standard output).
fn test_output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(said)
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{said}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The emulator README's first ```` ```lang ```` block that contains `marker`: its examples
/// for Python and Node are run as tests where the packages are installed, so the README
/// cannot drift from what the packages do.
fn readme_example(lang: &str, marker: &str) -> Result<String, String> {
    let readme = std::fs::read_to_string("crates/greenpin-emulator/README.md")
        .map_err(|e| format!("the emulator's README: {e}"))?;
    fenced(&readme, lang, marker)
        .ok_or_else(|| format!("the emulator's README has no ```{lang} example with {marker:?}"))
}

/// The first fenced block of `lang` in `markdown` that contains `marker`.
pub(crate) fn fenced(markdown: &str, lang: &str, marker: &str) -> Option<String> {
    let open = format!("```{lang}\n");
    markdown
        .split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .find(|block| block.contains(marker))
        .map(|block| format!("{block}\n"))
}

/// The number before `word` in a summary line (`5 passed in 1.2s` → 5), when above zero.
pub(crate) fn count(said: &str, word: &str) -> Option<u32> {
    said.lines().rev().find_map(|l| {
        let before = l.split(word).next().filter(|_| l.contains(word))?;
        let n = before.rsplit(|c: char| !c.is_ascii_digit()).next()?;
        n.parse::<u32>().ok().filter(|n| *n > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_readme_example_is_the_fenced_block_with_its_marker() {
        let md = "# T\n```js\nconst a = 1;\n```\ntext\n```js\nrequire('node:test');\nx();\n```\n";
        assert_eq!(
            fenced(md, "js", "node:test").as_deref(),
            Some("require('node:test');\nx();\n")
        );
        assert_eq!(fenced(md, "python", "def"), None);
        assert_eq!(fenced(md, "js", "absent"), None);
    }

    #[test]
    fn the_count_of_passed_tests_is_read_from_the_summary() {
        assert_eq!(count("...\n3 passed in 0.52s\n", " passed"), Some(3));
        assert_eq!(count("1 failed, 2 passed in 1s", " passed"), Some(2));
        assert_eq!(count("no tests ran in 0.01s", " passed"), None);
        assert_eq!(count("0 passed", " passed"), None);
    }
}
