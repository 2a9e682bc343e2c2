//! `lens-serve`: parse the command line, then run the server. See `--help`.

use lens_serve::config::{Command, Config, USAGE};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match Config::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Compress(dir)) => match lens_serve::precompress::run(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lens-serve compress: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(Command::Run(config)) => match lens_serve::serve(*config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lens-serve: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("lens-serve: {e}");
            ExitCode::from(2)
        }
    }
}
