//! The HTTP probe: one request, one answer, no redirects followed (the caller
//! follows them, so each hop is a probe of its own and is recorded).
//!
//! The transport ([`HttpTransport`]) sends the request and hands back the
//! answer with its body still streaming; [`BodyLimitLayer`] reads the body up
//! to the size limit; [`LoginJudgeLayer`] classifies login answers. Timeout,
//! limits and evidence come from [`crate::probe::layers`].

mod body;
pub mod digest;
mod judge;
mod resolve;

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tower::Service;

pub use body::{BodyLimit, BodyLimitLayer};
pub use judge::{form_present, form_shape, judge_basic, judge_form, LoginJudge, LoginJudgeLayer};
pub use reqwest::{Method, Url};

use crate::device::{AddressBook, Credential, LoginOutcome, ProbeError};
use crate::probe::layers::{DescribeRequest, DescribeResponse};
use crate::probe::{error_chain, BoxFuture, ProbeConfig};
use crate::secret::{mask, Secret};

/// Response headers kept (others are dropped when the answer is read).
pub const HEADERS_KEPT: &[&str] = &[
    "content-type",
    "content-length",
    "location",
    "set-cookie",
    "www-authenticate",
    "retry-after",
    "server",
];

/// Longest header value kept.
const HEADER_VALUE_LIMIT: usize = 1024;

/// Which certificates an HTTPS request accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsTrust {
    /// Web PKI roots plus the address book's extra roots, host name checked.
    Verified,
    /// Any certificate at all. Devices under test present self-signed
    /// certificates; what they present is recorded (SHA-256 fingerprint), not
    /// trusted. Never use this for the manufacturer's website.
    AcceptAnyDeviceCertificate,
}

/// A form field value; secret values are masked in evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    Text(String),
    Secret(Secret),
}

impl FormValue {
    fn expose(&self) -> &str {
        match self {
            FormValue::Text(t) => t,
            FormValue::Secret(s) => s.expose(),
        }
    }
}

/// How to read a login answer (see [`judge_basic`], [`judge_form`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    Basic,
    Form {
        /// The login page's path: a redirect back to it is a rejection.
        login_path: String,
        /// The password field's name: a page still holding it is a rejection.
        password_field: String,
    },
}

/// One HTTP request to probe with.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Kind recorded in evidence (`http-get`, `http-basic-login`…).
    pub kind: String,
    pub method: Method,
    pub url: Url,
    /// `Host` header to present when the URL names an address.
    pub host: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Headers derived from a secret (a Digest `Authorization`): sent as
    /// they are, masked in evidence.
    pub secret_headers: Vec<(String, Secret)>,
    pub basic: Option<Credential>,
    /// Sent `application/x-www-form-urlencoded` when present.
    pub form: Option<Vec<(String, FormValue)>>,
    pub trust: TlsTrust,
    /// Classify the answer as a login outcome.
    pub login: Option<LoginCheck>,
}

impl HttpRequest {
    /// `GET url`, verified TLS, no credentials.
    pub fn get(url: Url) -> Self {
        HttpRequest {
            kind: "http-get".into(),
            method: Method::GET,
            url,
            host: None,
            headers: Vec::new(),
            secret_headers: Vec::new(),
            basic: None,
            form: None,
            trust: TlsTrust::Verified,
            login: None,
        }
    }

    /// `POST url` with a form body.
    pub fn post_form(url: Url, fields: Vec<(String, FormValue)>) -> Self {
        HttpRequest {
            kind: "http-post".into(),
            method: Method::POST,
            form: Some(fields),
            ..HttpRequest::get(url)
        }
    }

    pub fn with_kind(mut self, kind: &str) -> Self {
        self.kind = kind.to_string();
        self
    }

    pub fn with_basic(mut self, credential: Credential) -> Self {
        self.basic = Some(credential);
        self
    }

    pub fn with_host(mut self, host: String) -> Self {
        self.host = Some(host);
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn with_secret_header(mut self, name: &str, value: Secret) -> Self {
        self.secret_headers.push((name.to_string(), value));
        self
    }

    pub fn judged_as(mut self, check: LoginCheck) -> Self {
        self.login = Some(check);
        self
    }

    /// Accept whatever certificate the device presents (see
    /// [`TlsTrust::AcceptAnyDeviceCertificate`]).
    pub fn accept_any_device_certificate(mut self) -> Self {
        self.trust = TlsTrust::AcceptAnyDeviceCertificate;
        self
    }

    fn form_body(&self) -> Option<String> {
        let fields = self.form.as_ref()?;
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            body.append_pair(name, value.expose());
        }
        Some(body.finish())
    }
}

