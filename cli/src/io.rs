//! Where the command reads and writes, and the environment it reads: the process's own, or
//! buffers and a map in tests, so the whole command runs in-process.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// The environment variables the command reads (only these few; empty values count as unset).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The variables the command knows, read from the process.
    pub fn from_process() -> Self {
        let names = [
            "FORGEFLOW_API_URL",
            "FORGEFLOW_WS_URL",
            "FORGEFLOW_TOKEN",
            "FORGEFLOW_CONFIG",
            "XDG_CONFIG_HOME",
            "HOME",
        ];
        let vars = names
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (name.to_string(), value)))
            .collect();
        Self { vars }
    }

    /// An empty environment (tests add what they need).
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }
}

/// Standard input, output and error, and whether they are terminals.
pub struct Io {
    pub stdin: Box<dyn BufRead + Send>,
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    /// Standard input is a terminal: a password is prompted for without echo.
    pub stdin_tty: bool,
    /// Standard error is a terminal: progress is drawn as bars there.
    pub stderr_tty: bool,
}

impl Io {
    /// The process's own streams.
    pub fn process() -> Self {
        Self {
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            stdin: Box::new(std::io::BufReader::new(std::io::stdin())),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }

    /// In-memory streams: `stdin` is what the command reads; the buffers collect its output.
    pub fn captured(stdin: &str) -> (Self, Buffer, Buffer) {
        let (stdout, stderr) = (Buffer::default(), Buffer::default());
        let io = Self {
            stdin: Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
            stdout: Box::new(stdout.clone()),
            stderr: Box::new(stderr.clone()),
            stdin_tty: false,
            stderr_tty: false,
        };
        (io, stdout, stderr)
    }

    /// Writes one line to standard output. A closed pipe (`| head`) is not an error worth a word.
    pub fn out(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.stdout, "{}", line.as_ref());
        let _ = self.stdout.flush();
    }

    /// Writes one line to standard error.
    pub fn err(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.stderr, "{}", line.as_ref());
        let _ = self.stderr.flush();
    }

    /// Writes `value` as one compact JSON line to standard output.
    pub fn json(&mut self, value: &serde_json::Value) {
        self.out(value.to_string());
    }
}

/// A shared in-memory output stream.
#[derive(Debug, Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
