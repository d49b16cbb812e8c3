//! Frame ranges: `"1-10,20-25"` to frames, and frames to render chunks.

use std::collections::HashSet;
use std::fmt;

/// The most frames one job may render. Guards against `"1-999999999"` turning into a
/// billion tasks in memory.
pub const MAX_FRAMES: u64 = 100_000;

/// A run of consecutive frames, `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRange {
    /// First frame.
    pub start: u64,
    /// Last frame, included.
    pub end: u64,
}

impl FrameRange {
    /// Blender's `--render-frame` syntax: `1..3`, or `10` for a single frame.
    pub fn blender_syntax(&self) -> String {
        if self.start == self.end { self.start.to_string() } else { format!("{}..{}", self.start, self.end) }
    }

    /// How many frames it holds; at most [`MAX_FRAMES`], so it fits a `u32`.
    pub fn frame_count(&self) -> u32 {
        u32::try_from(self.end - self.start + 1).unwrap_or(u32::MAX)
    }
}

impl fmt::Display for FrameRange {
    /// Flamenco's syntax: `1-3`, or `10` for a single frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

fn parse_frame(part: &str, text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!("{part:?} is not a frame number or a range like \"1-10\" (frames are non-negative integers)")
    })
}

/// The frames of a list of ranges such as `"1-10,20-25"` or `"3"`, in the order given and
/// without repeats.
pub fn parse_frames(text: &str) -> Result<Vec<u64>, String> {
    let mut ranges = Vec::new();
    let mut total: u64 = 0;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let range = match part.split_once('-') {
            Some((start, end)) => {
                FrameRange { start: parse_frame(part, start)?, end: parse_frame(part, end)? }
            }
            None => {
                let frame = parse_frame(part, part)?;
                FrameRange { start: frame, end: frame }
            }
        };
        if range.end < range.start {
            return Err(format!("range {part:?} ends before it starts"));
        }
        total = total.saturating_add((range.end - range.start).saturating_add(1));
        if total > MAX_FRAMES {
            return Err(format!("more than {MAX_FRAMES} frames"));
        }
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err("no frames given".to_owned());
    }
    let mut seen = HashSet::new();
    Ok(ranges.into_iter().flat_map(|r| r.start..=r.end).filter(|frame| seen.insert(*frame)).collect())
}

/// Splits `frames` into chunks of at most `size` frames, each written as the fewest runs of
/// consecutive frames.
pub(super) fn chunk(frames: &[u64], size: u64) -> Vec<Vec<FrameRange>> {
    // `size` may exceed usize on no platform that matters, but never panic on it.
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    frames.chunks(size).map(compress).collect()
}

fn compress(frames: &[u64]) -> Vec<FrameRange> {
    let mut ranges: Vec<FrameRange> = Vec::new();
    for &frame in frames {
        match ranges.last_mut() {
            Some(last) if last.end.checked_add(1) == Some(frame) => last.end = frame,
            _ => ranges.push(FrameRange { start: frame, end: frame }),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<Vec<u64>, &str>) {
        assert_eq!(parse_frames(text), expected.map_err(str::to_owned), "{text:?}");
    }

    #[test]
    fn frame_lists() {
        check("1-3", Ok(vec![1, 2, 3]));
        check("5", Ok(vec![5]));
        check("1-3,7,9-10", Ok(vec![1, 2, 3, 7, 9, 10]));
        check(" 1 - 2 , 4 ", Ok(vec![1, 2, 4]));
        check("1-3,2-4", Ok(vec![1, 2, 3, 4]));
        check("0-0", Ok(vec![0]));
        check("", Err("no frames given"));
        check(",", Err("no frames given"));
        check("3-1", Err("range \"3-1\" ends before it starts"));
        check(
            "a-3",
            Err("\"a-3\" is not a frame number or a range like \"1-10\" (frames are non-negative integers)"),
        );
        check(
            "-5",
            Err("\"-5\" is not a frame number or a range like \"1-10\" (frames are non-negative integers)"),
        );
        check("1-100001", Err("more than 100000 frames"));
        check("0-18446744073709551615", Err("more than 100000 frames"));
    }

    #[test]
    fn chunks_are_compressed_runs() {
        let frames = parse_frames("1-5,9").unwrap();
        let names: Vec<Vec<String>> =
            chunk(&frames, 2).iter().map(|c| c.iter().map(ToString::to_string).collect()).collect();
        assert_eq!(names, [vec!["1-2"], vec!["3-4"], vec!["5", "9"]]);
        assert_eq!(chunk(&[7], u64::MAX).len(), 1);
    }
}
