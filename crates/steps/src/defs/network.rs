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

/// How a login kind is named in reasons.
fn login_phrase(method: &LoginMethod) -> &'static str {
    match method {
        LoginMethod::TelnetPrompt => "telnet login",
        LoginMethod::HttpBasic { .. } => "HTTP basic auth",
        LoginMethod::HttpDigest { .. } => "HTTP digest auth",
        LoginMethod::HttpForm { .. } => "HTTP form login",
        LoginMethod::SshPassword => "SSH password login",
        LoginMethod::MqttConnect => "MQTT login",
    }
}

/// The protocol a login target speaks, where the declaration does not say
/// (a login found beyond it).
fn target_protocol(t: &LoginTarget) -> Protocol {
    match &t.method {
        LoginMethod::TelnetPrompt => Protocol::Telnet,
        LoginMethod::SshPassword => Protocol::Ssh,
        LoginMethod::MqttConnect => Protocol::Mqtt,
        LoginMethod::HttpBasic { .. }
        | LoginMethod::HttpDigest { .. }
        | LoginMethod::HttpForm { .. } => {
            if t.tls {
                Protocol::Https
            } else {
                Protocol::Http
            }
        }
    }
}

/// Something that carries a credential over the network: a login (declared
/// or found), or an interface an authentication mechanism guards.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Carrier {
    /// The interface's name.
    interface: String,
    /// How it is named in a reason when it carries credentials in the clear.
    label: String,
    protocol: Protocol,
}

/// Every credential-carrying interface of the product: each enabled
/// interface with a login or guarded by a mechanism, and each login found
/// beyond the declaration. One list, judged by one rule
/// ([`Protocol::cleartext`]), for 5.1-3-2 and 5.5-1-2 alike.
fn carriers(w: &World) -> Vec<Carrier> {
    let p = w.profile();
    let mut out = Vec::new();
    for i in p.ixit.interfaces.iter().filter(|i| i.enabled) {
        if let Some(method) = &i.login {
            let plain_http = matches!(i.protocol, Protocol::Http)
                && matches!(
                    method,
                    LoginMethod::HttpBasic { .. }
                        | LoginMethod::HttpDigest { .. }
                        | LoginMethod::HttpForm { .. }
                );
            out.push(Carrier {
                interface: i.name.clone(),
                label: format!(
                    "{}{} on {} (port {})",
                    login_phrase(method),
                    if plain_http { " on plain HTTP" } else { "" },
                    i.name,
                    i.port
                ),
                protocol: i.protocol,
            });
        }
        for m in p
            .ixit
            .auth_mechanisms
            .iter()
            .filter(|m| m.interfaces.iter().any(|n| n == &i.name))
        {
            out.push(Carrier {
                interface: i.name.clone(),
                label: format!(
                    "{} is offered on {} ({:?}, port {}), which does not encrypt",
                    m.id, i.name, i.protocol, i.port
                ),
                protocol: i.protocol,
            });
        }
    }
    let declared: BTreeSet<String> = p.ixit.interfaces.iter().map(|i| i.name.clone()).collect();
    for t in w.ctx.device.login_targets() {
        if declared.contains(&t.interface) {
            continue;
        }
        out.push(Carrier {
            interface: t.interface.clone(),
            label: format!(
                "{} on {} ({})",
                login_phrase(&t.method),
                t.interface,
                t.addr
            ),
            protocol: target_protocol(&t),
        });
    }
    out
}

/// The one cleartext rule: FAIL when any carrier's protocol sends what it
/// carries unencrypted, INCONCLUSIVE when a protocol is `other`, else the
/// carriers checked (interface names).
fn cleartext_rule(w: &World) -> Result<Vec<String>, StepError> {
    let all = carriers(w);
    let mut plain = Vec::new();
    let mut unknown = Vec::new();
    let mut names = BTreeSet::new();
    for c in &all {
        names.insert(c.interface.clone());
        match c.protocol.cleartext() {
            Some(true) => plain.push(c.label.clone()),
            Some(false) => {}
            None => unknown.push(format!("{} (protocol other)", c.interface)),
        }
    }
    plain.dedup();
    unknown.sort();
    unknown.dedup();
    if !plain.is_empty() {
        return Err(StepError::Fail(format!(
            "credentials cross the network in the clear: {}",
            plain.join("; ")
        )));
    }
    if !unknown.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "authentication on interfaces of protocol \"other\" needs an assessor's judgement: {}",
            unknown.join(", ")
        )));
    }
    Ok(names.into_iter().collect())
}

async fn no_cleartext_login(w: &mut World, _: Vec<String>) -> StepResult {
    let names = cleartext_rule(w)?;
    if names.is_empty() {
        return Err(StepError::Inconclusive(
            "no login interface was declared or discovered, so none could be checked".into(),
        ));
    }
    w.note(format!(
        "every credential-carrying interface ({}) is carried by TLS or SSH",
        names.join(", ")
    ));
    Ok(())
}

async fn guarded_interfaces_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    let names = cleartext_rule(w)?;
    w.note(format!(
        "{} credential-carrying interface(s), all on encrypting protocols",
        names.len()
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
    fn one_rule_for_every_protocol() {
        for p in [
            Protocol::Telnet,
            Protocol::Http,
            Protocol::Mqtt,
            Protocol::Ftp,
            Protocol::Rtsp,
            Protocol::Snmp,
        ] {
            assert_eq!(p.cleartext(), Some(true), "{p:?}");
        }
        for p in [
            Protocol::Https,
            Protocol::Ssh,
            Protocol::Mqtts,
            Protocol::Ftps,
            Protocol::Tls,
        ] {
            assert_eq!(p.cleartext(), Some(false), "{p:?}");
        }
        assert_eq!(Protocol::Other.cleartext(), None);
    }
}
