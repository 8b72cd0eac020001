//! Credential sweeps with the FTP, RTSP and SNMP login probes, for the
//! side-by-side benchmark `bench/login-protocols.sh` (against hydra). The FTP
//! and RTSP logins go through the tower services under the layers the probe
//! stack puts around every probe (evidence, error mapping, timeout); SNMP
//! through its calibrated judge.
//!
//! ```text
//! login_sweep ftp ADDR CREDENTIALS.csv [CONCURRENCY]
//!     every `username,password` row on the FTP server at ADDR (AUTH TLS
//!     first where offered)
//! login_sweep rtsp URL ADDR CREDENTIALS.csv [CONCURRENCY]
//!     every row as a DESCRIBE of URL at ADDR (the strongest scheme offered)
//! login_sweep snmp ADDR DECLARED COMMUNITIES.txt [CONCURRENCY]
//!     calibrate on the declared community (v2c), then every community
//! ```
//!
//! Each prints one JSON line: attempts, what was accepted, errors, seconds.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use iotmark_adapters::device::{Credential, LoginOutcome, ProbeError};
use iotmark_adapters::evidence::EvidenceLog;
use iotmark_adapters::probe::ftp::{FtpLoginRequest, FtpLoginService, TlsPolicy};
use iotmark_adapters::probe::layers::{
    DescribeRequest, DescribeResponse, EvidenceLayer, ProbeErrorLayer, Recorded,
};
use iotmark_adapters::probe::rtsp::{RtspLoginRequest, RtspLoginService, RtspScheme};
use iotmark_adapters::probe::snmp::{SnmpJudge, SnmpVersion};
use iotmark_adapters::probe::ProbeConfig;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceBuilder, ServiceExt};

fn usage() -> ExitCode {
    eprintln!("usage: login_sweep ftp ADDR CREDENTIALS.csv [CONCURRENCY]");
    eprintln!("       login_sweep rtsp URL ADDR CREDENTIALS.csv [CONCURRENCY]");
    eprintln!("       login_sweep snmp ADDR DECLARED COMMUNITIES.txt [CONCURRENCY]");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ftp") if args.len() >= 3 => ftp(&args[1], &args[2], args.get(3)).await,
        Some("rtsp") if args.len() >= 4 => rtsp(&args[1], &args[2], &args[3], args.get(4)).await,
        Some("snmp") if args.len() >= 4 => snmp(&args[1], &args[2], &args[3], args.get(4)).await,
        _ => return usage(),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("login_sweep: {e}");
            ExitCode::from(1)
        }
    }
}

fn count(arg: Option<&String>) -> Result<usize, String> {
    arg.map_or(Ok(4), |a| {
        a.parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{a:?} is not a positive number"))
    })
}

fn credentials(csv: &str) -> Result<Vec<Credential>, String> {
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{csv}: {e}"))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("username,"))
        .filter_map(|l| {
            let (user, password) = l.split_once(',')?;
            Some(Credential::new(user, password))
        })
        .collect())
}

fn config() -> ProbeConfig {
    ProbeConfig {
        timeout: Duration::from_secs(10),
        ..ProbeConfig::default()
    }
}

/// `service` under the evidence, error-mapping and timeout layers.
fn stacked<S, R>(
    service: S,
    timeout: Duration,
) -> BoxCloneSyncService<Recorded<R>, S::Response, ProbeError>
where
    S: Service<R, Error = ProbeError> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Response: DescribeResponse + Send + 'static,
    R: DescribeRequest + Send + 'static,
{
    BoxCloneSyncService::new(
        ServiceBuilder::new()
            .layer(EvidenceLayer)
            .layer(ProbeErrorLayer::new(timeout))
            .layer(tower::timeout::TimeoutLayer::new(timeout))
            .service(service),
    )
}

fn summary(
    probe: &str,
    outcomes: &[(String, Result<LoginOutcome, String>)],
    seconds: f64,
) -> String {
    let accepted: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Ok(LoginOutcome::Accepted)))
        .map(|(c, _)| c.as_str())
        .collect();
    let errors: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().err())
        .collect();
    serde_json::json!({
        "probe": probe,
        "attempts": outcomes.len(),
        "accepted": accepted,
        "errors": errors.len(),
        "first_error": errors.first(),
        "seconds": seconds,
    })
    .to_string()
}

async fn ftp(addr: &str, csv: &str, concurrency: Option<&String>) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let concurrency = count(concurrency)?;
    let config = config();
    let probe = stacked(FtpLoginService::new(&config), config.timeout);
    let log = EvidenceLog::in_memory();
    let ev = log.scope("bench");
    let started = Instant::now();
    let outcomes: Vec<_> = stream::iter(credentials(csv)?)
        .map(|credential| {
            let request = FtpLoginRequest {
                interface: "bench".into(),
                addr,
                host: addr.ip().to_string(),
                credential: credential.clone(),
                tls: TlsPolicy::IfOffered,
            };
            let call = probe.clone().oneshot(Recorded::new(&ev, request));
            async move {
                (
                    format!("{}:{}", credential.username, credential.password.mask()),
                    call.await.map(|r| r.outcome).map_err(|e| e.to_string()),
                )
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    Ok(summary(
        "ftp-sweep",
        &outcomes,
        started.elapsed().as_secs_f64(),
    ))
}

async fn rtsp(
    url: &str,
    addr: &str,
    csv: &str,
    concurrency: Option<&String>,
) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let concurrency = count(concurrency)?;
    let config = config();
    let probe = stacked(RtspLoginService::new(&config), config.timeout);
    let log = EvidenceLog::in_memory();
    let ev = log.scope("bench");
    let started = Instant::now();
    let outcomes: Vec<_> = stream::iter(credentials(csv)?)
        .map(|credential| {
            let request = RtspLoginRequest {
                interface: "bench".into(),
                addr,
                url: url.to_string(),
                credential: credential.clone(),
                scheme: RtspScheme::Strongest,
            };
            let call = probe.clone().oneshot(Recorded::new(&ev, request));
            async move {
                (
                    format!("{}:{}", credential.username, credential.password.mask()),
                    call.await.map(|r| r.outcome).map_err(|e| e.to_string()),
                )
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    Ok(summary(
        "rtsp-sweep",
        &outcomes,
        started.elapsed().as_secs_f64(),
    ))
}

async fn snmp(
    addr: &str,
    declared: &str,
    list: &str,
    concurrency: Option<&String>,
) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let concurrency = count(concurrency)?;
    let text = std::fs::read_to_string(list).map_err(|e| format!("{list}: {e}"))?;
    let communities: Vec<Credential> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|c| Credential::new("", c))
        .collect();
    let config = ProbeConfig {
        timeout: Duration::from_secs(2),
        ..ProbeConfig::default()
    };
    let started = Instant::now();
    let judge = SnmpJudge::calibrate(
        addr,
        SnmpVersion::V2c,
        &Credential::new("", declared),
        &config,
    )
    .await
    .map_err(|e| e.to_string())?;
    let judge = &judge;
    let outcomes: Vec<_> = stream::iter(communities)
        .map(|community| async move {
            (
                community.password.mask(),
                judge.try_login(&community).await.map_err(|e| e.to_string()),
            )
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    Ok(summary(
        "snmp-sweep",
        &outcomes,
        started.elapsed().as_secs_f64(),
    ))
}
