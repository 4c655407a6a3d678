//! Helpers shared by the benches (each bench includes this file as `mod support;`).

use std::path::PathBuf;

/// The median criterion measured for `<group>/<name>`, in nanoseconds, read from its
/// `estimates.json` (`CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else next to the
/// bench executable's target directory); `None` when it has not been measured.
pub fn criterion_median(group: &str, name: &str) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion"))
        })
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.ancestors().nth(3)?.join("criterion"))
        })?;
    let path = home
        .join(group)
        .join(name)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}
