//! `Chain`, `Handler`, `RpcHandler` and `WalletLoader` over a socketpair
//! inside this process: a "node" connection serving a test `Chain` and a
//! "wallet" connection serving an `Init` whose wallet loader registers an RPC
//! method through `Chain::handle_rpc`. Covers the known trouble of a callback
//! during a call: the wallet's handler calls `Chain.getHeight` while the node
//! waits on that very handler.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use widecoin_interfaces::{
    Chain, Echo, Handler, Init, IpcError, LocalEcho, RpcArgDoc, RpcArgFallback, RpcCall,
    RpcCommandSpec, RpcError, RpcErrorCode, RpcHandlerRemote, RpcMethodDoc, RpcResultDoc,
    WalletLoader,
};
use widecoin_ipc::{Connection, InitClient, Role};

const PROMPTLY: Duration = Duration::from_secs(10);

/// Registered methods by name.
type Table = Arc<Mutex<HashMap<String, (RpcCommandSpec, Arc<dyn RpcHandlerRemote>)>>>;

/// The node's side: a chain of a fixed height and an RPC table of
/// registered remote handlers.
#[derive(Default)]
struct TestChain {
    table: Table,
    /// Threads that ran `get_height`.
    height_threads: Mutex<Vec<String>>,
}

struct TableEntry {
    table: Table,
    name: String,
}

impl Handler for TableEntry {
    fn disconnect(&self) -> Result<(), IpcError> {
        self.table.lock().unwrap().remove(&self.name);
        Ok(())
    }
}

impl Drop for TableEntry {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

impl Chain for TestChain {
    fn get_height(&self) -> Result<Option<u32>, IpcError> {
        let name = std::thread::current().name().unwrap_or("").to_string();
        self.height_threads.lock().unwrap().push(name);
        Ok(Some(7))
    }
    fn get_block_hash(&self, height: u32) -> Result<Option<[u8; 32]>, IpcError> {
        Ok((height <= 7).then_some([height as u8; 32]))
    }
    fn get_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        Ok((name == "-walletdir").then(|| "/tmp/wällets".to_string()))
    }
    fn handle_rpc(
        &self,
        command: RpcCommandSpec,
        handler: Arc<dyn RpcHandlerRemote>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        if command.doc.name == "refused" {
            return Err(RpcError::misc("refused by the node").into());
        }
        let name = command.doc.name.clone();
        self.table
            .lock()
            .unwrap()
            .insert(name.clone(), (command, handler));
        Ok(Box::new(TableEntry {
            table: self.table.clone(),
            name,
        }))
    }
}

impl TestChain {
    fn handler(&self, name: &str) -> Option<Arc<dyn RpcHandlerRemote>> {
        self.table.lock().unwrap().get(name).map(|(_, h)| h.clone())
    }
    fn spec(&self, name: &str) -> Option<RpcCommandSpec> {
        self.table.lock().unwrap().get(name).map(|(s, _)| s.clone())
    }
}

/// Documentation exercising every field and fallback.
fn doc(name: &str) -> RpcMethodDoc {
    let mut inner = RpcArgDoc {
        names: "key".into(),
        arg_type: "STR".into(),
        fallback: RpcArgFallback::DefaultHint("a hint ☃".into()),
        description: "an inner key".into(),
        inner: vec![],
        skip_type_check: true,
        oneline_description: "one line".into(),
        type_str: vec!["a".into(), "b".into()],
        hidden: true,
        also_positional: true,
    };
    let mut options = inner.clone();
    options.names = "options".into();
    options.arg_type = "OBJ_NAMED_PARAMS".into();
    options.fallback = RpcArgFallback::Default("{\"x\":1}".into());
    inner.fallback = RpcArgFallback::Omitted;
    options.inner = vec![inner];
    let required = RpcArgDoc {
        names: "height".into(),
        arg_type: "NUM".into(),
        fallback: RpcArgFallback::Required,
        description: "a height".into(),
        inner: vec![],
        skip_type_check: false,
        oneline_description: String::new(),
        type_str: vec![],
        hidden: false,
        also_positional: false,
    };
    let field = RpcResultDoc {
        cond: String::new(),
        result_type: "NUM".into(),
        key_name: "pid".into(),
        optional: true,
        skip_type_check: true,
        description: "the pid".into(),
        inner: vec![],
    };
    RpcMethodDoc {
        name: name.into(),
        description: "Test method.".into(),
        args: vec![required, options],
        results: vec![RpcResultDoc {
            cond: "always".into(),
            result_type: "OBJ".into(),
            key_name: String::new(),
            optional: false,
            skip_type_check: false,
            description: String::new(),
            inner: vec![field],
        }],
        examples: "> widecoin-cli test\n".into(),
    }
}

