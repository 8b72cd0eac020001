//! The default-credential dictionary: the Mirai botnet's list as the floor,
//! plus other well-known vendor defaults, kept as data in
//! `steps/data/default-credentials.csv`.

use iotmark_adapters::device::Credential;

const EMBEDDED: &str = include_str!("../data/default-credentials.csv");

/// One dictionary entry.
#[derive(Debug, Clone)]
pub struct DictionaryEntry {
    pub credential: Credential,
    /// Where the entry comes from (`mirai`, `vendor-default`).
    pub source: String,
    /// 1-based row in the data file, to cite in reasons.
    pub row: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("default-credential dictionary row {row}: {detail}")]
pub struct DictionaryError {
    pub row: usize,
    pub detail: String,
}

/// The distinct credentials of a dictionary in CSV (`username,password,source`).
pub fn parse(text: &str) -> Result<Vec<DictionaryEntry>, DictionaryError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut out: Vec<DictionaryEntry> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| DictionaryError {
            row,
            detail: e.to_string(),
        })?;
        if rec.len() != 3 {
            return Err(DictionaryError {
                row,
                detail: format!("{} fields where 3 were expected", rec.len()),
            });
        }
        let credential = Credential::new(&rec[0], &rec[1]);
        if out.iter().any(|e| e.credential == credential) {
            continue;
        }
        out.push(DictionaryEntry {
            credential,
            source: rec[2].to_string(),
            row,
        });
    }
    Ok(out)
}

/// The dictionary compiled into the binary.
pub fn embedded() -> Result<Vec<DictionaryEntry>, DictionaryError> {
    parse(EMBEDDED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirai_floor_is_complete() {
        let all = embedded().unwrap();
        let mirai: Vec<_> = all.iter().filter(|e| e.source == "mirai").collect();
        // 62 rows in the scanner's table, 61 distinct pairs.
        assert_eq!(mirai.len(), 61);
        assert_eq!(
            EMBEDDED.lines().filter(|l| l.ends_with(",mirai")).count(),
            62
        );
        assert!(
            all.iter()
                .any(|e| e.credential.username == "root"
                    && e.credential.password.expose() == "xc3511")
        );
        assert!(all.len() > mirai.len());
    }
}
