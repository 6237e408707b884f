//! harness (design notes written below once the driver lands)
pub mod compare;
pub mod driver;
pub mod error;
pub mod gate;
pub mod live;
pub mod machine;
pub mod measure;
pub mod output;
pub mod registry;
pub mod result;
pub mod results_dir;
pub mod run;
pub mod workload;

pub use error::{Error, Result};
