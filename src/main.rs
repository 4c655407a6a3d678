//! The `fieldwork` binary: a thin host around the library (see `fieldwork --help`).

fn main() -> std::process::ExitCode {
    fieldwork::host::cli::main()
}
