//! Ack texts: a table with an `ack text` column must list exactly the texts the code sends.

use std::collections::BTreeSet;

use super::Tree;
use super::markdown::{cells, code_spans, without_fences};

/// Where the subscription ack texts are defined.
pub(super) const ACK_SOURCE: &str = "crates/broadcast-core/src/subscription.rs";

/// Checks every ack-text table of `text`: how many there are, and (line, message) problems.
pub(super) fn check(text: &str, tree: &dyn Tree) -> (usize, Vec<(usize, String)>) {
    let tables = ack_tables(text);
    if tables.is_empty() {
        return (0, Vec::new());
    }
    match code_ack_texts(tree) {
        Ok(code) => (tables.len(), tables.iter().flat_map(|t| compare_acks(t, &code)).collect()),
        Err(e) => (0, vec![(tables[0].line, e)]),
    }
}

/// A table with an `ack text` column: the line of its header and the texts it lists.
#[derive(Debug)]
struct AckTable {
    line: usize,
    /// (line, text) per row; `None` when the cell has no code span.
    rows: Vec<(usize, Option<String>)>,
}

fn ack_tables(text: &str) -> Vec<AckTable> {
    let prose = without_fences(text);
    let lines: Vec<&str> = prose.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let is_row = |l: &str| l.trim_start().starts_with('|');
        if !is_row(lines[i]) || (i > 0 && is_row(lines[i - 1])) {
            i += 1;
            continue;
        }
        let header = cells(lines[i]);
        let Some(column) = header.iter().position(|c| c.eq_ignore_ascii_case("ack text")) else {
            i += 1;
            continue;
        };
        let mut table = AckTable { line: i + 1, rows: Vec::new() };
        // Skip the header and its `|---|` separator.
        let mut j = i + 2;
        while j < lines.len() && is_row(lines[j]) {
            let cell = cells(lines[j]).get(column).copied().unwrap_or("");
            let text = code_spans(cell).into_iter().next().map(|s| s.text);
            table.rows.push((j + 1, text));
            j += 1;
        }
        tables.push(table);
        i = j;
    }
    tables
}

/// The subscription ack texts the code sends: `const ACK_OK` and the arms of `fn ack_text`.
fn code_ack_texts(tree: &dyn Tree) -> Result<BTreeSet<String>, String> {
    let source =
        tree.read(ACK_SOURCE).ok_or_else(|| format!("cannot read `{ACK_SOURCE}` for the ack texts"))?;
    let literal = |s: &str| s.split('"').nth(1).map(str::to_owned);
    let mut texts = BTreeSet::new();
    for line in source.lines() {
        let line = line.trim();
        if line.contains("const ACK_OK") {
            texts.extend(literal(line));
        } else if line.starts_with("SubscriptionError::") && line.contains("=> \"") {
            texts.extend(line.split_once("=>").and_then(|(_, rhs)| literal(rhs)));
        }
    }
    if texts.len() < 2 {
        return Err(format!(
            "found no ack texts in `{ACK_SOURCE}` (`const ACK_OK`, arms of `fn ack_text`); update xtask/src/docs/acks.rs"
        ));
    }
    Ok(texts)
}

fn compare_acks(table: &AckTable, code: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (line, text) in &table.rows {
        match text {
            None => problems.push((*line, "write the ack text in backticks".to_owned())),
            Some(text) if !code.contains(text) => problems.push((
                *line,
                format!(
                    "ack text `{text}` is not one that `{ACK_SOURCE}` sends (`const ACK_OK`, `fn ack_text`)"
                ),
            )),
            Some(text) => {
                listed.insert(text.clone());
            }
        }
    }
    for missing in code.difference(&listed) {
        problems
            .push((table.line, format!("the ack-text table lacks `{missing}`, which `{ACK_SOURCE}` sends")));
    }
    problems
}
