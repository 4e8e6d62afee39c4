use std::process::ExitCode;

fn main() -> ExitCode {
    larch::cli::main()
}
