//! A self-contained HTML summary of a report (no scripts, no external
//! resources), readable by a client of the lab.

use super::Report;
use crate::verdict::Verdict;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::NotApplicable => "na",
        Verdict::Inconclusive => "inc",
    }
}

pub fn report_html(r: &Report) -> String {
    let mut rows = String::new();
    for p in &r.provisions {
        for t in &p.test_cases {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
                escape(&p.id),
                escape(&p.status),
                escape(&t.id),
                t.how,
                class(t.verdict),
                t.verdict,
                escape(&t.reason)
            ));
        }
    }
    let mut reqs = String::new();
    for q in &r.requirements {
        reqs.push_str(&format!(
            "<li><strong>{}</strong> {}: <span class=\"{}\">{}</span></li>\n",
            escape(&q.id),
            escape(&q.title),
            class(q.verdict),
            q.verdict
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iotmark report: {model}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}}
.pass{{background:#d7f5dd}}.fail{{background:#fbd5d5}}.inc{{background:#fdf0c4}}.na{{background:#e8e8e8}}
</style>
</head>
<body>
<h1>Conformance report: {manufacturer} {model}</h1>
<p>Scheme <strong>{scheme}</strong>; overall result <strong>{verdict}</strong>.</p>
<p>Firmware {firmware}; device {device}; tested {started} to {finished}; iotmark {version}.</p>
<p>Support period ends {support_end}; security issues are reported via <a href="{contact}">{contact}</a>.</p>
{risk}<h2>Requirements</h2>
<ul>
{reqs}</ul>
<h2>Test cases</h2>
<table>
<thead><tr><th>Provision</th><th>Status</th><th>Test case</th><th>Decided by</th><th>Verdict</th><th>Reason</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
<p>Evidence: {records} records in {evidence_file}, chain head <code>{head}</code>. Profile SHA-256 <code>{profile_hash}</code>.</p>
</body>
</html>
"#,
        manufacturer = escape(&r.product.manufacturer),
        model = escape(&r.product.model),
        scheme = escape(&r.scheme),
        verdict = r.verdict.as_str(),
        firmware = escape(&r.product.firmware),
        device = escape(&r.device),
        started = escape(&r.started),
        finished = escape(&r.finished),
        version = escape(&r.tool.version),
        support_end = escape(&r.support_end),
        contact = escape(&r.disclosure_contact),
        risk = r
            .risk_class
            .as_ref()
            .map(|c| format!("<p>{}</p>\n", escape(&c.summary)))
            .unwrap_or_default(),
        records = r.evidence.records,
        evidence_file = escape(&r.evidence.file),
        head = escape(&r.evidence.head),
        profile_hash = escape(&r.profile.sha256),
    )
}
