//! Every probe leaves a line in the evidence log: what was sent (secrets
//! masked), what came back (trimmed, secrets scrubbed) or why nothing did.

use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Layer, Service};

use crate::device::ProbeError;
use crate::evidence::{Evidence, ProbeRecord};
use crate::probe::BoxFuture;
use crate::secret::Secret;

/// A probe request together with the evidence log it is recorded in.
#[derive(Debug, Clone)]
pub struct Recorded<R> {
    pub evidence: Evidence,
    pub request: R,
}

impl<R> Recorded<R> {
    pub fn new(evidence: &Evidence, request: R) -> Self {
        Recorded {
            evidence: evidence.clone(),
            request,
        }
    }
}

/// What the evidence log says about a request.
pub trait DescribeRequest {
    /// Kind of probe (`telnet-login`, `http-basic-login`, `http-get`…).
    fn probe_kind(&self) -> String;
    /// Where it goes (an address, a URL), for the record and for errors.
    fn target(&self) -> String;
    /// What is sent, with every secret already masked.
    fn describe(&self) -> String;
    /// Secrets sent with the request. Their plain values are scrubbed from
    /// everything recorded, including what the device sends back (a device
    /// may echo a password).
    fn secrets(&self) -> Vec<Secret>;
}

/// What the evidence log says about an answer.
pub trait DescribeResponse {
    /// Short outcome word: `accepted`, `rejected`, `200`…
    fn outcome(&self) -> String;
    /// What came back (the log trims it).
    fn describe(&self) -> String;
}

/// The outcome word recorded for a failed probe.
pub fn outcome_word(e: &ProbeError) -> &'static str {
    match e {
        ProbeError::Timeout { .. } => "timeout",
        ProbeError::Connect { .. } => "connect-error",
        ProbeError::Protocol { .. } => "protocol-error",
        ProbeError::TooLarge { .. } => "too-large",
        ProbeError::Operator { .. } => "operator-error",
        ProbeError::Unsupported { .. } => "unsupported",
        ProbeError::Other { .. } => "error",
    }
}

/// The same error with every secret scrubbed from its text, so an error
/// quoting a device that echoed a password cannot leak it into a report.
pub fn scrub_error(e: ProbeError, secrets: &[Secret]) -> ProbeError {
    if secrets.is_empty() {
        return e;
    }
    let s = |text: String| scrub(&text, secrets);
    match e {
        ProbeError::Timeout { target, after } => ProbeError::Timeout {
            target: s(target),
            after,
        },
        ProbeError::Connect { target, detail } => ProbeError::Connect {
            target: s(target),
            detail: s(detail),
        },
        ProbeError::Protocol { target, detail } => ProbeError::Protocol {
            target: s(target),
            detail: s(detail),
        },
        ProbeError::TooLarge { target, limit } => ProbeError::TooLarge {
            target: s(target),
            limit,
        },
        ProbeError::Operator { action, detail } => ProbeError::Operator {
            action: s(action),
            detail: s(detail),
        },
        ProbeError::Unsupported { adapter, what } => ProbeError::Unsupported {
            adapter: s(adapter),
            what: s(what),
        },
        ProbeError::Other { target, detail } => ProbeError::Other {
            target: s(target),
            detail: s(detail),
        },
    }
}

/// Replace every occurrence of each secret's value (plain and form-encoded)
/// with its mask. Empty secrets are skipped: they occur everywhere.
pub fn scrub(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        let plain = secret.expose();
        if plain.is_empty() {
            continue;
        }
        let mask = secret.mask();
        out = out.replace(plain, &mask);
        let encoded: String = url::form_urlencoded::byte_serialize(plain.as_bytes()).collect();
        if encoded != plain {
            out = out.replace(&encoded, &mask);
        }
    }
    out
}

/// Records every probe passing through; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvidenceLayer;

impl<S> Layer<S> for EvidenceLayer {
    type Service = EvidenceService<S>;
    fn layer(&self, inner: S) -> EvidenceService<S> {
        EvidenceService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct EvidenceService<S> {
    inner: S,
}

impl<S, R> Service<Recorded<R>> for EvidenceService<S>
where
    S: Service<R, Error = ProbeError>,
    S::Future: Send + 'static,
    S::Response: DescribeResponse + Send + 'static,
    R: DescribeRequest,
{
    type Response = S::Response;
    type Error = ProbeError;
    type Future = BoxFuture<Result<S::Response, ProbeError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, recorded: Recorded<R>) -> Self::Future {
        let request = recorded.request;
        let mut pending = Pending {
            evidence: Some(recorded.evidence),
            probe: request.probe_kind(),
            target: request.target(),
            request: request.describe(),
            secrets: request.secrets(),
            started: Instant::now(),
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            match future.await {
                Ok(answer) => {
                    pending.finish(&answer.outcome(), &answer.describe());
                    Ok(answer)
                }
                Err(e) => {
                    let e = scrub_error(e, &pending.secrets);
                    pending.finish(outcome_word(&e), &e.to_string());
                    Err(e)
                }
            }
        })
    }
}

/// A probe on its way. Dropped unfinished (the caller gave up), it still
/// records that the probe was sent.
struct Pending {
    evidence: Option<Evidence>,
    probe: String,
    target: String,
    request: String,
    secrets: Vec<Secret>,
    started: Instant,
}

impl Pending {
    fn finish(&mut self, outcome: &str, response: &str) {
        let Some(evidence) = self.evidence.take() else {
            return;
        };
        evidence.record(ProbeRecord {
            probe: self.probe.clone(),
            target: scrub(&self.target, &self.secrets),
            request: scrub(&self.request, &self.secrets),
            response: scrub(response, &self.secrets),
            outcome: scrub(outcome, &self.secrets),
            duration: self.started.elapsed(),
        });
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish(
            "abandoned",
            "the caller stopped waiting before the probe finished",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_masks_plain_and_encoded() {
        let s = Secret::new("p@ss word");
        let text = "echo p@ss word and p%40ss+word";
        let out = scrub(text, std::slice::from_ref(&s));
        assert!(!out.contains("p@ss word"));
        assert!(!out.contains("p%40ss+word"));
        assert_eq!(out.matches(&s.mask()).count(), 2);
        assert_eq!(scrub("abc", &[Secret::new("")]), "abc");
    }
}
