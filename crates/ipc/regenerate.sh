#!/bin/sh
# Regenerates the Rust code for the Cap'n Proto schemas in schema/ into
# src/generated/ (or into the directory given as $1). The generated code is
# kept in the tree so that a build needs neither tool; run this after editing
# a schema, and commit both. Needs `capnp` (apt-get install capnproto) and the
# `capnpc-rust` plugin (cargo install capnpc) on PATH.
set -eu
cd "$(dirname "$0")"
out="${1:-src/generated}"
mkdir -p "$out"
capnp compile -orust:"$out" --src-prefix=schema schema/*.capnp
