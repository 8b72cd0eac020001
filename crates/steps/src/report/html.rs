//! `report.html`: one self-contained page (no scripts, no external resources,
//! nothing fetched) a lab can hand to its client and print. Everything that
//! came from the device or the profile is escaped: both are hostile input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use iotmark_adapters::evidence::EvidenceRecord;

use super::Report;
use crate::verdict::{How, Verdict};

/// Records shown per test case.
const EXCERPTS_PER_CASE: usize = 4;
/// Characters of a request or response shown per record.
const EXCERPT_CHARS: usize = 360;
/// Most of an evidence file read for excerpts.
const MAX_EVIDENCE_READ: u64 = 256 * 1024 * 1024;

pub use iotmark_text::escape_html as escape;

/// A link only for http(s) URLs; anything else (`javascript:`…) is shown as text.
pub fn link(url: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        format!("<a href=\"{0}\">{0}</a>", escape(url))
    } else {
        escape(url)
    }
}

pub(crate) fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotApplicable => "na",
        Verdict::Inconclusive => "inc",
    }
}

fn how_text(h: How) -> &'static str {
    match h {
        How::Automated => "automated probe",
        How::Ixit => "declaration (IXIT) check",
        How::Assessor => "assessor judgement",
    }
}

fn shorten(s: &str, limit: usize) -> String {
    if s.chars().count() <= limit {
        return s.to_string();
    }
    let cut: String = s.chars().take(limit).collect();
    format!("{cut}…")
}

/// A few evidence records per test case, read from the run's evidence log.
#[derive(Debug, Default, Clone)]
pub struct EvidenceExcerpts {
    by_case: BTreeMap<String, Vec<EvidenceRecord>>,
    /// Why none could be read, if so.
    pub problem: Option<String>,
}

