use forgeflow_domain::progress::ServerFrame;
use forgeflow_progress::{PostError, Sender};

/// Sends `frames` to the connection that asked, in order.
pub async fn send(sender: &Sender, connection: &str, frames: &[String]) -> Result<(), PostError> {
    for frame in frames {
        sender.post(connection, frame).await?;
    }
    Ok(())
}

pub async fn send_frame(sender: &Sender, connection: &str, frame: &ServerFrame) -> Result<(), PostError> {
    sender.post(connection, &frame.to_json()).await
}
