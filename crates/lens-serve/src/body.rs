//! A response body that tells an observer how it went: each data frame, its end, its
//! failure. The observer is dropped with the body, so `Drop` sees bodies that were
//! abandoned half-way. The access log and the connection watchdog both hang on this.

use axum::body::{Body, Bytes};
use hyper::body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Hooks on a response body's life; all optional.
pub trait Observer: Send + Unpin + 'static {
    /// A data frame of `len` bytes went out; `at_end` if the body says nothing follows.
    fn data(&mut self, _len: usize, _at_end: bool) {}
    /// The body ended normally.
    fn end(&mut self) {}
    /// The body failed; the client gets a cut response.
    fn error(&mut self, _error: &axum::Error) {}
}

/// `body`, reporting to `observer`.
pub fn observe<O: Observer>(body: Body, observer: O) -> Body {
    Body::new(Observed {
        inner: body,
        observer,
    })
}

struct Observed<O> {
    inner: Body,
    observer: O,
}

impl<O: Observer> hyper::body::Body for Observed<O> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.observer.end(),
            Poll::Ready(Some(Err(e))) => this.observer.error(e),
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len);
                this.observer.data(len, this.inner.is_end_stream());
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
