//! The sequencer's transaction: the reads it needs while deciding, and the writes that
//! accepted actions turn into, on either backend.

use convo_federation::{EventId, RoomId, UserId};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use super::known::Known;
use crate::db::Db;
use crate::db::multi_row::{SqlCache, WHOLE_MAX, WholeSqlCache, chunks};
use crate::rooms::model::{Event, EventContent, EventKind, Role, RoomKind};
use crate::rooms::store::{EVENT_COLUMNS, decode, event_key};

pub use crate::db::WriteTx as WriterTx;
use crate::{on_tx, with_db, with_writer};

/// What the sequencer needs to know about an earlier event an action refers to.
#[derive(Debug, Clone)]
pub struct Target {
    pub room_id: RoomId,
    pub seq: i64,
    pub sender: UserId,
    pub kind: EventKind,
    /// The content as it is now (edited or not); `None` once deleted for everyone.
    pub content: Option<EventContent>,
}

/// A group setting an event can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Name,
    Topic,
    AvatarUrl,
}

/// A write that an accepted action causes.
#[derive(Debug, Clone)]
pub enum Write {
    InsertRoom {
        room_id: RoomId,
        kind: RoomKind,
        direct_key: Option<String>,
        name: Option<String>,
        topic: Option<String>,
        avatar_url: Option<String>,
        created_by: UserId,
        created_at: i64,
    },
    /// Adds a member, or rejoins one who had left.
    JoinMember {
        room_id: RoomId,
        user_id: UserId,
        role: Role,
        joined_at: i64,
        joined_seq: i64,
    },
    LeaveMember {
        room_id: RoomId,
        user_id: UserId,
        left_seq: i64,
    },
    SetRole {
        room_id: RoomId,
        user_id: UserId,
        role: Role,
    },
    Settings {
        room_id: RoomId,
        setting: Setting,
        value: Option<String>,
    },
    DeleteRoom {
        room_id: RoomId,
        at: i64,
    },
    /// A message's text changed: its row shows the new content; the content as sent is
    /// kept aside once (`original_content`), so that the event body stays whole.
    EditMessage {
        target: EventId,
        content: EventContent,
        at: i64,
    },
    /// Delete for everyone: the message's content goes, and so do its reactions and the
    /// content of its edits and reaction events.
    TombstoneMessage {
        target: EventId,
        at: i64,
    },
    SetReaction {
        target: EventId,
        user_id: UserId,
        emoji: String,
    },
    RemoveReaction {
        target: EventId,
        user_id: UserId,
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
            room_id: event.room_id.clone(),
            sender: event.sender.clone(),
            txn_id: event.txn_id.clone()?,
        })
    }

    /// The key's `txn_key` column, which the transaction lookup goes by.
    pub fn hash(&self) -> i64 {
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
                    found.insert(key, super::known::duplicate(event));
                }
            }
        });
    }
    Ok(found)
}

/// The columns an event row is written with.
const EVENT_INSERT: &str = "(stream_pos, room_id, seq, event_id, event_key, sender, txn_id, txn_key, kind, content, origin_ts, nonce, relates_to)";
const EVENT_INSERT_COLUMNS: usize = 13;

/// Binds each event's [`EVENT_INSERT`] columns, in order (with `keyless`, no `txn_key`).
macro_rules! bind_events {
    ($query:expr, $events:expr) => {
        bind_events!($query, $events, false)
    };
    ($query:expr, $events:expr, $keyless:expr) => {{
        let mut query = $query;
        for event in $events {
            let txn_key = event
                .txn_id
                .as_deref()
                .filter(|_| !$keyless)
                .map(|txn| txn_hash(event.room_id.as_str(), event.sender.as_str(), txn));
            let (content, target) = match &event.content {
                Some(content) => (
                    content.content_json(),
                    content.target().map(EventId::as_str),
                ),
                None => ("{}".to_owned(), None),
            };
            query = query
                .bind(event.pos)
                .bind(event.room_id.as_str())
                .bind(event.seq)
                .bind(event.event_id.as_str())
                .bind(event_key(event.event_id.as_str()))
                .bind(event.sender.as_str())
                .bind(&event.txn_id)
                .bind(txn_key)
                .bind(event.kind.as_str())
                .bind(content)
                .bind(event.ts)
                .bind(&event.nonce)
                .bind(target);
        }
        query
    }};
}

