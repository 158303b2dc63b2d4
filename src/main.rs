//! The `promptci` binary: parses the command line and exits with the documented code.

fn main() {
    std::process::exit(promptci::main());
}
