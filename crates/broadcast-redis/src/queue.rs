//! The publish queue and the failure policy: what happens when Redis is slow, gone, or back.
//!
//! # Publishing
//! [`RedisBroadcaster::broadcast`](crate::RedisBroadcaster) only puts the update in a
//! bounded queue and returns: it never waits for Redis, so a REST request that caused an
//! update is never held up by it. One task drains the queue and writes what it finds as one
//! `MULTI`/`EXEC` batch of `XADD`s, so the batch is in the stream whole or not at all; a
//! batch that finds the connection dropped is tried once more on a new connection. An
//! update that cannot be published (the queue is full, or Redis refused the batch or could
//! not be reached) is logged at `warn` and counted in
//! `webupdates_redis_unpublished_total`; its sequence number is skipped, so every node
//! sees the gap.
//!
//! # Retained rooms
//! The last update of each retained room (the farm's status) is also kept in a hash beside
//! the stream, written in the same transaction as its entry. A node that starts or
//! reconnects hands those to its local transport before it reads the stream, so a client
//! connecting to any node is given the current farm status at once.
//!
//! # Receiving
//! One task per node reads the stream in order (`XREAD BLOCK` from the last entry it read)
//! and hands each update to the local transport. The node is *ready* (it accepts new
//! clients) only while that read works. Whenever its clients may have missed something,
//! the node closes every client's connection at the transport level, so each reconnects,
//! subscribes again and refetches, as Flamenco's web app does after a restart; it is then
//! counted in `webupdates_redis_resyncs_total`:
//!
//! - `connection_lost`: a read failed. The node stops accepting clients at once (its
//!   readiness check says why and new connections get 503), closes its clients, and retries
//!   with back-off; once a read works again it starts from the stream's newest entry and
//!   accepts clients again.
//! - `gap`: an entry's sequence number is not the one after its publisher's previous one:
//!   some update was not published, or was lost with a Redis restart.
//! - `malformed`: an entry cannot be read back as an update.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use broadcast_core::Broadcaster;
use redis::aio::ConnectionManager;
use redis::streams::StreamReadReply;
use tokio::sync::{mpsc, watch};

use crate::stream::{Entry, retained_key};
use crate::{Clients, RedisConfig, metrics};

/// Most updates written in one batch.
const BATCH: usize = 256;
/// Most entries read at once.
const READ_COUNT: usize = 512;
/// How long a read waits for new entries before asking again.
const BLOCK: Duration = Duration::from_secs(1);

/// A connection that reconnects by itself after an error, on the next command.
pub(crate) fn connection(
    client: redis::Client,
    config: &RedisConfig,
    read: bool,
) -> redis::RedisResult<ConnectionManager> {
    let response = if read { BLOCK + config.timeout } else { config.timeout };
    let settings = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.timeout))
        .set_response_timeout(Some(response))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, settings)
}

/// Writes what the queue holds to the stream, batch by batch, until every sender is gone.
pub(crate) async fn publish(
    mut queue: mpsc::Receiver<Entry>,
    mut redis: ConnectionManager,
    config: RedisConfig,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let retained = retained_key(&config.stream);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in &batch {
            pipe.cmd("XADD")
                .arg(&config.stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(config.history)
                .arg("*")
                .arg(&entry.fields()[..])
                .ignore();
            if entry.room.is_retained() {
                // In the same transaction: the hash never holds a value the stream lacks.
                pipe.cmd("HSET")
                    .arg(&retained)
                    .arg(entry.room.name().as_ref())
                    .arg(entry.retained_value())
                    .ignore();
            }
        }
        let mut result = pipe.query_async::<()>(&mut redis).await;
        if result.as_ref().is_err_and(|e| e.is_unrecoverable_error() || e.is_io_error()) {
            // A connection that dropped while idle fails the first command and reconnects;
            // the second try waits for the new connection.
            result = pipe.query_async::<()>(&mut redis).await;
        }
        match result {
            Ok(()) => metrics::published(batch.len()),
            Err(e) => {
                metrics::unpublished("redis_error", batch.len());
                tracing::warn!(
                    count = batch.len(),
                    first_seq = batch[0].seq,
                    error = %e,
                    "updates not published to Redis: no node delivers them; nodes that notice the gap close their clients so they resync"
                );
            }
        }
        batch.clear();
    }
}

