mod config;
mod format;
mod output;
