//! `iotmark serve`: the verification service behind the QR code.
//!
//! axum on tower. The layers, outermost first: the front layer
//! ([`middleware::front`]: per-client rate limit, request deadline, error
//! normalisation so every error response is rendered in one place, security
//! headers, metrics and access log) and the panic catcher; the two routes
//! that read a body limit it to [`MAX_BODY_BYTES`] and hold it under one
//! memory budget for all connections (`body`). Connections are bounded by
//! `listener` (slots under the open-file limit, per-client shares) and
//! `connection` (header deadline from accept, keep-alive, lifetime).
//!
//! Label verifications are answered from finished responses cached per label,
//! date and revocation epoch ([`cache`]); status lists and the registry's
//! revocations are reread every [`STATUS_RELOAD_EVERY`], and a change moves
//! the epoch on, so a revoked label turns red on the next request after that.
//!
//! Routes:
//! - `/l/{digits}` and `/L/{digits}`: the label page a shopper sees;
//! - `/api/v1/verify/{digits}`, `POST /api/v1/verify`, `POST /api/v1/verify/batch`;
//! - `/api/v1/labels?manufacturer=&model=&page=&per_page=`, `/api/v1/labels/{serial}`;
//! - `/api/v1/status-lists`, `/api/v1/status-lists/{kid}`;
//! - `/api/v1/log/head`, `/api/v1/log/inclusion/{serial}`, `/api/v1/log/consistency?from=&to=`;
//! - `/.well-known/security.txt`, `/security/disclosure-policy`, `/support`;
//! - `/healthz`, `/metrics`.

mod api;
mod body;
mod cache;
mod config;
mod connection;
mod error;
mod html;
mod listener;
mod metrics;
mod middleware;
mod open_files;
mod pages;
mod ratelimit;
mod registry;
mod state;
mod verifier;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use iotmark_labels::trust_list::{TrustList, MAX_TRUST_LIST_BYTES};
use iotmark_labels::{LabCertificate, TrustAnchor, TrustStore};
use tower_http::catch_panic::CatchPanicLayer;

pub use config::ServeConfig;
pub use listener::ConnectionLimits;
use state::AppState;

/// Largest request body (a batch of labels).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How often status list files and the registry's revocations are checked
/// for changes.
const STATUS_RELOAD_EVERY: Duration = Duration::from_secs(1);

/// The application: routes and layers, without the listener.
pub fn router(state: AppState) -> Router {
    use axum::middleware::from_fn_with_state;
    Router::new()
        .route("/", get(pages::home))
        .route("/l/{digits}", get(pages::label_page))
        .route("/L/{digits}", get(pages::label_page))
        .route("/01/{gtin}", get(pages::digital_link_page))
        .route("/01/{gtin}/{*qualifiers}", get(pages::digital_link_page))
        .route(html::STYLESHEET_PATH, get(pages::stylesheet))
        .route("/.well-known/security.txt", get(pages::security_txt))
        .route("/security/disclosure-policy", get(pages::disclosure_policy))
        .route("/support", get(pages::support_period))
        // Only these routes read a body (`body::BudgetedBody`: the size
        // limit and the memory budget are theirs, no other request pays).
        .route("/api/v1/verify", post(api::verify_post))
        .route("/api/v1/verify/batch", post(api::verify_batch))
        .route("/api/v1/verify/{digits}", get(api::verify_one))
        .route("/api/v1/labels", get(api::labels))
        .route("/api/v1/labels/{serial}", get(api::label))
        .route("/api/v1/status-lists", get(api::status_lists))
        .route("/api/v1/status-lists/{kid}", get(api::status_list))
        .route("/api/v1/log/head", get(api::log_head))
        .route("/api/v1/log/inclusion/{serial}", get(api::log_inclusion))
        .route("/api/v1/log/consistency", get(api::log_consistency))
        .route("/healthz", get(api::health))
        .route("/metrics", get(api::metrics))
        // Layers run bottom to top on the way in.
        .layer(CatchPanicLayer::new())
        .layer(from_fn_with_state(state.clone(), middleware::front))
        .with_state(state)
}

