//! `iotmark catalogue`: provisions and test cases, from the feature files.

use serde::Serialize;

use crate::cli::{CatalogueArgs, Format};
use crate::output;
use crate::Exit;

#[derive(Serialize)]
struct CatalogueOut {
    scheme: String,
    tag_expression: String,
    provisions: Vec<iotmark_steps::catalogue::ProvisionEntry>,
    test_cases: usize,
    scenarios: usize,
}

pub fn catalogue(args: CatalogueArgs) -> anyhow::Result<Exit> {
    let scheme = super::scheme_arg(&args.scheme)?;
    let cat = super::catalogue_arg(args.features.as_deref())?;
    let provisions = cat.provisions(scheme);
    let out = CatalogueOut {
        scheme: scheme.name().to_string(),
        tag_expression: scheme.tag_expression_text().to_string(),
        test_cases: provisions.iter().map(|p| p.test_cases.len()).sum(),
        scenarios: cat.select(scheme).len(),
        provisions,
    };
    match args.format {
        Format::Json => output::print_json(&out)?,
        Format::Text => {
            outln!(
                "{}: {} provisions, {} test cases, {} scenarios",
                out.scheme,
                out.provisions.len(),
                out.test_cases,
                out.scenarios
            );
            for p in &out.provisions {
                let conds: Vec<String> = p.conditions.iter().map(|c| format!("C({c})")).collect();
                outln!(
                    "{:<7} {:<11} {:<8} {}",
                    p.id,
                    format!("{:?}", p.status).to_lowercase(),
                    conds.join(","),
                    p.psti.clone().unwrap_or_default()
                );
                for t in &p.test_cases {
                    outln!(
                        "    {:<10} {:<11} {:<9} {}",
                        t.id,
                        format!("{:?}", t.kind).to_lowercase(),
                        format!("{:?}", t.how).to_lowercase(),
                        t.scenarios.join(" / ")
                    );
                }
            }
        }
    }
    Ok(Exit::Success)
}
