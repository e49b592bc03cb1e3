//! Browser tests of the load_balancing page.
