//! Command-line arguments: every clap type (the contract scripts depend on;
//! the exit codes are in README.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod serve;

#[derive(Debug, Parser)]
#[command(
    name = "iotmark",
    version,
    about = "Conformance tests for consumer connectable products (UK PSTI, ETSI EN 303 645) and signed security labels",
    long_about = None,
    after_help = "Exit codes: 0 conformant / valid; 1 not conformant / invalid; 2 bad input or usage; 3 inconclusive.\nLogs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Whole flow on a simulated product with a throwaway lab: run, issue, verify.
    Demo(DemoArgs),
    /// Run a scheme's test cases against a product and write the report.
    Run(RunArgs),
    /// Issue a signed label from a conformant report.
    Issue(IssueArgs),
    /// Verify a label from its .cose file, its URL, or a photo of its QR code.
    Verify(VerifyArgs),
    /// Create accreditation-authority and lab keys and certificates.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run a simulated product on loopback until stopped.
    Simulate(SimulateArgs),
    /// List the provisions and test cases, derived from the feature files.
    Catalogue(CatalogueArgs),
    /// Revoke an issued label and publish the lab's signed status list.
    Revoke(RevokeArgs),
    /// The lab's signed status list: publish a fresh one (also with nothing revoked).
    #[command(subcommand)]
    Status(crate::cmd::status::StatusCommand),
    /// The registry's transparency log: proofs, and checking them offline.
    #[command(subcommand)]
    Log(LogCommand),
    /// Sign a report folder with the lab key, verify one, or write its documents.
    #[command(subcommand)]
    Report(crate::cmd::report::ReportCommand),
    /// Compare two runs: test cases that changed verdict, a shortened support period.
    Diff(crate::cmd::diff::DiffArgs),
    /// Serve the consumer label page and the verification API over HTTP(S).
    Serve(serve::ServeArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo's files (default: a new folder under the system temp dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Simulated product to test.
    #[arg(long, default_value = "good-camera")]
    pub product: String,
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Seconds a single probe may take before it is INCONCLUSIVE.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Seconds a whole scenario may take before it is INCONCLUSIVE.
    #[arg(long, default_value_t = 300)]
    pub scenario_timeout: u64,
    /// Most probes per second (default: unlimited for sim:, 20 for net:).
    #[arg(long)]
    pub rate: Option<u32>,
    /// A packet capture (pcap or pcapng) of the device's upstream traffic,
    /// recorded on the lab network: the cloud-traffic test cases judge it.
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// Connect to ADDR whenever a URL names HOST, for every port, instead of
    /// looking HOST up (like curl --resolve): HOST:ADDR, repeatable. For a
    /// product rehearsed under its public name on a lab or loopback address.
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<iotmark_adapters::probe::HostOverride>,
    /// Scan ports with full TCP connects even where a SYN scan is possible
    /// (by default, as root, ports are scanned with half-open SYNs from a
    /// raw socket; the evidence names the method).
    #[arg(long)]
    pub connect_scan: bool,
    /// Default-credential dictionary for the login sweeps: `default` (the
    /// Mirai list, then the interface's protocol, the manufacturer's and
    /// generic defaults, at most 160 per interface) or `full` (the whole
    /// corpus, about 2,300 entries per interface).
    #[arg(long, value_enum, default_value_t = DictionaryArg::Default)]
    pub dictionary: DictionaryArg,
}

/// `--dictionary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DictionaryArg {
    Default,
    Full,
}

