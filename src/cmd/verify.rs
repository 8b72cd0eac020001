//! `iotmark verify`: check a label offline against the authority's certificate,
//! optionally against the authority's trust list and the lab's status list.

use std::path::{Path, PathBuf};

use anyhow::Context;
use iotmark_labels::status::{StatusList, MAX_STATUS_LIST_BYTES};
use iotmark_labels::trust_list::{TrustList, MAX_TRUST_LIST_BYTES};
use std::io::Write as _;

use iotmark_labels::verify::{
    verify_many, verify_with_status, LabelInput, LabelStatus, TrustStore, Verification,
};
use iotmark_labels::{LabCertificate, TrustAnchor};
use time::format_description::well_known::Rfc3339;

use crate::cli::{Format, VerifyArgs};
use crate::output;
use crate::Exit;

/// Lab certificates to trust: those given, or `lab.pem` beside a file input
/// (or a batch file), or inside a batch folder.
fn lab_certs(args: &VerifyArgs) -> Vec<PathBuf> {
    if !args.lab_cert.is_empty() {
        return args.lab_cert.clone();
    }
    if let Some(dir) = args.batch.as_deref().filter(|b| b.is_dir()) {
        let inside = dir.join("lab.pem");
        return if inside.is_file() {
            vec![inside]
        } else {
            Vec::new()
        };
    }
    let path = match (&args.batch, &args.input) {
        (Some(batch), _) => batch.as_path(),
        (None, Some(input)) => Path::new(input),
        (None, None) => return Vec::new(),
    };
    let beside = path.parent().map(|d| d.join("lab.pem"));
    match beside {
        Some(p) if path.is_file() && p.is_file() => vec![p],
        _ => Vec::new(),
    }
}

/// Reads at most `max` bytes of a file we were given; a longer file is an
/// error naming it (shared with `serve`).
pub(crate) fn read_capped(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut buf = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() > max {
        anyhow::bail!("{} is over the {max}-byte limit", path.display());
    }
    Ok(buf)
}

fn trust_store(args: &VerifyArgs, at: time::Date) -> anyhow::Result<TrustStore> {
    let Some(list_path) = &args.trust_list else {
        return Ok(TrustStore::from_pem_files(
            &args.trust_anchor,
            &lab_certs(args),
        )?);
    };
    let anchor = TrustAnchor::from_pem_file(&args.trust_anchor)?;
    let bytes = read_capped(list_path, MAX_TRUST_LIST_BYTES)?;
    let list = TrustList::verify(&bytes, &anchor, at)
        .with_context(|| format!("--trust-list {}", list_path.display()))?;
    let others = lab_certs(args)
        .iter()
        .filter_map(|p| LabCertificate::from_pem_file(p).ok())
        .collect();
    Ok(TrustStore::from_trust_list(anchor, list, others))
}

fn cache_dir(args: &VerifyArgs) -> Option<PathBuf> {
    if let Some(d) = &args.status_cache {
        return Some(d.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("iotmark/status"))
}

/// A verified status list from a file or URL. Whether it is still current
/// is the verification's business (a stale list cannot clear a label).
fn status_list(
    source: &str,
    args: &VerifyArgs,
    trust: &TrustStore,
) -> anyhow::Result<(StatusList, String)> {
    let lower = source.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        let path = Path::new(source);
        let bytes = read_capped(path, MAX_STATUS_LIST_BYTES)?;
        let list = StatusList::verify(&bytes, trust)
            .with_context(|| format!("--status {}", path.display()))?;
        return Ok((list, path.display().to_string()));
    }
    let cached = cache_dir(args).map(|d| {
        let key = hex::encode(iotmark_labels::report_digest(source.as_bytes()));
        d.join(format!("{}.cose", &key[..32]))
    });
    // A cached copy that verifies and is not yet due for renewal is used as is.
    if let Some(path) = &cached {
        if let Ok(bytes) = read_capped(path, MAX_STATUS_LIST_BYTES) {
            if let Ok(list) = StatusList::verify(&bytes, trust) {
                if !list.is_stale(time::OffsetDateTime::now_utc()) {
                    return Ok((list, format!("{source} (cached)")));
                }
            }
        }
    }
    let bytes = fetch(source).with_context(|| format!("--status {source}"))?;
    let list = StatusList::verify(&bytes, trust).with_context(|| format!("--status {source}"))?;
    if let Some(path) = &cached {
        // Best effort: a cache that cannot be written only costs a download.
        if let Some(dir) = path.parent() {
            let tmp = path.with_extension("tmp");
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, &bytes))
                .and_then(|()| std::fs::rename(&tmp, path));
        }
    }
    Ok((list, source.to_owned()))
}

