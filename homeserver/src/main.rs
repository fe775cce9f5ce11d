//! The `convo` binary: parses the command line and hands over to the library.

/// mimalloc rather than glibc's malloc: the gateway allocates and frees small buffers on
/// every thread for every frame, where glibc's arenas spend a fifth of the server's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    convo_homeserver::cli::run()
}
