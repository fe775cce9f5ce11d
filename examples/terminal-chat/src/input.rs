//! The keyboard: lines from standard input, read on a thread of their own so that `/quit`
//! is heard whatever the chat is doing (connecting, waiting, signing in).

use std::collections::VecDeque;
use std::future::Future;
use std::io::BufRead as _;

use tokio::sync::mpsc;

/// Lines typed, in order.
#[derive(Debug)]
pub struct Input {
    lines: mpsc::Receiver<String>,
    /// Lines typed while the chat could not take them (not connected yet): handed out first.
    held: VecDeque<String>,
}

/// Whether a line asks to leave.
pub fn is_quit(line: &str) -> bool {
    line.trim() == "/quit"
}

impl Input {
    /// Starts reading standard input. A plain thread rather than a task: a blocking read
    /// cannot be cancelled, and the runtime would wait for it when the program ends.
    pub fn start() -> Self {
        let (tx, lines) = mpsc::channel(64);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            lines,
            held: VecDeque::new(),
        }
    }

    /// The next line; `None` once input has ended. Cancel-safe.
    pub async fn next(&mut self) -> Option<String> {
        if let Some(line) = self.held.pop_front() {
            return Some(line);
        }
        self.lines.recv().await
    }

    /// Runs `work` to its end, keeping the lines typed meanwhile for later; `None` if the user
    /// typed `/quit` (or input ended) first.
    pub async fn unless_quit<F: Future>(&mut self, work: F) -> Option<F::Output> {
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return Some(done),
                line = self.lines.recv() => match line {
                    Some(line) if !is_quit(&line) => self.held.push_back(line),
                    _ => return None,
                },
            }
        }
    }

    /// Sleeps, unless the user quits first (then false).
    pub async fn pause(&mut self, how_long: std::time::Duration) -> bool {
        self.unless_quit(tokio::time::sleep(how_long))
            .await
            .is_some()
    }
}
