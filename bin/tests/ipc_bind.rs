//! `widecoin-node -ipcbind`: other processes connect to a running node over a
//! unix socket or an authenticated, encrypted TCP port; `widecoind` (one
//! process, like Widecoin Core 6.0) refuses the option.

mod common;

use std::path::Path;

use widecoin_interfaces::{Init, IpcError};
use widecoin_ipc::{connect, IpcAddress, IpcKey};
use widecoin_test_utils::{free_port, NodeOptions, TestNode};

const WIDECOIN_NODE: &str = env!("CARGO_BIN_EXE_widecoin-node");

fn echo_through(address: &IpcAddress, key: Option<&IpcKey>) -> Result<String, IpcError> {
    let (init, _connection) = connect(address, key)?;
    init.make_echo()?.echo("through the socket")
}

#[test]
fn unix_socket_serves_clients_and_closes_at_stop() {
    let mut node = common::start(NodeOptions::new(WIDECOIN_NODE).arg("-ipcbind=unix"));
    let socket = node.net_dir().join("node.sock");
    assert!(socket.exists(), "no socket at {}", socket.display());
    let address = IpcAddress::parse("unix", &node.net_dir()).unwrap();
    // Clients come and go while the node runs.
    for _ in 0..3 {
        assert_eq!(echo_through(&address, None).unwrap(), "through the socket");
    }
    let (init, _connection) = connect(&address, None).unwrap();
    let echo = init.make_echo().unwrap();
    common::stop_clean(&mut node);
    // The node is gone: the attached client gets a transport error, not a hang.
    assert_eq!(echo.echo("late"), Err(IpcError::Disconnected));
    assert!(!socket.exists(), "the socket file outlived the node");
    assert!(node
        .debug_log()
        .contains("Listening for IPC requests on address unix:"));
}

#[test]
fn tcp_needs_the_key() {
    let port = free_port();
    let mut node = common::start(
        NodeOptions::new(WIDECOIN_NODE).arg(format!("-ipcbind=tcp:127.0.0.1:{port}")),
    );
    let address = IpcAddress::parse(&format!("tcp:127.0.0.1:{port}"), &node.net_dir()).unwrap();
    let key = IpcKey::load(&node.net_dir().join("ipc.cookie")).expect("the node wrote its key");
    assert_eq!(
        echo_through(&address, Some(&key)).unwrap(),
        "through the socket"
    );
    let wrong = IpcKey::generate();
    assert!(echo_through(&address, Some(&wrong)).is_err());
    assert!(echo_through(&address, None).is_err());
    common::stop_clean(&mut node);
    assert!(node.debug_log().contains("refused: wrong IPC key"));
}

#[test]
fn bad_address_fails_start_up() {
    let mut node = TestNode::start(
        NodeOptions::new(WIDECOIN_NODE)
            .arg("-ipcbind=carrier-pigeon")
            .no_wait(),
    )
    .unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        node.stderr(),
        "Error: Unable to bind to IPC address 'carrier-pigeon'. Unrecognized address 'carrier-pigeon'\n"
    );
}

#[test]
fn widecoind_has_no_ipc_options() {
    let mut node = TestNode::start(common::options().arg("-ipcbind=unix").no_wait()).unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        node.stderr(),
        "Error: Error parsing command line arguments: Invalid parameter -ipcbind=unix\n"
    );
    assert!(!Path::new(&node.net_dir().join("node.sock")).exists());
}
