//! The `Echo` conformance suite against the in-process implementation and
//! against the proxy over a socketpair inside this process (a serving
//! connection and a calling one), plus what only a transport can do: fail.

use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use widecoin_interfaces::echo::conformance;
use widecoin_interfaces::{Echo, Init, IpcError, LocalEcho, LocalInit, RpcError, RpcErrorCode};
use widecoin_ipc::{Connection, InitClient, Role};

/// How long a test waits for something that should happen at once.
const PROMPTLY: Duration = Duration::from_secs(10);

/// A serving connection for `init` and a calling one, over a socketpair.
fn pair(init: Arc<dyn Init>) -> (Connection, InitClient) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let server = Connection::new(a, Role::Server, Some(init)).expect("server connection");
    let client = Connection::new(b, Role::Client, None).expect("client connection");
    (server, InitClient::new(client))
}

#[test]
fn local_echo_conforms() {
    conformance::run_all(&LocalEcho);
}

#[test]
fn echo_over_socketpair_conforms() {
    let (_server, init) = pair(Arc::new(LocalInit));
    let echo = init.make_echo().expect("make_echo");
    conformance::run_all(echo.as_ref());
}

#[test]
fn several_proxies_share_a_connection() {
    let (_server, init) = pair(Arc::new(LocalInit));
    let echoes: Vec<Box<dyn Echo>> = (0..4)
        .map(|_| init.make_echo().expect("make_echo"))
        .collect();
    std::thread::scope(|s| {
        for (i, echo) in echoes.iter().enumerate() {
            s.spawn(move || {
                for j in 0..20 {
                    let text = format!("proxy {i} call {j}");
                    assert_eq!(echo.echo(&text).unwrap(), text);
                }
            });
        }
    });
}

/// An `Echo` whose calls block until released, telling the test when a call
/// has reached it.
struct BlockingEcho {
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl Echo for BlockingEcho {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        let _ = self.entered.lock().unwrap().send(());
        let _ = self.release.lock().unwrap().recv();
        Ok(text.to_string())
    }
}

struct OneEcho(Mutex<Option<Box<dyn Echo>>>);

impl Init for OneEcho {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        self.0
            .lock()
            .unwrap()
            .take()
            .ok_or_else(|| RpcError::misc("only one").into())
    }
}

#[test]
fn peer_gone_mid_call_gives_disconnected_promptly() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let blocking = BlockingEcho {
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    };
    let (server, init) = pair(Arc::new(OneEcho(Mutex::new(Some(Box::new(blocking))))));
    let echo: Arc<dyn Echo> = Arc::from(init.make_echo().expect("make_echo"));

    let (done_tx, done_rx) = mpsc::channel();
    let caller = {
        let echo = echo.clone();
        std::thread::spawn(move || done_tx.send(echo.echo("stuck")).unwrap())
    };
    entered_rx
        .recv_timeout(PROMPTLY)
        .expect("the call reached the implementation");
    // The serving side goes away while the call runs.
    server.close();
    let result = done_rx
        .recv_timeout(PROMPTLY)
        .expect("the caller was answered");
    assert_eq!(result, Err(IpcError::Disconnected));
    caller.join().unwrap();
    // Later calls fail at once too, and the connection says it is closed.
    assert_eq!(echo.echo("again"), Err(IpcError::Disconnected));
    assert_eq!(init.make_echo().err(), Some(IpcError::Disconnected));
    init.connection().wait_closed();
    assert!(init.connection().is_closed());
    drop(release_tx);
}

#[test]
fn a_blocking_call_does_not_stall_other_calls() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let blocking: Box<dyn Echo> = Box::new(BlockingEcho {
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    struct TwoEchoes(Mutex<Vec<Box<dyn Echo>>>);
    impl Init for TwoEchoes {
        fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .pop()
                .unwrap_or_else(|| Box::new(LocalEcho)))
        }
    }
    let (_server, init) = pair(Arc::new(TwoEchoes(Mutex::new(vec![blocking]))));
    let stuck: Arc<dyn Echo> = Arc::from(init.make_echo().unwrap());
    let free = init.make_echo().unwrap();
    let caller = {
        let stuck = stuck.clone();
        std::thread::spawn(move || stuck.echo("slow"))
    };
    entered_rx.recv_timeout(PROMPTLY).unwrap();
    assert_eq!(free.echo("fast").unwrap(), "fast");
    release_tx.send(()).unwrap();
    assert_eq!(caller.join().unwrap().unwrap(), "slow");
}

#[test]
fn closing_the_client_ends_the_server() {
    let (server, init) = pair(Arc::new(LocalInit));
    let echo = init.make_echo().unwrap();
    assert_eq!(echo.echo("x").unwrap(), "x");
    init.connection().close();
    server.wait_closed();
    assert_eq!(echo.echo("x"), Err(IpcError::Disconnected));
}

#[test]
fn dropping_every_handle_closes_the_connection() {
    let (server, init) = pair(Arc::new(LocalInit));
    let echo = init.make_echo().unwrap();
    drop(init);
    assert_eq!(echo.echo("still open").unwrap(), "still open");
    drop(echo);
    server.wait_closed();
}

/// An implementation that answers with application errors.
struct Failing;

impl Echo for Failing {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        Err(RpcError::new(
            RpcErrorCode::WALLET_NOT_FOUND,
            format!("no wallet for {text} ☃"),
        )
        .into())
    }
}

impl Init for Failing {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(Failing))
    }
}

#[test]
fn application_errors_survive_the_trip() {
    let (_server, init) = pair(Arc::new(Failing));
    let echo = init.make_echo().unwrap();
    let e = echo.echo("w1").unwrap_err();
    assert_eq!(e, Failing.echo("w1").unwrap_err());
    assert_eq!(
        e.into_rpc_error(),
        RpcError::new(RpcErrorCode::WALLET_NOT_FOUND, "no wallet for w1 ☃")
    );

    struct Refusing;
    impl Init for Refusing {
        fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
            Err(RpcError::new(RpcErrorCode::MISC_ERROR, "refused").into())
        }
    }
    let (_server, init) = pair(Arc::new(Refusing));
    assert_eq!(
        init.make_echo().err(),
        Some(IpcError::Remote {
            code: -1,
            message: "refused".into()
        })
    );
}

#[test]
fn transport_errors_of_a_forwarding_server_stay_transport_errors() {
    struct Forwarding;
    impl Echo for Forwarding {
        fn echo(&self, _text: &str) -> Result<String, IpcError> {
            Err(IpcError::Disconnected)
        }
    }
    impl Init for Forwarding {
        fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
            Ok(Box::new(Forwarding))
        }
    }
    let (_server, init) = pair(Arc::new(Forwarding));
    let e = init.make_echo().unwrap().echo("x").unwrap_err();
    assert!(e.is_transport(), "{e:?}");
}

#[test]
fn a_panicking_implementation_fails_the_call_not_the_connection() {
    struct Panicking;
    impl Echo for Panicking {
        fn echo(&self, text: &str) -> Result<String, IpcError> {
            if text == "panic" {
                panic!("test panic");
            }
            Ok(text.to_string())
        }
    }
    impl Init for Panicking {
        fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
            Ok(Box::new(Panicking))
        }
    }
    let (_server, init) = pair(Arc::new(Panicking));
    let echo = init.make_echo().unwrap();
    assert!(matches!(echo.echo("panic"), Err(IpcError::Transport(_))));
    assert_eq!(echo.echo("fine").unwrap(), "fine");
}
