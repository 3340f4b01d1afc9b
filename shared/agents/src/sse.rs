//! Server-sent events framing (the WHATWG rules both providers follow): lines end in LF, CRLF
//! or CR; `:` starts a comment; `data:` lines accumulate; a blank line dispatches the event.
//! Bytes arrive in arbitrary chunks, so a line (or a CRLF pair, or a UTF-8 character) may be
//! split across two of them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, empty when the server sent none (OpenAI never does).
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF starting this one belongs to it.
    after_cr: bool,
    event: String,
    data: Vec<String>,
}

impl SseDecoder {
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' => self.end_line(&mut events),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut events);
                }
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// The stream ended: a last event without its blank line still counts.
    pub(crate) fn finish(&mut self) -> Option<SseEvent> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut events);
        }
        self.end_line(&mut events);
        events.pop()
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            if !self.data.is_empty() {
                events.push(SseEvent {
                    event,
                    data: std::mem::take(&mut self.data).join("\n"),
                });
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::default();
        let mut events: Vec<SseEvent> = bytes.chunks(piece).flat_map(|chunk| decoder.push(chunk)).collect();
        events.extend(decoder.finish());
        events
    }

    fn event(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_survive_any_chunking() {
        let stream =
            "event: message_start\ndata: {\"a\":1}\n\ndata: {\"b\":\"é\"}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n";
        let expected = vec![
            event("message_start", "{\"a\":1}"),
            event("", "{\"b\":\"é\"}"),
            event("", "[DONE]"),
        ];
        for piece in 1..=stream.len() {
            assert_eq!(
                decode_in_pieces(stream.as_bytes(), piece),
                expected,
                "pieces of {piece} bytes"
            );
        }
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let mut decoder = SseDecoder::default();
        assert!(decoder.push(b"data: x\r").is_empty());
        assert!(decoder.push(b"\n\r").len() == 1, "the blank line dispatches");
        assert!(decoder.push(b"\ndata: y\r\r").len() == 1, "CR alone ends lines too");
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines_and_comments_ignored() {
        let stream = b"data: first\n: a comment\ndata:second\ndata\n\n";
        assert_eq!(decode_in_pieces(stream, 4), vec![event("", "first\nsecond\n")]);
    }

    #[test]
    fn a_blank_line_without_data_dispatches_nothing_and_resets_the_event_name() {
        let stream = b"event: ping\n\ndata: x\n\n";
        assert_eq!(decode_in_pieces(stream, 64), vec![event("", "x")]);
    }

    #[test]
    fn the_last_event_counts_without_its_blank_line() {
        assert_eq!(decode_in_pieces(b"data: tail", 3), vec![event("", "tail")]);
        assert_eq!(decode_in_pieces(b"", 3), vec![]);
    }
}
