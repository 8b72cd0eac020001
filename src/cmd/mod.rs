//! One module per subcommand.

use crate::cli::Command;
use crate::Exit;

mod catalogue;
mod demo;
pub mod diff;
mod fleet;
mod issue;
mod keys;
mod log;
pub mod report;
mod revoke;
mod run;
mod serve;
mod simulate;
pub mod status;
pub(crate) mod verify;

pub async fn dispatch(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Demo(a) => demo::demo(a).await,
        Command::Run(a) => run::run(a).await,
        Command::Issue(a) => issue::issue(a),
        Command::Verify(a) => verify::verify(a),
        Command::Keys(k) => keys::keys(k),
        Command::Simulate(a) => simulate::simulate(a).await,
        Command::Catalogue(a) => catalogue::catalogue(a),
        Command::Revoke(a) => revoke::revoke(a),
        Command::Status(c) => status::status(c),
        Command::Log(c) => log::log(c),
        Command::Report(c) => report::report(c),
        Command::Diff(a) => diff::diff(a),
        Command::Serve(a) => serve::serve(a).await,
    }
}

/// Parse a `YYYY-MM-DD` argument.
pub fn parse_date_arg(flag: &str, value: &str) -> anyhow::Result<time::Date> {
    iotmark_labels::parse_date(value)
        .ok_or_else(|| anyhow::anyhow!("{flag} {value:?} is not a date in the form YYYY-MM-DD"))
}

/// The scheme named on the command line.
pub fn scheme_arg(name: &str) -> anyhow::Result<iotmark_steps::catalogue::Scheme> {
    iotmark_steps::catalogue::Scheme::parse(name).ok_or_else(|| {
        let known: Vec<&str> = iotmark_steps::catalogue::Scheme::ALL
            .iter()
            .map(|s| s.name())
            .collect();
        anyhow::anyhow!("--scheme {name:?} is not one of {}", known.join(", "))
    })
}

/// The catalogue: built in, or from a folder of feature files.
pub fn catalogue_arg(
    dir: Option<&std::path::Path>,
) -> anyhow::Result<iotmark_steps::catalogue::Catalogue> {
    iotmark_harness::pipeline::catalogue(dir)
}
