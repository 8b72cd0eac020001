//! The defined support period: published, specific, as declared, current, and
//! never shortened.

use iotmark_adapters::profile::format_date;

use super::{step, StepDef};
use crate::analysis::text;
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"it states a specific end date for security updates",
            states_end_date
        ),
        step!(
            r"that end date is the one the manufacturer declared",
            matches_declared
        ),
        step!(r"that end date has not passed", not_passed),
        step!(
            r"an earlier report for the same model, when one is supplied",
            earlier_report
        ),
        step!(
            r"the declared end date is not earlier than the end date in that report",
            not_shortened
        ),
    ]
}

async fn states_end_date(w: &mut World, _: Vec<String>) -> StepResult {
    let Some((what, page)) = w.page.as_ref() else {
        return Err(StepError::Inconclusive("no page was fetched".into()));
    };
    let visible = text::visible_text(&page.body, page.content_type.as_deref());
    let dates = text::dates_in(&visible);
    if dates.is_empty() {
        let quote = text::support_phrase(&visible)
            .map(|s| format!(": it says \"{s}\""))
            .unwrap_or_default();
        return Err(StepError::Fail(format!(
            "the {what} at {} states no specific end date{quote}",
            page.url
        )));
    }
    w.dates = dates;
    Ok(())
}

async fn matches_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let declared = w.profile().ixit.user_info.support_period.end_date;
    let stated: Vec<String> = w.dates.iter().map(|d| format_date(d.date)).collect();
    match w.dates.iter().find(|d| d.date == declared) {
        Some(found) => {
            w.note(format!(
                "the page states the declared end date {}{}",
                format_date(declared),
                if found.month_only {
                    " (as a month and year)"
                } else {
                    ""
                }
            ));
            Ok(())
        }
        None => Err(StepError::Fail(format!(
            "the page states {} but the declaration gives {}",
            stated.join(", "),
            format_date(declared)
        ))),
    }
}

async fn not_passed(w: &mut World, _: Vec<String>) -> StepResult {
    let declared = w.profile().ixit.user_info.support_period.end_date;
    let today = w.ctx.today();
    if declared < today {
        return Err(StepError::Fail(format!(
            "the support period ended on {}, before the test date {}",
            format_date(declared),
            format_date(today)
        )));
    }
    Ok(())
}

async fn earlier_report(w: &mut World, _: Vec<String>) -> StepResult {
    let model = w.profile().product.model.clone();
    match &w.ctx.previous {
        None => Err(StepError::NotApplicable(
            "no earlier report of this model was supplied".into(),
        )),
        Some(p) if p.model != model => Err(StepError::NotApplicable(format!(
            "the earlier report {} is for model {}, not {model}",
            p.source, p.model
        ))),
        Some(_) => Ok(()),
    }
}

async fn not_shortened(w: &mut World, _: Vec<String>) -> StepResult {
    let declared = w.profile().ixit.user_info.support_period.end_date;
    let Some(previous) = w.ctx.previous.clone() else {
        return Err(StepError::NotApplicable("no earlier report".into()));
    };
    if declared < previous.support_end {
        return Err(StepError::Fail(format!(
            "the support period was shortened: it now ends {}, the earlier report {} gave {}",
            format_date(declared),
            previous.source,
            format_date(previous.support_end)
        )));
    }
    w.note(format!(
        "not shortened: {} is not before {} from {}",
        format_date(declared),
        format_date(previous.support_end),
        previous.source
    ));
    Ok(())
}
