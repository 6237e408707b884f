//! The progress bar of a phase, drawn only on a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::result::Phase;

pub(super) fn progress_bar(
    quiet: bool,
    total: u64,
    engine: &str,
    workload: &str,
    phase: Phase,
) -> Option<ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>40} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(format!("{engine} {workload} {phase}"));
    Some(bar)
}