/// Writes a batch of up to [`WHOLE_MAX`] events with one statement that is its own
/// transaction: one round trip, all or nothing (on SQLite a lone statement needs no statement
/// journal to undo itself: its transaction is undone). A transaction id answered before
/// makes it fail on the unique `txn_key` index, and the batch is done again the careful way.
pub async fn insert_events_whole(db: &Db, events: &[&Event]) -> Result<(), sqlx::Error> {
    static SQL: WholeSqlCache = WholeSqlCache::new();
    debug_assert!((1..=WHOLE_MAX).contains(&events.len()));
    let params = db.params();
    let sql = SQL.get(params, events.len(), EVENT_INSERT_COLUMNS, |rows| {
        format!("INSERT INTO events {EVENT_INSERT} VALUES {rows}")
    });
    with_writer!(db, pool => {
        let query = bind_events!(sqlx::query(sql), events);
        query.execute(pool).await?;
    });
    Ok(())
}

impl WriterTx {
    /// Inserts events (nothing else to write for them) with a few multi-row statements.
    pub async fn insert_events(&mut self, events: &[&Event]) -> Result<(), sqlx::Error> {
        static SQL: SqlCache = SqlCache::new();
        let params = self.params();
        for chunk in chunks(events, params) {
            let sql = SQL.get(params, chunk.len(), EVENT_INSERT_COLUMNS, |rows| {
                format!(
                    "{} events {EVENT_INSERT} VALUES {rows}",
                    params.insert_into()
                )
            });
            on_tx!(self, conn => {
                let query = bind_events!(sqlx::query(sql), chunk);
                query.execute(conn).await?;
            });
        }
        Ok(())
    }

    /// Inserts one new event (after its transaction was looked up). If its transaction key
    /// is another transaction's (two different transactions whose 64-bit hashes agree), it is
    /// stored without one: a retry of it will not be recognised, which beats failing it.
    pub async fn insert_new_event(&mut self, event: &Event) -> Result<(), sqlx::Error> {
        if event.txn_id.is_none() {
            return self.insert_events(&[event]).await;
        }
        // Nested in the job's own savepoint: the innermost of a name is the one undone.
        self.savepoint().await?;
        match self.insert_events(&[event]).await {
            Ok(()) => self.release_savepoint().await,
            Err(err)
                if crate::db::unique_violation(&err).is_some_and(|on| on.contains("txn_key")) =>
            {
                tracing::warn!(event_id = %event.event_id, "a transaction key is another transaction's; storing the event without one");
                self.rollback_to_savepoint().await?;
                self.release_savepoint().await?;
                let params = self.params();
                let sql = format!(
                    "{} events {EVENT_INSERT} VALUES {}",
                    params.insert_into(),
                    crate::db::multi_row::placeholders(1, EVENT_INSERT_COLUMNS, params)
                );
                on_tx!(self, conn => {
                    let query = bind_events!(sqlx::query(sqlx::AssertSqlSafe(sql)), [event], true);
                    query.execute(conn).await?;
                });
                Ok(())
            }
            Err(err) => {
                // Leave no savepoint of ours behind: the caller undoes its own.
                self.rollback_to_savepoint().await?;
                self.release_savepoint().await?;
                Err(err)
            }
        }
    }

    /// The event `event_id`, if it exists.
    pub async fn find_target(&mut self, event_id: &EventId) -> Result<Option<Target>, sqlx::Error> {
        on_tx!(self, conn => {
            let row = sqlx::query(concat!("SELECT room_id, seq, sender, kind, deleted_at, content FROM events WHERE ", crate::event_id_is_1!()))
                .bind(event_id.as_str())
                .fetch_optional(conn)
                .await?;
            row.map(|row| {
                let kind = decode(EventKind::parse(&row.try_get::<String, _>("kind")?))?;
                let deleted = row.try_get::<Option<i64>, _>("deleted_at")?.is_some();
                let content = match deleted {
                    true => None,
                    false => Some(decode(EventContent::from_parts(kind, &row.try_get::<String, _>("content")?))?),
                };
                Ok(Target {
                    room_id: decode(RoomId::parse(&row.try_get::<String, _>("room_id")?))?,
                    seq: row.try_get("seq")?,
                    sender: decode(UserId::parse(&row.try_get::<String, _>("sender")?))?,
                    kind,
                    content,
                })
            })
            .transpose()
        })
    }

