//! The bits of Markdown the checks read: prose outside fenced code, inline code spans, and
//! table cells.

/// The text with every fenced code block's lines blanked, so line numbers stay right.
pub(super) fn without_fences(text: &str) -> String {
    let mut fence: Option<&str> = None;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push_str(line),
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// An inline code span: its contents, its line, and the text between it and the previous span.
pub(super) struct Span {
    pub(super) text: String,
    pub(super) line: usize,
    pub(super) gap_before: String,
}

/// The inline code spans of `text`, opened and closed by equal runs of backticks.
pub(super) fn code_spans(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let run_at = |at: usize| bytes[at..].iter().take_while(|&&b| b == b'`').count();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let mut spans = Vec::new();
    let mut previous_end = 0;
    let mut at = 0;
    while let Some(offset) = text[at..].find('`') {
        let open = at + offset;
        let ticks = run_at(open);
        let content_start = open + ticks;
        let mut search = content_start;
        let close = loop {
            match text[search..].find('`') {
                None => break None,
                Some(o) => {
                    let candidate = search + o;
                    let run = run_at(candidate);
                    if run == ticks {
                        break Some(candidate);
                    }
                    search = candidate + run;
                }
            }
        };
        let Some(close) = close else { break };
        spans.push(Span {
            text: text[content_start..close].trim().to_owned(),
            line: line_of(open),
            gap_before: text[previous_end..open].to_owned(),
        });
        previous_end = close + ticks;
        at = previous_end;
    }
    spans
}

/// The cells of a table row, trimmed, without the outer pipes.
pub(super) fn cells(row: &str) -> Vec<&str> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    row.split('|').map(str::trim).collect()
}
