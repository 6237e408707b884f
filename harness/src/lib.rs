//! harness (design notes written below once the driver lands)
pub mod error;
pub mod machine;
pub mod measure;
pub mod output;
pub mod registry;
pub mod result;

pub use error::{Error, Result};
