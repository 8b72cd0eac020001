//! The default-credential dictionary: the Mirai botnet's list as the floor
//! (`crates/steps/data/default-credentials.csv`), and a corpus of 4,760
//! protocol-tagged well-known defaults with their sources
//! (`crates/steps/data/default-credentials/corpus.csv`, see the README beside it).
//!
//! Each login interface gets its own ordering ([`Dictionary::for_interface`]):
//! the Mirai list, then the corpus entries of the interface's protocol, then
//! those of the declared manufacturer, then the generic ones. The default
//! dictionary stops at [`DEFAULT_PER_INTERFACE`] entries per interface so a
//! run on a slow device stays within minutes; [`DictionaryChoice::Full`]
//! tries the whole corpus.

use iotmark_adapters::device::Credential;

const FLOOR: &str = include_str!("../data/default-credentials.csv");
const CORPUS: &str = include_str!("../data/default-credentials/corpus.csv");

/// Entries the default dictionary gives one interface: the Mirai list (61)
/// and the most likely others. At eight attempts in flight and a slow
/// login's three seconds per refusal, about a minute per interface.
pub const DEFAULT_PER_INTERFACE: usize = 160;

/// One dictionary entry.
#[derive(Debug, Clone)]
pub struct DictionaryEntry {
    pub credential: Credential,
    /// Where the entry comes from: `mirai` and `vendor-default` (the floor
    /// file), or `corpus` (the reference corpus).
    pub source: String,
    /// 1-based row in its data file, to cite in reasons.
    pub row: usize,
    /// The protocol the entry is known for (`telnet`, `ssh`, `http-form`,
    /// `any`…; floor entries are `telnet` for Mirai, `any` otherwise).
    pub protocol: String,
    /// The vendor the entry is known for, if any.
    pub vendor: String,
}

#[derive(Debug, thiserror::Error)]
#[error("default-credential dictionary {file} row {row}: {detail}")]
pub struct DictionaryError {
    pub file: &'static str,
    pub row: usize,
    pub detail: String,
}

/// Which dictionary a run sweeps with (`run --dictionary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DictionaryChoice {
    /// At most [`DEFAULT_PER_INTERFACE`] entries per interface.
    #[default]
    Default,
    /// Every distinct entry of the corpus.
    Full,
}

/// The distinct credentials of a floor file in CSV (`username,password,source`).
pub fn parse(text: &str) -> Result<Vec<DictionaryEntry>, DictionaryError> {
    let file = "crates/steps/data/default-credentials.csv";
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut out: Vec<DictionaryEntry> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| DictionaryError {
            file,
            row,
            detail: e.to_string(),
        })?;
        if rec.len() != 3 {
            return Err(DictionaryError {
                file,
                row,
                detail: format!("{} fields where 3 were expected", rec.len()),
            });
        }
        let credential = Credential::new(&rec[0], &rec[1]);
        if out.iter().any(|e| e.credential == credential) {
            continue;
        }
        let source = rec[2].to_string();
        out.push(DictionaryEntry {
            credential,
            protocol: if source == "mirai" { "telnet" } else { "any" }.into(),
            vendor: String::new(),
            source,
            row,
        });
    }
    Ok(out)
}

/// The corpus rows (`protocol,username,password,vendor,product,source`).
pub fn parse_corpus(text: &str) -> Result<Vec<DictionaryEntry>, DictionaryError> {
    let file = "crates/steps/data/default-credentials/corpus.csv";
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| DictionaryError {
            file,
            row,
            detail: e.to_string(),
        })?;
        if rec.len() != 6 {
            return Err(DictionaryError {
                file,
                row,
                detail: format!("{} fields where 6 were expected", rec.len()),
            });
        }
        out.push(DictionaryEntry {
            credential: Credential::new(&rec[1], &rec[2]),
            source: "corpus".into(),
            row,
            protocol: rec[0].to_string(),
            vendor: rec[3].to_string(),
        });
    }
    Ok(out)
}

