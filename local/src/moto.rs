//! The moto server (the AWS emulator), started as a child process on a free loopback port.
//! `scripts/python-env.sh` installs it into the project's `.venv`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

pub const SERVER_VAR: &str = "FORGEFLOW_MOTO_SERVER";

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("moto_server not found at {0}; run `bash scripts/python-env.sh` (or `make setup`) first")]
    NotInstalled(PathBuf),
    #[error("could not start moto_server: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("moto_server did not answer on {0} within 60 s")]
    NotReady(String),
}

/// A running moto server; stopped when dropped, and by the kernel if this process dies first.
pub struct Moto {
    endpoint: String,
    pid: i32,
}

impl Moto {
    pub fn start() -> Result<Self, MotoError> {
        let server = std::env::var_os(SERVER_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server"));
        if !server.exists() {
            return Err(MotoError::NotInstalled(server));
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let pid = spawn_tied_to_this_process(Command::new(server).args(["-H", "127.0.0.1", "-p", &port.to_string()]))?;
        let moto = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(MotoError::NotReady(moto.endpoint.clone()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(moto)
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: kill(2) with a pid we spawned; at worst the process is already gone.
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
        }
    }
}

/// Spawns `command` from a thread that lives as long as the child, with PR_SET_PDEATHSIG so the
/// kernel kills the child when this process dies — a test binary has no chance to clean up its
/// statics, and an orphaned emulator would outlive every test run.
fn spawn_tied_to_this_process(command: &mut Command) -> Result<i32, std::io::Error> {
    use std::os::unix::process::CommandExt;
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    #[allow(unsafe_code)]
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    let mut command = std::mem::replace(command, Command::new("true"));
    std::thread::spawn(move || match command.spawn() {
        Ok(mut child) => {
            let _ = sender.send(Ok(child.id() as i32));
            // Reaps the child; the death signal is tied to this thread, so it must outlive it.
            let _ = child.wait();
        }
        Err(err) => {
            let _ = sender.send(Err(err));
        }
    });
    receiver
        .recv()
        .map_err(|_| std::io::Error::other("spawner thread ended"))?
}

/// An SDK configuration that talks to the emulator at `endpoint` with dummy credentials.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    forgeflow_store::clients::sdk_defaults()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "forgeflow-local"))
        .load()
        .await
}
