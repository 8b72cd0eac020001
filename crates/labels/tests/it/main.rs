//! Integration tests for iotmark-labels: real keys, real certificates (checked
//! with the `openssl` binary), real QR images (decoded with rqrr). No mocks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batch;
mod claims;
mod digits;
mod forgery;
mod kit;
mod pki;
mod qr;
mod sign_verify;
mod tamper;
