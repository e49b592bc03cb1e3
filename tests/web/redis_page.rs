//! Browser tests of the redis page.