/// Whether the node reads from Redis, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Reading; new clients are welcome.
    Receiving,
    /// Not reading, for the reason given; new clients are refused.
    NotReceiving(String),
}

/// Reads the stream in order and delivers each update locally, applying the failure policy
/// of the module docs. Runs for the process's life.
pub(crate) async fn receive(
    mut redis: ConnectionManager,
    config: RedisConfig,
    local: Arc<dyn Broadcaster>,
    clients: Clients,
    status: watch::Sender<Status>,
) {
    let mut reader = Reader { local, clients, status, last_seq: HashMap::new() };
    let mut retry = Duration::from_millis(100);
    loop {
        let start = match newest_id(&mut redis, &config.stream).await {
            Ok(id) => id,
            Err(e) => {
                reader.lost(&format!("cannot reach Redis at {}: {e}", config.url));
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        retry = Duration::from_millis(100);
        reader.last_seq.clear();
        // Read after the stream's newest id: a retained update published in between is
        // then given twice (the same value), never lost.
        if let Err(e) = reader.give_retained(&mut redis, &config.stream).await {
            reader.lost(&format!("cannot read the retained updates from Redis at {}: {e}", config.url));
            tokio::time::sleep(retry).await;
            continue;
        }
        reader.ready();
        let mut cursor = start;
        loop {
            let read = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&config.stream)
                .arg(&cursor)
                .query_async::<Option<StreamReadReply>>(&mut redis)
                .await;
            match read {
                Ok(reply) => {
                    for key in reply.map(|r| r.keys).unwrap_or_default() {
                        for entry in key.ids {
                            reader.deliver(&entry.map).await;
                            cursor = entry.id;
                        }
                    }
                }
                Err(e) => {
                    reader.lost(&format!("lost Redis at {}: {e}", config.url));
                    break;
                }
            }
        }
    }
}

/// The id of the stream's newest entry, `0-0` for an empty or missing stream: where a
/// node that starts or reconnects starts reading.
async fn newest_id(redis: &mut ConnectionManager, stream: &str) -> redis::RedisResult<String> {
    let newest: redis::streams::StreamRangeReply =
        redis::cmd("XREVRANGE").arg(stream).arg("+").arg("-").arg("COUNT").arg(1).query_async(redis).await?;
    Ok(newest.ids.into_iter().next().map(|e| e.id).unwrap_or_else(|| "0-0".to_owned()))
}

struct Reader {
    local: Arc<dyn Broadcaster>,
    clients: Clients,
    status: watch::Sender<Status>,
    /// Each publisher's last sequence number seen since the node last (re)connected.
    last_seq: HashMap<String, u64>,
}

impl Reader {
    /// Hands the local transport the last update of each retained room, as kept beside the
    /// stream, so that its new clients are given the current value (the farm's status)
    /// before any update read from the stream. One that cannot be read is logged and skipped:
    /// the next update of that room replaces it.
    async fn give_retained(&self, redis: &mut ConnectionManager, stream: &str) -> redis::RedisResult<()> {
        let kept: HashMap<String, String> =
            redis::cmd("HGETALL").arg(retained_key(stream)).query_async(redis).await?;
        for (room, value) in kept {
            match Entry::decode_retained(&room, &value) {
                Ok((room, update)) => {
                    if let Err(e) = self.local.broadcast(room, &update).await {
                        tracing::warn!(%room, error = %e, "retained update not delivered locally");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a retained update kept in Redis cannot be read; skipped")
                }
            }
        }
        Ok(())
    }

    fn ready(&self) {
        tracing::info!("receiving updates from Redis; accepting clients");
        metrics::receiving(true);
        (self.clients.set_ready)(None);
        self.status.send_replace(Status::Receiving);
    }

    /// Reading failed: refuse new clients, and close the current ones if they were
    /// receiving (they may have missed updates; after a failed first connection there is
    /// no one to close).
    fn lost(&self, why: &str) {
        let was = self.status.send_replace(Status::NotReceiving(why.to_owned()));
        (self.clients.set_ready)(Some(why));
        if was == Status::Receiving {
            metrics::receiving(false);
            self.resync("connection_lost", why);
        } else if matches!(&was, Status::NotReceiving(w) if w != why) {
            tracing::warn!(why, "not receiving updates from Redis; refusing new clients");
        }
    }

    fn resync(&self, reason: &'static str, why: &str) {
        metrics::resync(reason);
        tracing::warn!(reason, why, "closing every client's connection so they reconnect and refetch");
        (self.clients.restart_all)(why);
    }

    async fn deliver(&mut self, fields: &HashMap<String, redis::Value>) {
        let entry = match Entry::decode(fields) {
            Ok(entry) => entry,
            Err(e) => {
                self.resync("malformed", &format!("an entry of the Redis stream cannot be read: {e}"));
                return;
            }
        };
        let previous = self.last_seq.insert(entry.publisher.clone(), entry.seq);
        if let Some(previous) = previous.filter(|&p| entry.seq != p + 1) {
            let missing = entry.seq.saturating_sub(previous + 1);
            self.resync(
                "gap",
                &format!(
                    "{missing} update(s) of publisher {} are missing from the Redis stream",
                    entry.publisher
                ),
            );
        }
        metrics::received();
        // The local transport logs and counts what it could not deliver.
        let _ = self.local.broadcast(entry.room, &entry.update).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use broadcast_core::testing::InMemoryBroadcaster;
    use broadcast_core::{ChatMessage, Room, Update};

    use super::*;

    fn reader() -> (Reader, Arc<InMemoryBroadcaster>, Arc<AtomicUsize>) {
        let local = Arc::new(InMemoryBroadcaster::new());
        let restarts = Arc::new(AtomicUsize::new(0));
        let counted = restarts.clone();
        let clients = Clients {
            set_ready: Box::new(|_| {}),
            restart_all: Box::new(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        };
        let (status, _) = watch::channel(Status::Receiving);
        (Reader { local: local.clone(), clients, status, last_seq: HashMap::new() }, local, restarts)
    }

    fn fields(publisher: &str, seq: u64) -> HashMap<String, redis::Value> {
        let update = Update::Chat(ChatMessage { name: publisher.into(), text: seq.to_string() });
        Entry { publisher: publisher.into(), seq, room: Room::Chat, update }
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), redis::Value::BulkString(v.into_bytes())))
            .collect()
    }

    #[tokio::test]
    async fn a_skipped_sequence_number_closes_every_client_once() {
        let (mut reader, local, restarts) = reader();
        for (publisher, seq) in [("a", 0), ("b", 7), ("a", 1), ("b", 8)] {
            reader.deliver(&fields(publisher, seq)).await;
        }
        assert_eq!(restarts.load(Ordering::SeqCst), 0, "each publisher's first number is its start");
        reader.deliver(&fields("a", 3)).await;
        assert_eq!(restarts.load(Ordering::SeqCst), 1, "a's update 2 is missing");
        reader.deliver(&fields("a", 4)).await;
        reader.deliver(&fields("b", 9)).await;
        assert_eq!(restarts.load(Ordering::SeqCst), 1);
        assert_eq!(local.received(Room::Chat).len(), 7, "what did arrive is delivered");
    }

    #[tokio::test]
    async fn an_unreadable_entry_closes_every_client() {
        let (mut reader, local, restarts) = reader();
        let mut bad = fields("a", 0);
        bad.insert("e".into(), redis::Value::BulkString(b"/nope".to_vec()));
        reader.deliver(&bad).await;
        assert_eq!(restarts.load(Ordering::SeqCst), 1);
        assert!(local.deliveries().is_empty());
    }
}
