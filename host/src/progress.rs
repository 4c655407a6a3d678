//! Progress bars (indicatif) for the CLI's long phases. Bars are drawn on stderr and hidden
//! when stdout is not a terminal (output piped or redirected), with `--quiet` and with
//! `--json`, so machine output stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

use super::cli::Output;
use fieldwork::job::Progress;

/// Draws each phase of a job as a progress bar (or nothing, when hidden).
#[derive(Debug)]
pub struct Bars {
    visible: bool,
    bar: Option<ProgressBar>,
}

impl Bars {
    /// Bars for a command with these output settings.
    pub fn new(out: &Output) -> Self {
        Self {
            visible: out.show_progress() && std::io::stdout().is_terminal(),
            bar: None,
        }
    }

    /// Hidden bars (for tests and library callers).
    pub fn hidden() -> Self {
        Self {
            visible: false,
            bar: None,
        }
    }

    /// Whether bars are drawn.
    pub fn visible(&self) -> bool {
        self.visible
    }
}

impl Progress for Bars {
    fn start(&mut self, phase: &str, total: u64) {
        self.finish();
        let bar = if !self.visible {
            ProgressBar::hidden()
        } else if total == 0 {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        } else {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>12} [{bar:32}] {human_pos}/{human_len} ({elapsed}, eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        };
        if self.visible {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if total == 0 {
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        }
        bar.set_message(phase.to_owned());
        self.bar = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_hidden_with_quiet_or_json() {
        assert!(!Bars::new(&Output::new(false, true)).visible());
        assert!(!Bars::new(&Output::new(true, false)).visible());
        let mut bars = Bars::hidden();
        bars.start("generate", 10);
        bars.advance(3);
        assert_eq!(bars.bar.as_ref().map(|b| b.position()), Some(3));
        bars.finish();
        assert!(bars.bar.is_none());
    }
}
