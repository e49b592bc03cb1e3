//! CSV and JSON output helpers shared by the `sim` subcommands.

use serde::Serialize;
use std::io::Write;

/// Writes `value` as pretty JSON followed by a newline.
pub fn print_json<T: Serialize>(value: &T) -> super::CliResult {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes a header and rows as CSV.
pub fn print_csv<R: AsRef<[String]>>(header: &[&str], rows: impl IntoIterator<Item = R>) -> super::CliResult {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","))?;
    for r in rows {
        writeln!(out, "{}", r.as_ref().iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(super::csv_field("plain"), "plain");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
