//! Functional checks of the connection the device opens to its cloud
//! service (IXIT 11-ComMech, `/ixit/cloud_link`): what travels on it (5.5-6,
//! 5.5-7, 5.8-1, 5.8-2) and how the device comes back after the service
//! goes away (5.9-3).
//!
//! The harness stands in for the cloud: it listens on loopback and has the
//! device's cloud connection sent there ([`Device::redirect_cloud`]), so it
//! sees the first bytes of each session and when each connection attempt
//! arrives. A simulated product can be redirected; a real unit's cloud
//! traffic cannot be observed this way, and the test cases say so
//! (INCONCLUSIVE).
//!
//! [`Device::redirect_cloud`]: iotmark_adapters::device::Device::redirect_cloud

use std::time::{Duration, Instant};

use iotmark_adapters::endpoints::{ApiFunction, ApiMethod, CallValue, CloudLink, FieldKind};
use iotmark_adapters::evidence::ProbeRecord;
use iotmark_adapters::profile::Payload;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use super::api::{call, valid_fields, with_function};
use super::{step, StepDef};
use crate::analysis::traffic::{self, ClientHello};
use crate::world::{StepError, StepResult, World};

/// Most bytes of a session's opening the harness keeps.
const OPENING_MAX: usize = 16 * 1024;
/// The opening is complete when nothing more arrives for this long.
const OPENING_IDLE: Duration = Duration::from_millis(800);
/// Most connection attempts counted in an outage window.
const ATTEMPTS_MAX: usize = 1000;
/// TLS 1.2, the oldest version a session may offer.
const TLS12: u16 = 0x0303;

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the cloud traffic of every mechanism that carries critical security parameters is encrypted from its first byte and shows none of them",
            csp_encrypted
        ),
        step!(
            r"nothing the product sends over its remote cloud connection reveals a critical security parameter, and it offers only TLS 1.2 or later",
            csp_remote
        ),
        step!(
            r"the cloud traffic of every mechanism that carries personal data is encrypted from its first byte and shows none of it",
            personal_encrypted
        ),
        step!(
            r"the traffic to the associated services that carries sensitive personal data is encrypted from its first byte, offers only TLS 1.2 or later and shows none of it",
            sensitive_encrypted
        ),
        step!(
            r"after its cloud service drops its sessions the product retries no faster than its declared back-off, and reconnects once the service is back",
            orderly_reconnect
        ),
    ]
}

/// The declared cloud connection, or why none can be observed.
fn cloud_link(w: &World) -> Result<CloudLink, StepError> {
    w.profile().ixit.cloud_link.clone().ok_or_else(|| {
        StepError::Inconclusive(
            "no cloud connection is declared (/ixit/cloud_link), so its traffic cannot be observed"
                .into(),
        )
    })
}

/// A stand-in cloud the device has been pointed at.
async fn stand_in(w: &World, link: &CloudLink) -> Result<TcpListener, StepError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
        StepError::Inconclusive(format!("cannot listen on loopback for the cloud: {e}"))
    })?;
    let addr = listener.local_addr().map_err(|e| {
        StepError::Inconclusive(format!("cannot listen on loopback for the cloud: {e}"))
    })?;
    w.ctx.device.redirect_cloud(&w.ev, addr).await.map_err(|e| {
        StepError::Inconclusive(format!(
            "the harness cannot stand in for the cloud service at {}:{} ({e}); the traffic of a real unit needs a capture on the lab network, assessed by a person",
            link.host, link.port
        ))
    })?;
    Ok(listener)
}

/// How long to wait for the device's next attempt: its longest declared
/// back-off and some slack.
fn patience(link: &CloudLink) -> Duration {
    Duration::from_millis(u64::from(link.max_delay_ms)) + Duration::from_secs(3)
}