/// Downloads at most the status-list cap, within 15 seconds.
fn fetch(url: &str) -> anyhow::Result<Vec<u8>> {
    let url = url.to_owned();
    let work = async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()?;
        let mut response = client.get(&url).send().await?.error_for_status()?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_STATUS_LIST_BYTES {
                anyhow::bail!("response is over the {MAX_STATUS_LIST_BYTES}-byte limit");
            }
        }
        Ok(body)
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(work)),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(work),
    }
}

/// The verdict as `verify --format json` prints it: the library's JSON plus
/// the status list's source and the trust list used.
fn result_json(
    result: &Verification,
    status_source: Option<&str>,
    trust_list: Option<&serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let mut json = serde_json::to_value(result)?;
    if let Some(obj) = json.as_object_mut() {
        if let Some(source) = status_source {
            if let Some(r) = obj.get_mut("revocation").and_then(|r| r.as_object_mut()) {
                r.insert("source".into(), source.into());
            }
        }
        obj.insert(
            "trust_list".into(),
            trust_list.cloned().unwrap_or(serde_json::Value::Null),
        );
    }
    Ok(json)
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<Exit> {
    let at = match &args.at {
        Some(d) => super::parse_date_arg("--at", d)?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let trust = trust_store(&args, at)?;
    // A status list that cannot be had leaves revocation undecided: the
    // labels are judged, then unverifiable rather than valid.
    let (status, status_missing) = match &args.status {
        Some(source) => match status_list(source, &args, &trust) {
            Ok(list) => (Some(list), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        },
        None => (None, None),
    };
    let trust_list = trust.trust_list.as_ref().map(|t| {
        serde_json::json!({
            "authority": t.authority,
            "issued": t.issued.format(&Rfc3339).unwrap_or_default(),
            "next_update": t.next_update.format(&Rfc3339).unwrap_or_default(),
        })
    });
    if let Some(batch) = &args.batch {
        return verify_batch(
            batch,
            &args,
            &trust,
            at,
            (status.as_ref(), status_missing.as_deref()),
            trust_list.as_ref(),
        );
    }
    let Some(input) = &args.input else {
        anyhow::bail!("give a label (a .cose file, a URL or a photo) or --batch FILE|DIR");
    };
    let input = LabelInput::classify(input)?;
    let judge = |input: &LabelInput| {
        let v = verify_with_status(input, &trust, at, status.as_ref().map(|(l, _)| l));
        match &status_missing {
            Some(note) => v.without_status_list(note),
            None => v,
        }
    };
    // A photo may hold several codes: each is checked on its own.
    let codes = match &input {
        LabelInput::Image(path) => iotmark_labels::qr::decode_image_all(path).unwrap_or_default(),
        _ => Vec::new(),
    };
    let results: Vec<Verification> = if codes.len() > 1 {
        codes
            .iter()
            .map(|url| judge(&LabelInput::Url(url.clone())))
            .collect()
    } else {
        vec![judge(&input)]
    };
    let source = status.as_ref().map(|(_, s)| s.as_str());
    match args.format {
        Format::Json if results.len() == 1 => {
            output::print_json(&result_json(&results[0], source, trust_list.as_ref())?)?
        }
        Format::Json => output::print_json(&serde_json::json!({
            "codes": results.len(),
            "results": results
                .iter()
                .map(|r| result_json(r, source, trust_list.as_ref()))
                .collect::<anyhow::Result<Vec<_>>>()?,
        }))?,
        Format::Text => {
            if results.len() > 1 {
                outln!(
                    "{} QR codes in the photo, each checked on its own:",
                    results.len()
                );
            }
            for (i, result) in results.iter().enumerate() {
                if results.len() > 1 {
                    outln!("code {} of {}:", i + 1, results.len());
                }
                print_text(result, source, trust_list.as_ref());
            }
        }
    }
    Ok(exit_for(results.iter().map(|r| r.status)))
}

/// 0 when every label is valid; 3 when the only ones that are not could not
/// be decided; 1 otherwise.
fn exit_for(statuses: impl Iterator<Item = LabelStatus>) -> Exit {
    let mut exit = Exit::Success;
    for s in statuses {
        match s {
            LabelStatus::Valid => {}
            LabelStatus::Unverifiable => {
                if exit == Exit::Success {
                    exit = Exit::Inconclusive;
                }
            }
            _ => exit = Exit::Negative,
        }
    }
    exit
}

fn print_text(
    result: &Verification,
    status_source: Option<&str>,
    trust_list: Option<&serde_json::Value>,
) {
    outln!(
        "{}{}: {}",
        result.status.as_str().to_uppercase(),
        if result.claims.as_ref().is_some_and(|c| c.simulated) {
            " (DEMONSTRATION LABEL, NOT A TESTED PRODUCT)"
        } else {
            ""
        },
        result.reason
    );
    if let Some(c) = &result.claims {
        outln!(
            "  {} {} firmware {}, label {} issued {}",
            c.manufacturer,
            c.model,
            c.firmware,
            c.serial,
            c.issued
        );
        outln!("  security updates until {}", c.support_end);
        outln!("  report security problems: {}", c.disclosure_contact);
        outln!("  schemes: {}", c.schemes.join(", "));
    }
    if let Some(i) = &result.issuer {
        outln!("  tested by {} (kid {})", i.lab, i.kid);
    }
    if let Some(t) = trust_list {
        outln!(
            "  trust list of {} issued {}",
            t["authority"].as_str().unwrap_or_default(),
            t["issued"].as_str().unwrap_or_default()
        );
    }
    match status_source {
        Some(source) => outln!("  {} ({source})", result.revocation.describe()),
        None => outln!("  {}", result.revocation.describe()),
    }
}

/// A label whose serial and key id another, different label in the batch
/// already holds: the lab signed two labels with one serial (one of them is
/// not the label its registry holds, and they share a revocation bit).
fn duplicate_serial(v: Verification, first: &str) -> Verification {
    let (serial, kid) = match (&v.claims, &v.issuer) {
        (Some(c), Some(i)) => (c.serial, i.kid.clone()),
        _ => return v,
    };
    Verification {
        status: LabelStatus::Invalid,
        reason: format!(
            "serial {serial} of the lab key with kid {kid} is also on a different label ({first}): a lab signs one label per serial"
        ),
        ..v
    }
}

/// Largest batch file read.
const MAX_BATCH_FILE: usize = 256 * 1024 * 1024;
/// Most labels in one batch.
const MAX_BATCH_LABELS: usize = 10_000_000;
/// Labels verified (and held in memory) at a time; output streams per chunk.
const BATCH_CHUNK: usize = 4096;

/// One batch entry: where it came from, and the label or why it could not be read.
struct Entry {
    name: String,
    input: Result<LabelInput, String>,
}

/// The entries of a batch: the lines of a file (blank lines and `#` comments
/// skipped), or the .cose/.png/.jpg/.jpeg files of a folder in name order.
fn batch_entries(batch: &Path) -> anyhow::Result<Vec<(String, String)>> {
    if batch.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(batch)
            .with_context(|| format!("--batch {}: cannot list the folder", batch.display()))?
        {
            let path = entry
                .with_context(|| format!("--batch {}: cannot list the folder", batch.display()))?
                .path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if path.is_file() && matches!(ext.as_str(), "cose" | "png" | "jpg" | "jpeg") {
                files.push(path);
            }
            if files.len() > MAX_BATCH_LABELS {
                anyhow::bail!(
                    "--batch {}: more than {MAX_BATCH_LABELS} labels",
                    batch.display()
                );
            }
        }
        files.sort();
        return Ok(files
            .into_iter()
            .map(|p| {
                let text = p.display().to_string();
                (text.clone(), text)
            })
            .collect());
    }
    let bytes = read_capped(batch, MAX_BATCH_FILE)
        .with_context(|| format!("--batch {}", batch.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("--batch {}: not UTF-8 text", batch.display()))?;
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if entries.len() == MAX_BATCH_LABELS {
            anyhow::bail!(
                "--batch {}: more than {MAX_BATCH_LABELS} labels",
                batch.display()
            );
        }
        entries.push((format!("{}:{}", batch.display(), n + 1), line.to_owned()));
    }
    Ok(entries)
}

fn verify_batch(
    batch: &Path,
    args: &VerifyArgs,
    trust: &iotmark_labels::TrustStore,
    at: time::Date,
    (status, status_missing): (Option<&(StatusList, String)>, Option<&str>),
    trust_list: Option<&serde_json::Value>,
) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let entries = batch_entries(batch)?;
    if entries.is_empty() {
        anyhow::bail!("--batch {}: no labels in it", batch.display());
    }
    let mut counts: std::collections::BTreeMap<&'static str, u64> =
        std::collections::BTreeMap::new();
    // (kid, serial) -> the first input holding it and its claims' digest: a
    // lab signs one label per serial, for ever.
    let mut serials: std::collections::HashMap<(String, u64), (String, [u8; 32])> =
        std::collections::HashMap::new();
    let mut duplicates = 0u64;
    let mut out = std::io::BufWriter::new(output::QuietStdout);
    for chunk in entries.chunks(BATCH_CHUNK) {
        let chunk: Vec<Entry> = chunk
            .iter()
            .map(|(name, arg)| Entry {
                name: name.clone(),
                input: LabelInput::classify(arg).map_err(|e| e.to_string()),
            })
            .collect();
        let readable: Vec<LabelInput> = chunk
            .iter()
            .filter_map(|e| e.input.as_ref().ok().cloned())
            .collect();
        let mut verdicts = verify_many(&readable, trust, at, status.map(|(l, _)| l)).into_iter();
        for entry in &chunk {
            let result = match &entry.input {
                Ok(_) => verdicts.next().unwrap_or_else(|| {
                    Verification::invalid_input("verification produced no verdict")
                }),
                Err(why) => Verification::invalid_input(why.clone()),
            };
            let result = match status_missing {
                Some(note) => result.without_status_list(note),
                None => result,
            };
            let mut duplicate_of = None;
            if let (Some(c), Some(i)) = (&result.claims, &result.issuer) {
                let digest = iotmark_labels::report_digest(&c.to_cbor());
                match serials.entry((i.kid.clone(), c.serial)) {
                    std::collections::hash_map::Entry::Occupied(first)
                        if first.get().1 != digest =>
                    {
                        duplicate_of = Some(first.get().0.clone());
                    }
                    std::collections::hash_map::Entry::Occupied(_) => {}
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert((entry.name.clone(), digest));
                    }
                }
            }
            let result = match &duplicate_of {
                Some(first) => {
                    duplicates += 1;
                    duplicate_serial(result, first)
                }
                None => result,
            };
            *counts.entry(result.status.as_str()).or_default() += 1;
            match args.format {
                Format::Json => {
                    let mut json =
                        result_json(&result, status.map(|(_, s)| s.as_str()), trust_list)?;
                    if let Some(obj) = json.as_object_mut() {
                        obj.insert("input".into(), entry.name.clone().into());
                        if let Some(first) = &duplicate_of {
                            obj.insert("duplicate_serial_of".into(), first.clone().into());
                        }
                    }
                    writeln!(out, "{}", serde_json::to_string(&json)?)?;
                }
                Format::Text => writeln!(
                    out,
                    "{:<13} {}: {}",
                    result.status.as_str().to_uppercase(),
                    entry.name,
                    result.reason
                )?,
            }
        }
    }
    let total = entries.len() as u64;
    let valid = counts.get("valid").copied().unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::json!({
                "summary": {
                    "total": total,
                    "valid": valid,
                    "revoked": counts.get("revoked").copied().unwrap_or(0),
                    "support-ended": counts.get("support-ended").copied().unwrap_or(0),
                    "not-yet-valid": counts.get("not-yet-valid").copied().unwrap_or(0),
                    "invalid": counts.get("invalid").copied().unwrap_or(0),
                    "unverifiable": counts.get("unverifiable").copied().unwrap_or(0),
                    "duplicate_serials": duplicates,
                    "all_valid": valid == total,
                    "seconds": (seconds * 1000.0).round() / 1000.0,
                }
            })
        )?,
        Format::Text => writeln!(
            out,
            "{valid} of {total} labels valid ({}) in {seconds:.2} s",
            counts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?,
    }
    out.flush()?;
    Ok(exit_for(
        LabelStatus::ALL
            .iter()
            .filter(|s| counts.get(s.as_str()).is_some_and(|n| *n > 0))
            .copied(),
    ))
}
