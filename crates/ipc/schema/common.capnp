# Types shared by every Widecoin IPC interface.
#
# STABILITY: these schemas are a wire protocol between separately started
# processes (widecoin-node, widecoin-wallet, widecoin-gui). Once published, a
# field's or method's ordinal (@N) and type never change and nothing is
# renumbered or removed; new fields and methods only get new, higher ordinals.

@0x854c0398e8d07e53;

# An application error that must cross the process boundary intact, e.g. a
# JSON-RPC error object answered by a wallet process on the node's behalf.
# Transport failures are not sent this way: they are Cap'n Proto exceptions.
struct RemoteError {
  code @0 :Int32;
  message @1 :Text;
}
