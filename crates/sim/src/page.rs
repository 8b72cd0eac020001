//! The HTML frame shared by the simulated device pages and websites.

pub use iotmark_text::escape_html as escape;

/// A complete HTML document around `body` (already HTML).
pub fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}
