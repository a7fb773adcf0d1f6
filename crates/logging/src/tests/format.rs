//! Line format (Core's `LogPrintStr` and `LogTimestampStr`).

use crate::{
    format_iso8601_datetime, format_line, FormatOptions, LogCategory, LogFlags, LogLevel, Source,
    Stamp,
};

const PLAIN: FormatOptions = FormatOptions {
    log_timestamps: false,
    log_time_micros: false,
    log_thread_names: false,
    log_source_locations: false,
};

fn source() -> Source<'static> {
    Source {
        file: "./crates/net/src/lib.rs",
        line: 42,
        function: "widecoin_net::conn",
        thread: Some("net"),
    }
}

const STAMP: Stamp = Stamp {
    now_micros: 1_714_566_896_123_456,
    mock_time: 0,
};

#[test]
fn iso8601() {
    assert_eq!(format_iso8601_datetime(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        format_iso8601_datetime(1_714_566_896),
        "2024-05-01T12:34:56Z"
    );
    assert_eq!(format_iso8601_datetime(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(
        format_iso8601_datetime(1_296_688_602),
        "2011-02-02T23:16:42Z"
    );
}

#[test]
fn prefixes() {
    let net = LogCategory::Net.flag();
    let line = |cat, level| format_line(&PLAIN, STAMP, &source(), cat, level, "hello\n");
    assert_eq!(line(LogFlags::NONE, None), "hello\n");
    assert_eq!(line(net, None), "[net] hello\n");
    assert_eq!(line(net, Some(LogLevel::Debug)), "[net:debug] hello\n");
    assert_eq!(line(net, Some(LogLevel::Warning)), "[net:warning] hello\n");
    assert_eq!(
        line(LogFlags::NONE, Some(LogLevel::Error)),
        "[error] hello\n"
    );
}

#[test]
fn options() {
    let net = LogCategory::Net.flag();
    let opts = FormatOptions {
        log_timestamps: true,
        ..PLAIN
    };
    assert_eq!(
        format_line(&opts, STAMP, &source(), net, None, "m\n"),
        "2024-05-01T12:34:56Z [net] m\n"
    );
    let opts = FormatOptions {
        log_timestamps: true,
        log_time_micros: true,
        ..PLAIN
    };
    assert_eq!(
        format_line(&opts, STAMP, &source(), LogFlags::NONE, None, "m\n"),
        "2024-05-01T12:34:56.123456Z m\n"
    );
    let mock = Stamp {
        mock_time: 1_296_688_602,
        ..STAMP
    };
    assert_eq!(
        format_line(&opts, mock, &source(), LogFlags::NONE, None, "m\n"),
        "2024-05-01T12:34:56.123456Z (mocktime: 2011-02-02T23:16:42Z) m\n"
    );
    let opts = FormatOptions {
        log_thread_names: true,
        ..PLAIN
    };
    assert_eq!(
        format_line(&opts, STAMP, &source(), net, None, "m\n"),
        "[net] [net] m\n"
    );
    let unnamed = Source {
        thread: None,
        ..source()
    };
    assert_eq!(
        format_line(&opts, STAMP, &unnamed, LogFlags::NONE, None, "m\n"),
        "[unknown] m\n"
    );
    let all = FormatOptions {
        log_timestamps: true,
        log_time_micros: false,
        log_thread_names: true,
        log_source_locations: true,
    };
    assert_eq!(
        format_line(&all, STAMP, &source(), net, Some(LogLevel::Info), "m\n"),
        "2024-05-01T12:34:56Z [net] [crates/net/src/lib.rs:42] [widecoin_net::conn] [net:info] m\n"
    );
}

#[test]
fn control_characters_are_escaped() {
    assert_eq!(
        format_line(
            &PLAIN,
            STAMP,
            &source(),
            LogFlags::NONE,
            None,
            "a\tb\x1b[0m\x7fé\n"
        ),
        "a\\x09b\\x1b[0m\\x7fé\n"
    );
}
