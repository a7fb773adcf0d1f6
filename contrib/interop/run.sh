#!/usr/bin/env bash
# Interoperability check against a locally built Widecoin Core (never committed).
#
#   contrib/interop/run.sh CORE_BINDIR [OUR_BINDIR]
#
# CORE_BINDIR holds Widecoin Core's widecoind and widecoin-cli (built from the
# fetched widecoin-project/widecoin source, e.g. `./configure --disable-wallet
# --without-gui && make -C src widecoind widecoin-cli`); OUR_BINDIR defaults to
# target/debug. On regtest, on loopback, in a temporary folder it checks:
#   1. our node syncs a chain mined by Core (P2P, headers-first);
#   2. a transaction signed and sent on our node is relayed to Core's mempool,
#      mined by Core, and the block removes it from our mempool;
#   3. blocks mined by our node (with a spend) are accepted by Core, and a
#      fresh Core node syncs the whole chain from ours alone;
#   4. block files move both ways: Core's blk/rev files -reindexed by our node
#      and ours by Core give the same tip and the same UTXO set hash.
# Prints one line per check and exits non-zero on the first failure.
set -euo pipefail

CORE=${1:?usage: run.sh CORE_BINDIR [OUR_BINDIR]}
OURS=${2:-$(cd "$(dirname "$0")/../.." && pwd)/target/debug}
WORK=$(mktemp -d /tmp/wc-interop.XXXXXX)
BASE=${INTEROP_PORT_BASE:-30440}
trap 'for d in "$WORK"/*/; do [ -f "$d/regtest/widecoind.pid" ] && kill "$(cat "$d/regtest/widecoind.pid")" 2>/dev/null; done; true' EXIT

# node NAME BINDIR P2P_PORT RPC_PORT ARGS...
start() {
    local name=$1 bin=$2 port=$3 rpc=$4; shift 4
    mkdir -p "$WORK/$name"
    "$bin/widecoind" -regtest -datadir="$WORK/$name" -port="$port" -rpcport="$rpc" \
        -bind=127.0.0.1 -daemon "$@" >/dev/null
    cli_of "$name" "$bin" "$rpc" -rpcwait -rpcwaittimeout=60 getblockcount >/dev/null || fail "$name did not start"
}
cli_of() { local name=$1 bin=$2 rpc=$3; shift 3; "$bin/widecoin-cli" -regtest -datadir="$WORK/$name" -rpcport="$rpc" "$@"; }
core() { cli_of core "$CORE" $((BASE + 1)) "$@"; }
ours() { cli_of ours "$OURS" $((BASE + 3)) "$@"; }
core2() { cli_of core2 "$CORE" $((BASE + 5)) "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_for() { # wait_for SECONDS 'SHELL CODE' (evaluated again until it succeeds)
    local t=$1; shift
    for _ in $(seq 1 "$((t * 5))"); do eval "$1" && return 0; sleep 0.2; done
    return 1
}
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; exit 1; }

# Key 1 (compressed) and its P2WPKH address on regtest.
WIF=cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA
ANYONE='raw(51)#8lvh9jxk'

start core "$CORE" "$BASE" $((BASE + 1)) -listen=1
start ours "$OURS" $((BASE + 2)) $((BASE + 3)) -listen=1 -connect=127.0.0.1:"$BASE"
ADDR=$(ours deriveaddresses "$(ours getdescriptorinfo 'wpkh(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)' | json 'd["descriptor"]')" | json 'd[0]')
echo "Core: $("$CORE/widecoind" -version | head -1); ours: $("$OURS/widecoind" -version | head -1)"

# 1. Sync from Core.
core generatetodescriptor 150 "$ANYONE" >/dev/null
FUND=$(core generatetoaddress 1 "$ADDR" | json 'd[0]')
core generatetodescriptor 50 "$ANYONE" >/dev/null
TIP=$(core getbestblockhash)
wait_for 60 '[ "$(ours getbestblockhash 2>/dev/null)" = "$TIP" ]' || fail "our node did not sync Core's 201 blocks"
ok "our node synced 201 blocks mined by Core (tip $TIP)"

