//! Keys, addresses, signed messages and output descriptors with Widecoin's
//! chain parameters (Core's `key_io.cpp`, `bech32.cpp`, `util/message.cpp`,
//! `script/descriptor.cpp` and the script helpers the `util` RPCs need).

pub mod address;
pub mod bech32;
pub mod descriptor;
pub mod key;
pub mod message;
pub mod script;
pub mod sign;

pub use address::{
    decode_destination, encode_destination, extract_destination, script_for_destination, solver,
    AddressError, Destination, TxoutType,
};
pub use key::{decode_secret, encode_secret, Secret};
pub use message::{message_hash, sign_message, verify_message, MessageVerificationResult};