impl EvidenceExcerpts {
    /// Read the records the report's scenarios point at. A missing or damaged
    /// log gives no excerpts and a note, never an error: the page still shows
    /// the verdicts, and `iotmark report verify` is the place for the chain.
    pub fn read(path: &Path, report: &Report) -> EvidenceExcerpts {
        let mut wanted: BTreeMap<u64, String> = BTreeMap::new();
        for p in &report.provisions {
            for t in &p.test_cases {
                let mut n = 0;
                for s in &t.scenarios {
                    if let Some(r) = &s.evidence {
                        let mut seq = r.first;
                        while seq <= r.last && n < EXCERPTS_PER_CASE {
                            wanted.insert(seq, t.id.clone());
                            seq += 1;
                            n += 1;
                        }
                    }
                }
            }
        }
        let mut out = EvidenceExcerpts::default();
        if wanted.is_empty() {
            return out;
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                out.problem = Some(format!("evidence log not readable: {e}"));
                return out;
            }
        };
        let last_wanted = wanted.keys().next_back().copied().unwrap_or(0);
        let mut reader = BufReader::new(file.take(MAX_EVIDENCE_READ));
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    out.problem = Some(format!("evidence log not readable: {e}"));
                    break;
                }
            }
            let Ok(rec) = serde_json::from_slice::<EvidenceRecord>(&line) else {
                continue;
            };
            if let Some(case) = wanted.get(&rec.seq) {
                out.by_case.entry(case.clone()).or_default().push(rec);
            } else if rec.seq > last_wanted {
                break;
            }
        }
        out
    }

    pub fn for_case(&self, id: &str) -> &[EvidenceRecord] {
        self.by_case.get(id).map(Vec::as_slice).unwrap_or_default()
    }
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#111;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #333}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
.pass{background:#d7f5dd}.fail{background:#fbd5d5}.inc{background:#fdf0c4}.na{background:#e8e8e8}
.banner{padding:1rem;border:2px solid #333;font-size:1.2rem;margin:1rem 0}
.counts span{display:inline-block;padding:.2rem .6rem;margin-right:.4rem;border:1px solid #999}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}pre{white-space:pre-wrap;word-break:break-all;margin:.2rem 0;background:#f6f6f6;padding:.3rem}
.ev{font-size:.85rem}.muted{color:#555}
#verdict-table td:nth-child(-n+3),#verdict-table td:nth-child(6){white-space:nowrap}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}tr,.evcase{break-inside:avoid}a{color:#000;text-decoration:none}
.pass,.fail,.inc,.na,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{size:A4;margin:15mm}
"#;

fn verdict_cell(v: Verdict) -> String {
    format!("<td class=\"{}\">{}</td>", class(v), v)
}

fn product_section(r: &Report, out: &mut String) {
    let p = &r.product;
    let _ = write!(
        out,
        "<h2 id=\"product\">Product</h2>\n<dl>\n<dt>Manufacturer</dt><dd>{}</dd>\n<dt>Address</dt><dd>{}</dd>\n<dt>Model</dt><dd>{}</dd>\n<dt>Type</dt><dd>{}</dd>\n<dt>Batch</dt><dd>{}</dd>\n<dt>GTIN</dt><dd>{}</dd>\n<dt>Firmware tested</dt><dd>{}</dd>\n<dt>Device under test</dt><dd><code>{}</code></dd>\n<dt>Support period ends</dt><dd>{}</dd>\n<dt>Vulnerability disclosure</dt><dd>{}</dd>\n",
        escape(&p.manufacturer),
        escape(&p.manufacturer_address),
        escape(&p.model),
        escape(&p.product_type),
        escape(p.batch.as_deref().unwrap_or("—")),
        escape(p.gtin.as_deref().unwrap_or("—")),
        escape(&p.firmware),
        escape(&r.device),
        escape(&r.support_end),
        link(&r.disclosure_contact),
    );
    if let Some(c) = &r.risk_class {
        let _ = writeln!(out, "<dt>Risk class</dt><dd>{}</dd>", escape(&c.summary));
    }
    out.push_str("</dl>\n");
}

fn requirements_section(r: &Report, out: &mut String) {
    if r.requirements.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"requirements\">UK PSTI requirements</h2>\n<table>\n<thead><tr><th>Requirement</th><th>Title</th><th>EN 303 645 provisions</th><th>Verdict</th></tr></thead>\n<tbody>\n");
    for q in &r.requirements {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            escape(&q.id),
            escape(&q.title),
            escape(&q.provisions.join(", ")),
            verdict_cell(q.verdict)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn verdict_table(r: &Report, out: &mut String) {
    out.push_str("<h2 id=\"verdicts\">Verdicts per test case</h2>\n<table id=\"verdict-table\">\n<thead><tr><th>Provision</th><th>Status</th><th>Test case</th><th>Kind</th><th>Decided by</th><th>Verdict</th><th>Reason</th></tr></thead>\n<tbody>\n");
    for p in &r.provisions {
        for t in &p.test_cases {
            let mut reason = escape(&t.reason);
            if let Some(a) = &t.attestation {
                let _ = write!(
                    reason,
                    "<br><span class=\"muted\">Attested {} by {} ({}), {}: {}</span>",
                    escape(&a.verdict),
                    escape(&a.assessor),
                    escape(&a.role),
                    escape(&a.date),
                    escape(&a.rationale)
                );
            }
            let _ = writeln!(
                out,
                "<tr id=\"tc-{id}\"><td>{prov}</td><td>{status}</td><td>{id}</td><td>{kind}</td><td>{how}</td>{verdict}<td>{reason}</td></tr>",
                id = escape(&t.id),
                prov = escape(&p.id),
                status = escape(&p.status),
                kind = escape(&t.kind),
                how = how_text(t.how),
                verdict = verdict_cell(t.verdict),
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

fn evidence_section(r: &Report, ev: &EvidenceExcerpts, out: &mut String) {
    out.push_str("<h2 id=\"evidence\">Evidence excerpts</h2>\n");
    let _ = writeln!(
        out,
        "<p>Up to {EXCERPTS_PER_CASE} records per test case, shortened; the full log is <code>{}</code> ({} records, hash-chained).</p>",
        escape(&r.evidence.file),
        r.evidence.records
    );
    if let Some(problem) = &ev.problem {
        let _ = writeln!(out, "<p class=\"inc\">{}</p>", escape(problem));
    }
    let mut any = false;
    for t in r.provisions.iter().flat_map(|p| p.test_cases.iter()) {
        let records = ev.for_case(&t.id);
        if records.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(
            out,
            "<div class=\"evcase\"><h3>{}</h3>\n<table class=\"ev\"><thead><tr><th>#</th><th>Probe</th><th>Target</th><th>Outcome</th><th>Request / response</th></tr></thead><tbody>",
            escape(&t.id)
        );
        for rec in records {
            let mut body = String::new();
            if !rec.request.is_empty() {
                let _ = write!(
                    body,
                    "<pre>{}</pre>",
                    escape(&shorten(&rec.request, EXCERPT_CHARS))
                );
            }
            if !rec.response.is_empty() {
                let _ = write!(
                    body,
                    "<pre>{}</pre>",
                    escape(&shorten(&rec.response, EXCERPT_CHARS))
                );
            }
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                rec.seq,
                escape(&rec.probe),
                escape(&shorten(&rec.target, 120)),
                escape(&rec.outcome),
                body
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    if !any && ev.problem.is_none() {
        out.push_str("<p>No probe evidence was recorded for these test cases.</p>\n");
    }
}

fn declaration_section(r: &Report, out: &mut String) {
    let Some(d) = &r.declared else {
        return;
    };
    out.push_str("<h2 id=\"declaration\">The manufacturer's declaration (ICS and IXIT)</h2>\n");
    let x = &d.ixit;
    let _ = write!(
        out,
        "<h3>Published user information</h3>\n<dl>\n<dt>Website</dt><dd>{}</dd>\n<dt>Disclosure policy</dt><dd>{}</dd>\n<dt>security.txt</dt><dd>{}</dd>\n<dt>Support period page</dt><dd>{}</dd>\n",
        link(&x.manufacturer_website),
        link(&x.disclosure_policy_url),
        link(&x.security_txt_url),
        link(&x.support_period_url),
    );
    if let Some(u) = &x.privacy_notice_url {
        let _ = writeln!(out, "<dt>Privacy notice</dt><dd>{}</dd>", link(u));
    }
    if let Some(u) = &x.secure_setup_url {
        let _ = writeln!(out, "<dt>Secure set-up</dt><dd>{}</dd>", link(u));
    }
    out.push_str("</dl>\n");
    for (title, items) in [
        ("Authentication mechanisms", &x.auth_mechanisms),
        ("Interfaces", &x.interfaces),
        ("Update mechanisms", &x.update_mechanisms),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>{title}</h3>\n<ul>");
        for i in items {
            let _ = writeln!(out, "<li>{}</li>", escape(i));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h3>Conditions</h3>\n<table><thead><tr><th>#</th><th>Condition</th><th>Holds</th></tr></thead><tbody>\n");
    for c in &d.conditions {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.number,
            escape(&c.text),
            if c.holds { "yes" } else { "no" }
        );
    }
    out.push_str("</tbody></table>\n<h3>Implementation Conformance Statement</h3>\n<table><thead><tr><th>Provision</th><th>Support</th><th>Detail or rationale</th></tr></thead><tbody>\n");
    for l in &d.ics {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.provision),
            escape(&l.support),
            escape(l.detail.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>\n");
}

fn attestations_section(r: &Report, out: &mut String) {
    let attested: Vec<_> = r
        .provisions
        .iter()
        .flat_map(|p| p.test_cases.iter())
        .filter_map(|t| t.attestation.as_ref().map(|a| (t, a)))
        .collect();
    out.push_str("<h2 id=\"attestations\">Assessor attestations</h2>\n");
    let waiting = super::awaiting_attestation(r);
    if attested.is_empty() {
        out.push_str("<p>No assessor attestation was given for this run.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>Test case</th><th>Verdict</th><th>Assessor</th><th>Date</th><th>Rationale</th><th>Evidence</th></tr></thead><tbody>\n");
        for (t, a) in attested {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&t.id),
                escape(&a.verdict),
                escape(&a.assessor),
                escape(&a.role),
                escape(&a.date),
                escape(&a.rationale),
                escape(&a.evidence.join("; "))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if !waiting.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"inc\">Awaiting an assessor: {}</p>",
            escape(&waiting.join(", "))
        );
    }
}

fn versions_section(r: &Report, out: &mut String) {
    let _ = write!(
        out,
        "<h2 id=\"versions\">Versions and integrity</h2>\n<dl>\n<dt>Tool</dt><dd>{} {}</dd>\n<dt>Report format</dt><dd>{}</dd>\n<dt>Profile</dt><dd><code>{}</code></dd>\n<dt>Profile SHA-256</dt><dd><code>{}</code></dd>\n<dt>Evidence</dt><dd>{} records in <code>{}</code></dd>\n<dt>Evidence chain head</dt><dd><code>{}</code></dd>\n</dl>\n",
        escape(&r.tool.name),
        escape(&r.tool.version),
        r.report_version,
        escape(&r.profile.path),
        escape(&r.profile.sha256),
        r.evidence.records,
        escape(&r.evidence.file),
        escape(&r.evidence.head),
    );
    if let Some(set) = &r.settings {
        let rate = set
            .rate_per_second
            .map_or_else(|| "unlimited".to_owned(), |n| format!("{n} per second"));
        let _ = write!(
            out,
            "<h3>Run settings</h3>\n<dl>\n<dt>Probe timeout</dt><dd>{} s</dd>\n<dt>Scenario timeout</dt><dd>{} s</dd>\n<dt>Probe rate</dt><dd>{}</dd>\n<dt>Port scan</dt><dd>{}</dd>\n<dt>Names not looked up</dt><dd>{}</dd>\n<dt>Packet capture</dt><dd>{}</dd>\n</dl>\n",
            set.probe_timeout_s,
            set.scenario_timeout_s,
            escape(&rate),
            escape(&set.port_scan),
            if set.resolve.is_empty() {
                "none".to_owned()
            } else {
                escape(&set.resolve.join(", "))
            },
            set.capture
                .as_deref()
                .map_or_else(|| "none".to_owned(), |c| format!("<code>{}</code>", escape(c))),
        );
    }
    if !r.features.is_empty() {
        out.push_str(
            "<table><thead><tr><th>Feature file</th><th>SHA-256</th></tr></thead><tbody>\n",
        );
        for f in &r.features {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&f.path),
                escape(&f.sha256)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("<p class=\"muted\">The lab's signature over this folder (<code>report.seal</code>) is checked with <code>iotmark report verify</code>.</p>\n");
}

/// The page.
pub fn report_html(r: &Report, evidence: &EvidenceExcerpts) -> String {
    let mut body = String::new();
    let s = &r.summary;
    let overall = match r.verdict.as_str() {
        "conformant" => "pass",
        "not-conformant" => "fail",
        _ => "inc",
    };
    let _ = write!(
        body,
        "<h1>Conformance report: {m} {model}</h1>\n<p class=\"muted\">Scheme {scheme}; tested {started} to {finished}.</p>\n<div id=\"verdict\" class=\"banner {overall}\">Overall result: <strong>{verdict}</strong></div>\n<p class=\"counts\"><span class=\"pass\">PASS {pass}</span><span class=\"fail\">FAIL {fail}</span><span class=\"inc\">INCONCLUSIVE {inc}</span><span class=\"na\">NOT APPLICABLE {na}</span></p>\n",
        m = escape(&r.product.manufacturer),
        model = escape(&r.product.model),
        scheme = escape(&r.scheme),
        started = escape(&r.started),
        finished = escape(&r.finished),
        verdict = escape(r.verdict.as_str()),
        pass = s.pass,
        fail = s.fail,
        inc = s.inconclusive,
        na = s.not_applicable,
    );
    product_section(r, &mut body);
    requirements_section(r, &mut body);
    verdict_table(r, &mut body);
    evidence_section(r, evidence, &mut body);
    declaration_section(r, &mut body);
    attestations_section(r, &mut body);
    versions_section(r, &mut body);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>iotmark report: {} {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&r.product.manufacturer),
        escape(&r.product.model),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_links() {
        assert_eq!(
            escape("<script>\"'&\u{7}"),
            "&lt;script&gt;&quot;&#39;&amp;\u{fffd}"
        );
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
        assert!(link("https://x.example/?a=<b>")
            .starts_with("<a href=\"https://x.example/?a=&lt;b&gt;\""));
    }
}
