//! What every Widecoin process shares before it knows what it is: arguments and
//! configuration files, the data directory, settings.json, the directory lock,
//! the pid file, version and help texts, and the mockable clock.

pub mod args;
pub mod fs;
pub mod help;
pub mod init;
pub mod options;
pub mod settings;
pub mod time;
pub mod version;

pub use args::{help_requested, ArgFlags, ArgsManager, OptionsCategory};
