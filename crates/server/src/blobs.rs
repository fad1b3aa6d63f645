//! Blobs (and other files) as HTTP bodies. Where blob bytes live, and how they are written once, is the office
//! database's (`mingcha_office_db::blobs`, re-exported here).

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
pub use mingcha_office_db::blobs::*;
use tokio::io::{AsyncRead, ReadBuf};

/// A blob as an HTTP body, read 64 KiB at a time: serving a 2 GiB video holds 64 KiB.
pub fn body(blob: BlobReader) -> axum::body::Body {
    reader_body(blob.reader)
}

/// Anything readable as an HTTP body, 64 KiB at a time (a blob, an export's temporary file).
pub fn reader_body(reader: Pin<Box<dyn AsyncRead + Send + Sync>>) -> axum::body::Body {
    axum::body::Body::from_stream(Chunks { reader, buf: vec![0; 64 * 1024].into_boxed_slice() })
}

struct Chunks {
    reader: Pin<Box<dyn AsyncRead + Send + Sync>>,
    buf: Box<[u8]>,
}

impl futures_core::Stream for Chunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut buf = ReadBuf::new(&mut this.buf);
        match this.reader.as_mut().poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(None),
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(Bytes::copy_from_slice(buf.filled())))),
        }
    }
}
