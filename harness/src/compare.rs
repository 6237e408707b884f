//! The gate's rules live in [`results::compare`], beside the readers of
//! the files they compare, so that comparing two results directories needs
//! no engine compiled; re-exported here for the `gate` subcommand.

pub use results::compare::*;
