//! `widecoin-cli`: the command-line RPC client of Widecoin Core 6.0
//! (`src/widecoin-cli.cpp`, `src/rpc/client.cpp`).
//!
//! [`main_cli`] is the whole program. The pieces are public for tests and for
//! other front ends: [`convert`] turns words into JSON-RPC parameters,
//! [`univalue`] reads and writes JSON exactly as Core does, [`client`] talks
//! HTTP to the node, and [`command`] decides what is printed.

pub mod client;
pub mod command;
pub mod config;
pub mod convert;
pub mod convert_table;
mod echo_off;
pub mod error;
pub mod getinfo;
pub mod handlers;
pub mod http;
mod init;
pub mod netinfo;
pub mod univalue;

pub use init::main_cli;

#[cfg(test)]
mod fake_server_tests;
