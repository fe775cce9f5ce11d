//! The `convo` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    convo_homeserver::cli::run()
}
