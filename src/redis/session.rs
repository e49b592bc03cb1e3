//! What a redis-cli session in the page keeps between commands — its history and its scrollback —
//! bounded by count *and* bytes, with work per command proportional to that command's own text
//! (issue 11: after one 2 MB line every later command took 330–450 ms, because the whole history
//! and transcript were copied, re-rendered and re-saved each time).
//!
//! Entries are shared (`Rc`), so copying a log for a new page state copies pointers, never text;
//! pushing trims the oldest entries until both bounds hold. Pure: no clock, no web types.

use std::collections::VecDeque;
use std::rc::Rc;

/// Something a [`BoundedLog`] can weigh.
pub trait Weighed {
    /// The bytes this entry holds.
    fn weight(&self) -> usize;
}

impl Weighed for str {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// A queue of shared entries, oldest first, holding at most `max_items` entries and
/// `max_bytes` bytes.
#[derive(Debug)]
pub struct BoundedLog<T: ?Sized> {
    items: VecDeque<Rc<T>>,
    bytes: usize,
    max_items: usize,
    max_bytes: usize,
}

impl<T: ?Sized> Clone for BoundedLog<T> {
    fn clone(&self) -> Self {
        BoundedLog {
            items: self.items.clone(),
            bytes: self.bytes,
            max_items: self.max_items,
            max_bytes: self.max_bytes,
        }
    }
}

impl<T: ?Sized> PartialEq for BoundedLog<T> {
    /// Entries compare by identity: two logs are equal when they share the same entries.
    fn eq(&self, other: &Self) -> bool {
        self.items.len() == other.items.len() && self.items.iter().zip(&other.items).all(|(a, b)| Rc::ptr_eq(a, b))
    }
}

impl<T: Weighed + ?Sized> BoundedLog<T> {
    pub fn new(max_items: usize, max_bytes: usize) -> Self {
        BoundedLog { items: VecDeque::new(), bytes: 0, max_items, max_bytes }
    }

    /// Appends `item` and drops the oldest entries until both bounds hold. An entry heavier than
    /// `max_bytes` on its own is not kept (returns false).
    pub fn push(&mut self, item: Rc<T>) -> bool {
        let w = item.weight();
        if w > self.max_bytes || self.max_items == 0 {
            return false;
        }
        self.bytes += w;
        self.items.push_back(item);
        while self.items.len() > self.max_items || self.bytes > self.max_bytes {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= old.weight();
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Bytes held (the sum of the entries' weights).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    pub fn get(&self, i: usize) -> Option<&Rc<T>> {
        self.items.get(i)
    }
    pub fn last(&self) -> Option<&Rc<T>> {
        self.items.back()
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Rc<T>> + ExactSizeIterator {
        self.items.iter()
    }
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes = 0;
    }
}

/// Lines of CLI history kept (and saved).
pub const HISTORY_MAX_LINES: usize = 200;
/// Bytes of CLI history kept (and saved in localStorage).
pub const HISTORY_MAX_BYTES: usize = 128 << 10;
/// A line longer than this is run but not remembered (redis-cli keeps every line; a browser tab
/// saving megabytes of history to localStorage on every command does not).
pub const HISTORY_LINE_MAX_BYTES: usize = 16 << 10;

/// The command history: ↑/↓ recall, redis-cli's rule that a line equal to the previous one is not
/// added again, bounded by lines and bytes.
pub type History = BoundedLog<str>;

pub fn new_history() -> History {
    History::new(HISTORY_MAX_LINES, HISTORY_MAX_BYTES)
}

/// Remembers `line` unless it repeats the newest entry or is longer than
/// [`HISTORY_LINE_MAX_BYTES`]. Returns whether it was kept.
pub fn remember(history: &mut History, line: &str) -> bool {
    if line.len() > HISTORY_LINE_MAX_BYTES {
        return false;
    }
    if history.last().is_some_and(|l| &**l == line) {
        return true;
    }
    history.push(Rc::from(line))
}

/// A history from saved lines (oldest first), applying the same bounds as typing them would.
pub fn history_from(lines: impl IntoIterator<Item = String>) -> History {
    let mut h = new_history();
    for l in lines {
        remember(&mut h, &l);
    }
    h
}

/// Text cut to at most `max` bytes at a character boundary, and how many bytes were left out.
pub fn clip(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// Bytes of a command line shown in the scrollback.
pub const SHOWN_COMMAND_BYTES: usize = 1 << 10;
/// Bytes of one reply shown in the scrollback.
pub const SHOWN_OUTPUT_BYTES: usize = 64 << 10;
/// Entries the scrollback keeps.
pub const SCROLLBACK_MAX_ENTRIES: usize = 300;
/// Bytes the scrollback keeps (older entries scroll away for good, as in a terminal).
pub const SCROLLBACK_MAX_BYTES: usize = 512 << 10;

/// A number of bytes as people read it: `980 bytes`, `12.5 KB`, `2.0 MB`.
pub fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weighed for String {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn a_bounded_log_trims_the_oldest_by_count_and_by_bytes() {
        let mut log: BoundedLog<String> = BoundedLog::new(3, 10);
        for s in ["aaaa", "bbbb", "cc"] {
            assert!(log.push(Rc::new(s.to_string())));
        }
        assert_eq!((log.len(), log.bytes()), (3, 10));
        log.push(Rc::new("d".into()));
        let kept: Vec<&str> = log.iter().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["bbbb", "cc", "d"], "count bound");
        log.push(Rc::new("eeeeee".into()));
        let kept: Vec<&str> = log.iter().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["cc", "d", "eeeeee"], "byte bound: 4 + 2 + 1 + 6 > 10 drops the oldest");
        assert_eq!(log.bytes(), 9);
        assert!(!log.push(Rc::new("x".repeat(11))), "heavier than the whole log: not kept");
        assert_eq!(log.len(), 3);
        let copy = log.clone();
        assert_eq!(copy, log, "a copy shares its entries");
        let mut other = log.clone();
        other.push(Rc::new("f".into()));
        assert_ne!(other, log);
    }

    #[test]
    fn history_skips_repeats_and_long_lines_and_stays_within_its_bytes() {
        let mut h = new_history();
        assert!(remember(&mut h, "SET a 1"));
        assert!(remember(&mut h, "SET a 1"));
        assert_eq!(h.len(), 1, "a repeat of the newest line is not added");
        let long = format!("SET big {}", "x".repeat(2 << 20));
        assert!(!remember(&mut h, &long), "a 2 MB line is run, not remembered");
        for i in 0..1000 {
            remember(&mut h, &format!("SET k{i} {}", "v".repeat(1000)));
        }
        assert!(
            h.bytes() <= HISTORY_MAX_BYTES && h.len() <= HISTORY_MAX_LINES,
            "{} lines, {} bytes",
            h.len(),
            h.bytes()
        );
        assert!(h.last().unwrap().starts_with("SET k999 "));
        let reloaded = history_from(h.iter().map(|l| l.to_string()).chain([long]));
        assert_eq!(reloaded.len(), h.len());
    }

    #[test]
    fn clip_cuts_at_a_character_boundary() {
        assert_eq!(clip("hello", 10), ("hello", 0));
        assert_eq!(clip("héllo", 2), ("h", 5));
        assert_eq!(clip("héllo", 3), ("hé", 3));
        assert_eq!(human_bytes(980), "980 bytes");
        assert_eq!(human_bytes(2 << 20), "2.0 MB");
    }
}