# 2. A transaction from our node to Core's mempool and back in a block.
spend() { # spend TXID AMOUNT_IN AMOUNT_OUT -> txid sent on our node
    local raw signed spk
    spk=$(ours gettxout "$1" 0 | json 'd["scriptPubKey"]["hex"]')
    raw=$(ours createrawtransaction "[{\"txid\":\"$1\",\"vout\":0}]" "{\"$ADDR\":$3}")
    signed=$(ours signrawtransactionwithkey "$raw" "[\"$WIF\"]" \
        "[{\"txid\":\"$1\",\"vout\":0,\"scriptPubKey\":\"$spk\",\"amount\":$2}]" | json 'd["hex"]')
    ours sendrawtransaction "$signed"
}
CB=$(ours getblock "$FUND" | json 'd["tx"][0]')
VALUE=$(ours gettxout "$CB" 0 | json 'd["value"]')
OUT=$(python3 -c "print('%.8f' % ($VALUE - 0.001))")
T1=$(spend "$CB" "$VALUE" "$OUT")
wait_for 60 'core getrawmempool | grep -q "$T1"' \
    || fail "transaction $T1 did not reach Core's mempool"
ok "transaction $T1 relayed from our node to Core's mempool"
core generatetodescriptor 1 "$ANYONE" >/dev/null
wait_for 60 '[ "$(ours getbestblockhash 2>/dev/null)" = "$(core getbestblockhash)" ]' || fail "block with $T1 not synced"
[ "$(ours getrawmempool | json 'len(d)')" = 0 ] || fail "our mempool still holds $T1"
ok "Core mined it; our node took the block and emptied its mempool"

# 3. Blocks mined by our node, with a spend, accepted by Core; a fresh Core syncs from us.
OUT2=$(python3 -c "print('%.8f' % ($OUT - 0.001))")
T2=$(spend "$T1" "$OUT" "$OUT2")
ours generatetoaddress 10 "$ADDR" >/dev/null
TIP=$(ours getbestblockhash)
wait_for 60 '[ "$(core getbestblockhash 2>/dev/null)" = "$TIP" ]' || fail "Core did not accept our 10 blocks"
core getblock "$(ours getblockhash 203)" | grep -q "$T2" || fail "Core's copy of block 203 lacks $T2"
ok "Core accepted 10 blocks mined by our node (one spends $T2)"
start core2 "$CORE" $((BASE + 4)) $((BASE + 5)) -connect=127.0.0.1:$((BASE + 2))
wait_for 60 '[ "$(core2 getbestblockhash 2>/dev/null)" = "$TIP" ]' || fail "a fresh Core node did not sync from ours"
ok "a fresh Core node synced all $(core2 getblockcount) blocks from our node alone"
HASH=$(ours gettxoutsetinfo | json 'd["hash_serialized_3"]')
[ "$(core2 gettxoutsetinfo | json 'd["hash_serialized_3"]')" = "$HASH" ] || fail "UTXO set hashes differ"
ok "same UTXO set hash on both: $HASH"

# 4. Block files both ways.
core2 stop >/dev/null; ours stop >/dev/null
wait_for 30 '[ ! -e "$WORK/core2/regtest/widecoind.pid" ]'
wait_for 30 '[ ! -e "$WORK/ours/regtest/widecoind.pid" ]'
mkdir -p "$WORK/ours-from-core/regtest/blocks" "$WORK/core-from-ours/regtest/blocks"
cp "$WORK"/core2/regtest/blocks/{blk,rev}*.dat "$WORK/ours-from-core/regtest/blocks/"
cp "$WORK"/ours/regtest/blocks/{blk,rev}*.dat "$WORK/core-from-ours/regtest/blocks/"
start ours-from-core "$OURS" $((BASE + 6)) $((BASE + 7)) -reindex
start core-from-ours "$CORE" $((BASE + 8)) $((BASE + 9)) -reindex
a() { cli_of ours-from-core "$OURS" $((BASE + 7)) "$@"; }
b() { cli_of core-from-ours "$CORE" $((BASE + 9)) "$@"; }
wait_for 60 '[ "$(a getbestblockhash 2>/dev/null)" = "$TIP" ]' || fail "our node could not -reindex Core's block files"
wait_for 60 '[ "$(b getbestblockhash 2>/dev/null)" = "$TIP" ]' || fail "Core could not -reindex our block files"
[ "$(a gettxoutsetinfo | json 'd["hash_serialized_3"]')" = "$HASH" ] || fail "UTXO hash after our reindex differs"
[ "$(b gettxoutsetinfo | json 'd["hash_serialized_3"]')" = "$HASH" ] || fail "UTXO hash after Core's reindex differs"
ok "Core's blk/rev files -reindexed by our node and ours by Core: same tip, same UTXO hash"
a stop >/dev/null; b stop >/dev/null
echo "all interop checks passed"
wait_for 30 '[ ! -e "$WORK/ours-from-core/regtest/widecoind.pid" ] && [ ! -e "$WORK/core-from-ours/regtest/widecoind.pid" ]'
rm -rf "$WORK"
