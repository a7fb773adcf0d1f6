//! `-debug=ipc` lines, captured with a tracing subscriber (its own test
//! binary: the subscriber is process-wide, to see the loop and worker
//! threads' lines too).

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use widecoin_interfaces::{Init, LocalInit};
use widecoin_ipc::{Connection, InitClient, Role};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines(captured: &Captured) -> Vec<String> {
    String::from_utf8_lossy(&captured.0.lock().unwrap())
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn requests_and_responses_are_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let (a, b) = UnixStream::pair().unwrap();
    let init: Arc<dyn Init> = Arc::new(LocalInit);
    let server = Connection::new(a, Role::Server, Some(init)).unwrap();
    let client = InitClient::new(Connection::new(b, Role::Client, None).unwrap());
    let echo = client.make_echo().unwrap();
    let long = format!("é\"\n{}", "z".repeat(300));
    std::thread::Builder::new()
        .name("caller".into())
        .spawn(move || {
            echo.echo("hello").unwrap();
            echo.echo(&long).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
    client.connection().close();
    server.wait_closed();

    let lines = lines(&captured);
    // The process is named after its executable (here the test binary).
    let me = format!("-{}/", std::process::id());
    let find = |needle: &str| {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
            .clone()
    };
    // Shape: {<process>-<pid>/<thread>} IPC <side> <send|recv> <request|response> #N Interface.method
    let send = find("IPC client send request #");
    assert!(
        send.contains(" ipc: "),
        "target is the ipc category: {send}"
    );
    assert!(send.contains("{ipc_log") && send.contains(&me), "{send}");
    find("IPC client send request #1 Init.makeEcho");
    find("IPC server recv request #1 Init.makeEcho");
    find("IPC server send response #1 Init.makeEcho");
    find("IPC client recv response #1 Init.makeEcho");
    let hello = find("/b-caller} IPC client send request #2 Echo.echo \"hello\"");
    assert!(hello.contains("TRACE"), "contents at trace level: {hello}");
    find(&format!(
        "/b-{}}} IPC server recv request #2 Echo.echo \"hello\"",
        widecoin_ipc::LOOP_THREAD_NAME
    ));
    find("IPC server send response #2 Echo.echo \"hello\"");
    find("/b-caller} IPC client recv response #2 Echo.echo \"hello\"");
    // Contents are escaped and cut at 200 characters.
    let long = find("IPC client send request #3 Echo.echo");
    let expected = format!("\"\\u{{e9}}\\\"\\n{}\"... (304 bytes)", "z".repeat(197));
    assert!(long.ends_with(&expected), "{long}");
}