/// The floor and the corpus, and how much of them a sweep uses.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub choice: DictionaryChoice,
    floor: Vec<DictionaryEntry>,
    corpus: Vec<DictionaryEntry>,
}

/// The corpus protocol tags that fit a login kind, most specific first.
fn protocol_tags(kind: &str) -> &'static [&'static str] {
    match kind {
        "telnet-prompt" => &["telnet"],
        "ssh-password" => &["ssh"],
        "http-basic" => &["http-basic", "http-digest", "http"],
        "http-digest" => &["http-digest", "http-basic", "http"],
        "http-form" => &["http-form", "http"],
        "mqtt-connect" => &["mqtt"],
        "ftp" => &["ftp"],
        "rtsp" => &["rtsp", "onvif"],
        "snmp" => &["snmp-community"],
        _ => &[],
    }
}

/// Does a corpus vendor name the declared manufacturer? Compared on the
/// first word, case-insensitively ("Hikvision" and "Hikvision Digital
/// Technology Co., Ltd.").
fn same_vendor(vendor: &str, manufacturer: &str) -> bool {
    let first = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric() && c != '-')
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_lowercase()
    };
    let (v, m) = (first(vendor), first(manufacturer));
    !v.is_empty() && v == m
}

impl Dictionary {
    /// The dictionary compiled into the binary.
    pub fn embedded(choice: DictionaryChoice) -> Result<Self, DictionaryError> {
        Ok(Dictionary {
            choice,
            floor: parse(FLOOR)?,
            corpus: parse_corpus(CORPUS)?,
        })
    }

    /// Its name and size, for reasons.
    pub fn describe(&self) -> String {
        match self.choice {
            DictionaryChoice::Default => format!(
                "default (Mirai list, then the interface's protocol, the manufacturer and generic defaults, at most {DEFAULT_PER_INTERFACE} per interface; from {} floor entries and a {}-row corpus)",
                self.floor.len(),
                self.corpus.len()
            ),
            DictionaryChoice::Full => format!(
                "full ({} floor entries and every distinct entry of the {}-row corpus)",
                self.floor.len(),
                self.corpus.len()
            ),
        }
    }

    /// Every password the dictionary holds, floor and corpus.
    pub fn passwords(&self) -> impl Iterator<Item = &str> {
        self.floor
            .iter()
            .chain(self.corpus.iter())
            .map(|e| e.credential.password.expose())
    }

    /// The entries to try on an interface of login kind `kind` (as the
    /// profile names it) of a product by `manufacturer`, in order, without
    /// repeats.
    pub fn for_interface(&self, kind: &str, manufacturer: &str) -> Vec<DictionaryEntry> {
        let tags = protocol_tags(kind);
        let snmp = tags.contains(&"snmp-community");
        let usable = |e: &&DictionaryEntry| snmp || e.protocol != "snmp-community";
        let mirai = self.floor.iter().filter(|e| e.source == "mirai");
        // The protocol's own entries: those without a vendor first (they
        // are tried against every make), then the vendors'.
        let own = tags.iter().flat_map(|tag| {
            let tagged = move |e: &&DictionaryEntry| e.protocol == *tag;
            self.corpus
                .iter()
                .filter(tagged)
                .filter(|e| e.vendor.is_empty())
                .chain(
                    self.corpus
                        .iter()
                        .filter(tagged)
                        .filter(|e| !e.vendor.is_empty()),
                )
        });
        let maker = self
            .corpus
            .iter()
            .filter(|e| same_vendor(&e.vendor, manufacturer))
            .filter(usable);
        let generic = self
            .corpus
            .iter()
            .filter(|e| e.protocol == "any" && e.vendor.is_empty())
            .chain(self.floor.iter().filter(|e| e.source != "mirai"));
        let rest = self.corpus.iter().filter(usable);
        let ordered = mirai
            .chain(own)
            .chain(maker)
            .chain(generic)
            .chain(rest.take(match self.choice {
                DictionaryChoice::Full => usize::MAX,
                DictionaryChoice::Default => 0,
            }));
        let limit = match self.choice {
            DictionaryChoice::Default => DEFAULT_PER_INTERFACE,
            DictionaryChoice::Full => usize::MAX,
        };
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for e in ordered {
            if out.len() >= limit {
                break;
            }
            let key = (
                e.credential.username.clone(),
                e.credential.password.expose().to_string(),
            );
            if seen.insert(key) {
                out.push(e.clone());
            }
        }
        out
    }
}

