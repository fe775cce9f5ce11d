//! The sequencer's transaction: the reads it needs while deciding, and the writes that
//! accepted actions turn into, on either backend.

use convo_federation::{RoomId, UserId};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::Known;
use crate::db::Db;
use crate::db::multi_row::{SqlCache, chunks};
use crate::rooms::model::Event;
use crate::rooms::store::{EVENT_COLUMNS, event_key};

pub use crate::db::WriteTx as WriterTx;
use crate::{on_tx, with_db};

/// What the sequencer needs to know about an earlier event an action refers to.
#[derive(Debug, Clone)]
pub struct Target {
    pub room_id: String,
    pub seq: i64,
    pub sender: String,
    pub kind: String,
    pub deleted: bool,
    pub content: serde_json::Value,
}

/// A write that an accepted action causes.
#[derive(Debug, Clone)]
pub enum Write {
    InsertRoom {
        room_id: String,
        kind: &'static str,
        direct_key: Option<String>,
        name: Option<String>,
        topic: Option<String>,
        avatar_url: Option<String>,
        created_by: String,
        created_at: i64,
    },
    /// Adds a member, or rejoins one who had left.
    JoinMember {
        room_id: String,
        user_id: String,
        role: &'static str,
        joined_at: i64,
        joined_seq: i64,
    },
    LeaveMember {
        room_id: String,
        user_id: String,
        left_seq: i64,
    },
    SetRole {
        room_id: String,
        user_id: String,
        role: &'static str,
    },
    Settings {
        room_id: String,
        column: &'static str,
        value: Option<String>,
    },
    DeleteRoom {
        room_id: String,
        at: i64,
    },
    EditMessage {
        event_id: String,
        content: String,
        at: i64,
    },
    TombstoneMessage {
        event_id: String,
        at: i64,
    },
    SetReaction {
        target: String,
        user_id: String,
        emoji: String,
    },
    RemoveReaction {
        target: String,
        user_id: String,
    },
}

/// A client's transaction: a retry with the same key gets the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnKey {
    pub room_id: RoomId,
    pub sender: UserId,
    pub txn_id: String,
}

impl TxnKey {
    pub fn of(event: &Event) -> Option<Self> {
        Some(Self {
            room_id: RoomId::parse(&event.room_id).ok()?,
            sender: UserId::parse(&event.sender).ok()?,
            txn_id: event.txn_id.clone()?,
        })
    }

    /// The key's `txn_key` column, which the transaction lookup goes by.
    fn hash(&self) -> i64 {
        txn_hash(self.room_id.as_str(), self.sender.as_str(), &self.txn_id)
    }
}

