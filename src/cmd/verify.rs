//! `iotmark verify`: check a label offline against the authority's certificate,
//! optionally against the authority's trust list and the lab's status list.

use std::path::{Path, PathBuf};

use anyhow::Context;
use iotmark_labels::status::{StatusList, MAX_STATUS_LIST_BYTES};
use iotmark_labels::trust_list::{TrustList, MAX_TRUST_LIST_BYTES};
use iotmark_labels::verify::{verify_with_status, LabelInput, LabelStatus, TrustStore};
use iotmark_labels::{LabCertificate, TrustAnchor};
use time::format_description::well_known::Rfc3339;

use crate::cli::{Format, VerifyArgs};
use crate::output;
use crate::Exit;

/// Lab certificates to trust: those given, or `lab.pem` beside a file input.
fn lab_certs(args: &VerifyArgs) -> Vec<PathBuf> {
    if !args.lab_cert.is_empty() {
        return args.lab_cert.clone();
    }
    let path = Path::new(&args.input);
    let beside = path.parent().map(|d| d.join("lab.pem"));
    match beside {
        Some(p) if path.is_file() && p.is_file() => vec![p],
        _ => Vec::new(),
    }
}

fn read_capped(path: &Path, max: usize) -> anyhow::Result<Vec<u8>> {
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

/// A verified, current status list from a file or URL.
fn status_list(
    source: &str,
    args: &VerifyArgs,
    trust: &TrustStore,
    at: time::Date,
) -> anyhow::Result<(StatusList, String)> {
    let lower = source.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        let path = Path::new(source);
        let bytes = read_capped(path, MAX_STATUS_LIST_BYTES)?;
        let list = StatusList::verify(&bytes, trust)
            .with_context(|| format!("--status {}", path.display()))?;
        list.check_current(at)
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
                let fresh = list.next_update() > time::OffsetDateTime::now_utc();
                if fresh && list.check_current(at).is_ok() {
                    return Ok((list, format!("{source} (cached)")));
                }
            }
        }
    }
    let bytes = fetch(source).with_context(|| format!("--status {source}"))?;
    let list = StatusList::verify(&bytes, trust).with_context(|| format!("--status {source}"))?;
    list.check_current(at)
        .with_context(|| format!("--status {source}"))?;
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

pub fn verify(args: VerifyArgs) -> anyhow::Result<Exit> {
    let at = match &args.at {
        Some(d) => super::parse_date_arg("--at", d)?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let trust = trust_store(&args, at)?;
    let status = match &args.status {
        Some(source) => Some(status_list(source, &args, &trust, at)?),
        None => None,
    };
    let input = LabelInput::classify(&args.input)?;
    let result = verify_with_status(&input, &trust, at, status.as_ref().map(|(l, _)| l));
    let trust_list = trust.trust_list.as_ref().map(|t| {
        serde_json::json!({
            "authority": t.authority,
            "issued": t.issued.format(&Rfc3339).unwrap_or_default(),
            "next_update": t.next_update.format(&Rfc3339).unwrap_or_default(),
        })
    });
    match args.format {
        Format::Json => {
            let mut json = serde_json::to_value(&result)?;
            if let Some(obj) = json.as_object_mut() {
                if let Some((_, source)) = &status {
                    if let Some(r) = obj.get_mut("revocation").and_then(|r| r.as_object_mut()) {
                        r.insert("source".into(), source.clone().into());
                    }
                }
                obj.insert(
                    "trust_list".into(),
                    trust_list.clone().unwrap_or(serde_json::Value::Null),
                );
            }
            output::print_json(&json)?
        }
        Format::Text => {
            println!(
                "{}: {}",
                result.status.as_str().to_uppercase(),
                result.reason
            );
            if let Some(c) = &result.claims {
                println!(
                    "  {} {} firmware {}, label {} issued {}",
                    c.manufacturer, c.model, c.firmware, c.serial, c.issued
                );
                println!("  security updates until {}", c.support_end);
                println!("  report security problems: {}", c.disclosure_contact);
                println!("  schemes: {}", c.schemes.join(", "));
            }
            if let Some(i) = &result.issuer {
                println!("  tested by {} (kid {})", i.lab, i.kid);
            }
            if let Some(t) = &trust_list {
                println!(
                    "  trust list of {} issued {}",
                    t["authority"].as_str().unwrap_or_default(),
                    t["issued"].as_str().unwrap_or_default()
                );
            }
            match &status {
                Some((_, source)) => println!("  {} ({source})", result.revocation.describe()),
                None => println!("  {}", result.revocation.describe()),
            }
        }
    }
    Ok(match result.status {
        LabelStatus::Valid => Exit::Success,
        _ => Exit::Negative,
    })
}
