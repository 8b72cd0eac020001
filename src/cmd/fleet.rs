//! `iotmark run --fleet FILE` / `--units N`: a progress bar while the
//! harness runs the units, then the summary.

use std::io::IsTerminal;

use iotmark_harness::fleet::{Counts, FleetPlan};

use crate::cli::Format;
use crate::output;
use crate::Exit;

pub async fn run_fleet(plan: FleetPlan, format: Format) -> anyhow::Result<Exit> {
    let out = plan.out.clone();
    let bar = if std::io::stderr().is_terminal() && format == Format::Text {
        let bar = indicatif::ProgressBar::new(plan.units.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} units {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut on_unit = |counts: &Counts| {
        bar.set_message(format!(
            "{} conformant, {} not, {} inconclusive, {} errors",
            counts.conformant, counts.not_conformant, counts.inconclusive, counts.error
        ));
        bar.inc(1);
    };
    let summary = iotmark_harness::fleet::run_fleet(plan, &mut on_unit).await?;
    bar.finish();
    let c = &summary.counts;
    match format {
        Format::Json => output::print_json(&summary)?,
        Format::Text => outln!(
            "{} units of {} against {} in {:.1} s: {} conformant, {} not conformant, {} inconclusive, {} errors\nsummary written to {}",
            summary.units,
            summary.device,
            summary.scheme,
            summary.wall_seconds,
            c.conformant,
            c.not_conformant,
            c.inconclusive,
            c.error,
            out.join("fleet.json").display()
        ),
    }
    Ok(if c.error > 0 {
        Exit::Usage
    } else if c.not_conformant > 0 {
        Exit::Negative
    } else if c.inconclusive > 0 {
        Exit::Inconclusive
    } else {
        Exit::Success
    })
}
