//! `iotmark demo`: the whole flow on a simulated product with a throwaway lab.

use std::path::PathBuf;

use anyhow::Context;
use iotmark_adapters::profile::Profile;
use iotmark_labels::verify::{verify, LabelInput, LabelStatus, TrustStore};
use iotmark_steps::catalogue::Scheme;

use super::issue::issue_label;
use crate::cli::{DemoArgs, Format, IssueArgs};
use crate::output;
use crate::Exit;
use iotmark_harness::{execute, RunPlan};

pub async fn demo(args: DemoArgs) -> anyhow::Result<Exit> {
    let product = super::simulate::product_arg(&args.product)?;
    let out = match args.out {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "iotmark-demo-{}",
            time::OffsetDateTime::now_utc().unix_timestamp()
        )),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let profile_json = iotmark_sim::sim_profile(product.name())
        .with_context(|| format!("no built-in profile for {}", product.name()))?;
    let profile_path = out.join(format!("{}.json", product.name()));
    std::fs::write(&profile_path, profile_json)?;
    let profile = Profile::load(&profile_path)?;

    outln!("1. Run: UK PSTI suite on sim:{}", product.name());
    let run_dir = out.join("run");
    let probe = iotmark_harness::ProbeSettings {
        timeout: 5.0,
        scenario_timeout: 120,
        rate: None,
        capture: None,
        resolve: Vec::new(),
        connect_scan: false,
        dictionary: iotmark_steps::dictionary::DictionaryChoice::Default,
    };
    let device = format!("sim:{}", product.name());
    let run = execute(RunPlan {
        profile,
        device: &device,
        scheme: Scheme::UkPsti,
        out: &run_dir,
        probe: &probe,
        previous: None,
        features: None,
        unit: 0,
        on_scenario: Some(&super::run::print_scenario),
    })
    .await?;
    out!("{}", output::verdict_table(&run.report));

    outln!("\n2. Keys: a throwaway accreditation authority and test lab");
    let authority_dir = out.join("authority");
    let lab_dir = out.join("lab");
    let anchor = iotmark_labels::pki::init_authority("Demo Accreditation Body", &authority_dir)?;
    let scope: Vec<String> = Scheme::ALL.iter().map(|s| s.name().to_string()).collect();
    let lab_cert =
        iotmark_labels::pki::init_lab(&authority_dir, "Demo Test Lab", &scope, &lab_dir)?;
    outln!("   authority {}", anchor.display());
    outln!("   lab       {}", lab_cert.display());
    let sealed = super::report::sign_folder(&run_dir, &lab_dir.join("lab.key"), &lab_cert, None)?;
    outln!("   report signed by the lab: {}", sealed.seal.display());

    outln!("\n3. Issue: a signed label from the report");
    let label_dir = out.join("label");
    let issue_args = IssueArgs {
        report: run_dir.clone(),
        key: lab_dir.join("lab.key"),
        cert: lab_cert.clone(),
        out: label_dir.clone(),
        base_url: iotmark_labels::qr::DEFAULT_BASE_URL.to_string(),
        digital_link: false,
        passphrase_env: None,
        serial: None,
        registry: None,
        allow_simulated: true,
        format: Format::Text,
    };
    let label = match issue_label(&issue_args)? {
        Ok(l) => l,
        Err(why) => {
            outln!("   refused: no label for a product that is not conformant");
            for line in why {
                outln!("   {line}");
            }
            outln!("\nfiles are in {}", out.display());
            return Ok(Exit::Negative);
        }
    };
    outln!(
        "   label {} ({} bytes, QR version {}, kid {})",
        label.serial,
        label.bytes,
        label.qr_version,
        label.kid
    );
    outln!("{}", iotmark_labels::qr::render_terminal(&label.url)?);
    outln!("   {}", label.url);

    outln!("\n4. Verify: from the .cose file, the URL and the PNG image");
    let trust = TrustStore::from_pem_files(&anchor, &[lab_cert])?;
    let today = time::OffsetDateTime::now_utc().date();
    let inputs: Vec<(&str, LabelInput)> = vec![
        (
            "label.cose",
            LabelInput::Cose(std::fs::read(label_dir.join("label.cose"))?),
        ),
        ("label.url", LabelInput::Url(label.url.clone())),
        ("label.png", LabelInput::Image(label_dir.join("label.png"))),
    ];
    let mut all_valid = true;
    for (name, input) in &inputs {
        let v = verify(input, &trust, today);
        outln!(
            "   {name:<10} {}: {}",
            v.status.as_str().to_uppercase(),
            v.reason
        );
        all_valid &= v.status == LabelStatus::Valid;
    }

    let files: Vec<PathBuf> = vec![
        run_dir.join("report.json"),
        run_dir.join("report.html"),
        run_dir.join("junit.xml"),
        run_dir.join("cucumber.json"),
        run_dir.join("evidence.jsonl"),
        label_dir.clone(),
    ];
    outln!("\nFiles:");
    for f in files {
        outln!("   {}", f.display());
    }
    outln!(
        "Verify again with:\n   iotmark verify {} --trust-anchor {}",
        label_dir.join("label.png").display(),
        anchor.display()
    );
    Ok(if all_valid {
        Exit::Success
    } else {
        Exit::Negative
    })
}