impl DescribeRequest for HttpRequest {
    fn probe_kind(&self) -> String {
        self.kind.clone()
    }

    fn target(&self) -> String {
        self.url.to_string()
    }

    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.url);
        if let Some(host) = &self.host {
            text.push_str(&format!("\nHost: {host}"));
        }
        for (name, value) in &self.headers {
            text.push_str(&format!("\n{name}: {value}"));
        }
        for (name, value) in &self.secret_headers {
            text.push_str(&format!("\n{name}: {}", value.mask()));
        }
        if let Some(c) = &self.basic {
            text.push_str(&format!(
                "\nAuthorization: Basic {}:{}",
                c.username,
                c.password.mask()
            ));
        }
        if let Some(fields) = &self.form {
            let shown: Vec<String> = fields
                .iter()
                .map(|(name, value)| match value {
                    FormValue::Text(t) => format!("{name}={t}"),
                    FormValue::Secret(s) => format!("{name}={}", s.mask()),
                })
                .collect();
            text.push_str(&format!("\n\n{}", shown.join("&")));
        }
        if self.trust == TlsTrust::AcceptAnyDeviceCertificate && self.url.scheme() == "https" {
            text.push_str("\n(any device certificate accepted; fingerprint recorded)");
        }
        text
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut secrets: Vec<Secret> = self.basic.iter().map(|c| c.password.clone()).collect();
        secrets.extend(self.secret_headers.iter().map(|(_, s)| s.clone()));
        if let Some(fields) = &self.form {
            for (_, value) in fields {
                if let FormValue::Secret(s) = value {
                    secrets.push(s.clone());
                }
            }
        }
        secrets
    }
}

/// An answer whose body has not been read yet.
#[derive(Debug)]
pub struct HttpStreaming {
    pub response: reqwest::Response,
    /// SHA-256 of the server's certificate (DER), hex, for HTTPS.
    pub cert_sha256: Option<String>,
}

/// An answer, read up to the size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The URL answered.
    pub url: String,
    pub status: u16,
    /// The headers named in [`HEADERS_KEPT`], lower-case names, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body went on past the size limit and was cut there.
    pub truncated: bool,
    pub cert_sha256: Option<String>,
    /// The login outcome, when the request asked for one.
    pub login: Option<LoginOutcome>,
}

impl HttpResponse {
    /// The first value of a kept header (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a kept header (`name` in lower case).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }
}

impl DescribeResponse for HttpResponse {
    fn outcome(&self) -> String {
        match &self.login {
            Some(LoginOutcome::Accepted) => format!("{} accepted", self.status),
            Some(LoginOutcome::Rejected) => format!("{} rejected", self.status),
            Some(LoginOutcome::LockedOut { .. }) => format!("{} locked-out", self.status),
            None => self.status.to_string(),
        }
    }

    fn describe(&self) -> String {
        let mut text = format!("HTTP {}", self.status);
        for (name, value) in &self.headers {
            if name == "set-cookie" {
                // Session tokens are secrets too: keep the name, mask the value.
                let (cookie, rest) = value.split_once(';').unwrap_or((value, ""));
                let (cookie_name, cookie_value) = cookie.split_once('=').unwrap_or((cookie, ""));
                text.push_str(&format!(
                    "\n{name}: {cookie_name}={};{rest}",
                    mask(cookie_value)
                ));
            } else {
                text.push_str(&format!("\n{name}: {value}"));
            }
        }
        if let Some(fp) = &self.cert_sha256 {
            text.push_str(&format!("\ntls-certificate-sha256: {fp}"));
        }
        text.push_str(&format!(
            "\n\n[{} body bytes{}]\n{}",
            self.body.len(),
            if self.truncated {
                ", truncated at the size limit"
            } else {
                ""
            },
            self.body_text()
        ));
        text
    }
}

/// Why the HTTP clients could not be set up.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HttpSetupError {
    #[error("extra website root certificate #{index} is not a PEM certificate: {detail}")]
    BadRoot { index: usize, detail: String },
    #[error("cannot build the HTTP client: {detail}")]
    Client { detail: String },
}

