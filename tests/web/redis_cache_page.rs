//! Browser tests of the cache-aside demo on the Redis page.
