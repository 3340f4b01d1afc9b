//! How a run's progress is shown: one bar per step and one for the files on a terminal, or the
//! events as JSON lines (`{"type":"event","topic",…}`) for scripts and logs.

use std::collections::HashMap;
use std::time::Duration;

use forgeflow_domain::progress::ProgressEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::io::Io;
use crate::output::{bytes, count, short};

const TICK: Duration = Duration::from_millis(120);

pub enum Display {
    Bars(Bars),
    Lines,
}

impl Display {
    /// Bars when standard error is a terminal and no JSON was asked for.
    pub fn new(io: &Io, json: bool, steps: &[(String, String)]) -> Self {
        if io.stderr_tty && !json {
            Self::Bars(Bars::new(steps))
        } else {
            Self::Lines
        }
    }

    pub fn show(&mut self, io: &mut Io, topic: &str, raw: &Value, event: Option<&ProgressEvent>) {
        match self {
            Self::Bars(bars) => {
                if let Some(event) = event {
                    bars.show(event);
                }
            }
            Self::Lines => {
                let mut line = serde_json::json!({"type": "event", "topic": topic});
                if let (Some(line), Some(raw)) = (line.as_object_mut(), raw.as_object()) {
                    line.extend(raw.clone());
                }
                io.json(&line);
            }
        }
    }

    /// Stops the spinners that are still turning (a failure or an interruption).
    pub fn finish(&mut self) {
        if let Self::Bars(bars) = self {
            bars.finish();
        }
    }
}

pub struct Bars {
    multi: MultiProgress,
    steps: HashMap<String, ProgressBar>,
    files: Option<ProgressBar>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn waiting() -> ProgressStyle {
    style("  · {prefix:<14} {msg}")
}

fn running() -> ProgressStyle {
    style("  {spinner} {prefix:<14} {msg}").tick_strings(&["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "⠿"])
}

fn done() -> ProgressStyle {
    style("  ✓ {prefix:<14} {msg}")
}

fn failed() -> ProgressStyle {
    style("  ✗ {prefix:<14} {msg}")
}

fn files_style() -> ProgressStyle {
    style("  {spinner} {prefix:<14} [{bar:30}] {pos}/{len} files")
        .progress_chars("=> ")
        .tick_strings(&["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "⠿"])
}

impl Bars {
    /// One waiting bar per step, in workflow order: `(id, agent)`.
    pub fn new(steps: &[(String, String)]) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let steps = steps
            .iter()
            .map(|(id, agent)| {
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(waiting())
                        .with_prefix(id.clone())
                        .with_message(format!("waiting ({agent})")),
                );
                bar.tick();
                (id.clone(), bar)
            })
            .collect();
        Self {
            multi,
            steps,
            files: None,
        }
    }

    fn step(&mut self, step: &str) -> ProgressBar {
        let multi = &self.multi;
        self.steps
            .entry(step.to_owned())
            .or_insert_with(|| multi.add(ProgressBar::new_spinner().with_prefix(step.to_owned())))
            .clone()
    }

    fn files(&mut self) -> ProgressBar {
        let multi = &self.multi;
        self.files
            .get_or_insert_with(|| {
                let bar = multi.add(ProgressBar::new(0).with_style(files_style()).with_prefix("files"));
                bar.enable_steady_tick(TICK);
                bar
            })
            .clone()
    }

    pub fn show(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::StepStarted { step, role, delivery } => {
                let bar = self.step(step);
                bar.set_style(running());
                let retry = if *delivery > 1 {
                    format!(", delivery {delivery}")
                } else {
                    String::new()
                };
                bar.set_message(format!("{role} working{retry}"));
                bar.enable_steady_tick(TICK);
            }
            ProgressEvent::StepProgress { step, output_tokens } => {
                let bar = self.step(step);
                bar.set_message(format!("{} tokens out", count(*output_tokens)));
            }
            ProgressEvent::StepCompleted {
                step,
                input_tokens,
                output_tokens,
                cost_usd,
                attempts,
            } => {
                let bar = self.step(step);
                bar.set_style(done());
                let tries = if *attempts > 1 {
                    format!(" · {attempts} attempts")
                } else {
                    String::new()
                };
                bar.finish_with_message(format!(
                    "{} in · {} out · ${cost_usd:.4}{tries}",
                    count(*input_tokens),
                    count(*output_tokens)
                ));
            }
            ProgressEvent::StepFailed { step, error } => {
                let bar = self.step(step);
                bar.set_style(failed());
                bar.finish_with_message(short(error, 100));
            }
            ProgressEvent::FilesWritten { written, total, .. } => {
                let bar = self.files();
                bar.set_length(*total);
                bar.set_position(*written);
            }
            ProgressEvent::GenerationReady { files, bytes: size, .. } => {
                let bar = self.files();
                bar.set_style(done());
                bar.finish_with_message(format!("ready · {} files · {}", count(*files), bytes(*size)));
            }
            ProgressEvent::GenerationFailed { error, .. } => {
                let bar = self.files();
                bar.set_style(failed());
                bar.finish_with_message(short(error, 100));
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        for bar in self.steps.values().chain(self.files.iter()) {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

/// A spinner with a message, on standard error when it is a terminal (else nothing).
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub fn new(io: &Io, json: bool, prefix: &str) -> Self {
        if !io.stderr_tty || json {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(running())
            .with_prefix(prefix.to_owned());
        bar.enable_steady_tick(TICK);
        Self(Some(bar))
    }

    pub fn message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_owned());
        }
    }

    /// Removes the spinner (the result is printed next).
    pub fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }

    pub fn done(&self, ok: bool, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_style(if ok { done() } else { failed() });
            bar.finish_with_message(message.to_owned());
        }
    }
}
