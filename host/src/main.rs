//! The `fieldwork` binary: a thin host around the library (see `fieldwork --help`).
//!
//! It installs the counting allocator whose reading bounds the memory of each rule call
//! ([`fieldwork_host::alloc`]), and runs the command on a thread whose stack is large enough
//! that no rule can overflow it ([`fieldwork::rules::Limits::stack_size`]: about 504 MiB of
//! reserved address space with the default limits, of which only the pages used become
//! resident).

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: fieldwork_host::alloc::CountingAlloc = fieldwork_host::alloc::CountingAlloc;

fn main() -> ExitCode {
    fieldwork_host::alloc::install_memory_gauge();
    let stack = fieldwork::rules::Limits::default().stack_size();
    match std::thread::Builder::new()
        .name("fieldwork".into())
        .stack_size(stack)
        .spawn(fieldwork_host::cli::main)
    {
        Ok(worker) => worker.join().unwrap_or(ExitCode::from(2)),
        // Without the large stack (address space limited), run on the main thread.
        Err(_) => fieldwork_host::cli::main(),
    }
}
