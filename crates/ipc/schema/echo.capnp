# Echo: the smallest interface, used by the `echoipc` RPC and by tests.
#
# STABILITY: ordinals (@N) are a published wire protocol: never renumber,
# retype or remove a field or method; only add new ones with higher ordinals.

@0xb2c9bb6c37f9cbe3;

using Common = import "common.capnp";

interface Echo {
  # Returns `text` unchanged. `error` is set (and `result` empty) when the
  # implementation failed with an application error.
  echo @0 (text :Text) -> (result :Text, error :Common.RemoteError);
}
