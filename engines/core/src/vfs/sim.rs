//! The simulated, fault-injecting filesystem (being written).
