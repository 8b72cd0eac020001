//! Documents a manufacturer needs, made from the report (which repeats the
//! profile's declaration): the UK PSTI statement of compliance (the fields of
//! Schedule 4 to SI 2023/1007) and the EU Cyber Resilience Act Annex II user
//! information sheet. Both are printable HTML pages with nothing fetched.
//!
//! A field the declaration does not give is printed as MISSING and listed at
//! the top, never invented; a statement for a report that is not conformant is
//! marked as not fit to issue.

use std::fmt::Write as _;

use serde::Serialize;

use super::html::{escape, link};
use super::Report;
use crate::verdict::Conformance;

/// File name of the statement of compliance in a report folder.
pub const STATEMENT_FILE: &str = "statement-of-compliance.html";
/// File name of the CRA user information sheet in a report folder.
pub const CRA_FILE: &str = "cra-user-information.html";

/// The standard whose provisions give deemed compliance, as PSTI pins it.
pub const STANDARD: &str = "ETSI EN 303 645 V2.1.1 (2020-06)";

/// Years a statement must be kept at least (or the support period, if longer).
const RETENTION_YEARS: i32 = 10;

/// One field of a document: a stable key, the label people read, its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    /// `None` when the declaration does not give it.
    pub value: Option<String>,
}

fn field(key: &'static str, label: &'static str, value: Option<String>) -> Field {
    Field {
        key,
        label,
        value: value.filter(|v| !v.trim().is_empty()),
    }
}

fn parties(list: &[super::declared::PartyLine]) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    Some(
        list.iter()
            .map(|p| format!("{}, {}", p.name, p.address))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn date_of_issue(r: &Report, today: time::Date) -> String {
    r.declared
        .as_ref()
        .and_then(|d| d.statement.as_ref())
        .and_then(|s| s.date_of_issue.clone())
        .unwrap_or_else(|| iotmark_adapters::profile::format_date(today))
}

/// The provisions the statement relies on: those of the PSTI requirements
/// when the scheme includes them, else every provision the run assessed.
fn provisions_relied_on(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = if r.requirements.is_empty() {
        r.provisions.iter().map(|p| p.id.clone()).collect()
    } else {
        r.requirements
            .iter()
            .flat_map(|q| q.provisions.iter().cloned())
            .collect()
    };
    out.dedup();
    out
}

/// The Schedule 4 fields, in the order the statement prints them.
pub fn statement_fields(r: &Report, today: time::Date) -> Vec<Field> {
    let st = r.declared.as_ref().and_then(|d| d.statement.as_ref());
    let p = &r.product;
    let product = match &p.batch {
        Some(b) => format!("{} ({}), batch {}", p.product_type, p.model, b),
        None => format!("{} ({}), batch not declared", p.product_type, p.model),
    };
    let mut manufacturers = format!("{}, {}", p.manufacturer, p.manufacturer_address);
    if let Some(others) = st.and_then(|s| parties(&s.other_manufacturers)) {
        manufacturers.push_str("; ");
        manufacturers.push_str(&others);
    }
    let representatives =
        st.map(|s| parties(&s.authorised_representatives).unwrap_or_else(|| "None".to_string()));
    let prepared = st.map(|s| {
        let who = s.prepared_by.clone().unwrap_or_else(|| p.manufacturer.clone());
        format!(
            "This statement of compliance has been prepared by or on behalf of the manufacturer {} (prepared by: {who}).",
            p.manufacturer
        )
    });
    let compliance = format!(
        "In the opinion of the manufacturer, the product meets the applicable security requirements of Schedule 1 to the Product Security and Telecommunications Infrastructure (Security Requirements for Relevant Connectable Products) Regulations 2023 (SI 2023/1007). Standard relied on: {STANDARD}, provisions {}. Test report: scheme {}, result {}, tool {} {}.",
        provisions_relied_on(r).join(", "),
        r.scheme,
        r.verdict.as_str(),
        r.tool.name,
        r.tool.version
    );
    let support = format!(
        "Security updates will be provided at least until {} (published at {}).",
        r.support_end,
        r.declared
            .as_ref()
            .map(|d| d.ixit.support_period_url.as_str())
            .unwrap_or("the manufacturer's website")
    );
    vec![
        field("product", "Product type and batch", Some(product)),
        field(
            "manufacturers",
            "Name and address of each manufacturer",
            Some(manufacturers),
        ),
        field(
            "authorised_representatives",
            "Authorised representatives (name and address)",
            representatives,
        ),
        field("prepared_by", "Declaration of preparation", prepared),
        field("compliance", "Declaration of compliance", Some(compliance)),
        field(
            "standard",
            "Standard (number, version, date)",
            Some(STANDARD.to_string()),
        ),
        field("support_period", "Defined support period", Some(support)),
        field(
            "signatory_name",
            "Name of the signatory",
            st.map(|s| s.signatory_name.clone()),
        ),
        field(
            "signatory_function",
            "Function of the signatory",
            st.map(|s| s.signatory_function.clone()),
        ),
        field("signature", "Signature", None),
        field(
            "place_of_issue",
            "Place of issue",
            st.map(|s| s.place_of_issue.clone()),
        ),
        field(
            "date_of_issue",
            "Date of issue",
            st.map(|_| date_of_issue(r, today)),
        ),
    ]
}

/// Fields a statement cannot be issued without that the declaration lacks
/// (the signature itself is added by hand and is not counted).
pub fn missing_statement_fields(r: &Report, today: time::Date) -> Vec<&'static str> {
    statement_fields(r, today)
        .into_iter()
        .filter(|f| f.value.is_none() && f.key != "signature")
        .map(|f| f.key)
        .collect()
}