/// The floor list compiled into the binary.
pub fn embedded() -> Result<Vec<DictionaryEntry>, DictionaryError> {
    parse(FLOOR)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn mirai_floor_is_complete() {
        let all = embedded().unwrap();
        let mirai: Vec<_> = all.iter().filter(|e| e.source == "mirai").collect();
        // 62 rows in the scanner's table, 61 distinct pairs.
        assert_eq!(mirai.len(), 61);
        assert_eq!(FLOOR.lines().filter(|l| l.ends_with(",mirai")).count(), 62);
        assert!(
            all.iter()
                .any(|e| e.credential.username == "root"
                    && e.credential.password.expose() == "xc3511")
        );
        assert!(all.len() > mirai.len());
    }

    #[test]
    fn the_corpus_is_whole() {
        let corpus = parse_corpus(CORPUS).unwrap();
        assert_eq!(corpus.len(), 4760);
        assert_eq!(
            corpus.iter().filter(|e| e.protocol == "telnet").count(),
            759
        );
        assert_eq!(
            corpus
                .iter()
                .filter(|e| e.protocol == "snmp-community")
                .count(),
            122
        );
    }

    #[test]
    fn each_interface_gets_mirai_then_its_protocol_then_its_maker() {
        let d = Dictionary::embedded(DictionaryChoice::Default).unwrap();
        let ssh = d.for_interface("ssh-password", "Ubiquiti Inc.");
        assert_eq!(ssh.len(), DEFAULT_PER_INTERFACE);
        assert!(ssh[..61].iter().all(|e| e.source == "mirai"));
        // Straight after Mirai, the SSH entries (those not already tried).
        assert_eq!(ssh[61].protocol, "ssh", "{:?}", ssh[61]);
        let telnet = d.for_interface("telnet-prompt", "Dahua");
        assert!(telnet[61..].iter().take(5).all(|e| e.protocol == "telnet"));
        // No repeats.
        let mut pairs: Vec<_> = ssh
            .iter()
            .map(|e| {
                (
                    e.credential.username.clone(),
                    e.credential.password.expose().to_string(),
                )
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), ssh.len());
        // A manufacturer's own entries come before the generic ones.
        let form = d.for_interface("http-form", "Hikvision");
        let own_end = form
            .iter()
            .rposition(|e| e.protocol == "http-form" || e.protocol == "http")
            .unwrap();
        let maker = form.iter().position(|e| {
            same_vendor(&e.vendor, "Hikvision") && e.protocol != "http-form" && e.protocol != "http"
        });
        if let Some(m) = maker {
            assert!(m > own_end);
            let generic = form
                .iter()
                .position(|e| e.protocol == "any" && e.vendor.is_empty())
                .unwrap();
            assert!(m < generic, "maker {m} before generic {generic}");
        }
    }

    #[test]
    fn the_full_dictionary_is_the_whole_corpus() {
        let d = Dictionary::embedded(DictionaryChoice::Full).unwrap();
        let telnet = d.for_interface("telnet-prompt", "");
        let distinct: std::collections::HashSet<(String, String)> = parse_corpus(CORPUS)
            .unwrap()
            .iter()
            .filter(|e| e.protocol != "snmp-community")
            .chain(embedded().unwrap().iter())
            .map(|e| {
                (
                    e.credential.username.clone(),
                    e.credential.password.expose().to_string(),
                )
            })
            .collect();
        assert_eq!(telnet.len(), distinct.len());
        assert!(telnet.iter().all(|e| e.protocol != "snmp-community"));
    }
}