/// The trust store: the anchor, the labs of the trust list (if given) or
/// the lab certificates given, and the registry's own lab.
fn trust_store(
    args: &ServeConfig,
    registry_lab: Option<LabCertificate>,
) -> anyhow::Result<TrustStore> {
    let anchor = TrustAnchor::from_pem_file(&args.trust_anchor)
        .with_context(|| format!("--trust-anchor {}", args.trust_anchor.display()))?;
    let mut labs = args
        .lab_cert
        .iter()
        .map(|p| {
            LabCertificate::from_pem_file(p).with_context(|| format!("--lab-cert {}", p.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    labs.extend(registry_lab);
    let Some(list_path) = &args.trust_list else {
        return Ok(labs
            .into_iter()
            .fold(TrustStore::new(anchor), TrustStore::with_lab));
    };
    let bytes = iotmark_labels::read_bounded(list_path, MAX_TRUST_LIST_BYTES as u64)?;
    let today = time::OffsetDateTime::now_utc().date();
    let list = TrustList::verify(&bytes, &anchor, today)
        .with_context(|| format!("--trust-list {}", list_path.display()))?;
    Ok(TrustStore::from_trust_list(anchor, list, labs))
}

/// Where revocations come from: status list files, and the lab's registry
/// (with its lab's kid, hex, and name).
#[derive(Debug, Clone)]
struct RevocationSources {
    verifier: Arc<verifier::Verifier>,
    registry: Option<(registry::RegistryHandle, (String, String))>,
}

impl RevocationSources {
    /// Rereads whatever changed. Blocking.
    fn reload(&self) {
        self.verifier.reload_status_lists();
        if let Some((registry, (kid, lab))) = &self.registry {
            match registry.revocations_blocking() {
                Ok(table) => self.verifier.learn_registry_revocations(kid, lab, table),
                Err(e) => {
                    tracing::warn!(error = ?e, "serve: cannot read the registry's revocations")
                }
            }
        }
    }
}

/// The service, assembled but not yet listening: the router (which tests
/// drive in-process) and what [`Service::listen`] needs.
pub struct Service {
    router: Router,
    revocations: RevocationSources,
    tls: Option<tokio_rustls::TlsAcceptor>,
    metrics: Arc<metrics::Metrics>,
    config: ServeConfig,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Reads the trust anchor, lab certificates, trust list, registry and
    /// status lists named in `config`, and builds the routes.
    pub fn build(config: ServeConfig) -> anyhow::Result<Service> {
        build(config)
    }

    /// The routes and layers, for driving in-process (`oneshot`).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Rereads status lists and the registry's revocations now (the
    /// listening service does it every [`STATUS_RELOAD_EVERY`]). Blocking.
    pub fn reload_revocations(&self) {
        self.revocations.reload();
    }

    /// Listens on the configured address until the process is stopped,
    /// printing the address as one line of JSON on stdout.
    pub async fn listen(self) -> anyhow::Result<()> {
        listen(self).await
    }
}

/// Runs the service until the process is stopped.
pub async fn run(config: ServeConfig) -> anyhow::Result<()> {
    Service::build(config)?.listen().await
}

fn build(args: ServeConfig) -> anyhow::Result<Service> {
    let fixed_today = args.now;
    let support_end = args.support_end;
    let registry = args
        .registry
        .as_deref()
        .map(registry::RegistryHandle::open)
        .transpose()?;
    let registry_lab = match &registry {
        Some(r) => r.lab_certificate()?,
        None => None,
    };
    let registry_lab_id = registry_lab
        .as_ref()
        .map(|c| (hex::encode(c.kid()), c.name().to_owned()));
    let trust = trust_store(&args, registry_lab)?;
    let authority = trust.anchor.name().to_owned();
    let mut status_sources: Vec<PathBuf> = args.status.clone();
    if let Some(db) = &args.registry {
        status_sources.push(db.with_file_name("status-list.cose"));
    }
    let metrics = Arc::new(metrics::Metrics::default());
    let verifier = Arc::new(verifier::Verifier::new(
        trust,
        status_sources,
        metrics.clone(),
    ));
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(listener::tls_acceptor(cert, key)?),
        _ => None,
    };
    let revocations = RevocationSources {
        verifier: verifier.clone(),
        registry: registry.clone().zip(registry_lab_id),
    };
    revocations.reload();
    let state = AppState::new(state::Shared {
        verifier,
        registry,
        metrics: metrics.clone(),
        responses: cache::ResponseCache::new(tls.is_some()),
        rate_limiter: ratelimit::RateLimiter::new(args.rate_limit, args.rate_burst),
        request_timeout: args.request_timeout,
        body_budget: body::BodyBudget::new(args.body_memory),
        batch_workers: state::BatchWorkers::for_this_machine(),
        tls: tls.is_some(),
        fixed_today,
        contact: args.contact.clone(),
        support_end,
        authority,
    });
    Ok(Service {
        router: router(state),
        revocations,
        tls,
        metrics,
        config: args,
    })
}

/// Connections the kernel may queue before we accept them (capped by the
/// system's somaxconn). Hostile clients that reconnect in bursts must not
/// fill the queue, or a newcomer's SYN is dropped and retried a second later.
const LISTEN_BACKLOG: u32 = 4096;

fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

async fn listen(service: Service) -> anyhow::Result<()> {
    let Service {
        router,
        revocations,
        tls,
        metrics,
        config: mut args,
    } = service;
    let sizing = open_files::fit(args.connections.max_connections);
    args.connections.max_connections = sizing.max_connections;
    let socket = bind(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = socket.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // One line of JSON on stdout: scripts read the address from it. A
    // closed stdout (nobody reading) is no reason to stop serving.
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({
                "listening": format!("{scheme}://{local}"),
                "rate_limit_per_second": args.rate_limit,
                "rate_burst": args.rate_burst,
                "max_connections": sizing.max_connections,
                "open_files_limit": sizing.soft_now,
            })
        )
        .and_then(|()| out.flush());
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(STATUS_RELOAD_EVERY);
        loop {
            tick.tick().await;
            let sources = revocations.clone();
            let _ = tokio::task::spawn_blocking(move || sources.reload()).await;
        }
    });
    let server = listener::serve(socket, router, tls, args.connections, metrics);
    tokio::select! {
        () = server => {}
        r = tokio::signal::ctrl_c() => { r.context("cannot wait for Ctrl-C")?; }
    }
    Ok(())
}