/// The wallet's RPC handler: asks the node for its height while the node
/// waits for the answer.
struct CallsBack {
    chain: Arc<dyn Chain>,
}

impl RpcHandlerRemote for CallsBack {
    fn call(&self, call: &RpcCall) -> Result<String, IpcError> {
        match call.params_json.as_str() {
            "[\"notfound\"]" => Err(RpcError::new(
                RpcErrorCode::WALLET_NOT_FOUND,
                format!("no wallet at {} ☃", call.uri),
            )
            .into()),
            _ => {
                let height = self.chain.get_height()?;
                let hash = self.chain.get_block_hash(2)?;
                let setting = self.chain.get_setting("-walletdir")?;
                Ok(format!(
                    "{{\"method\":\"{}\",\"height\":{},\"hash0\":{},\"setting\":{:?},\"last\":{}}}",
                    call.method,
                    height.unwrap(),
                    hash.unwrap()[0],
                    setting.unwrap(),
                    call.last_handler
                ))
            }
        }
    }
}

/// The wallet module: registers `walletprocessinfo` (and `refused`).
struct TestLoader {
    chain: Arc<dyn Chain>,
    handlers: Mutex<Vec<Box<dyn Handler>>>,
}

impl WalletLoader for TestLoader {
    fn register_rpcs(&self) -> Result<(), IpcError> {
        let handler: Arc<dyn RpcHandlerRemote> = Arc::new(CallsBack {
            chain: self.chain.clone(),
        });
        let h = self.chain.handle_rpc(
            RpcCommandSpec {
                category: "hidden".into(),
                doc: doc("walletprocessinfo"),
            },
            handler.clone(),
        )?;
        self.handlers.lock().unwrap().push(h);
        let refused = self.chain.handle_rpc(
            RpcCommandSpec {
                category: "wallet".into(),
                doc: doc("refused"),
            },
            handler,
        );
        assert_eq!(
            refused.err(),
            Some(RpcError::misc("refused by the node").into())
        );
        Ok(())
    }
    fn start(&self) -> Result<(), IpcError> {
        Ok(())
    }
    fn stop(&self) -> Result<(), IpcError> {
        self.handlers.lock().unwrap().clear();
        Ok(())
    }
}

struct WalletInit;

impl Init for WalletInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }
    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, IpcError> {
        Ok(Box::new(TestLoader {
            chain,
            handlers: Mutex::new(Vec::new()),
        }))
    }
}

/// The wallet's serving connection and the node's calling one.
fn pair() -> (Connection, InitClient) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let wallet = Connection::new(a, Role::Server, Some(Arc::new(WalletInit))).unwrap();
    let node = Connection::new(b, Role::Client, None).unwrap();
    (wallet, InitClient::new(node))
}

/// Runs `f` on a thread and fails the test if it does not finish promptly
/// (a deadlock fails instead of hanging).
fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(PROMPTLY).expect("finished (no deadlock)")
}

fn call(method: &str, params: &str) -> RpcCall {
    RpcCall {
        method: method.into(),
        params_json: params.into(),
        id_json: "1".into(),
        uri: "/wallet/w1".into(),
        auth_user: "user".into(),
        peer_addr: "127.0.0.1:1234".into(),
        last_handler: true,
    }
}

