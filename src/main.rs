//! `iotmark`: the command-line front of the harness. Thin: parse arguments,
//! call the crates, print, and map outcomes to exit codes.

use std::process::ExitCode;

use clap::Parser;

// First, so that its `outln!` and `out!` macros are visible in the rest.
#[macro_use]
mod output;
mod cli;
mod cmd;

/// What a command concluded, as an exit status (the contract in README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Conformant, valid, or simply done.
    Success = 0,
    /// Not conformant, or an invalid label.
    Negative = 1,
    /// Bad input or usage.
    Usage = 2,
    /// Could not be decided.
    Inconclusive = 3,
}

/// mimalloc rather than the system allocator: after a burst (a thousand
/// 2 MiB bodies at `iotmark serve`) glibc's per-thread arenas kept most of
/// the peak resident; mimalloc returns freed pages to the system within
/// moments (measured by `tests/hostile_clients.rs`, see README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let outcome = runtime.block_on(cmd::dispatch(cli.command));
    // Simulated products and probes hold sockets on the runtime; drop it
    // without waiting for tasks that never end (a tarpit holds connections).
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match outcome {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(Exit::Usage as u8)
        }
    }
}
