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

# Which FoundBlock fields to fill (Core's FoundBlock setters).
struct FoundBlockRequest {
  hash @0 :Bool;
  height @1 :Bool;
  time @2 :Bool;
  maxTime @3 :Bool;
  mtpTime @4 :Bool;
  inActiveChain @5 :Bool;
  nextBlock @6 :Bool;
  data @7 :Bool;
}

# A found block: only the fields asked for are present. Hashes are empty
# when absent; the other fields have a presence flag.
struct FoundBlock {
  found @0 :Bool;
  hash @1 :Data;
  hasHeight @2 :Bool;
  height @3 :UInt32;
  hasTime @4 :Bool;
  time @5 :Int64;
  hasMaxTime @6 :Bool;
  maxTime @7 :Int64;
  hasMtpTime @8 :Bool;
  mtpTime @9 :Int64;
  hasInActiveChain @10 :Bool;
  inActiveChain @11 :Bool;
  nextBlock @12 :Data;
  hasData @13 :Bool;
  data @14 :Data;
}

struct OutPoint {
  txid @0 :Data;
  vout @1 :UInt32;
}

# `found` false: spent or unknown.
struct Coin {
  found @0 :Bool;
  value @1 :Int64;
  scriptPubKey @2 :Data;
  height @3 :UInt32;
  coinbase @4 :Bool;
}

struct TxAncestry {
  ancestors @0 :UInt64;
  descendants @1 :UInt64;
  ancestorSize @2 :UInt64;
  ancestorFees @3 :Int64;
}

enum RbfState {
  unknown @0;
  replaceableBip125 @1;
  final @2;
}

# Satoshis per 1000 virtual bytes.
struct PolicyFeeRates {
  mempoolMinFee @0 :Int64;
  relayMinFee @1 :Int64;
  relayIncrementalFee @2 :Int64;
  relayDustFee @3 :Int64;
}

# Core's interfaces::BlockInfo; `data` is the consensus-serialized block.
struct BlockInfo {
  hash @0 :Data;
  prevHash @1 :Data;
  height @2 :UInt32;
  data @3 :Data;
  chainTimeMax @4 :Int64;
}

# Core's Chain::Notifications, served by the client (a callback capability
# the node calls, in order, from its notification queue). `reason` is
# Core's RemovalReasonToString.
interface ChainNotifications {
  transactionAddedToMempool @0 (tx :Data, mempoolSequence :UInt64) -> (error :Common.RemoteError);
  transactionRemovedFromMempool @1 (tx :Data, reason :Text, mempoolSequence :UInt64) -> (error :Common.RemoteError);
  blockConnected @2 (block :BlockInfo) -> (error :Common.RemoteError);
  blockDisconnected @3 (block :BlockInfo) -> (error :Common.RemoteError);
  updatedBlockTip @4 () -> (error :Common.RemoteError);
  chainStateFlushed @5 (locator :List(Data)) -> (error :Common.RemoteError);
}

interface Chain {
  # `hasHeight` false: no block at all.
  getHeight @0 () -> (height :UInt32, hasHeight :Bool, error :Common.RemoteError);
  # `hash` empty: no block at that height.
  getBlockHash @1 (height :UInt32) -> (hash :Data, error :Common.RemoteError);
  # `hasValue` false: unset.
  getSetting @2 (name :Text) -> (value :Text, hasValue :Bool, error :Common.RemoteError);
  handleRpc @3 (command :RpcCommand, handler :RpcHandler) -> (result :Handler, error :Common.RemoteError);
  haveBlockOnDisk @4 (height :UInt32) -> (result :Bool, error :Common.RemoteError);
  findBlock @5 (hash :Data, want :FoundBlockRequest) -> (result :FoundBlock, error :Common.RemoteError);
  findFirstBlockWithTimeAndHeight @6 (minTime :Int64, minHeight :UInt32, want :FoundBlockRequest) -> (result :FoundBlock, error :Common.RemoteError);
  findAncestorByHeight @7 (hash :Data, ancestorHeight :UInt32, want :FoundBlockRequest) -> (result :FoundBlock, error :Common.RemoteError);
  findCoins @8 (outpoints :List(OutPoint)) -> (coins :List(Coin), error :Common.RemoteError);
  isInMempool @9 (txid :Data) -> (result :Bool, error :Common.RemoteError);
  hasDescendantsInMempool @10 (txid :Data) -> (result :Bool, error :Common.RemoteError);
  getTransactionAncestry @11 (txid :Data) -> (result :TxAncestry, error :Common.RemoteError);
  isRbfOptIn @12 (tx :Data) -> (result :RbfState, error :Common.RemoteError);
  checkChainLimits @13 (tx :Data) -> (error :Common.RemoteError);
  # `success` false: Core's broadcastTransaction returning false with `errString`.
  broadcastTransaction @14 (tx :Data, maxTxFee :Int64, relay :Bool) -> (success :Bool, errString :Text, error :Common.RemoteError);
  estimateSmartFee @15 (target :UInt32, conservative :Bool) -> (hasEstimate :Bool, feeRate :Int64, returnedTarget :UInt32, error :Common.RemoteError);
  policyFeeRates @16 () -> (result :PolicyFeeRates, error :Common.RemoteError);
  isInitialBlockDownload @17 () -> (result :Bool, error :Common.RemoteError);
  shutdownRequested @18 () -> (result :Bool, error :Common.RemoteError);
  # Settings values are JSON text.
  getSettingsList @19 (name :Text) -> (values :List(Text), error :Common.RemoteError);
  getRwSetting @20 (name :Text) -> (value :Text, hasValue :Bool, error :Common.RemoteError);
  # `hasValue` false removes the setting.
  updateRwSetting @21 (name :Text, value :Text, hasValue :Bool) -> (result :Bool, error :Common.RemoteError);
  handleNotifications @22 (notifications :ChainNotifications) -> (result :Handler, error :Common.RemoteError);
  waitForNotificationsIfTipChanged @23 (oldTip :Data) -> (error :Common.RemoteError);
}