/// Read what the device sends first: until a whole ClientHello, the size
/// limit, or a pause.
async fn opening(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while bytes.len() < OPENING_MAX && traffic::client_hello(&bytes).is_none() {
        match tokio::time::timeout(OPENING_IDLE, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    bytes.truncate(OPENING_MAX);
    bytes
}

/// What the harness saw of one cloud session, with the values it looked for.
struct Observation {
    bytes: Vec<u8>,
    hello: Option<ClientHello>,
    /// (what it is, value) the device must not send readably.
    values: Vec<(&'static str, String)>,
}

impl Observation {
    fn readable(&self, which: &[&str]) -> Vec<&'static str> {
        let values: Vec<(&'static str, &str)> = self
            .values
            .iter()
            .filter(|(label, _)| which.contains(label))
            .map(|(l, v)| (*l, v.as_str()))
            .collect();
        traffic::readable(&self.bytes, &values)
    }
}

const UNIT_PASSWORD: &str = "the unit's password";
const STORED_TITLE: &str = "a recording title the harness stored";

/// Store a recording with a title only the harness knows, so personal data
/// on the wire can be recognised. `None` when no such endpoint is declared.
async fn plant_title(w: &World) -> Result<Option<String>, StepError> {
    let Some(store) = with_function(w, ApiFunction::UserData)
        .into_iter()
        .find(|e| e.method == ApiMethod::Post)
    else {
        return Ok(None);
    };
    let Some(field) = store
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Text | FieldKind::Name))
        .map(|f| f.name.clone())
    else {
        return Ok(None);
    };
    let title = format!(
        "iotmark cloud check {}",
        &super::credentials::fresh_password("cloud")[3..15]
    );
    let mut fields = valid_fields(&store);
    for (n, v) in fields.iter_mut() {
        if *n == field {
            *v = CallValue::Text(title.clone());
        }
    }
    let a = call(w, &store, true, fields, "api-user-data-store").await?;
    Ok(a.is_success().then_some(title))
}

/// Mechanisms that carry any of `payloads` (remote ones only when asked);
/// the declared cloud connection must be one of them, and the others are
/// named as unobserved.
fn mechanisms(
    w: &World,
    payloads: &[Payload],
    remote_only: bool,
    what: &str,
) -> Result<(CloudLink, Vec<String>), StepError> {
    let carrying: Vec<String> = w
        .profile()
        .ixit
        .communications
        .iter()
        .filter(|m| m.carries.iter().any(|p| payloads.contains(p)))
        .filter(|m| !remote_only || m.remote)
        .map(|m| m.id.clone())
        .collect();
    if carrying.is_empty() {
        return Err(StepError::NotApplicable(format!(
            "no declared communication mechanism carries {what}"
        )));
    }
    let link = cloud_link(w)?;
    if !carrying.contains(&link.communication) {
        return Err(StepError::Inconclusive(format!(
            "{} carry {what}, but the declared cloud connection is {}; their traffic cannot be observed",
            carrying.join(", "),
            link.communication
        )));
    }
    let others = carrying
        .into_iter()
        .filter(|id| *id != link.communication)
        .collect();
    Ok((link, others))
}

/// Point the device at a stand-in cloud and read the opening of one session.
async fn observe(w: &World, link: &CloudLink) -> Result<Observation, StepError> {
    let mut values: Vec<(&'static str, String)> = Vec::new();
    if let Some(p) = w
        .profile()
        .units
        .get(w.ctx.unit)
        .and_then(|u| u.initial_password.clone())
    {
        values.push((UNIT_PASSWORD, p.expose().to_string()));
    }
    if let Some(title) = plant_title(w).await? {
        values.push((STORED_TITLE, title));
    }
    let listener = stand_in(w, link).await?;
    let started = Instant::now();
    let (mut stream, _) = tokio::time::timeout(patience(link), listener.accept())
        .await
        .map_err(|_| {
            StepError::Inconclusive(format!(
                "the product did not connect to its cloud service within {} s",
                patience(link).as_secs()
            ))
        })?
        .map_err(|e| StepError::Inconclusive(format!("accepting the cloud session failed: {e}")))?;
    let bytes = opening(&mut stream).await;
    drop(stream);
    let hello = traffic::client_hello(&bytes);
    // The evidence shows the opening with every value the harness knows masked.
    let mut shown = traffic::preview(&bytes, 300);
    for (label, v) in &values {
        if !v.is_empty() {
            shown = shown.replace(v.as_str(), &format!("[{label}]"));
        }
    }
    w.ev.record(ProbeRecord {
        probe: "cloud-session".into(),
        target: format!("{}:{}", link.host, link.port),
        request: "accept the device's cloud session and read its opening".into(),
        response: shown,
        outcome: if hello.is_some() {
            "tls-client-hello".into()
        } else {
            "not-tls".into()
        },
        duration: started.elapsed(),
    });
    Ok(Observation {
        bytes,
        hello,
        values,
    })
}

/// The common judgement: TLS from the first byte, none of `which` readable,
/// and (when `modern`) nothing older than TLS 1.2 offered.
async fn judge(
    w: &mut World,
    payloads: &[Payload],
    remote_only: bool,
    what: &str,
    which: &[&str],
    modern: bool,
) -> StepResult {
    let (link, others) = mechanisms(w, payloads, remote_only, what)?;
    let seen = observe(w, &link).await?;
    let readable = seen.readable(which);
    let Some(hello) = &seen.hello else {
        let detail = if readable.is_empty() {
            String::new()
        } else {
            format!("; readable in it: {}", readable.join(", "))
        };
        return Err(StepError::Fail(format!(
            "{} ({}:{}) carries {what} but the session opened without TLS: {:?}{detail}",
            link.communication,
            link.host,
            link.port,
            traffic::preview(&seen.bytes, 40)
        )));
    };
    if !readable.is_empty() {
        return Err(StepError::Fail(format!(
            "{} shows {} in its opening bytes",
            link.communication,
            readable.join(", ")
        )));
    }
    if modern && hello.lowest_version < TLS12 {
        return Err(StepError::Fail(format!(
            "{} offers {}, older than TLS 1.2",
            link.communication,
            traffic::version_name(hello.lowest_version)
        )));
    }
    if !others.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "{} opened with a TLS ClientHello, but {} also carry {what} and were not observed",
            link.communication,
            others.join(", ")
        )));
    }
    w.note(format!(
        "{} opened with a TLS ClientHello offering {} to {}{}; none of {} was readable",
        link.communication,
        traffic::version_name(hello.best_version),
        traffic::version_name(hello.lowest_version),
        hello
            .server_name
            .as_deref()
            .map(|n| format!(" for {n}"))
            .unwrap_or_default(),
        seen.values
            .iter()
            .filter(|(l, _)| which.contains(l))
            .map(|(l, _)| *l)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}

async fn csp_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::CriticalSecurityParameters],
        false,
        "critical security parameters",
        &[UNIT_PASSWORD],
        false,
    )
    .await
}

