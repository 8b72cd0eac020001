//! The smallest axum server worth comparing against: one handler returning a
//! fixed short JSON body, on the same runtime settings as `iotmark serve`
//! (the multi-threaded tokio runtime, one worker per core; TCP_NODELAY on
//! every connection, as `iotmark serve` sets it).
//! `bench/serve-load.sh` runs it beside the real service.
//!
//! usage: cargo run --release --example minimal_server -- 127.0.0.1:0
//! (prints `{"listening":"http://ADDR"}` on its first line)

use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let app = Router::new().route(
        "/",
        get(|| async { ([("content-type", "application/json")], "{\"ok\":true}") }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("{{\"listening\":\"http://{}\"}}", listener.local_addr()?);
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
