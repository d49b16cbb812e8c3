//! Connections at the TCP level, so that one client's transport can be closed on its own.
//!
//! socketioxide can close a single socket only with a Socket.IO disconnect packet, which a
//! socket.io-client 2.x takes as final (it never reconnects), and cannot even queue that
//! packet to a client whose queue is full. [`TrackedListener`] wraps every accepted
//! connection in a [`TrackedStream`] with a kill switch; [`Peer`], the connect info that
//! axum puts on each request, carries the switch, so the adapter can cut exactly one
//! client's TCP connection. The client sees a closed transport and reconnects by itself.
//!
//! Serve with `axum::serve(TrackedListener::bind(addr).await?, app.into_make_service_with_connect_info::<Peer>())`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections can each be closed from outside.
#[derive(Debug)]
pub struct TrackedListener {
    inner: TcpListener,
}

impl TrackedListener {
    /// Binds to `addr`.
    pub async fn bind(addr: SocketAddr) -> io::Result<TrackedListener> {
        Ok(TrackedListener { inner: TcpListener::bind(addr).await? })
    }

    /// Wraps a bound listener.
    pub fn new(inner: TcpListener) -> TrackedListener {
        TrackedListener { inner }
    }
}

impl Listener for TrackedListener {
    type Io = TrackedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (TrackedStream { inner: stream, kill: Kill::default() }, addr);
                }
                // A connection that failed before it was accepted is the peer's business.
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // Typically out of file descriptors: wait for some to be released.
                    tracing::error!(error = %e, "accept failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// The kill switch of one connection. Cheap to clone; all clones switch the same connection.
#[derive(Clone, Debug, Default)]
pub struct Kill(Arc<KillInner>);

#[derive(Debug, Default)]
struct KillInner {
    killed: AtomicBool,
    /// Whether the last write or flush could not complete because the peer is not reading.
    write_blocked: AtomicBool,
    /// Whether a read found the peer's end closed (end of stream, or an error such as a reset).
    peer_closed: AtomicBool,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl Kill {
    /// Closes the connection: every read and write from now on fails, and a read or write
    /// that is waiting is woken to fail.
    pub fn kill(&self) {
        self.0.killed.store(true, Ordering::Release);
        self.0.reader.wake();
        self.0.writer.wake();
    }

    /// Whether the connection's last write is waiting for the peer to read.
    pub fn is_write_blocked(&self) -> bool {
        self.0.write_blocked.load(Ordering::Relaxed)
    }

    fn wrote<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        let blocked = poll.is_pending();
        if self.0.write_blocked.load(Ordering::Relaxed) != blocked {
            self.0.write_blocked.store(blocked, Ordering::Relaxed);
        }
        poll
    }

    /// Whether a read found the connection closed by the peer (or broken). A connection that
    /// ends while this is false and [`Kill::is_killed`] is false was ended by the server for
    /// something the peer sent.
    pub fn peer_closed(&self) -> bool {
        self.0.peer_closed.load(Ordering::Acquire)
    }

    fn read(&self, filled_before: usize, buf: &ReadBuf<'_>, poll: &Poll<io::Result<()>>) {
        let closed = match poll {
            Poll::Ready(Ok(())) => buf.filled().len() == filled_before && buf.remaining() > 0,
            Poll::Ready(Err(_)) => true,
            Poll::Pending => false,
        };
        if closed {
            self.0.peer_closed.store(true, Ordering::Release);
        }
    }

    /// Whether [`Kill::kill`] was called.
    pub fn is_killed(&self) -> bool {
        self.0.killed.load(Ordering::Acquire)
    }

    /// Runs one read or write of the connection, unless it was killed. Only an operation
    /// that has to wait registers its task with the switch, so that a kill wakes it; one
    /// that completes at once costs a single load.
    fn guard<T>(
        &self,
        waker: &AtomicWaker,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        fn killed<T>() -> Poll<io::Result<T>> {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection closed by the server",
            )))
        }
        if self.is_killed() {
            return killed();
        }
        let poll = op(cx);
        if poll.is_pending() {
            // Register, then look again: a kill in between still wakes this task.
            waker.register(cx.waker());
            if self.is_killed() {
                return killed();
            }
        }
        poll
    }
}

/// An accepted TCP connection with a [`Kill`] switch.
#[derive(Debug)]
pub struct TrackedStream {
    inner: TcpStream,
    kill: Kill,
}

impl TrackedStream {
    /// This connection's kill switch.
    pub fn kill_switch(&self) -> Kill {
        self.kill.clone()
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let inner = &mut this.inner;
        let before = buf.filled().len();
        let poll = this.kill.guard(&this.kill.0.reader, cx, |cx| Pin::new(&mut *inner).poll_read(cx, buf));
        this.kill.read(before, buf, &poll);
        poll
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let inner = &mut this.inner;
        let poll = this.kill.guard(&this.kill.0.writer, cx, |cx| Pin::new(inner).poll_write(cx, buf));
        this.kill.wrote(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let inner = &mut this.inner;
        let poll =
            this.kill.guard(&this.kill.0.writer, cx, |cx| Pin::new(inner).poll_write_vectored(cx, bufs));
        this.kill.wrote(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let inner = &mut this.inner;
        let poll = this.kill.guard(&this.kill.0.writer, cx, |cx| Pin::new(inner).poll_flush(cx));
        this.kill.wrote(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What axum records about the connection a request came on: the peer's address and the
/// connection's kill switch. Use it as the connect info of `into_make_service_with_connect_info`.
#[derive(Clone, Debug)]
pub struct Peer {
    /// The peer's address.
    pub addr: SocketAddr,
    /// Closes the connection the request came on.
    pub kill: Kill,
}

impl Connected<IncomingStream<'_, TrackedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TrackedListener>) -> Self {
        Peer { addr: *stream.remote_addr(), kill: stream.io().kill_switch() }
    }
}
