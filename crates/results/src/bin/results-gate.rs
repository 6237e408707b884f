//! `results-gate --baseline DIR --candidate DIR [--update-command CMD]`:
//! the gate with its default tolerances, built from this crate alone, so
//! a CI step that only compares two results directories compiles no
//! engine (`cargo run -p results --bin results-gate -- ...`). Same
//! verdicts and exit status as `harness gate`: 0 pass, 1 regression, 2
//! runs that cannot be compared or a bad command line. `harness gate`
//! takes the tolerance flags.

use std::path::PathBuf;
use std::process::ExitCode;

use results::compare::Tolerances;
use results::gate::{gate, GateOptions};

const USAGE: &str = "usage: results-gate --baseline DIR --candidate DIR [--update-command CMD]";

fn options(mut args: impl Iterator<Item = String>) -> Result<GateOptions, String> {
    let (mut baseline, mut candidate, mut update_command) = (None, None, None);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--baseline" => &mut baseline,
            "--candidate" => &mut candidate,
            "--update-command" => &mut update_command,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        };
        *slot = Some(
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?,
        );
    }
    let need = |v: Option<String>, flag: &str| {
        v.map(PathBuf::from)
            .ok_or_else(|| format!("{flag} is required\n{USAGE}"))
    };
    Ok(GateOptions {
        baseline: need(baseline, "--baseline")?,
        candidate: need(candidate, "--candidate")?,
        tolerances: Tolerances::default(),
        update_command,
    })
}

fn main() -> ExitCode {
    let opts = match options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    match gate(&opts) {
        Ok(report) => {
            print!("{}", report.render());
            if report.failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
