//! `plots <run-dir>`: charts and report.html for a results directory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Draws the charts and writes report.html for a workbench run.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The run directory (e.g. results/latest or results/20261124-120000-42).
    #[arg(default_value = "results/latest")]
    run_dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match plots::render_run(&args.run_dir) {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "{} charts in {}",
                report.charts.len(),
                report.dir.join("charts").display()
            );
            println!("report: {}", report.html.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
