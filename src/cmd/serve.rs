//! `iotmark serve`: the verification service (crate `iotmark-serve`).

use crate::cli::serve::ServeArgs;
use crate::Exit;

pub async fn serve(args: ServeArgs) -> anyhow::Result<Exit> {
    iotmark_serve::run(args.config()?).await?;
    Ok(Exit::Success)
}
