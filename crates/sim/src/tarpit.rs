//! A listener that accepts connections and never sends a byte: the hostile
//! device that hangs every probe. Whatever the client sends is read and thrown
//! away, so its writes never block; the socket stays open until the client
//! closes it or the simulation stops. At most [`MAX_HELD`] sockets are held;
//! beyond that, new connections wait in the kernel's accept queue, which looks
//! the same to the client (connected, silent).

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use super::serve::accept_loop;

/// Sockets held open at once per listener.
pub const MAX_HELD: usize = 1024;

/// Hold every connection on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener) {
    accept_loop(listener, MAX_HELD, |mut stream| async move {
        let mut sink = [0u8; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
}
