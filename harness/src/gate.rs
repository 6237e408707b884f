//! `harness gate`: compare a candidate run with a baseline, cell by cell,
//! and fail on a regression. The comparison is [`results::gate`]'s (it
//! depends on the `results` crate only); this module is what the
//! subcommand calls, with the harness's error type.

pub use results::gate::{GateOptions, GateReport, CONFIG_FIELDS};

use crate::error::Result;

/// Run the gate. `Err` means the runs could not be compared (that is a
/// failure too, reported differently); `Ok` carries the verdicts.
pub fn gate(opts: &GateOptions) -> Result<GateReport> {
    Ok(results::gate::gate(opts)?)
}
