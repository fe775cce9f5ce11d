//! Samples a process's memory and CPU time from /proc (Linux only; `None` elsewhere).

/// A `kB` field of `/proc/PID/status`, e.g. `VmRSS` (resident) or `VmHWM` (peak resident).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// User plus system CPU time of a process (`None`: this one), in seconds.
pub fn cpu_secs(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may contain spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// [`cpu_secs`] of `pid` if there is one.
pub fn cpu_secs_opt(pid: Option<u32>) -> Option<f64> {
    pid.and_then(|pid| cpu_secs(Some(pid)))
}

/// User plus system CPU time of every process named `name` (e.g. `postgres`: the server
/// process and every connection's backend), in seconds.
pub fn cpu_secs_named(name: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
            continue;
        };
        if comm.trim() == name
            && let Some(secs) = cpu_secs(Some(pid))
        {
            total += secs;
            found = true;
        }
    }
    found.then_some(total)
}

/// CPU time of the bench and of the server between two moments.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    bench: Option<f64>,
    server: Option<f64>,
}

impl CpuSample {
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            bench: cpu_secs(None),
            server: server_pid.and_then(|p| cpu_secs(Some(p))),
        }
    }

    /// Percent of one core used by (bench, server) since `self`, over `secs` seconds.
    pub fn percent_since(self, now: Self, secs: f64) -> (Option<f64>, Option<f64>) {
        let pct = |a: Option<f64>, b: Option<f64>| {
            a.zip(b)
                .filter(|_| secs > 0.0)
                .map(|(a, b)| ((b - a) / secs * 1000.0).round() / 10.0)
        };
        (pct(self.bench, now.bench), pct(self.server, now.server))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(super::status_kib(pid, "VmRSS").is_some_and(|kib| kib > 0));
        assert!(super::cpu_secs(Some(pid)).is_some());
        assert!(super::status_kib(pid, "NoSuchField").is_none());
    }
}
