//! Step definitions, grouped by domain. Each is a regular expression over the
//! step text and an async function on the [`World`].

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use regex::Regex;

use crate::world::{StepResult, World};

mod api;
mod auth;
mod brokers;
mod choices;
mod cloud;
mod communication;
mod credentials;
mod data;
mod declaration;
mod disclosure;
mod hardware;
mod ics;
mod lifecycle;
mod network;
mod passwords;
mod publications;
mod support;
mod sweep;
mod updates;
mod web;

pub type StepFuture<'a> = Pin<Box<dyn Future<Output = StepResult> + Send + 'a>>;
pub type StepFn = for<'a> fn(&'a mut World, Vec<String>) -> StepFuture<'a>;

/// One step definition.
#[derive(Debug)]
pub struct StepDef {
    /// The pattern, anchored at both ends when compiled.
    pub pattern: &'static str,
    pub run: StepFn,
}

/// Build a [`StepDef`] from a pattern and an `async fn(&mut World, Vec<String>) -> StepResult`.
macro_rules! step {
    ($pattern:expr, $f:path) => {
        $crate::defs::StepDef {
            pattern: $pattern,
            run: |w, c| Box::pin($f(w, c)),
        }
    };
}
pub(crate) use step;

/// All step definitions, compiled once.
#[derive(Debug)]
pub struct Registry {
    defs: Vec<(Regex, StepDef)>,
}

impl Registry {
    pub fn get() -> &'static Registry {
        static R: OnceLock<Registry> = OnceLock::new();
        R.get_or_init(|| {
            let all = declaration::defs()
                .into_iter()
                .chain(passwords::defs())
                .chain(web::defs())
                .chain(disclosure::defs())
                .chain(support::defs())
                .chain(ics::defs())
                .chain(auth::defs())
                .chain(updates::defs())
                .chain(communication::defs())
                .chain(hardware::defs())
                .chain(data::defs())
                .chain(network::defs())
                .chain(api::defs())
                .chain(credentials::defs())
                .chain(lifecycle::defs())
                .chain(publications::defs())
                .chain(cloud::defs())
                .chain(choices::defs())
                .chain(brokers::defs());
            let defs = all
                .filter_map(|d| {
                    // Patterns are constants checked by the `every_step_is_defined`
                    // test; one that does not compile is left out, not a panic.
                    Regex::new(&format!("^{}$", d.pattern))
                        .ok()
                        .map(|re| (re, d))
                })
                .collect();
            Registry { defs }
        })
    }

    /// The one definition matching `text`, with its captures. Ambiguous text
    /// matches nothing, so it surfaces as undefined rather than as a guess.
    pub fn find(&self, text: &str) -> Option<(&StepDef, Vec<String>)> {
        let mut found = self.defs.iter().filter_map(|(re, d)| {
            re.captures(text.trim()).map(|c| {
                let caps = c
                    .iter()
                    .skip(1)
                    .map(|m| m.map(|m| m.as_str().to_string()).unwrap_or_default())
                    .collect();
                (d, caps)
            })
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn every_step_is_defined_once() {
        let r = Registry::get();
        let total = declaration::defs().len()
            + passwords::defs().len()
            + web::defs().len()
            + disclosure::defs().len()
            + support::defs().len()
            + ics::defs().len()
            + auth::defs().len()
            + updates::defs().len()
            + communication::defs().len()
            + hardware::defs().len()
            + data::defs().len()
            + network::defs().len()
            + api::defs().len()
            + credentials::defs().len()
            + lifecycle::defs().len()
            + publications::defs().len()
            + cloud::defs().len()
            + choices::defs().len()
            + brokers::defs().len();
        assert_eq!(r.len(), total, "a step pattern does not compile");
        let c = Catalogue::embedded().unwrap();
        // An assessor scenario's steps say what a person checks; nothing runs them.
        for s in c
            .scenarios
            .iter()
            .filter(|s| s.meta.how != crate::verdict::How::Assessor)
        {
            for st in &s.scenario.steps {
                assert!(
                    r.find(&st.value).is_some(),
                    "undefined or ambiguous: {:?}",
                    st.value
                );
            }
        }
    }
}
