# Chain: what a wallet needs from the node (Core's interfaces::Chain), the
# RPC handler a wallet registers with it, and the Handler a registration
# returns.
#
# STABILITY: ordinals (@N) are a published wire protocol: never renumber,
# retype or remove a field or method; only add new ones with higher ordinals.

@0xccd23dd89c2a23d4;

using Common = import "common.capnp";

# Core's interfaces::Handler: releasing the capability unregisters too.
interface Handler {
  disconnect @0 () -> (error :Common.RemoteError);
}

# One JSON-RPC call, forwarded by the node to the process that registered
# the method. `paramsJson` is the positional parameter array.
struct RpcCall {
  method @0 :Text;
  paramsJson @1 :Text;
  idJson @2 :Text;
  uri @3 :Text;
  authUser @4 :Text;
  peerAddr @5 :Text;
  lastHandler @6 :Bool;
}

# The actor of a registered RPC method, served by the registering process
# (a callback capability: the node calls it).
interface RpcHandler {
  # `resultJson` on success; `error` (a JSON-RPC error object) otherwise.
  call @0 (call :RpcCall) -> (resultJson :Text, error :Common.RemoteError);
}

# RPCArg: `argType` is Core's enum name (STR, NUM, OBJ_NAMED_PARAMS, ...).
struct RpcArgDoc {
  names @0 :Text;
  argType @1 :Text;
  fallback :union {
    required @2 :Void;
    omitted @3 :Void;
    defaultHint @4 :Text;
    defaultJson @5 :Text;
  }
  description @6 :Text;
  inner @7 :List(RpcArgDoc);
  skipTypeCheck @8 :Bool;
  onelineDescription @9 :Text;
  typeStr @10 :List(Text);
  hidden @11 :Bool;
  alsoPositional @12 :Bool;
}

# RPCResult: `resultType` is Core's enum name (OBJ, STR_AMOUNT, ...).
struct RpcResultDoc {
  cond @0 :Text;
  resultType @1 :Text;
  keyName @2 :Text;
  optional @3 :Bool;
  skipTypeCheck @4 :Bool;
  description @5 :Text;
  inner @6 :List(RpcResultDoc);
}

# CRPCCommand without its actor: the category and the method's documentation.
struct RpcCommand {
  category @0 :Text;
  name @1 :Text;
  description @2 :Text;
  args @3 :List(RpcArgDoc);
  results @4 :List(RpcResultDoc);
  examples @5 :Text;
}

interface Chain {
  # `hasHeight` false: no block at all.
  getHeight @0 () -> (height :UInt32, hasHeight :Bool, error :Common.RemoteError);
  # `hash` empty: no block at that height.
  getBlockHash @1 (height :UInt32) -> (hash :Data, error :Common.RemoteError);
  # `hasValue` false: unset.
  getSetting @2 (name :Text) -> (value :Text, hasValue :Bool, error :Common.RemoteError);
  handleRpc @3 (command :RpcCommand, handler :RpcHandler) -> (result :Handler, error :Common.RemoteError);
}
