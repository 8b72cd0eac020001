//! Functional checks of the product's network surface: which TCP ports it
//! opens, which TLS versions and cipher suites its TLS servers accept, and
//! whether any login crosses the network unencrypted.

use std::collections::{BTreeMap, BTreeSet};

use iotmark_adapters::device::{LoginTarget, TlsReport};
use iotmark_adapters::profile::{DesignationPlace, LoginMethod, Protocol};

use super::{step, StepDef};
use crate::analysis::text;
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the product's open TCP ports are exactly the ports of its enabled declared interfaces",
            ports_match
        ),
        step!(
            r"every TLS interface refuses TLS 1.0, TLS 1.1 and weak cipher suites",
            tls_current
        ),
        step!(
            r"no login on the product crosses the network unencrypted",
            no_cleartext_login
        ),
        step!(
            r"every interface an authentication mechanism guards encrypts what it carries",
            guarded_interfaces_encrypted
        ),
        step!(
            r"every login offered over TLS negotiates TLS 1.2 or later on the product",
            tls_logins_current
        ),
        step!(
            r"the product's own web interface shows the declared model designation",
            model_on_device_ui
        ),
    ]
}

/// The whole TCP port range: a declared interface can hide anywhere.
const ALL_PORTS: std::ops::RangeInclusive<u16> = 1..=u16::MAX;

/// Enabled declared interfaces by port: port -> interface names.
fn declared_ports(w: &World) -> BTreeMap<u16, Vec<String>> {
    let mut out: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for i in w.profile().ixit.interfaces.iter().filter(|i| i.enabled) {
        out.entry(i.port).or_default().push(i.name.clone());
    }
    out
}

fn port_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn ports_match(w: &mut World, _: Vec<String>) -> StepResult {
    let declared = declared_ports(w);
    let open = w
        .ctx
        .device
        .scan_tcp(&w.ev, ALL_PORTS)
        .await
        .map_err(|e| StepError::Inconclusive(format!("the TCP port scan failed: {e}")))?;
    let open_set: BTreeSet<u16> = open.iter().copied().collect();
    let undeclared: Vec<u16> = open
        .iter()
        .copied()
        .filter(|p| !declared.contains_key(p))
        .collect();
    let closed: Vec<String> = declared
        .iter()
        .filter(|(p, _)| !open_set.contains(p))
        .map(|(p, names)| format!("{p} ({})", names.join(", ")))
        .collect();
    let mut problems = Vec::new();
    if !undeclared.is_empty() {
        problems.push(format!(
            "open TCP port(s) with no enabled declared interface: {}",
            port_list(&undeclared)
        ));
    }
    if !closed.is_empty() {
        problems.push(format!(
            "declared enabled interface(s) not open: {}",
            closed.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(StepError::Fail(problems.join("; ")));
    }
    w.note(format!(
        "a scan of TCP ports 1-65535 found exactly the declared port(s) open: {}",
        port_list(&open)
    ));
    Ok(())
}

/// Does the interface speak TLS by its declared protocol?
fn speaks_tls(protocol: &Protocol) -> bool {
    matches!(protocol, Protocol::Https | Protocol::Tls | Protocol::Mqtts)
}

/// What a TLS survey shows that the baseline forbids: TLS 1.0 and 1.1
/// (RFC 8996) and the weak suite families, CBC-SHA1 included (Mozilla's
/// intermediate profile, v5, offers only AEAD suites).
fn tls_weaknesses(report: &TlsReport) -> Vec<String> {
    let mut found: Vec<String> = report
        .versions
        .iter()
        .filter(|v| v.accepted && v.version.is_deprecated())
        .map(|v| match v.suite {
            Some(s) => format!("accepts {} (chose {s})", v.version),
            None => format!("accepts {}", v.version),
        })
        .collect();
    for s in report.weak_suites.iter() {
        if let Some(chosen) = s.chosen {
            let version = s.version.map(|v| format!(" at {v}")).unwrap_or_default();
            found.push(format!("accepts {} suite {chosen}{version}", s.set.name()));
        }
    }
    found
}

async fn tls_current(w: &mut World, _: Vec<String>) -> StepResult {
    let mut ports: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for i in w.profile().ixit.interfaces.iter() {
        if i.enabled && speaks_tls(&i.protocol) {
            ports.entry(i.port).or_default().push(i.name.clone());
        }
    }
    if ports.is_empty() {
        w.note("no enabled interface is declared to speak TLS");
        return Ok(());
    }
    let mut weak = Vec::new();
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for (port, names) in &ports {
        let label = format!("port {port} ({})", names.join(", "));
        match w.ctx.device.probe_tls(&w.ev, *port).await {
            Ok(report) => {
                let found = tls_weaknesses(&report);
                if found.is_empty() {
                    let versions: Vec<String> = report
                        .accepted_versions()
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    let accepts = if versions.is_empty() {
                        "none of TLS 1.0-1.2".to_string()
                    } else {
                        versions.join(", ")
                    };
                    good.push(format!(
                        "{label} refuses TLS 1.0, TLS 1.1 and every weak suite family (accepts {accepts})"
                    ));
                } else {
                    weak.push(format!("{label} {}", found.join(", ")));
                }
            }
            Err(e) => errors.push(format!("{label}: {e}")),
        }
    }
    if !weak.is_empty() {
        return Err(StepError::Fail(format!(
            "obsolete TLS on the product (baseline: TLS 1.2 or later, no RC4, 3DES, DES, NULL, EXPORT, anonymous or CBC-SHA1 suites): {}",
            weak.join("; ")
        )));
    }
    if !errors.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the TLS survey could not be completed: {}",
            errors.join("; ")
        )));
    }
    w.note(good.join("; "));
    Ok(())
}

