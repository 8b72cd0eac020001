//! Cucumber JSON (the format of cucumber-jvm and cucumber-js `--format json`),
//! so standard Cucumber report tools render a run. Cucumber knows no
//! INCONCLUSIVE: such a step is `pending` with its reason; NOT APPLICABLE
//! scenarios have `skipped` steps.

use serde::Serialize;

use crate::runner::{ScenarioResult, StepStatus};

#[derive(Serialize)]
struct Tag {
    name: String,
    line: usize,
}

#[derive(Serialize)]
struct StepOut {
    keyword: String,
    name: String,
    line: usize,
    result: ResultOut,
}

#[derive(Serialize)]
struct ResultOut {
    status: &'static str,
    /// Nanoseconds.
    duration: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

#[derive(Serialize)]
struct Element {
    id: String,
    keyword: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    name: String,
    description: String,
    line: usize,
    tags: Vec<Tag>,
    steps: Vec<StepOut>,
}

#[derive(Serialize)]
struct FeatureOut {
    uri: String,
    id: String,
    keyword: &'static str,
    name: String,
    description: String,
    line: usize,
    tags: Vec<Tag>,
    elements: Vec<Element>,
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

pub fn cucumber_json(results: &[ScenarioResult]) -> String {
    let mut features: Vec<FeatureOut> = Vec::new();
    for r in results {
        let idx = match features.iter().position(|f| f.uri == r.feature_path) {
            Some(i) => i,
            None => {
                features.push(FeatureOut {
                    uri: r.feature_path.clone(),
                    id: slug(&r.feature_name),
                    keyword: "Feature",
                    name: r.feature_name.clone(),
                    description: String::new(),
                    line: 1,
                    tags: Vec::new(),
                    elements: Vec::new(),
                });
                features.len() - 1
            }
        };
        let steps = r
            .steps
            .iter()
            .map(|s| StepOut {
                keyword: format!("{} ", s.keyword),
                name: s.text.clone(),
                line: s.line,
                result: ResultOut {
                    status: match s.status {
                        StepStatus::Passed => "passed",
                        StepStatus::Failed => "failed",
                        StepStatus::Inconclusive => "pending",
                        StepStatus::NotApplicable | StepStatus::Skipped => "skipped",
                        StepStatus::Undefined => "undefined",
                    },
                    duration: u64::try_from(s.duration.as_nanos()).unwrap_or(u64::MAX),
                    error_message: s.message.clone(),
                },
            })
            .collect();
        let element = Element {
            id: format!("{};{}", features[idx].id, slug(&r.name)),
            keyword: "Scenario",
            ty: "scenario",
            name: r.name.clone(),
            description: String::new(),
            line: r.line,
            tags: r
                .meta
                .tags
                .iter()
                .map(|t| Tag {
                    name: format!("@{t}"),
                    line: r.line.saturating_sub(1),
                })
                .collect(),
            steps,
        };
        features[idx].elements.push(element);
    }
    serde_json::to_string_pretty(&features).unwrap_or_else(|_| "[]".into())
}