async fn csp_remote(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::CriticalSecurityParameters],
        true,
        "critical security parameters remotely",
        &[UNIT_PASSWORD],
        true,
    )
    .await
}

async fn personal_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::PersonalData, Payload::SensitivePersonalData],
        false,
        "personal data",
        &[STORED_TITLE],
        false,
    )
    .await
}

async fn sensitive_encrypted(w: &mut World, _: Vec<String>) -> StepResult {
    judge(
        w,
        &[Payload::SensitivePersonalData],
        true,
        "sensitive personal data to associated services",
        &[STORED_TITLE],
        true,
    )
    .await
}

/// Accept and close every connection for `window`: the times of the
/// attempts, in milliseconds from the first.
async fn outage(listener: &TcpListener, window: Duration, first_within: Duration) -> Vec<u64> {
    let mut times = Vec::new();
    let mut first: Option<Instant> = None;
    let start = Instant::now();
    loop {
        let deadline = match first {
            Some(f) => f + window,
            None => start + first_within,
        };
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match tokio::time::timeout(left, listener.accept()).await {
            Ok(Ok((stream, _))) => {
                let now = Instant::now();
                let f = *first.get_or_insert(now);
                times.push(u64::try_from(now.duration_since(f).as_millis()).unwrap_or(u64::MAX));
                drop(stream);
                if times.len() >= ATTEMPTS_MAX {
                    break;
                }
            }
            Ok(Err(_)) => continue,
            Err(_) => break,
        }
    }
    times
}

async fn orderly_reconnect(w: &mut World, _: Vec<String>) -> StepResult {
    let link = cloud_link(w)?;
    let listener = stand_in(w, &link).await?;
    // Long enough for several doublings of the declared first wait.
    let window = Duration::from_millis((u64::from(link.initial_delay_ms) * 25).clamp(1000, 10_000));
    let started = Instant::now();
    let times = outage(&listener, window, patience(&link)).await;
    w.ev.record(ProbeRecord {
        probe: "cloud-outage".into(),
        target: format!("{}:{}", link.host, link.port),
        request: format!(
            "accept and drop every cloud session for {} ms",
            window.as_millis()
        ),
        response: format!(
            "{} attempt(s) at {:?} ms",
            times.len(),
            times.iter().take(20).collect::<Vec<_>>()
        ),
        outcome: format!("{} attempts", times.len()),
        duration: started.elapsed(),
    });
    if times.is_empty() {
        return Err(StepError::Inconclusive(format!(
            "the product did not connect to its cloud service within {} s",
            patience(&link).as_secs()
        )));
    }
    if let Some((i, gap, wait)) = traffic::backoff_violation(
        &times,
        u64::from(link.initial_delay_ms),
        u64::from(link.max_delay_ms),
    ) {
        return Err(StepError::Fail(format!(
            "while its cloud service dropped every session the product tried {} times in {} ms; attempt {} came {gap} ms after the one before, where the declared back-off waits at least {wait} ms",
            times.len(),
            window.as_millis(),
            i + 1
        )));
    }
    // The service is back: the next session is accepted and kept.
    let back = Instant::now();
    let accepted = tokio::time::timeout(patience(&link), listener.accept()).await;
    let after = back.elapsed();
    let Ok(Ok((mut stream, _))) = accepted else {
        return Err(StepError::Fail(format!(
            "the product did not reconnect within {} s of its cloud service coming back",
            patience(&link).as_secs()
        )));
    };
    let opened = opening(&mut stream).await;
    drop(stream);
    w.note(format!(
        "while the cloud dropped its sessions the product tried {} time(s) in {} ms with gaps of {:?} ms (declared back-off from {} ms to {} ms), and reconnected {} ms after the service came back ({} bytes opened the session)",
        times.len(),
        window.as_millis(),
        times.windows(2).map(|p| p[1].saturating_sub(p[0])).collect::<Vec<_>>(),
        link.initial_delay_ms,
        link.max_delay_ms,
        after.as_millis(),
        opened.len()
    ));
    Ok(())
}
