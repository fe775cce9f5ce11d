//! Statements that carry many rows at once (`VALUES (…), (…), …`), for the writers that
//! handle work in batches: one round trip to the database instead of one per row.
//!
//! Rows go in chunks whose sizes are powers of two up to [`MAX_ROWS`], so each statement has
//! a handful of shapes, each prepared once and kept in the connection's statement cache.

use std::sync::OnceLock;

use super::{Db, WriteTx};

/// Most rows one statement carries.
pub const MAX_ROWS: usize = 256;

/// Most rows one statement carries to PostgreSQL. sqlx leaves Nagle's algorithm on for its
/// TCP connections: a statement too big for one write goes out in two, and the second waits
/// for the server's delayed ACK (~40 ms). Statements of a few kilobytes go out whole.
pub const MAX_ROWS_POSTGRES: usize = 16;
const SIZES: usize = MAX_ROWS.ilog2() as usize + 1;

/// How a backend's statements name their bind parameters. SQLite resolves every `$N` by a
/// linear search of the statement's parameter names, which is quadratic over a
/// 2,000-parameter insert, so it gets anonymous `?`s; PostgreSQL knows only `$N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    Anonymous,
    Numbered,
}

impl Params {
    /// How a multi-row insert begins. SQLite's default conflict action, ABORT, undoes the
    /// failing statement's own rows, so inside a transaction SQLite first copies every page
    /// the statement changes to a statement journal (a sixth of the writer's time on a
    /// batch of messages). With FAIL the rows before a failure stay; every caller rolls its
    /// transaction or savepoint back on an error anyway. `ON CONFLICT` clauses still apply.
    pub fn insert_into(self) -> &'static str {
        match self {
            Params::Anonymous => "INSERT OR FAIL INTO",
            Params::Numbered => "INSERT INTO",
        }
    }

    fn max_rows(self) -> usize {
        match self {
            Params::Anonymous => MAX_ROWS,
            Params::Numbered => MAX_ROWS_POSTGRES,
        }
    }
}

impl WriteTx {
    pub fn params(&self) -> Params {
        match self {
            WriteTx::Sqlite(_) => Params::Anonymous,
            WriteTx::Postgres(_) => Params::Numbered,
        }
    }
}

impl Db {
    pub fn params(&self) -> Params {
        match self {
            Db::Sqlite(_) => Params::Anonymous,
            Db::Postgres(_) => Params::Numbered,
        }
    }
}

/// Splits `items` into chunks whose lengths are powers of two, largest first, each small
/// enough for one statement to the backend that takes `params`.
pub fn chunks<T>(mut items: &[T], params: Params) -> impl Iterator<Item = &[T]> {
    let max = params.max_rows();
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let len = items.len().min(max);
        let (chunk, rest) = items.split_at(1 << len.ilog2());
        items = rest;
        Some(chunk)
    })
}

/// `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`: `rows` groups of `columns` parameters.
pub fn placeholders(rows: usize, columns: usize, params: Params) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            match params {
                Params::Anonymous => out.push('?'),
                Params::Numbered => out.push_str(&format!("${}", row * columns + column + 1)),
            }
        }
        out.push(')');
    }
    out
}

/// One statement's text for each parameter style and chunk size, each built once. Declare
/// one per statement as a `static`.
#[derive(Debug)]
pub struct SqlCache([[OnceLock<String>; SIZES]; 2]);

impl Default for SqlCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SqlCache {
    pub const fn new() -> Self {
        Self([const { [const { OnceLock::new() }; SIZES] }; 2])
    }

    /// The statement for a chunk of `rows` rows of `columns` parameters each; `build` makes
    /// it around the rows' placeholders.
    pub fn get(
        &'static self,
        params: Params,
        rows: usize,
        columns: usize,
        build: impl FnOnce(&str) -> String,
    ) -> &'static str {
        debug_assert!(
            rows.is_power_of_two() && rows <= MAX_ROWS,
            "not a chunk size"
        );
        let style = usize::from(params == Params::Numbered);
        self.0[style][rows.ilog2() as usize]
            .get_or_init(|| build(&placeholders(rows, columns, params)))
    }
}

/// Most rows a [`WholeSqlCache`] statement carries: a batch this small goes in one statement
/// of its own size, which the database commits by itself (one round trip, no transaction).
pub const WHOLE_MAX: usize = 16;

/// One statement's text for each parameter style and each row count from 1 to
/// [`WHOLE_MAX`], each built once (at most 32 shapes, all kept in the connection's statement
/// cache).
#[derive(Debug)]
pub struct WholeSqlCache([[OnceLock<String>; WHOLE_MAX]; 2]);

impl Default for WholeSqlCache {
    fn default() -> Self {
        Self::new()
    }
}

impl WholeSqlCache {
    pub const fn new() -> Self {
        Self([const { [const { OnceLock::new() }; WHOLE_MAX] }; 2])
    }

    /// The statement for `rows` rows (1 to [`WHOLE_MAX`]) of `columns` parameters each.
    pub fn get(
        &'static self,
        params: Params,
        rows: usize,
        columns: usize,
        build: impl FnOnce(&str) -> String,
    ) -> &'static str {
        debug_assert!((1..=WHOLE_MAX).contains(&rows), "not a whole-batch size");
        let style = usize::from(params == Params::Numbered);
        self.0[style][rows - 1].get_or_init(|| build(&placeholders(rows, columns, params)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_largest_first() {
        let items: Vec<usize> = (0..(MAX_ROWS * 2 + 13)).collect();
        let sizes: Vec<usize> = chunks(&items, Params::Anonymous)
            .map(<[usize]>::len)
            .collect();
        assert_eq!(sizes, [MAX_ROWS, MAX_ROWS, 8, 4, 1]);
        let rejoined: Vec<usize> = chunks(&items, Params::Anonymous)
            .flatten()
            .copied()
            .collect();
        assert_eq!(rejoined, items);
        assert_eq!(chunks::<usize>(&[], Params::Anonymous).count(), 0);
        let sizes: Vec<usize> = chunks(&items[..40], Params::Numbered)
            .map(<[usize]>::len)
            .collect();
        assert_eq!(sizes, [16, 16, 8]);
    }

    #[test]
    fn placeholders_in_either_style() {
        assert_eq!(placeholders(2, 2, Params::Numbered), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(2, 2, Params::Anonymous), "(?, ?), (?, ?)");
    }

    #[test]
    fn cache_keeps_one_text_per_style_and_size() {
        static SQL: SqlCache = SqlCache::new();
        let a = SQL.get(Params::Numbered, 4, 2, |rows| format!("VALUES {rows}"));
        let b = SQL.get(Params::Numbered, 4, 2, |_| unreachable!("built once"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(
            SQL.get(Params::Anonymous, 1, 2, |rows| format!("VALUES {rows}")),
            "VALUES (?, ?)"
        );
    }
}
