//! Measures what the Redis hop adds to an update's way, for the two ways of sharing updates
//! through Redis: a stream (`XADD`, read with `XREAD BLOCK`) and pub/sub (`PUBLISH`,
//! `SUBSCRIBE`). One update at a time, 2,000 of them, each timed from just before it is
//! written to when the reader has it; prints p50 and p99 of each.
//!
//! `cargo run --release -p broadcast-redis --example hop_latency -- redis://127.0.0.1:6379`

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use tokio::sync::mpsc;

const ROUNDS: usize = 2000;

#[tokio::main]
async fn main() -> redis::RedisResult<()> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let client = redis::Client::open(url)?;
    let payload = "x".repeat(300);

    // Stream: a reader blocked in XREAD from the last id it saw.
    let mut writer = client.get_multiplexed_async_connection().await?;
    let mut reader = client.get_multiplexed_async_connection().await?;
    let _: () = redis::cmd("DEL").arg("hop-latency").query_async(&mut writer).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut cursor = "0-0".to_owned();
        loop {
            let reply: redis::RedisResult<Option<redis::streams::StreamReadReply>> = redis::cmd("XREAD")
                .arg("BLOCK")
                .arg(1000)
                .arg("STREAMS")
                .arg("hop-latency")
                .arg(&cursor)
                .query_async(&mut reader)
                .await;
            for key in reply.ok().flatten().map(|r| r.keys).unwrap_or_default() {
                for entry in key.ids {
                    cursor = entry.id;
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    let mut stream = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let sent = Instant::now();
        let _: String = writer.xadd("hop-latency", "*", &[("d", payload.as_str())]).await?;
        let got = rx.recv().await.expect("the reader runs");
        stream.push(got - sent);
    }

    // Pub/sub.
    let mut subscriber = client.get_async_pubsub().await?;
    subscriber.subscribe("hop-latency").await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut messages = subscriber.on_message();
        while messages.next().await.is_some() {
            let _ = tx.send(Instant::now());
        }
    });
    let mut pubsub = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let sent = Instant::now();
        let _: i64 = writer.publish("hop-latency", payload.as_str()).await?;
        let got = rx.recv().await.expect("the subscriber runs");
        pubsub.push(got - sent);
    }
    println!("stream  (XADD, XREAD BLOCK): {}", summary(&mut stream));
    println!("pub/sub (PUBLISH, SUBSCRIBE): {}", summary(&mut pubsub));
    Ok(())
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    format!("p50 {:.0} µs, p99 {:.0} µs over {} updates", at(0.5), at(0.99), times.len())
}
