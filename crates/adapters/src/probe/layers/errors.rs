//! Errors from inside the timeout layer come back boxed; this layer turns them
//! back into [`ProbeError`]s naming the target.

use std::task::{Context, Poll};
use std::time::Duration;

use tower::timeout::error::Elapsed;
use tower::{BoxError, Layer, Service};

use super::evidence::DescribeRequest;
use crate::device::ProbeError;
use crate::probe::BoxFuture;

/// Turn a boxed error from the layers below into a [`ProbeError`]: a probe
/// error passes through, the timeout's `Elapsed` becomes
/// [`ProbeError::Timeout`], anything else [`ProbeError::Other`].
pub fn into_probe_error(err: BoxError, target: &str, after: Duration) -> ProbeError {
    match err.downcast::<ProbeError>() {
        Ok(probe) => *probe,
        Err(err) if err.is::<Elapsed>() => ProbeError::Timeout {
            target: target.to_string(),
            after,
        },
        Err(err) => ProbeError::Other {
            target: target.to_string(),
            detail: err.to_string(),
        },
    }
}

/// See [`into_probe_error`]; `timeout` is the limit the timeout layer below
/// enforces, reported in [`ProbeError::Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct ProbeErrorLayer {
    timeout: Duration,
}

impl ProbeErrorLayer {
    pub fn new(timeout: Duration) -> Self {
        ProbeErrorLayer { timeout }
    }
}

impl<S> Layer<S> for ProbeErrorLayer {
    type Service = ProbeErrors<S>;
    fn layer(&self, inner: S) -> ProbeErrors<S> {
        ProbeErrors {
            inner,
            timeout: self.timeout,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProbeErrors<S> {
    inner: S,
    timeout: Duration,
}

impl<S, R> Service<R> for ProbeErrors<S>
where
    S: Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    R: DescribeRequest,
{
    type Response = S::Response;
    type Error = ProbeError;
    type Future = BoxFuture<Result<S::Response, ProbeError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ProbeError>> {
        let timeout = self.timeout;
        self.inner
            .poll_ready(cx)
            .map_err(|e| into_probe_error(e, "probe", timeout))
    }

    fn call(&mut self, request: R) -> Self::Future {
        let target = request.target();
        let timeout = self.timeout;
        let future = self.inner.call(request);
        Box::pin(async move {
            future
                .await
                .map_err(|e| into_probe_error(e, &target, timeout))
        })
    }
}
