//! `iotmark serve`: the verification service (see `crate::serve`).

use crate::serve::ServeArgs;
use crate::Exit;

pub async fn serve(args: ServeArgs) -> anyhow::Result<Exit> {
    crate::serve::run(args).await?;
    Ok(Exit::Success)
}
