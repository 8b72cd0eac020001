//! `iotmark diff OLD NEW`: what changed between two runs of the same product.

use std::path::{Path, PathBuf};

use clap::Args;
use iotmark_steps::report::{self, diff};

use crate::cli::Format;
use crate::output;
use crate::Exit;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run: a report folder or its report.json.
    pub old: PathBuf,
    /// The later run: a report folder or its report.json.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn report_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("report.json")
    } else {
        p.to_path_buf()
    }
}

/// Exit 0 when nothing got worse, 1 when a test case regressed, the overall
/// result got worse or the support period was shortened, 2 on bad input.
pub fn diff(args: DiffArgs) -> anyhow::Result<Exit> {
    let (old, _) = report::read(&report_path(&args.old))?;
    let (new, _) = report::read(&report_path(&args.new))?;
    let d = diff::diff(&old, &new);
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "worse": d.is_worse(),
            "diff": d,
        }))?,
        Format::Text => out!("{}", diff::diff_text(&d)),
    }
    Ok(if d.is_worse() {
        Exit::Negative
    } else {
        Exit::Success
    })
}
