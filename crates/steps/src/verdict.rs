//! Verdicts and how they combine.
//!
//! ETSI TS 103 701 knows PASS and FAIL per test case, and NOT APPLICABLE from
//! the ICS. INCONCLUSIVE is ours: the evidence needed to decide was not
//! obtained (a probe timed out, an operator action was impossible, the
//! declaration lacks what an automated check needs). It is never a PASS and
//! never a FAIL.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Pass,
    Fail,
    NotApplicable,
    Inconclusive,
}

impl Verdict {
    /// Combine the verdicts of the parts of one thing (the scenarios of a test
    /// case, the test cases of a provision): any FAIL fails it; otherwise any
    /// INCONCLUSIVE leaves it undecided; otherwise any PASS passes it; a thing
    /// whose parts are all NOT APPLICABLE (or that has none) is NOT APPLICABLE.
    pub fn combine<I: IntoIterator<Item = Verdict>>(parts: I) -> Verdict {
        let mut any_pass = false;
        let mut any_inconclusive = false;
        for v in parts {
            match v {
                Verdict::Fail => return Verdict::Fail,
                Verdict::Inconclusive => any_inconclusive = true,
                Verdict::Pass => any_pass = true,
                Verdict::NotApplicable => {}
            }
        }
        if any_inconclusive {
            Verdict::Inconclusive
        } else if any_pass {
            Verdict::Pass
        } else {
            Verdict::NotApplicable
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotApplicable => "NOT_APPLICABLE",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a test case is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// A functional test probes the product.
    Automated,
    /// A conceptual test reads the declared IXIT automatically.
    Ixit,
    /// A person's signed-off judgement, from an attestation file.
    Assessor,
}

/// The overall result of a run against a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conformance {
    Conformant,
    NotConformant,
    Inconclusive,
}

impl Conformance {
    /// Every applicable mandatory test case must PASS. A FAIL anywhere makes
    /// the product not conformant; otherwise an INCONCLUSIVE leaves it open.
    pub fn from_verdicts<I: IntoIterator<Item = Verdict>>(mandatory: I) -> Conformance {
        match Verdict::combine(mandatory) {
            Verdict::Fail => Conformance::NotConformant,
            Verdict::Inconclusive => Conformance::Inconclusive,
            Verdict::Pass | Verdict::NotApplicable => Conformance::Conformant,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Conformance::Conformant => "conformant",
            Conformance::NotConformant => "not-conformant",
            Conformance::Inconclusive => "inconclusive",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict::*;
    use super::*;

    #[test]
    fn combination_order() {
        assert_eq!(Verdict::combine([Pass, Inconclusive, Fail]), Fail);
        assert_eq!(Verdict::combine([Pass, Inconclusive]), Inconclusive);
        assert_eq!(Verdict::combine([Pass, NotApplicable]), Pass);
        assert_eq!(Verdict::combine([NotApplicable]), NotApplicable);
        assert_eq!(Verdict::combine([]), NotApplicable);
    }

    #[test]
    fn conformance() {
        assert_eq!(
            Conformance::from_verdicts([Pass, NotApplicable]),
            Conformance::Conformant
        );
        assert_eq!(
            Conformance::from_verdicts([Pass, Inconclusive]),
            Conformance::Inconclusive
        );
        assert_eq!(
            Conformance::from_verdicts([Fail, Inconclusive]),
            Conformance::NotConformant
        );
    }
}
