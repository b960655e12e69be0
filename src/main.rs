//! The `meshsim` binary: parse arguments, run, print the error chain, exit.

fn main() {
    std::process::exit(meshsim::cli::main());
}