/// A login that sends its credential unencrypted, with why.
fn cleartext(protocol: &Protocol, method: &LoginMethod) -> Option<&'static str> {
    match (protocol, method) {
        (_, LoginMethod::TelnetPrompt) => Some("telnet login"),
        (Protocol::Https | Protocol::Tls, _) => None,
        (_, LoginMethod::SshPassword) => None,
        (_, LoginMethod::HttpBasic { .. }) => Some("HTTP basic auth on plain HTTP"),
        (_, LoginMethod::HttpForm { .. }) => Some("HTTP form login on plain HTTP"),
    }
}

fn target_cleartext(t: &LoginTarget) -> Option<&'static str> {
    let protocol = if t.tls {
        Protocol::Https
    } else {
        Protocol::Http
    };
    cleartext(&protocol, &t.method)
}

async fn no_cleartext_login(w: &mut World, _: Vec<String>) -> StepResult {
    let mut plain: Vec<String> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for i in w.profile().ixit.interfaces.iter().filter(|i| i.enabled) {
        let Some(method) = &i.login else { continue };
        names.insert(i.name.clone());
        if let Some(why) = cleartext(&i.protocol, method) {
            plain.push(format!("{why} on {} (port {})", i.name, i.port));
        }
    }
    // Logins the adapter found beyond the declaration (undeclared telnet).
    for t in w.ctx.device.login_targets() {
        if names.contains(&t.interface) {
            continue;
        }
        names.insert(t.interface.clone());
        if let Some(why) = target_cleartext(&t) {
            plain.push(format!("{why} on {} ({})", t.interface, t.addr));
        }
    }
    if !plain.is_empty() {
        return Err(StepError::Fail(format!(
            "credentials cross the network in the clear: {}",
            plain.join("; ")
        )));
    }
    if names.is_empty() {
        return Err(StepError::Inconclusive(
            "no login interface was declared or discovered, so none could be checked".into(),
        ));
    }
    w.note(format!(
        "every login ({}) is carried by TLS or SSH",
        names.into_iter().collect::<Vec<_>>().join(", ")
    ));
    Ok(())
}

/// Protocols that carry what they are given unencrypted.
fn plaintext_protocol(protocol: &Protocol) -> bool {
    matches!(protocol, Protocol::Telnet | Protocol::Http | Protocol::Mqtt)
}

async fn guarded_interfaces_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    let profile = w.profile();
    let mut plain = Vec::new();
    let mut unknown = Vec::new();
    let mut checked = 0;
    for m in profile.ixit.auth_mechanisms.iter() {
        for name in m.interfaces.iter() {
            let Some(i) = profile
                .ixit
                .interfaces
                .iter()
                .find(|i| &i.name == name && i.enabled)
            else {
                continue;
            };
            checked += 1;
            if plaintext_protocol(&i.protocol) {
                plain.push(format!(
                    "{} is offered on {} ({:?}, port {}), which does not encrypt",
                    m.id, i.name, i.protocol, i.port
                ));
            } else if i.protocol == Protocol::Other {
                unknown.push(format!("{} on {} (port {})", m.id, i.name, i.port));
            }
        }
    }
    if !plain.is_empty() {
        return Err(StepError::Fail(format!(
            "authentication values cross the network in the clear: {}",
            plain.join("; ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "authentication on interfaces of protocol \"other\" needs an assessor's judgement: {}",
            unknown.join(", ")
        )));
    }
    w.note(format!(
        "{checked} guarded interface(s), all on encrypting protocols"
    ));
    Ok(())
}

