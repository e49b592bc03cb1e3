//! Native command-line front ends (the `sim` and `redis-model` binaries).
