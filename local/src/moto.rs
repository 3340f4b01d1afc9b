//! The moto server (the AWS emulator), started as a child process on a free loopback port, with
//! IAM enforced as in AWS: every request must be signed by a known principal whose policies allow it.
//! `scripts/python-env.sh` installs moto into the project's `.venv`; `scripts/moto_server.py` starts
//! it (moto's own server, taught to authorize presigned URLs).
//!
//! Enforcement is switched on after an admin user exists: moto starts with it off, this creates
//! `forgeflow-admin` (allowed everything; the stack's own bootstrap, the event sources and the tests
//! use it), then sets moto's no-auth allowance to zero (`POST /moto-api/reset-auth`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

pub const SERVER_VAR: &str = "FORGEFLOW_MOTO_SERVER";
/// Moto's default account: every ARN on the local stack is in it.
pub const ACCOUNT_ID: &str = "123456789012";
/// The local stack's own principal.
pub const ADMIN_USER: &str = "forgeflow-admin";

#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("moto not found at {0}; run `bash scripts/python-env.sh` (or `make setup`) first")]
    NotInstalled(PathBuf),
    #[error("could not start moto_server: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("moto_server did not answer on {0} within 60 s")]
    NotReady(String),
    #[error("could not create the admin principal: {0}")]
    Admin(String),
}

/// A running moto server; stopped when dropped, and by the kernel if this process dies first.
pub struct Moto {
    endpoint: String,
    pid: i32,
    admin: Credentials,
}

impl Moto {
    pub fn start() -> Result<Self, MotoError> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = std::env::var_os(SERVER_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        if !python.exists() {
            return Err(MotoError::NotInstalled(python));
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let launcher = root.join("scripts/moto_server.py");
        let pid = spawn_tied_to_this_process(Command::new(python).arg(launcher).args([
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ]))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(MotoError::NotReady(endpoint));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Its own thread and runtime: this may be called from inside another runtime.
        let admin = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|err| MotoError::Admin(err.to_string()))?
                        .block_on(create_admin(&endpoint))
                })
                .join()
                .map_err(|_| MotoError::Admin("the admin thread panicked".into()))?
        })?;
        enforce(port)?;
        Ok(Self { endpoint, pid, admin })
    }

    /// An SDK configuration that talks to this emulator as the admin.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint, self.admin.clone()).await
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

/// An SDK configuration that talks to the emulator at `endpoint` with `credentials`.
pub async fn sdk_config(endpoint: &str, credentials: Credentials) -> SdkConfig {
    forgeflow_store::clients::sdk_defaults()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await
}

/// Credentials that any emulator without enforcement accepts (one this stack did not start).
pub fn unchecked_credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "forgeflow-local")
}

/// Creates the admin user, allowed everything, while moto still lets unsigned calls through.
async fn create_admin(endpoint: &str) -> Result<Credentials, MotoError> {
    let failed = |err: aws_sdk_iam::Error| MotoError::Admin(err.to_string());
    let iam = aws_sdk_iam::Client::new(&sdk_config(endpoint, unchecked_credentials()).await);
    iam.create_user()
        .user_name(ADMIN_USER)
        .send()
        .await
        .map_err(|err| failed(err.into()))?;
    let everything = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    iam.put_user_policy()
        .user_name(ADMIN_USER)
        .policy_name("admin")
        .policy_document(everything)
        .send()
        .await
        .map_err(|err| failed(err.into()))?;
    let key = iam
        .create_access_key()
        .user_name(ADMIN_USER)
        .send()
        .await
        .map_err(|err| failed(err.into()))?;
    let key = key
        .access_key()
        .ok_or_else(|| MotoError::Admin("CreateAccessKey returned no key".into()))?;
    Ok(Credentials::new(
        key.access_key_id(),
        key.secret_access_key(),
        None,
        None,
        "forgeflow-admin",
    ))
}

/// From now on every request must be signed and allowed (moto's no-auth allowance set to zero).
fn enforce(port: u16) -> Result<(), MotoError> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.1 200") {
        return Err(MotoError::Admin(format!(
            "reset-auth answered {}",
            response.lines().next().unwrap_or("")
        )));
    }
    Ok(())
}
