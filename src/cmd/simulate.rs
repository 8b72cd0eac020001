//! `iotmark simulate`: one simulated product on loopback until Ctrl-C.

use iotmark_sim::{self as sim, SimConfig, SimProduct};

use crate::cli::SimulateArgs;
use crate::output;
use crate::Exit;

pub fn product_arg(name: &str) -> anyhow::Result<SimProduct> {
    SimProduct::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = SimProduct::all().iter().map(|p| p.name()).collect();
        anyhow::anyhow!("no simulated product {name:?}; known: {}", known.join(", "))
    })
}

pub async fn simulate(args: SimulateArgs) -> anyhow::Result<Exit> {
    let product = product_arg(&args.product)?;
    let running = sim::start(
        product,
        SimConfig {
            unit: args.unit,
            bind: args.listen,
        },
    )
    .await?;
    output::print_json(&running.endpoints_json())?;
    eprintln!("{} is running; press Ctrl-C to stop", product.name());
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    Ok(Exit::Success)
}
