//! The `tracing` layer that turns events into Core log lines.
//!
//! How an event maps onto Core's logging macros (`src/logging.h`), where
//! `cat` is a `-debug` category name used as the event's `target`:
//!
//! | event | Core | filter | prefix |
//! |---|---|---|---|
//! | `trace!(target: "net", ..)` | `LogPrintLevel(NET, Trace)` | net enabled at trace | `[net:trace]` |
//! | `debug!(target: "net", ..)` | `LogPrint(NET)` | net enabled at debug | `[net]` |
//! | `debug!(target: "net", show_level = true, ..)` | `LogPrintLevel(NET, Debug)` | same | `[net:debug]` |
//! | `info!(target: "net", ..)` | `LogPrintfCategory(NET)` | none | `[net]` |
//! | `info!(target: "net", show_level = true, ..)` | `LogPrintLevel(NET, Info)` | net enabled at info | `[net:info]` |
//! | `warn!` / `error!(target: "net", ..)` | `LogPrintLevel(NET, Warning/Error)` | none | `[net:warning]` / `[net:error]` |
//! | `info!`/`warn!`/`error!` with another target | `LogPrintf` | none | none |
//! | `debug!`/`trace!` with another target | — | dropped | — |
//!
//! Fields other than the message and `show_level` are appended as ` name=value`.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::category::{LogCategory, LogFlags, LogLevel};
use crate::format::Source;
use crate::logger::LoggerHandle;

/// The name of the field that asks for Core's `LogPrintLevel` behaviour.
pub const SHOW_LEVEL_FIELD: &str = "show_level";

/// How one callsite is logged: its category, the level shown in its prefix,
/// and the level it is filtered at (`None`: unconditional).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Route {
    category: LogFlags,
    shown: Option<LogLevel>,
    filter: Option<LogLevel>,
}

fn route(meta: &Metadata<'_>) -> Option<Route> {
    let level = LogLevel::from_tracing(meta.level());
    let Some(cat) = LogCategory::from_name(meta.target()) else {
        return (level >= LogLevel::Info).then_some(Route {
            category: LogFlags::NONE,
            shown: None,
            filter: None,
        });
    };
    let show_level = meta.fields().field(SHOW_LEVEL_FIELD).is_some();
    let category = cat.flag();
    Some(match level {
        LogLevel::Debug if !show_level => Route {
            category,
            shown: None,
            filter: Some(LogLevel::Debug),
        },
        LogLevel::Info if !show_level => Route {
            category,
            shown: None,
            filter: None,
        },
        LogLevel::Warning | LogLevel::Error => Route {
            category,
            shown: Some(level),
            filter: None,
        },
        _ => Route {
            category,
            shown: Some(level),
            filter: Some(level),
        },
    })
}

/// A `tracing_subscriber` layer writing Core-format lines to a [`LoggerHandle`].
pub struct CoreLayer {
    handle: LoggerHandle,
}

impl CoreLayer {
    pub(crate) fn new(handle: LoggerHandle) -> CoreLayer {
        CoreLayer { handle }
    }

    fn accepts(&self, meta: &Metadata<'_>) -> bool {
        if !meta.is_event() || !self.handle.enabled() {
            return false;
        }
        match route(meta) {
            None => false,
            Some(Route { filter: None, .. }) => true,
            Some(Route {
                category,
                filter: Some(level),
                ..
            }) => self.handle.will_log(category, level),
        }
    }
}

impl<S: Subscriber> Layer<S> for CoreLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.is_event() && route(meta).is_some() {
            // Categories change at run time: ask `enabled` each time.
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.accepts(meta)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        // With several layers `enabled` may have been answered by another one.
        if !self.accepts(meta) {
            return;
        }
        let Some(route) = route(meta) else { return };
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let mut msg = visitor.message;
        msg.push_str(&visitor.fields);
        if !msg.ends_with('\n') {
            msg.push('\n');
        }
        let thread = std::thread::current();
        let source = Source {
            file: meta.file().unwrap_or("?"),
            line: meta.line().unwrap_or(0),
            function: meta.module_path().unwrap_or("?"),
            thread: thread.name(),
        };
        self.handle
            .log_str(&source, route.category, route.shown, &msg);
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            SHOW_LEVEL_FIELD => {}
            name => {
                let _ = write!(self.fields, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            SHOW_LEVEL_FIELD => {}
            name => {
                let _ = write!(self.fields, " {name}={value:?}");
            }
        }
    }
}
