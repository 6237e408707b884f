//! harness (design notes written below once the driver lands)
pub mod compare;
pub mod driver;
pub mod error;
pub mod gate;
pub mod list;
pub mod live;
pub mod machine;
pub mod measure;
pub mod ops_cmd;
pub mod output;
pub mod overhead;
pub mod registry;
pub mod result;
pub mod results_dir;
pub mod run;
pub mod workload;
pub mod ycsb;

pub use error::{Error, Result};
