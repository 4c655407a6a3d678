//! The `fieldwork` binary: a thin host around the library (see `fieldwork --help`).

fn main() -> std::process::ExitCode {
    fieldwork_host::cli::main()
}