/// `events.txn_key`: the first 64 bits of the SHA-256 of the transaction key. Stored, so it
/// must never change. A lookup compares the whole key too, so a collision costs nothing but a
/// second row read.
pub fn txn_hash(room_id: &str, sender: &str, txn_id: &str) -> i64 {
    let mut hasher = Sha256::new();
    for part in [room_id, sender, txn_id] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Computes `txn_key` for the events stored before it existed (migration 0003), a few
/// hundred rows per transaction; returns how many. Quick when there are none: a partial index
/// holds exactly the rows still to do.
pub async fn key_old_transactions(db: &Db) -> Result<u64, sqlx::Error> {
    const ROWS: i64 = 500;
    let mut done = 0;
    loop {
        let mut tx = WriterTx::begin(db).await?;
        let rows: Vec<(i64, String, String, String)> = on_tx!(&mut tx, conn => {
            sqlx::query(
                "SELECT stream_pos, room_id, sender, txn_id FROM events
                 WHERE txn_id IS NOT NULL AND txn_key IS NULL ORDER BY stream_pos LIMIT $1",
            )
            .bind(ROWS)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<Result<_, _>>()?
        });
        if rows.is_empty() {
            return Ok(done);
        }
        for (pos, room_id, sender, txn_id) in &rows {
            on_tx!(&mut tx, conn => {
                sqlx::query("UPDATE events SET txn_key = $1 WHERE stream_pos = $2")
                    .bind(txn_hash(room_id, sender, txn_id))
                    .bind(pos)
                    .execute(conn)
                    .await?;
            });
        }
        tx.commit().await?;
        done += rows.len() as u64;
    }
}

/// The committed events that earlier tries with these transactions produced, by transaction,
/// as the answers a retry gets. Read outside the sequencer's transaction, so that it can run
/// while a batch commits: the sequencer keeps the transactions of a batch in flight in memory
/// until it is committed.
pub async fn find_txns(db: &Db, keys: &[TxnKey]) -> Result<Known, sqlx::Error> {
    static SQL: SqlCache = SqlCache::new();
    let params = db.params();
    let mut found = std::collections::HashMap::new();
    for chunk in chunks(keys, params) {
        let sql = SQL.get(params, chunk.len(), 4, |rows| {
            format!(
                "WITH wanted (w_key, w_room, w_sender, w_txn) AS (VALUES {rows})
                 SELECT {EVENT_COLUMNS} FROM wanted JOIN events
                     ON txn_key = w_key AND room_id = w_room AND sender = w_sender AND txn_id = w_txn"
            )
        });
        with_db!(db, pool => {
            let mut query = sqlx::query(sql);
            for key in chunk {
                query = query.bind(key.hash()).bind(key.room_id.as_str()).bind(key.sender.as_str()).bind(&key.txn_id);
            }
            for row in query.fetch_all(pool).await? {
                let event = crate::rooms::store::event_from_row(&row)?;
                if let Some(key) = TxnKey::of(&event) {
                    found.insert(key, super::duplicate(event));
                }
            }
        });
    }
    Ok(found)
}

impl WriterTx {
    /// Inserts events (nothing else to write for them) with a few multi-row statements.
    pub async fn insert_events(&mut self, events: &[&Event]) -> Result<(), sqlx::Error> {
        static SQL: SqlCache = SqlCache::new();
        let params = self.params();
        for chunk in chunks(events, params) {
            let sql = SQL.get(params, chunk.len(), 11, |rows| {
                format!(
                    "{} events (stream_pos, room_id, seq, event_id, event_key, sender, txn_id, txn_key, kind, content, origin_ts)
                     VALUES {rows}",
                    params.insert_into()
                )
            });
            on_tx!(self, conn => {
                let mut query = sqlx::query(sql);
                for event in chunk {
                    let txn_key = event.txn_id.as_deref().map(|txn| txn_hash(&event.room_id, &event.sender, txn));
                    query = query
                        .bind(event.pos).bind(&event.room_id).bind(event.seq).bind(&event.event_id)
                        .bind(event_key(&event.event_id)).bind(&event.sender).bind(&event.txn_id).bind(txn_key).bind(&event.kind)
                        .bind(event.content.to_string()).bind(event.ts);
                }
                query.execute(conn).await?;
            });
        }
        Ok(())
    }

    /// The event `event_id`, if it exists.
    pub async fn find_target(&mut self, event_id: &str) -> Result<Option<Target>, sqlx::Error> {
        on_tx!(self, conn => {
            let row = sqlx::query(concat!("SELECT room_id, seq, sender, kind, deleted_at, content FROM events WHERE ", crate::event_id_is_1!()))
                .bind(event_id)
                .fetch_optional(conn)
                .await?;
            row.map(|row| {
                Ok(Target {
                    room_id: row.try_get("room_id")?,
                    seq: row.try_get("seq")?,
                    sender: row.try_get("sender")?,
                    kind: row.try_get("kind")?,
                    deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                    content: serde_json::from_str(&row.try_get::<String, _>("content")?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                })
            })
            .transpose()
        })
    }

    /// The room already made for this direct-chat key, if any.
    pub async fn find_direct(&mut self, direct_key: &str) -> Result<Option<String>, sqlx::Error> {
        on_tx!(self, conn => {
            sqlx::query("SELECT room_id FROM rooms WHERE direct_key = $1")
                .bind(direct_key)
                .fetch_optional(conn)
                .await?
                .map(|row| row.try_get("room_id"))
                .transpose()
        })
    }

    pub async fn apply(&mut self, write: &Write) -> Result<(), sqlx::Error> {
        on_tx!(self, conn => {
            match write {
                Write::InsertRoom { room_id, kind, direct_key, name, topic, avatar_url, created_by, created_at } => {
                    sqlx::query(
                        "INSERT INTO rooms (room_id, kind, direct_key, name, topic, avatar_url, created_by, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(room_id).bind(*kind).bind(direct_key).bind(name).bind(topic).bind(avatar_url)
                    .bind(created_by).bind(created_at)
                    .execute(conn).await?;
                }
                Write::JoinMember { room_id, user_id, role, joined_at, joined_seq } => {
                    sqlx::query(
                        "INSERT INTO room_members (room_id, user_id, role, joined, joined_at, joined_seq)
                         VALUES ($1, $2, $3, TRUE, $4, $5)
                         ON CONFLICT (room_id, user_id) DO UPDATE SET role = $3, joined = TRUE, joined_at = $4,
                             joined_seq = $5, left_seq = NULL, hidden = FALSE",
                    )
                    .bind(room_id).bind(user_id).bind(*role).bind(joined_at).bind(joined_seq)
                    .execute(conn).await?;
                }
                Write::LeaveMember { room_id, user_id, left_seq } => {
                    sqlx::query("UPDATE room_members SET joined = FALSE, left_seq = $3 WHERE room_id = $1 AND user_id = $2")
                        .bind(room_id).bind(user_id).bind(left_seq)
                        .execute(conn).await?;
                }
                Write::SetRole { room_id, user_id, role } => {
                    sqlx::query("UPDATE room_members SET role = $3 WHERE room_id = $1 AND user_id = $2")
                        .bind(room_id).bind(user_id).bind(*role)
                        .execute(conn).await?;
                }
                Write::Settings { room_id, column, value } => {
                    let sql = match *column {
                        "name" => "UPDATE rooms SET name = $2 WHERE room_id = $1",
                        "topic" => "UPDATE rooms SET topic = $2 WHERE room_id = $1",
                        _ => "UPDATE rooms SET avatar_url = $2 WHERE room_id = $1",
                    };
                    sqlx::query(sql).bind(room_id).bind(value).execute(conn).await?;
                }
                Write::DeleteRoom { room_id, at } => {
                    sqlx::query("UPDATE rooms SET deleted_at = $2 WHERE room_id = $1")
                        .bind(room_id).bind(at).execute(conn).await?;
                }
                Write::EditMessage { event_id, content, at } => {
                    sqlx::query(concat!("UPDATE events SET content = $2, edited_at = $3 WHERE ", crate::event_id_is_1!()))
                        .bind(event_id).bind(content).bind(at).execute(conn).await?;
                }
                Write::TombstoneMessage { event_id, at } => {
                    sqlx::query(concat!("UPDATE events SET content = '{}', deleted_at = $2 WHERE ", crate::event_id_is_1!()))
                        .bind(event_id).bind(at).execute(&mut *conn).await?;
                    sqlx::query("DELETE FROM reactions WHERE target_event_id = $1")
                        .bind(event_id).execute(conn).await?;
                }
                Write::SetReaction { target, user_id, emoji } => {
                    sqlx::query(
                        "INSERT INTO reactions (target_event_id, user_id, emoji) VALUES ($1, $2, $3)
                         ON CONFLICT (target_event_id, user_id) DO UPDATE SET emoji = $3",
                    )
                    .bind(target).bind(user_id).bind(emoji)
                    .execute(conn).await?;
                }
                Write::RemoveReaction { target, user_id } => {
                    sqlx::query("DELETE FROM reactions WHERE target_event_id = $1 AND user_id = $2")
                        .bind(target).bind(user_id).execute(conn).await?;
                }
            }
            Ok(())
        })
    }
}

impl WriterTx {
    pub async fn set_muted(
        &mut self,
        room_id: &str,
        user_id: &str,
        muted: bool,
    ) -> Result<(), sqlx::Error> {
        on_tx!(self, conn => {
            sqlx::query("UPDATE room_members SET muted = $3 WHERE room_id = $1 AND user_id = $2")
                .bind(room_id)
                .bind(user_id)
                .bind(muted)
                .execute(conn)
                .await?;
        });
        Ok(())
    }
}