/// Sends requests; the innermost HTTP service. Two clients: one verifying
/// website certificates, one accepting any device certificate. Neither follows
/// redirects or uses a proxy.
///
/// Website requests never reuse a connection. Requests to the device keep
/// connections alive between probes ([`DeviceConnections`]): a dictionary
/// sweep is hundreds of logins on one interface, and a fresh TLS handshake
/// for each cost more than everything else in a run (and loads a small device
/// for nothing). Each login is still its own request carrying its own
/// credential, judged on its own answer. The kept connections are dropped
/// after every physical action, since a unit that was reset or power-cycled
/// has dropped them too (unless the device says they survive:
/// a simulated product).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    verified: reqwest::Client,
    device: DeviceConnections,
    connect_timeout: Duration,
}

/// The device client and its kept-alive connections, shared by every clone of
/// one device's HTTP probe.
#[derive(Clone)]
pub struct DeviceConnections {
    /// The current client; replaced (and its idle connections dropped) by
    /// [`DeviceConnections::forget`].
    pooled: Arc<std::sync::RwLock<reqwest::Client>>,
    build: Arc<dyn Fn() -> reqwest::Result<reqwest::Client> + Send + Sync>,
}

impl std::fmt::Debug for DeviceConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceConnections").finish_non_exhaustive()
    }
}

/// Idle connections kept per device port: as many as probes may be in flight
/// on a device by default, and a few more.
const KEPT_CONNECTIONS: usize = 8;

impl DeviceConnections {
    fn new(
        build: Arc<dyn Fn() -> reqwest::Result<reqwest::Client> + Send + Sync>,
    ) -> reqwest::Result<Self> {
        Ok(DeviceConnections {
            pooled: Arc::new(std::sync::RwLock::new(build()?)),
            build,
        })
    }

    fn client(&self) -> reqwest::Client {
        // A poisoned lock still holds a usable client.
        match self.pooled.read() {
            Ok(client) => client.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Drop every kept connection: the next request opens a new one. Called
    /// after a physical action (a reset or power cycle drops them on the
    /// device's side).
    pub fn forget(&self) {
        let Ok(client) = (self.build)() else {
            // Building the same client again cannot fail where it worked
            // before; if it did, keep the old one rather than none.
            return;
        };
        match self.pooled.write() {
            Ok(mut current) => *current = client,
            Err(poisoned) => *poisoned.into_inner() = client,
        }
    }
}

impl HttpTransport {
    /// `device_ip` answers for the device's host name when a fetched URL
    /// names it.
    pub fn new(
        book: Arc<dyn AddressBook>,
        config: &ProbeConfig,
        device_ip: Option<IpAddr>,
    ) -> Result<Self, HttpSetupError> {
        let resolver = Arc::new(resolve::BookResolver::new(
            Arc::clone(&book),
            device_ip,
            config.connect_timeout,
            config.resolve.clone(),
        ));
        let base = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout)
                .no_proxy()
                .pool_max_idle_per_host(0)
                .tls_info(true)
                .user_agent(concat!("iotmark-probe/", env!("CARGO_PKG_VERSION")))
                .dns_resolver(Arc::clone(&resolver))
        };
        let mut verified = base();
        for (index, pem) in book.website_roots_pem().iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                HttpSetupError::BadRoot {
                    index,
                    detail: error_chain(&e),
                }
            })?;
            if certs.is_empty() {
                return Err(HttpSetupError::BadRoot {
                    index,
                    detail: "no certificate in it".into(),
                });
            }
            for cert in certs {
                verified = verified.add_root_certificate(cert);
            }
        }
        let client_error = |e: reqwest::Error| HttpSetupError::Client {
            detail: error_chain(&e),
        };
        let connect_timeout = config.connect_timeout;
        let device_resolver = Arc::clone(&resolver);
        let device_client =
            move || device_client_builder(connect_timeout, Arc::clone(&device_resolver)).build();
        Ok(HttpTransport {
            verified: verified.build().map_err(client_error)?,
            device: DeviceConnections::new(Arc::new(device_client)).map_err(client_error)?,
            connect_timeout: config.connect_timeout,
        })
    }

    /// The device client's kept connections, to drop after a physical action.
    pub fn device_connections(&self) -> DeviceConnections {
        self.device.clone()
    }
}

