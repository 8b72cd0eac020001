//! The crate graph points one way. Each workspace crate may depend (for its
//! code, its build script or its tests) only on the crates listed for it
//! below; a new edge, or a new crate, fails here until this table says it
//! belongs. The table is the picture in ARCHITECTURE.md, in code.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each crate, bottom first, with the workspace crates it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("iotmark-text", &[]),
    ("iotmark-labels", &["iotmark-text"]),
    ("iotmark-adapters", &["iotmark-text"]),
    ("iotmark-registry", &["iotmark-labels"]),
    ("iotmark-steps", &["iotmark-adapters", "iotmark-text"]),
    ("iotmark-sim", &["iotmark-adapters", "iotmark-text"]),
    (
        "iotmark-serve",
        &["iotmark-labels", "iotmark-registry", "iotmark-text"],
    ),
    (
        "iotmark-harness",
        &["iotmark-adapters", "iotmark-sim", "iotmark-steps"],
    ),
    (
        "iotmark",
        &[
            "iotmark-adapters",
            "iotmark-harness",
            "iotmark-labels",
            "iotmark-registry",
            "iotmark-serve",
            "iotmark-sim",
            "iotmark-steps",
        ],
    ),
];

/// Workspace crate → the workspace crates it depends on, from `cargo metadata`.
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let members: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .filter(|d| members.contains(d))
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

fn allowed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    LAYERS
        .iter()
        .map(|(name, deps)| (*name, deps.iter().copied().collect()))
        .collect()
}

#[test]
fn every_crate_depends_only_on_crates_below_it() {
    let allowed = allowed();
    let mut wrong = Vec::new();
    for (krate, deps) in workspace_edges() {
        let Some(may) = allowed.get(krate.as_str()) else {
            wrong.push(format!(
                "{krate} is not in tests/architecture.rs LAYERS: place it"
            ));
            continue;
        };
        for dep in deps {
            if !may.contains(dep.as_str()) {
                wrong.push(format!("{krate} depends on {dep}, which is not below it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_layer_table_itself_points_one_way() {
    // A crate may only name crates listed before it, so the table cannot
    // hide a cycle.
    let mut seen = BTreeSet::new();
    for (name, deps) in LAYERS {
        for dep in *deps {
            assert!(
                seen.contains(dep),
                "{name} names {dep}, which is not listed before it"
            );
        }
        seen.insert(*name);
    }
}
