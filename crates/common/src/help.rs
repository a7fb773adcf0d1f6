//! `-help` text (Core's `GetHelpMessage`, `HelpMessageGroup`, `HelpMessageOpt`
//! and `FormatParagraph`).

use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

const SCREEN_WIDTH: usize = 79;
const OPT_INDENT: usize = 2;
const MSG_INDENT: usize = 7;

/// Wraps `text` at `width` columns, indenting continuation lines by `indent`
/// (Core's `FormatParagraph`, byte for byte).
pub fn format_paragraph(text: &str, width: usize, indent: usize) -> String {
    assert!(width >= indent);
    let input = text.as_bytes();
    let len = input.len();
    let mut out: Vec<u8> = Vec::with_capacity(len + len / 8);
    let mut ptr = 0;
    let mut indented = 0;
    let is_break = |c: &u8| *c == b' ' || *c == b'\n';
    while ptr < len {
        let lineend = input[ptr..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(len, |p| p + ptr);
        let linelen = lineend - ptr;
        let rem_width = width - indented;
        if linelen <= rem_width {
            out.extend_from_slice(&input[ptr..(lineend + 1).min(len)]);
            ptr = lineend + 1;
            indented = 0;
        } else {
            let search_end = (ptr + rem_width).min(len - 1);
            let finalspace = match input[..=search_end].iter().rposition(is_break) {
                Some(f) if f >= ptr => f,
                _ => match input[ptr..].iter().position(is_break) {
                    // No place to break: take the whole word.
                    Some(p) => p + ptr,
                    None => {
                        out.extend_from_slice(&input[ptr..]);
                        break;
                    }
                },
            };
            out.extend_from_slice(&input[ptr..finalspace]);
            out.push(b'\n');
            if input[finalspace] == b'\n' {
                indented = 0;
            } else if indent > 0 {
                out.extend(std::iter::repeat_n(b' ', indent));
                indented = indent;
            }
            ptr = finalspace + 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A group heading of `-help` (Core's `HelpMessageGroup`).
pub fn help_message_group(message: &str) -> String {
    format!("{message}\n\n")
}

/// One option of `-help` (Core's `HelpMessageOpt`).
pub fn help_message_opt(option: &str, message: &str) -> String {
    format!(
        "{}{option}\n{}{}\n\n",
        " ".repeat(OPT_INDENT),
        " ".repeat(MSG_INDENT),
        format_paragraph(message, SCREEN_WIDTH - MSG_INDENT, MSG_INDENT)
    )
}

fn category_heading(cat: OptionsCategory, show_debug: bool) -> Option<&'static str> {
    Some(match cat {
        OptionsCategory::Options => "Options:",
        OptionsCategory::Connection => "Connection options:",
        OptionsCategory::Zmq => "ZeroMQ notification options:",
        OptionsCategory::DebugTest => "Debugging/Testing options:",
        OptionsCategory::NodeRelay => "Node relay options:",
        OptionsCategory::BlockCreation => "Block creation options:",
        OptionsCategory::Rpc => "RPC server options:",
        OptionsCategory::Wallet => "Wallet options:",
        OptionsCategory::WalletDebugTest if show_debug => "Wallet debugging/testing options:",
        OptionsCategory::ChainParams => "Chain selection options:",
        OptionsCategory::Gui => "UI Options:",
        OptionsCategory::Commands => "Commands:",
        OptionsCategory::RegisterCommands => "Register Commands:",
        OptionsCategory::Ipc => "IPC interprocess connection options:",
        OptionsCategory::WalletDebugTest | OptionsCategory::Hidden => return None,
    })
}

impl ArgsManager {
    /// The option list of `-help`; `show_debug` adds debug-only options
    /// (`-help-debug`).
    pub fn help_message(&self, show_debug: bool) -> String {
        let mut usage = String::new();
        for (cat, args) in &self.available_args {
            if let Some(heading) = category_heading(*cat, show_debug) {
                usage += &help_message_group(heading);
            }
            if *cat == OptionsCategory::Hidden {
                break;
            }
            for (name, arg) in args {
                if show_debug || !arg.flags.contains(ArgFlags::DEBUG_ONLY) {
                    usage +=
                        &help_message_opt(&format!("{name}{}", arg.help_param), &arg.help_text);
                }
            }
        }
        usage
    }

    /// [`Self::help_message`] with debug options when `-help-debug` was given
    /// (Core's `GetHelpMessage`).
    pub fn get_help_message(&self) -> String {
        self.help_message(self.get_bool_arg("-help-debug", false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_matches_core_vectors() {
        // Core's util_FormatParagraph cases.
        assert_eq!(format_paragraph("", 79, 0), "");
        assert_eq!(format_paragraph("test", 79, 0), "test");
        assert_eq!(format_paragraph(" test", 79, 0), " test");
        assert_eq!(format_paragraph("test test", 79, 0), "test test");
        assert_eq!(format_paragraph("test test", 4, 0), "test\ntest");
        assert_eq!(format_paragraph("testerde test", 4, 0), "testerde\ntest");
        assert_eq!(format_paragraph("test test", 4, 4), "test\n    test");
        assert_eq!(
            format_paragraph(
                "This_is_a_very_long_test_string_without_any_spaces_so_it_should_just_get_returned_as_is_despite_the_length until it gets here",
                79,
                0
            ),
            "This_is_a_very_long_test_string_without_any_spaces_so_it_should_just_get_returned_as_is_despite_the_length\nuntil it gets here"
        );
        assert_eq!(
            format_paragraph("a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de f g h i j k l m n o p", 79, 0),
            "a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de\nf g h i j k l m n o p"
        );
        assert_eq!(
            format_paragraph("x\na b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de f g h i j k l m n o p", 79, 0),
            "x\na b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de\nf g h i j k l m n o p"
        );
        assert_eq!(
            format_paragraph("x\na b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de f g h i j k l m n o p", 79, 4),
            "x\na b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de\n    f g h i j k l m n o p"
        );
        assert_eq!(
            format_paragraph("This is a very long test string. This is a second sentence in the very long test string.", 79, 0),
            "This is a very long test string. This is a second sentence in the very long\ntest string."
        );
        assert_eq!(
            format_paragraph("This is a very long test string.\nThis is a second sentence in the very long test string. This is a third sentence in the very long test string.", 79, 0),
            "This is a very long test string.\nThis is a second sentence in the very long test string. This is a third\nsentence in the very long test string."
        );
        assert_eq!(
            format_paragraph("This is a very long test string.\n\nThis is a second sentence in the very long test string. This is a third sentence in the very long test string.", 79, 0),
            "This is a very long test string.\n\nThis is a second sentence in the very long test string. This is a third\nsentence in the very long test string."
        );
        assert_eq!(
            format_paragraph(
                "Testing that normal newlines do not get indented.\nLike here.",
                79,
                0
            ),
            "Testing that normal newlines do not get indented.\nLike here."
        );
    }

    #[test]
    fn option_and_group_layout() {
        assert_eq!(help_message_group("Options:"), "Options:\n\n");
        assert_eq!(
            help_message_opt("-datadir=<dir>", "Specify data directory"),
            "  -datadir=<dir>\n       Specify data directory\n\n"
        );
        let long = help_message_opt(
            "-blocksdir=<dir>",
            "Specify directory to hold blocks subdirectory for *.dat files (default: <datadir>)",
        );
        assert_eq!(
            long,
            "  -blocksdir=<dir>\n       Specify directory to hold blocks subdirectory for *.dat files (default:\n       <datadir>)\n\n"
        );
    }

    #[test]
    fn help_groups_debug_and_hidden() {
        let mut args = ArgsManager::new();
        args.add_arg("-b", "B", ArgFlags::ALLOW_ANY, OptionsCategory::Connection);
        args.add_arg("-a=<n>", "A", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
        args.add_arg(
            "-dbg",
            "D",
            ArgFlags::ALLOW_ANY | ArgFlags::DEBUG_ONLY,
            OptionsCategory::Options,
        );
        args.add_arg(
            "-w",
            "W",
            ArgFlags::DEBUG_ONLY,
            OptionsCategory::WalletDebugTest,
        );
        args.add_hidden_args(&["-secret"]);
        assert_eq!(
            args.help_message(false),
            "Options:\n\n  -a=<n>\n       A\n\nConnection options:\n\n  -b\n       B\n\n"
        );
        let debug = args.help_message(true);
        assert!(debug.contains("  -dbg\n       D\n\n"));
        assert!(debug.contains("Wallet debugging/testing options:\n\n  -w\n"));
        assert!(!debug.contains("secret"));
    }
}
