//! The report and the journal beside it: both opened before the first request, so that a
//! path that cannot be written is found before anything is sent, and a report an earlier
//! run left (which may list allocations to delete by hand) is not overwritten unless asked.

use std::path::{Path, PathBuf};

use super::report::Report;
use crate::exit::CommandError;

/// The report and its journal, open.
pub(super) struct Files {
    pub(super) report_path: PathBuf,
    report: std::fs::File,
    pub(super) journal_path: PathBuf,
    pub(super) journal: std::io::BufWriter<std::fs::File>,
}

impl Files {
    pub(super) fn open(report: &Path, overwrite: bool) -> Result<Files, CommandError> {
        let journal_path = journal_path(report);
        for path in [report, journal_path.as_path()] {
            if path.exists() && !path.is_file() {
                return Err(CommandError::Usage(format!(
                    "{} is not a regular file: choose another --report",
                    path.display()
                )));
            }
            if !overwrite && path.exists() {
                return Err(CommandError::Usage(format!(
                    "{} exists (an earlier run's?): add --overwrite, or choose another --report",
                    path.display()
                )));
            }
        }
        let create = |path: &Path| {
            std::fs::File::create(path)
                .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", path.display())))
        };
        let mut file = create(report)?;
        // What a run that never finishes (killed) leaves in the report.
        std::io::Write::write_all(
            &mut file,
            b"# greenpin drift\n\nThe run did not finish: its requests so far are in the journal beside this file.\n",
        )
        .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", report.display())))?;
        Ok(Files {
            report_path: report.to_path_buf(),
            report: file,
            journal: std::io::BufWriter::new(create(&journal_path)?),
            journal_path,
        })
    }

    /// Writes the report over the placeholder; a failure here comes after requests were
    /// sent, so it is a local failure (5), not a usage error.
    pub(super) fn finish(&mut self, report: &Report) -> Result<(), CommandError> {
        use std::io::{Seek, Write};
        let local = |path: &Path, e: std::io::Error| {
            CommandError::Local(format!("cannot write {}: {e}", path.display()))
        };
        self.journal
            .flush()
            .map_err(|e| local(&self.journal_path, e))?;
        let text = report.markdown();
        self.report
            .set_len(0)
            .and_then(|()| self.report.rewind())
            .and_then(|()| self.report.write_all(text.as_bytes()))
            .and_then(|()| self.report.flush())
            .map_err(|e| local(&self.report_path, e))
    }
}

/// The journal's path: beside the report (`REPORT.journal.ndjson`).
fn journal_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".journal.ndjson");
    PathBuf::from(name)
}