    /// The room already made for this direct-chat key, if any.
    pub async fn find_direct(&mut self, direct_key: &str) -> Result<Option<RoomId>, sqlx::Error> {
        on_tx!(self, conn => {
            sqlx::query("SELECT room_id FROM rooms WHERE direct_key = $1")
                .bind(direct_key)
                .fetch_optional(conn)
                .await?
                .map(|row| decode(RoomId::parse(&row.try_get::<String, _>("room_id")?)))
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
                    .bind(room_id.as_str()).bind(kind.as_str()).bind(direct_key).bind(name).bind(topic).bind(avatar_url)
                    .bind(created_by.as_str()).bind(created_at)
                    .execute(conn).await?;
                }
                Write::JoinMember { room_id, user_id, role, joined_at, joined_seq } => {
                    sqlx::query(
                        "INSERT INTO room_members (room_id, user_id, role, joined, joined_at, joined_seq)
                         VALUES ($1, $2, $3, TRUE, $4, $5)
                         ON CONFLICT (room_id, user_id) DO UPDATE SET role = $3, joined = TRUE, joined_at = $4,
                             joined_seq = $5, left_seq = NULL, hidden = FALSE",
                    )
                    .bind(room_id.as_str()).bind(user_id.as_str()).bind(role.as_str()).bind(joined_at).bind(joined_seq)
                    .execute(conn).await?;
                }
                Write::LeaveMember { room_id, user_id, left_seq } => {
                    sqlx::query("UPDATE room_members SET joined = FALSE, left_seq = $3 WHERE room_id = $1 AND user_id = $2")
                        .bind(room_id.as_str()).bind(user_id.as_str()).bind(left_seq)
                        .execute(conn).await?;
                }
                Write::SetRole { room_id, user_id, role } => {
                    sqlx::query("UPDATE room_members SET role = $3 WHERE room_id = $1 AND user_id = $2")
                        .bind(room_id.as_str()).bind(user_id.as_str()).bind(role.as_str())
                        .execute(conn).await?;
                }
                Write::Settings { room_id, setting, value } => {
                    let sql = match setting {
                        Setting::Name => "UPDATE rooms SET name = $2 WHERE room_id = $1",
                        Setting::Topic => "UPDATE rooms SET topic = $2 WHERE room_id = $1",
                        Setting::AvatarUrl => "UPDATE rooms SET avatar_url = $2 WHERE room_id = $1",
                    };
                    sqlx::query(sql).bind(room_id.as_str()).bind(value).execute(conn).await?;
                }
                Write::DeleteRoom { room_id, at } => {
                    sqlx::query("UPDATE rooms SET deleted_at = $2 WHERE room_id = $1")
                        .bind(room_id.as_str()).bind(at).execute(conn).await?;
                }
                Write::EditMessage { target, content, at } => {
                    sqlx::query(concat!(
                        "UPDATE events SET original_content = COALESCE(original_content, content), content = $2, edited_at = $3 WHERE ",
                        crate::event_id_is_1!()
                    ))
                    .bind(target.as_str()).bind(content.content_json()).bind(at).execute(conn).await?;
                }
                Write::TombstoneMessage { target, at } => {
                    sqlx::query(concat!(
                        "UPDATE events SET content = '{}', original_content = NULL, edited_at = NULL, deleted_at = $2 WHERE ",
                        crate::event_id_is_1!()
                    ))
                    .bind(target.as_str()).bind(at).execute(&mut *conn).await?;
                    // Its edits carry its text, its reaction events the reactions.
                    sqlx::query(
                        "UPDATE events SET content = '{}', original_content = NULL, deleted_at = $2
                         WHERE relates_to = $1 AND kind IN ('message.edit', 'message.reaction')",
                    )
                    .bind(target.as_str()).bind(at).execute(&mut *conn).await?;
                    sqlx::query("DELETE FROM reactions WHERE target_event_id = $1")
                        .bind(target.as_str()).execute(conn).await?;
                }
                Write::SetReaction { target, user_id, emoji } => {
                    sqlx::query(
                        "INSERT INTO reactions (target_event_id, user_id, emoji) VALUES ($1, $2, $3)
                         ON CONFLICT (target_event_id, user_id) DO UPDATE SET emoji = $3",
                    )
                    .bind(target.as_str()).bind(user_id.as_str()).bind(emoji)
                    .execute(conn).await?;
                }
                Write::RemoveReaction { target, user_id } => {
                    sqlx::query("DELETE FROM reactions WHERE target_event_id = $1 AND user_id = $2")
                        .bind(target.as_str()).bind(user_id.as_str()).execute(conn).await?;
                }
            }
            Ok(())
        })
    }
}

impl WriterTx {
    pub async fn set_muted(
        &mut self,
        room_id: &RoomId,
        user_id: &UserId,
        muted: bool,
    ) -> Result<(), sqlx::Error> {
        on_tx!(self, conn => {
            sqlx::query("UPDATE room_members SET muted = $3 WHERE room_id = $1 AND user_id = $2")
                .bind(room_id.as_str())
                .bind(user_id.as_str())
                .bind(muted)
                .execute(conn)
                .await?;
        });
        Ok(())
    }
}
