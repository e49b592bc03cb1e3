//! Browser tests of the locks page.
