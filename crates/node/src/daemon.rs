//! `-daemon` / `-daemonwait` (Core's `fork_daemon` in `src/widecoind.cpp`): the
//! parent waits on a pipe for the child's verdict on start-up, then exits.
//!
//! This is the one place the node needs `fork`, `setsid` and `dup2`, hence the
//! one `unsafe` module; it runs before any other thread exists.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::sync::Mutex;

/// The child's end of the pipe while `-daemonwait` holds the parent.
static TOKEN_PIPE: Mutex<Option<File>> = Mutex::new(None);

/// Forks into the background. Returns in the child; the parent exits with 0
/// once the child reports success, 1 otherwise.
pub fn daemonize(wait_for_init: bool) -> Result<(), String> {
    println!("Widecoin Core starting");
    let _ = std::io::stdout().flush();
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!(
            "fork_daemon() failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: no other thread has been started yet (start-up calls this
    // before logging, RPC or signal threads exist), so fork is sound.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!(
            "fork_daemon() failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    if pid > 0 {
        // Parent: wait for the token.
        // SAFETY: the descriptors came from pipe(2) above and are owned here.
        let mut read_end = unsafe { File::from_raw_fd(fds[0]) };
        unsafe { libc::close(fds[1]) };
        let mut token = [0u8; 1];
        let ok = read_end.read_exact(&mut token).is_ok() && token[0] != 0;
        if ok {
            std::process::exit(0);
        }
        eprintln!("Error during initialization - check debug.log for details");
        std::process::exit(1);
    }
    // Child.
    // SAFETY: plain system calls on descriptors this process owns.
    unsafe {
        libc::close(fds[0]);
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            if null > 2 {
                libc::close(null);
            }
        }
    }
    // SAFETY: fds[1] is the pipe's write end, owned by this process.
    let mut write_end = unsafe { File::from_raw_fd(fds[1]) };
    if wait_for_init {
        *TOKEN_PIPE.lock().unwrap_or_else(|e| e.into_inner()) = Some(write_end);
    } else {
        let _ = write_end.write_all(&[1]);
    }
    Ok(())
}

/// Tells a parent held by `-daemonwait` whether start-up succeeded.
pub fn report_init_result(ok: bool) {
    if let Some(mut f) = TOKEN_PIPE.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = f.write_all(&[u8::from(ok)]);
    }
}