/// The client for the device's own ports: any certificate accepted (and
/// recorded), idle connections kept alive for the next probe.
fn device_client_builder(
    connect_timeout: Duration,
    resolver: Arc<resolve::BookResolver>,
) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .no_proxy()
        .pool_max_idle_per_host(KEPT_CONNECTIONS)
        // A device that closes a kept connection without saying so is found
        // out when the connection idles this long, not on the next login.
        .pool_idle_timeout(KEPT_IDLE)
        .tls_info(true)
        .user_agent(concat!("iotmark-probe/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(resolver)
        .tls_built_in_root_certs(false)
        .danger_accept_invalid_certs(true)
}

/// How long an idle kept connection to the device lives.
const KEPT_IDLE: Duration = Duration::from_secs(10);

impl Service<HttpRequest> for HttpTransport {
    type Response = HttpStreaming;
    type Error = ProbeError;
    type Future = BoxFuture<Result<HttpStreaming, ProbeError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let client = match request.trust {
            TlsTrust::Verified => self.verified.clone(),
            TlsTrust::AcceptAnyDeviceCertificate => self.device.client(),
        };
        let target = request.target();
        let connect_timeout = self.connect_timeout;
        let mut builder = client.request(request.method.clone(), request.url.clone());
        if let Some(host) = &request.host {
            builder = builder.header(reqwest::header::HOST, host);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        for (name, value) in &request.secret_headers {
            builder = builder.header(name, value.expose());
        }
        if let Some(c) = &request.basic {
            builder = builder.basic_auth(&c.username, Some(c.password.expose()));
        }
        if let Some(body) = request.form_body() {
            builder = builder
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body);
        }
        Box::pin(async move {
            let response = builder
                .send()
                .await
                .map_err(|e| send_error(e, &target, connect_timeout))?;
            let cert_sha256 = response
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .and_then(|info| info.peer_certificate())
                .map(|der| hex::encode(Sha256::digest(der)));
            Ok(HttpStreaming {
                response,
                cert_sha256,
            })
        })
    }
}

/// Classify a failed send. Only a connect that took too long is a timeout here
/// (the probe timeout is the timeout layer's business).
fn send_error(e: reqwest::Error, target: &str, connect_timeout: Duration) -> ProbeError {
    let detail = error_chain(&e);
    if e.is_connect() && e.is_timeout() {
        ProbeError::Timeout {
            target: target.to_string(),
            after: connect_timeout,
        }
    } else if e.is_connect() {
        ProbeError::Connect {
            target: target.to_string(),
            detail,
        }
    } else if e.is_builder() {
        ProbeError::Other {
            target: target.to_string(),
            detail,
        }
    } else {
        ProbeError::Protocol {
            target: target.to_string(),
            detail,
        }
    }
}

/// `host:port` for a `Host` header, bracketing IPv6 addresses.
pub fn host_header(host: &str, port: u16, tls: bool) -> String {
    let host = if host.parse::<Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let default_port = if tls { 443 } else { 80 };
    if port == default_port {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Keep a header value short and printable.
fn header_value(value: &reqwest::header::HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes());
    crate::evidence::excerpt(&text, HEADER_VALUE_LIMIT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tower::ServiceExt;

    use super::*;
    use crate::net::NetAddressBook;

    /// An HTTP/1.1 server that answers every request with 200 and counts the
    /// connections it accepts.
    async fn counting_server() -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut chunk).await {
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if stream.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (port, accepted)
    }

    async fn get(transport: &HttpTransport, port: u16) {
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let request = HttpRequest::get(url).accept_any_device_certificate();
        let answer = transport.clone().oneshot(request).await.unwrap();
        assert_eq!(answer.response.status(), 200);
        answer.response.bytes().await.unwrap();
    }

    #[tokio::test]
    async fn device_connections_are_kept_until_forgotten() {
        let (port, accepted) = counting_server().await;
        let book = NetAddressBook::resolve("127.0.0.1", Duration::from_secs(1))
            .await
            .unwrap();
        let transport = HttpTransport::new(Arc::new(book), &ProbeConfig::default(), None).unwrap();
        for _ in 0..5 {
            get(&transport, port).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "one kept connection");
        transport.device_connections().forget();
        for _ in 0..3 {
            get(&transport, port).await;
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "a new connection after forget, then kept"
        );
    }
}
