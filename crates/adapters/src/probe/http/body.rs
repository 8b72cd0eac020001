//! Read an HTTP body up to the size limit while it streams: a device sending
//! gigabytes costs at most the limit plus one chunk of memory.

use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::{header_value, HttpRequest, HttpResponse, HttpStreaming, HEADERS_KEPT};
use crate::device::ProbeError;
use crate::probe::layers::DescribeRequest;
use crate::probe::{error_chain, BoxFuture};

/// Reads the body of each answer, stopping at `max_bytes` (the answer is then
/// marked truncated and the connection dropped).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimitLayer {
    max_bytes: usize,
}

impl BodyLimitLayer {
    pub fn new(max_bytes: usize) -> Self {
        BodyLimitLayer { max_bytes }
    }
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;
    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BodyLimit<S> {
    inner: S,
    max_bytes: usize,
}

impl<S> Service<HttpRequest> for BodyLimit<S>
where
    S: Service<HttpRequest, Response = HttpStreaming, Error = ProbeError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = ProbeError;
    type Future = BoxFuture<Result<HttpResponse, ProbeError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let target = request.target();
        let max_bytes = self.max_bytes;
        let future = self.inner.call(request);
        Box::pin(async move {
            let streaming = future.await?;
            read_capped(streaming, max_bytes, &target).await
        })
    }
}

async fn read_capped(
    streaming: HttpStreaming,
    max_bytes: usize,
    target: &str,
) -> Result<HttpResponse, ProbeError> {
    let mut response = streaming.response;
    let url = response.url().to_string();
    let status = response.status().as_u16();
    let mut headers = Vec::new();
    for (name, value) in response.headers() {
        if HEADERS_KEPT.contains(&name.as_str()) {
            headers.push((name.as_str().to_string(), header_value(value)));
        }
    }
    let mut body = Vec::new();
    let mut truncated = false;
    loop {
        let chunk = response.chunk().await.map_err(|e| ProbeError::Protocol {
            target: target.to_string(),
            detail: format!(
                "the body broke off after {} bytes: {}",
                body.len(),
                error_chain(&e)
            ),
        })?;
        let Some(chunk) = chunk else { break };
        let room = max_bytes.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    // Dropping the response here closes the connection mid-body when truncated.
    drop(response);
    Ok(HttpResponse {
        url,
        status,
        headers,
        body,
        truncated,
        cert_sha256: streaming.cert_sha256,
        login: None,
    })
}
