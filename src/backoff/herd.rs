//! Thundering herd (in progress).
