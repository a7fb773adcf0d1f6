# WalletLoader: the node's handle on a wallet module (Core's
# interfaces::WalletLoader, a ChainClient), served by the wallet process.
#
# STABILITY: ordinals (@N) are a published wire protocol: never renumber,
# retype or remove a field or method; only add new ones with higher ordinals.

@0x8232de3725ed2271;

using Common = import "common.capnp";

interface WalletLoader {
  registerRpcs @0 () -> (error :Common.RemoteError);
  start @1 () -> (error :Common.RemoteError);
  stop @2 () -> (error :Common.RemoteError);
}