impl ProbeArgs {
    /// The harness's probe settings from these flags.
    pub fn settings(&self) -> iotmark_harness::ProbeSettings {
        iotmark_harness::ProbeSettings {
            timeout: self.timeout,
            scenario_timeout: self.scenario_timeout,
            rate: self.rate,
            capture: self.capture.clone(),
            resolve: self.resolve.clone(),
            connect_scan: self.connect_scan,
            dictionary: match self.dictionary {
                DictionaryArg::Default => iotmark_steps::dictionary::DictionaryChoice::Default,
                DictionaryArg::Full => iotmark_steps::dictionary::DictionaryChoice::Full,
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Device profile (ICS + IXIT), JSON.
    #[arg(long)]
    pub profile: PathBuf,
    /// The product: sim:<product> or net:<host>.
    #[arg(long, required_unless_present = "fleet")]
    pub device: Option<String>,
    /// A fleet file (schemas/fleet.schema.json): run every unit it lists
    /// (net:<host> or sim:<product>), each with its own report under
    /// OUT/units/, and a summary in OUT/fleet.json.
    #[arg(long, conflicts_with_all = ["device", "units", "unit"])]
    pub fleet: Option<PathBuf>,
    /// uk-psti, en303645 or en303645-full.
    #[arg(long, default_value = "uk-psti")]
    pub scheme: String,
    /// Output folder for report.json, report.html, junit.xml, cucumber.json, evidence.jsonl.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// An earlier report.json of the same model: the support period must not have shrunk.
    #[arg(long)]
    pub previous_report: Option<PathBuf>,
    /// Assessor attestations (schemas/attestation.schema.json) for the test cases
    /// that need human judgement; without one such a test case is INCONCLUSIVE.
    #[arg(long)]
    pub attestations: Option<PathBuf>,
    /// Read feature files from this folder instead of the built-in ones.
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Which declared unit a simulated product plays (index into /units).
    #[arg(long, default_value_t = 0)]
    pub unit: usize,
    /// Run this many simulated units (each plays the declared units in turn),
    /// each with its own report under OUT/units/, and a summary in OUT/fleet.json.
    #[arg(long, default_value_t = 1)]
    pub units: usize,
    /// How many units run at once (with --units).
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Sign the report folder with this lab key (with --lab-cert): writes OUT/report.seal.
    /// Not with --units: sign each unit's folder with `iotmark report sign`.
    #[arg(long, requires = "lab_cert", conflicts_with = "units")]
    pub lab_key: Option<PathBuf>,
    /// The lab certificate for --lab-key.
    #[arg(long, requires = "lab_key")]
    pub lab_cert: Option<PathBuf>,
    /// Environment variable holding the passphrase of an encrypted --lab-key.
    #[arg(long, value_name = "VAR", requires = "lab_key")]
    pub lab_passphrase_env: Option<String>,
    /// Empty --out first when it holds an earlier run (without it, such a
    /// folder is refused: a run never inherits another's files or seal).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The run folder (or the report.json inside it) of a conformant run,
    /// sealed by this lab key (`run --lab-key/--lab-cert` or `report sign`).
    #[arg(long)]
    pub report: PathBuf,
    /// The lab's private key (lab.key).
    #[arg(long)]
    pub key: PathBuf,
    /// The lab's certificate (lab.pem).
    #[arg(long)]
    pub cert: PathBuf,
    /// Output folder for label.cose, label.json, label.svg, label.png, label.url.
    #[arg(long)]
    pub out: PathBuf,
    /// Base of the verification URL in the QR code (QR alphanumeric characters only).
    #[arg(long, default_value = iotmark_labels::qr::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Put the GS1 Digital Link form (HOST/01/<GTIN>?L=<digits>) in the QR
    /// code instead of BASE_URL<digits>; the product must have a GTIN.
    #[arg(long)]
    pub digital_link: bool,
    /// Environment variable holding the passphrase of an encrypted --key.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Label serial number (default: the next serial the registry assigns).
    #[arg(long)]
    pub serial: Option<u64>,
    /// The lab's registry (SQLite) to record the label in (default: registry.db beside the key).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Issue a demonstration label for a run against a simulated product
    /// (`sim:`); the label says so in its signed claims.
    #[arg(long)]
    pub allow_simulated: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A label.cose file, a label URL, or a PNG/JPEG photo of the QR code.
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub input: Option<String>,
    /// Verify many labels: a file of label URLs or paths (one per line) or a
    /// folder of .cose/.png/.jpg files. One JSON line per label, then a summary
    /// line; exit 0 only if every label is valid.
    #[arg(long, value_name = "FILE|DIR")]
    pub batch: Option<PathBuf>,
    /// The accreditation authority's certificate.
    #[arg(long)]
    pub trust_anchor: PathBuf,
    /// Lab certificate(s) to trust under the anchor (default: lab.pem beside a .cose or image input).
    #[arg(long)]
    pub lab_cert: Vec<PathBuf>,
    /// Verify as of this date (YYYY-MM-DD) instead of today.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The issuing lab's signed status list (a file, or an http(s) URL) to check revocation.
    #[arg(long)]
    pub status: Option<String>,
    /// Where downloaded status lists are cached (default: $XDG_CACHE_HOME/iotmark/status).
    #[arg(long)]
    pub status_cache: Option<PathBuf>,
    /// The authority's signed trust list: trust exactly the labs it names.
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The lab's registry (registry.db).
    #[arg(long)]
    pub registry: PathBuf,
    /// Serial of the label to revoke.
    #[arg(long)]
    pub serial: u64,
    /// The lab's private key (signs the status list).
    #[arg(long)]
    pub key: PathBuf,
    /// The lab's certificate.
    #[arg(long)]
    pub cert: PathBuf,
    /// Why, recorded in the registry.
    #[arg(long)]
    pub reason: String,
    /// Where to write the signed status list (default: status-list.cose beside the registry).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Days until the next status list is due.
    #[arg(long, default_value_t = 7)]
    pub next_update_days: u32,
    /// Environment variable holding the passphrase of an encrypted --key.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Write an inclusion proof for a label under the newest signed tree head.
    Inclusion {
        #[arg(long)]
        registry: PathBuf,
        #[arg(long)]
        serial: u64,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a consistency proof between two signed tree heads.
    Consistency {
        #[arg(long)]
        registry: PathBuf,
        /// Size of the older tree.
        #[arg(long)]
        from: u64,
        /// Size of the newer tree (default: the newest head).
        #[arg(long)]
        to: Option<u64>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof offline against the lab's certificate (and the authority's, if given).
    Verify {
        /// A proof file (schemas/log-proof.schema.json).
        proof: PathBuf,
        /// The lab certificate whose key signed the tree heads.
        #[arg(long)]
        cert: PathBuf,
        /// The authority's certificate: also check the lab certificate chains to it.
        #[arg(long)]
        trust_anchor: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Recheck the whole registry: every leaf, every signed head, labels and log in step.
    Audit {
        #[arg(long)]
        registry: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an accreditation authority: DIR/authority.pem and DIR/authority.key.
    InitAuthority {
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
        /// Encrypt authority.key (PKCS#8, scrypt + AES-256-CBC) with the
        /// passphrase in this environment variable.
        #[arg(long, value_name = "VAR")]
        passphrase_env: Option<String>,
    },
    /// Create a lab certificate signed by the authority: DIR2/lab.pem and DIR2/lab.key.
    InitLab {
        /// Folder holding authority.pem and authority.key.
        #[arg(long)]
        authority: PathBuf,
        #[arg(long)]
        name: String,
        /// Schemes the lab is accredited to label for.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "uk-psti,en303645,en303645-full"
        )]
        scope: Vec<String>,
        #[arg(long)]
        out: PathBuf,
        /// Encrypt lab.key with the passphrase in this environment variable
        /// (also used for an encrypted authority.key unless
        /// --authority-passphrase-env says otherwise).
        #[arg(long, value_name = "VAR")]
        passphrase_env: Option<String>,
        /// Environment variable holding the passphrase of an encrypted authority.key.
        #[arg(long, value_name = "VAR")]
        authority_passphrase_env: Option<String>,
    },
    /// Sign a trust list naming the accredited labs: FILE (a COSE_Sign1).
    TrustList {
        /// Folder holding authority.pem and authority.key.
        #[arg(long)]
        authority: PathBuf,
        /// A lab certificate to list (repeat for each lab).
        #[arg(long, required = true)]
        lab: Vec<PathBuf>,
        /// Days until the next trust list is due.
        #[arg(long, default_value_t = 30)]
        next_update_days: u32,
        #[arg(long)]
        out: PathBuf,
        /// Environment variable holding the passphrase of an encrypted authority.key.
        #[arg(long, value_name = "VAR")]
        passphrase_env: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// good-camera, mirai-dvr, counter-password-plug, serial-password-router,
    /// reset-default-hub, no-contact-bulb, vague-support-speaker, tarpit.
    pub product: String,
    /// Which declared unit to play.
    #[arg(long, default_value_t = 0)]
    pub unit: usize,
    /// IPv4 address to serve on (each service gets a port the system picks;
    /// the endpoints are printed).
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: std::net::Ipv4Addr,
}

#[derive(Debug, Args)]
pub struct CatalogueArgs {
    #[arg(long, default_value = "uk-psti")]
    pub scheme: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Read feature files from this folder instead of the built-in ones.
    #[arg(long)]
    pub features: Option<PathBuf>,
}
