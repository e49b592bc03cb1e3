//! Browser tests of the backoff page.