async fn tls_logins_current(w: &mut World, _: Vec<String>) -> StepResult {
    let mut ports: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for i in w.profile().ixit.interfaces.iter() {
        if i.enabled && i.login.is_some() && speaks_tls(&i.protocol) {
            ports.entry(i.port).or_default().push(i.name.clone());
        }
    }
    let mut seen = Vec::new();
    for (port, names) in &ports {
        let label = format!("port {port} ({})", names.join(", "));
        let report = w.ctx.device.probe_tls(&w.ev, *port).await.map_err(|e| {
            StepError::Inconclusive(format!("the TLS survey of {label} failed: {e}"))
        })?;
        let old: Vec<String> = report
            .accepted_versions()
            .into_iter()
            .filter(|v| v.is_deprecated())
            .map(|v| v.to_string())
            .collect();
        if !old.is_empty() {
            return Err(StepError::Fail(format!(
                "the login on {label} can be negotiated down to {}",
                old.join(" and ")
            )));
        }
        match report.accepted_versions().iter().max() {
            Some(v) => seen.push(format!("{label} negotiates {v}")),
            None => {
                return Err(StepError::Inconclusive(format!(
                    "{label} accepted none of TLS 1.0-1.2; a TLS 1.3-only server needs an assessor to confirm"
                )))
            }
        }
    }
    if !seen.is_empty() {
        w.note(seen.join("; "));
    }
    Ok(())
}

async fn model_on_device_ui(w: &mut World, _: Vec<String>) -> StepResult {
    let places = &w.profile().ixit.user_info.model_designation_shown_on;
    if !places.contains(&DesignationPlace::DeviceUi) {
        return Err(StepError::Inconclusive(format!(
            "the declaration shows the model designation only on {places:?}, which an assessor must read"
        )));
    }
    let model = w.profile().product.model.clone();
    let pages: Vec<(String, String)> = w
        .ctx
        .device
        .login_targets()
        .into_iter()
        .filter_map(|t| match &t.method {
            LoginMethod::HttpForm { path, .. } => {
                let scheme = if t.tls { "https" } else { "http" };
                Some((t.interface.clone(), format!("{scheme}://{}{path}", t.addr)))
            }
            _ => None,
        })
        .collect();
    if pages.is_empty() {
        return Err(StepError::Inconclusive(
            "the device UI is declared to show the model designation, but no web page of the device is declared".into(),
        ));
    }
    let mut missing = Vec::new();
    let mut shown = Vec::new();
    for (interface, url) in pages {
        let page = w.ctx.device.fetch(&w.ev, &url).await.map_err(|e| {
            StepError::Inconclusive(format!("the {interface} page could not be fetched: {e}"))
        })?;
        if !(200..300).contains(&page.status) {
            return Err(StepError::Inconclusive(format!(
                "the {interface} page at {} answered HTTP {}",
                page.url, page.status
            )));
        }
        let visible = text::visible_text(&page.body, page.content_type.as_deref());
        if crate::analysis::text::names_whole(&visible, &model) {
            shown.push(format!("{interface} ({})", page.url));
        } else {
            let start: String = visible.chars().take(80).collect();
            missing.push(format!("{interface} at {} (it reads {start:?})", page.url));
        }
    }
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "the declared model designation {model} is not shown on the device's web interface: {}",
            missing.join("; ")
        )));
    }
    w.note(format!(
        "the device's web interface shows model {model}: {}",
        shown.join(", ")
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotmark_adapters::probe::tls::{
        CipherSuite, SuiteCheck, TlsVersion, VersionCheck, WeakSuiteSet,
    };

    fn version(v: TlsVersion, accepted: bool) -> VersionCheck {
        VersionCheck {
            version: v,
            accepted,
            suite: accepted.then_some(CipherSuite(0xC02F)),
            answer: String::new(),
        }
    }

    #[test]
    fn old_versions_and_weak_suites_are_named() {
        let report = TlsReport {
            addr: ([127, 0, 0, 1], 443).into(),
            versions: vec![
                version(TlsVersion::TLS10, true),
                version(TlsVersion::TLS11, false),
                version(TlsVersion::TLS12, true),
            ],
            weak_suites: vec![
                SuiteCheck {
                    set: WeakSuiteSet::TripleDes,
                    chosen: Some(CipherSuite(0x000A)),
                    version: Some(TlsVersion::TLS12),
                    answer: String::new(),
                },
                SuiteCheck {
                    set: WeakSuiteSet::Rc4,
                    chosen: None,
                    version: None,
                    answer: String::new(),
                },
            ],
            certificate_sha256: None,
        };
        let found = tls_weaknesses(&report);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("accepts TLS 1.0 (chose "), "{found:?}");
        assert!(found[1].starts_with("accepts 3DES suite "), "{found:?}");
        assert!(found[1].ends_with(" at TLS 1.2"), "{found:?}");
    }

    #[test]
    fn only_encrypted_logins_pass() {
        let basic = LoginMethod::HttpBasic { path: "/".into() };
        assert_eq!(cleartext(&Protocol::Https, &basic), None);
        assert!(cleartext(&Protocol::Http, &basic).is_some());
        assert!(cleartext(&Protocol::Https, &LoginMethod::TelnetPrompt).is_some());
        assert_eq!(cleartext(&Protocol::Ssh, &LoginMethod::SshPassword), None);
    }
}
