//! Closing connections that sit idle: a client idle between keep-alive requests, or one that
//! stopped half-way through its request, would otherwise hold a file descriptor forever.
//!
//! hyper's own header-read timeout arms a timer for every request head, which cost SendMessage
//! about 2% of its throughput. Instead each connection counts its reads and writes (one
//! relaxed atomic add per ready poll) and the requests it is answering, and one watchdog per
//! connection wakes once per timeout: a connection that answered nothing and read or wrote
//! nothing for a whole period is closed. A request being answered, a long poll included, is
//! never cut; a connection is closed between one and two periods after it fell silent.

use hyper::rt::{Read, ReadBufCursor, Write};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// What a connection has done: I/O polls that completed, and requests being answered.
#[derive(Default)]
pub struct Activity {
    io: AtomicU64,
    answering: AtomicU64,
}

/// The connection's I/O, counted.
pub struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }

    fn note(&self) {
        self.activity.io.fetch_add(1, Ordering::Relaxed);
    }
}

impl<T: Read + Unpin> Read for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if polled.is_ready() {
            self.note();
        }
        polled
    }
}

impl<T: Write + Unpin> Write for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if polled.is_ready() {
            self.note();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if polled.is_ready() {
            self.note();
        }
        polled
    }
}

/// Held while a request is being answered; the watchdog never closes a connection that holds
/// one. Released in `Drop`, so a request that fails or is cancelled cannot leave it held.
pub struct Answering(Arc<Activity>);

impl Answering {
    pub fn new(activity: &Arc<Activity>) -> Self {
        activity.answering.fetch_add(1, Ordering::Relaxed);
        Answering(activity.clone())
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Resolves once the connection has answered nothing and done no I/O for a whole `period`.
/// Relaxed loads are enough: a count seen late only delays the close by one period.
pub async fn silent_for(activity: &Activity, period: Duration) {
    let mut seen = activity.io.load(Ordering::Relaxed);
    loop {
        crate::clock::real_sleep(period).await;
        let now = activity.io.load(Ordering::Relaxed);
        if now == seen && activity.answering.load(Ordering::Relaxed) == 0 {
            return;
        }
        seen = now;
    }
}
