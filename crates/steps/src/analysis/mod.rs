//! Judgements on what the product and its manufacturer publish: passwords,
//! web pages, security.txt. Pure functions over data, so each rule is tested
//! on its own, away from any network.

pub mod passwords;
pub mod security_txt;
pub mod text;
pub mod traffic;
