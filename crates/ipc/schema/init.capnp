# Init: the bootstrap capability every Widecoin process serves on a new
# connection. It hands out the other interfaces.
#
# STABILITY: ordinals (@N) are a published wire protocol: never renumber,
# retype or remove a field or method; only add new ones with higher ordinals.
# Planned next: makeNode, makeMining (ordinals are sequential, so each gets the
# next free one when it is added).

@0x968cc37e217da3a7;

using Common = import "common.capnp";
using Echo = import "echo.capnp";
using Chain = import "chain.capnp";
using Wallet = import "wallet.capnp";

interface Init {
  # `error` is set (and `result` null) when the implementation refused.
  makeEcho @0 () -> (result :Echo.Echo, error :Common.RemoteError);
  # A wallet module driven by the caller through `chain` (a capability the
  # caller serves).
  makeWalletLoader @1 (chain :Chain.Chain) -> (result :Wallet.WalletLoader, error :Common.RemoteError);
  # The node's Chain, for a wallet that connected (-ipcconnect).
  makeChain @2 () -> (result :Chain.Chain, error :Common.RemoteError);
}