/// The later of ten years after issue and the support end date.
fn keep_until(r: &Report, today: time::Date) -> String {
    let parse = iotmark_adapters::profile::parse_date;
    let issued = parse(&date_of_issue(r, today)).unwrap_or(today);
    let ten = issued
        .replace_year(issued.year().saturating_add(RETENTION_YEARS))
        .or_else(|_| {
            issued
                .replace_day(28)
                .and_then(|d| d.replace_year(d.year().saturating_add(RETENTION_YEARS)))
        })
        .unwrap_or(issued);
    let end = parse(&r.support_end).map_or(ten, |s| s.max(ten));
    iotmark_adapters::profile::format_date(end)
}

const PRINT_STYLE: &str = r#"
body{font-family:Georgia,"Times New Roman",serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#000;line-height:1.45}
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{width:30%;background:#f0f0f0}.missing{color:#a00;font-weight:bold}.warn{border:3px solid #a00;padding:.8rem;color:#a00;font-weight:bold}
.sig{height:4rem}.small{font-size:.85rem;color:#333}
@media print{body{margin:0;max-width:none;font-size:11pt}a{color:#000;text-decoration:none}.warn{-webkit-print-color-adjust:exact;print-color-adjust:exact}tr{break-inside:avoid}}
@page{size:A4;margin:20mm}
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{PRINT_STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn rows(fields: &[Field], out: &mut String) {
    out.push_str("<table>\n");
    for f in fields {
        let value = match (&f.value, f.key) {
            (_, "signature") => "<div class=\"sig\"></div>".to_string(),
            (Some(v), _) if v.starts_with("http") || v.starts_with("mailto:") => link(v),
            (Some(v), _) => escape(v),
            (None, _) => "<span class=\"missing\">MISSING</span>".to_string(),
        };
        let _ = writeln!(
            out,
            "<tr id=\"{}\"><th>{}</th><td>{}</td></tr>",
            f.key,
            escape(f.label),
            value
        );
    }
    out.push_str("</table>\n");
}

/// The statement of compliance page.
pub fn statement_html(r: &Report, today: time::Date) -> String {
    let fields = statement_fields(r, today);
    let missing = missing_statement_fields(r, today);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>Statement of compliance</h1>\n<p>UK Product Security and Telecommunications Infrastructure regime: {} {} by {}.</p>",
        escape(&r.product.product_type),
        escape(&r.product.model),
        escape(&r.product.manufacturer)
    );
    if r.verdict != Conformance::Conformant {
        let _ = writeln!(
            body,
            "<p class=\"warn\" id=\"not-for-issue\">NOT FOR ISSUE: the test report is {}, so compliance cannot be declared on its basis.</p>",
            escape(r.verdict.as_str())
        );
    }
    if !missing.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"warn\" id=\"missing\">Incomplete: the declaration does not give {}. Add a <code>declaration</code> block to the device profile.</p>",
            escape(&missing.join(", "))
        );
    }
    rows(&fields, &mut body);
    let _ = writeln!(
        body,
        "<p class=\"small\">Keep this statement until at least {} (ten years from issue or the end of the support period, whichever is later). Firmware assessed: {}. Profile SHA-256 <code>{}</code>; evidence chain head <code>{}</code>.</p>",
        escape(&keep_until(r, today)),
        escape(&r.product.firmware),
        escape(&r.profile.sha256),
        escape(&r.evidence.head)
    );
    page(
        &format!("Statement of compliance: {}", r.product.model),
        &body,
    )
}

/// The CRA Annex II user information fields.
pub fn cra_fields(r: &Report) -> Vec<Field> {
    let d = r.declared.as_ref();
    let st = d.and_then(|d| d.statement.as_ref());
    let p = &r.product;
    let mut id = format!("{} {}, firmware {}", p.product_type, p.model, p.firmware);
    if let Some(b) = &p.batch {
        let _ = write!(id, ", batch {b}");
    }
    if let Some(g) = &p.gtin {
        let _ = write!(id, ", GTIN {g}");
    }
    let end_month = iotmark_adapters::profile::parse_date(&r.support_end)
        .map(|d| format!("{} {} ({})", d.month(), d.year(), r.support_end))
        .unwrap_or_else(|| r.support_end.clone());
    vec![
        field(
            "manufacturer",
            "Manufacturer (name, address)",
            Some(format!("{}, {}", p.manufacturer, p.manufacturer_address)),
        ),
        field(
            "manufacturer_contact",
            "How to contact the manufacturer",
            st.and_then(|s| s.manufacturer_contact.clone())
                .or_else(|| d.map(|d| d.ixit.manufacturer_website.clone())),
        ),
        field(
            "vulnerability_contact",
            "Single point of contact for reporting vulnerabilities",
            st.and_then(|s| s.security_contact.clone()),
        ),
        field(
            "disclosure_policy",
            "Where the coordinated vulnerability disclosure policy is",
            Some(r.disclosure_contact.clone()),
        ),
        field("product", "Product identification", Some(id)),
        field(
            "support_type",
            "Type of technical security support",
            st.and_then(|s| s.support_type.clone()),
        ),
        field(
            "support_end",
            "End of the support period (at least month and year)",
            Some(end_month),
        ),
        field(
            "sbom",
            "Where the software bill of materials is available",
            st.and_then(|s| s.sbom_url.clone())
                .or_else(|| st.map(|_| "Not made available to users".to_string())),
        ),
        field(
            "privacy_notice",
            "Privacy notice",
            d.and_then(|d| d.ixit.privacy_notice_url.clone())
                .or_else(|| Some("Not declared".to_string())),
        ),
        field(
            "secure_setup",
            "Secure installation and set-up guidance",
            d.and_then(|d| d.ixit.secure_setup_url.clone())
                .or_else(|| Some("Not declared".to_string())),
        ),
    ]
}

/// The CRA user information page.
pub fn cra_html(r: &Report, today: time::Date) -> String {
    let fields = cra_fields(r);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>Security information for users</h1>\n<p>{} {} by {}. Information a manufacturer gives users under Annex II of the EU Cyber Resilience Act (Regulation (EU) 2024/2847), whose obligations apply from 11 December 2027.</p>",
        escape(&r.product.product_type),
        escape(&r.product.model),
        escape(&r.product.manufacturer)
    );
    let missing: Vec<&str> = fields
        .iter()
        .filter(|f| f.value.is_none() && matches!(f.key, "vulnerability_contact" | "support_type"))
        .map(|f| f.key)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"warn\" id=\"missing\">Incomplete: the declaration does not give {}.</p>",
            escape(&missing.join(", "))
        );
    }
    rows(&fields, &mut body);
    let _ = writeln!(
        body,
        "<p class=\"small\">Prepared {} from test report scheme {} (result {}).</p>",
        iotmark_adapters::profile::format_date(today),
        escape(&r.scheme),
        escape(r.verdict.as_str())
    );
    page(&format!("Security information: {}", r.product.model), &body)
}
