//! What every Widecoin process shares before it knows what it is: arguments and
//! configuration files, the data directory, settings.json, the directory lock,
//! the pid file, version and help texts, and the mockable clock.

pub mod time;