#[test]
fn a_wallet_registers_an_rpc_that_calls_back_into_the_chain() {
    let (_wallet, init) = pair();
    let chain = Arc::new(TestChain::default());
    let loader = init.make_wallet_loader(chain.clone()).unwrap();
    loader.register_rpcs().unwrap();
    loader.start().unwrap();

    // The documentation arrives intact.
    let spec = chain.spec("walletprocessinfo").expect("registered");
    assert_eq!(spec.category, "hidden");
    assert_eq!(spec.doc, doc("walletprocessinfo"));
    assert!(chain.spec("refused").is_none());

    // The node calls the wallet's handler, which calls the node's Chain
    // while the node waits on it: no deadlock, and the Chain ran on one of
    // the node's IPC workers.
    let handler = chain.handler("walletprocessinfo").unwrap();
    let answer = promptly(move || handler.call(&call("walletprocessinfo", "[]"))).unwrap();
    assert_eq!(
        answer,
        "{\"method\":\"walletprocessinfo\",\"height\":7,\"hash0\":2,\"setting\":\"/tmp/wällets\",\"last\":true}"
    );
    let threads = chain.height_threads.lock().unwrap().clone();
    assert!(
        threads.iter().all(|t| t.starts_with("ipc-worker.")),
        "{threads:?}"
    );

    // An RPC error object comes back intact.
    let handler = chain.handler("walletprocessinfo").unwrap();
    let e = handler
        .call(&call("walletprocessinfo", "[\"notfound\"]"))
        .unwrap_err();
    assert_eq!(
        e.into_rpc_error(),
        RpcError::new(RpcErrorCode::WALLET_NOT_FOUND, "no wallet at /wallet/w1 ☃")
    );

    // stop() drops the wallet's Handler: the node's registration goes.
    loader.stop().unwrap();
    assert!(test_utils_poll(|| chain
        .handler("walletprocessinfo")
        .is_none()));
}

#[test]
fn many_concurrent_calls_with_callbacks() {
    let (_wallet, init) = pair();
    let chain = Arc::new(TestChain::default());
    let loader = init.make_wallet_loader(chain.clone()).unwrap();
    loader.register_rpcs().unwrap();
    let handler = chain.handler("walletprocessinfo").unwrap();
    promptly(move || {
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let a = handler.call(&call("walletprocessinfo", "[]")).unwrap();
                        assert!(a.contains("\"height\":7"));
                    }
                });
            }
        });
    });
}

#[test]
fn the_wallet_going_away_unregisters_and_fails_calls_cleanly() {
    let (wallet, init) = pair();
    let chain = Arc::new(TestChain::default());
    let loader = init.make_wallet_loader(chain.clone()).unwrap();
    loader.register_rpcs().unwrap();
    let handler = chain.handler("walletprocessinfo").unwrap();
    wallet.close();
    init.connection().wait_closed();
    // A proxy still held answers Disconnected at once ...
    assert_eq!(
        handler.call(&call("walletprocessinfo", "[]")),
        Err(IpcError::Disconnected)
    );
    assert_eq!(loader.stop(), Err(IpcError::Disconnected));
    // ... and the node's registration was dropped with the connection.
    assert!(test_utils_poll(|| chain
        .handler("walletprocessinfo")
        .is_none()));
}

#[test]
fn an_init_without_a_wallet_refuses() {
    let (a, b) = UnixStream::pair().unwrap();
    let _server = Connection::new(
        a,
        Role::Server,
        Some(Arc::new(widecoin_interfaces::LocalInit)),
    )
    .unwrap();
    let init = InitClient::new(Connection::new(b, Role::Client, None).unwrap());
    let e = init
        .make_wallet_loader(Arc::new(TestChain::default()))
        .err()
        .unwrap();
    assert_eq!(e, RpcError::misc("This process has no wallet").into());
}

/// Waits (without a fixed sleep) until `f` holds, for up to 10 seconds.
fn test_utils_poll(mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + PROMPTLY;
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}
