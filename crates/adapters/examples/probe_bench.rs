//! The probes the side-by-side benchmarks in `bench/` time against other
//! tools, driven through the same tower stacks (layers included) the harness
//! uses:
//!
//! ```text
//! probe_bench telnet-sweep ADDR CREDENTIALS.csv [CONCURRENCY]
//!     try every `username,password` row (a header row is skipped) on the
//!     telnet login at ADDR, CONCURRENCY at a time (default 4)
//! probe_bench http-sweep ADDR PATH CREDENTIALS.csv [CONCURRENCY]
//!     the same over HTTP authentication on GET PATH (Basic, or Digest where
//!     the server challenges only with Digest), as the harness tries it
//! probe_bench scan HOST [CONCURRENCY]
//!     TCP port scan of ports 1-65535 on HOST (an IP address) as the harness
//!     runs it: a SYN scan where raw sockets are allowed (root), else a
//!     connect scan with CONCURRENCY connects in flight (default 512)
//! probe_bench scan-connect HOST [CONCURRENCY]
//!     the connect scan, even where a SYN scan is possible
//! ```
//!
//! Each prints one JSON line: what was found, how many attempts, seconds.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use iotmark_adapters::device::{Credential, LoginOutcome};
use iotmark_adapters::evidence::EvidenceLog;
use iotmark_adapters::net::NetAddressBook;
use iotmark_adapters::probe::http::digest::{auth_login, AuthLogin};
use iotmark_adapters::probe::http::Url;
use iotmark_adapters::probe::layers::Recorded;
use iotmark_adapters::probe::scan::PortScanRequest;
use iotmark_adapters::probe::telnet::TelnetLoginRequest;
use iotmark_adapters::probe::{ProbeConfig, ProbeStack};
use tower::ServiceExt;

fn usage() -> ExitCode {
    eprintln!("usage: probe_bench telnet-sweep ADDR CREDENTIALS.csv [CONCURRENCY]");
    eprintln!("       probe_bench http-sweep ADDR PATH CREDENTIALS.csv [CONCURRENCY]");
    eprintln!("       probe_bench scan HOST [CONCURRENCY]");
    eprintln!("       probe_bench scan-connect HOST [CONCURRENCY]");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("telnet-sweep") if args.len() >= 3 => {
            telnet_sweep(&args[1], &args[2], args.get(3)).await
        }
        Some("http-sweep") if args.len() >= 4 => {
            http_sweep(&args[1], &args[2], &args[3], args.get(4)).await
        }
        Some("scan") if args.len() >= 2 => scan(&args[1], args.get(2), true).await,
        Some("scan-connect") if args.len() >= 2 => scan(&args[1], args.get(2), false).await,
        _ => return usage(),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("probe_bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn count(arg: Option<&String>, default: usize) -> Result<usize, String> {
    arg.map_or(Ok(default), |a| {
        a.parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{a:?} is not a positive number"))
    })
}

async fn telnet_sweep(
    addr: &str,
    csv: &str,
    concurrency: Option<&String>,
) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let concurrency = count(concurrency, 4)?;
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{csv}: {e}"))?;
    let credentials: Vec<Credential> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("username,"))
        .filter_map(|l| {
            let mut cols = l.split(',');
            Some(Credential::new(cols.next()?, cols.next()?))
        })
        .collect();
    let config = ProbeConfig {
        concurrency,
        ..ProbeConfig::default()
    };
    let stack = ProbeStack::new(config).map_err(|e| e.to_string())?;
    let probe = stack.telnet();
    let log = EvidenceLog::in_memory();
    let ev = log.scope("bench");
    let started = Instant::now();
    let outcomes: Vec<(String, Result<LoginOutcome, String>)> = stream::iter(credentials)
        .map(|credential| {
            let request = TelnetLoginRequest {
                interface: "bench".into(),
                addr,
                credential: credential.clone(),
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
    let seconds = started.elapsed().as_secs_f64();
    let accepted: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Ok(LoginOutcome::Accepted)))
        .map(|(c, _)| c.as_str())
        .collect();
    let errors: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().err())
        .collect();
    Ok(serde_json::json!({
        "probe": "telnet-sweep",
        "attempts": outcomes.len(),
        "accepted": accepted,
        "errors": errors.len(),
        "first_error": errors.first(),
        "seconds": seconds,
    })
    .to_string())
}

fn read_credentials(csv: &str) -> Result<Vec<Credential>, String> {
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{csv}: {e}"))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("username,"))
        .filter_map(|l| {
            let mut cols = l.split(',');
            Some(Credential::new(cols.next()?, cols.next()?))
        })
        .collect())
}

async fn http_sweep(
    addr: &str,
    path: &str,
    csv: &str,
    concurrency: Option<&String>,
) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let concurrency = count(concurrency, 4)?;
    let credentials = read_credentials(csv)?;
    let config = ProbeConfig {
        concurrency,
        ..ProbeConfig::default()
    };
    let stack = ProbeStack::new(config.clone()).map_err(|e| e.to_string())?;
    let book = NetAddressBook::resolve(&addr.ip().to_string(), config.connect_timeout)
        .await
        .map_err(|e| e.to_string())?;
    let probe = stack
        .http(std::sync::Arc::new(book), Some(addr.ip()))
        .map_err(|e| e.to_string())?;
    let url = Url::parse(&format!("http://{addr}{path}")).map_err(|e| e.to_string())?;
    let login = AuthLogin {
        url,
        host: addr.to_string(),
        tls: false,
        digest_only: false,
        target: format!("http://{addr}{path}"),
    };
    let log = EvidenceLog::in_memory();
    let ev = log.scope("bench");
    let started = Instant::now();
    let outcomes: Vec<(String, Result<LoginOutcome, String>)> = stream::iter(credentials)
        .map(|credential| {
            let (probe, ev, login) = (&probe, &ev, &login);
            async move {
                let answer = auth_login(probe, ev, login, &credential).await;
                (
                    format!("{}:{}", credential.username, credential.password.mask()),
                    answer
                        .map_err(|e| e.to_string())
                        .and_then(|a| a.login.ok_or_else(|| "not judged".to_string())),
                )
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let accepted: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Ok(LoginOutcome::Accepted)))
        .map(|(c, _)| c.as_str())
        .collect();
    let errors: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().err())
        .collect();
    Ok(serde_json::json!({
        "probe": "http-sweep",
        "attempts": outcomes.len(),
        "accepted": accepted,
        "errors": errors.len(),
        "first_error": errors.first(),
        "seconds": seconds,
    })
    .to_string())
}

async fn scan(host: &str, concurrency: Option<&String>, syn: bool) -> Result<String, String> {
    let ip: IpAddr = host.parse().map_err(|e| format!("{host}: {e}"))?;
    let config = ProbeConfig {
        scan_concurrency: count(concurrency, 512)?,
        scan_syn: syn,
        ..ProbeConfig::default()
    };
    let stack = ProbeStack::new(config).map_err(|e| e.to_string())?;
    let log = EvidenceLog::in_memory();
    let request = PortScanRequest {
        host: host.to_string(),
        range: 1..=65535,
        candidates: (1..=65535u16)
            .map(|p| (p, SocketAddr::new(ip, p)))
            .collect(),
    };
    let started = Instant::now();
    let report = stack
        .port_scan()
        .oneshot(Recorded::new(&log.scope("bench"), request))
        .await
        .map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "probe": "scan",
        "method": report.method,
        "open": report.open,
        "closed": report.closed,
        "filtered": report.filtered,
        "seconds": started.elapsed().as_secs_f64(),
    })
    .to_string())
}
