//! The fake GitHub/GitLab server ([`ForgeServer`]) as a process, for the browser tests
//! (scripts/test-browser.sh): starts on a free loopback port, prints its URL on one stdout line
//! and serves until killed. It accepts one token, [`TOKEN`], whose user is [`USER`].

use std::io::Write;

use forgeflow_tests::forge_server::ForgeServer;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = ForgeServer::start().await;
    let mut out = std::io::stdout();
    writeln!(out, "{}", server.url()).expect("write the URL");
    out.flush().expect("flush the URL");
    // Until killed: the server is a task of this runtime.
    std::future::pending::<()>().await;
}
