//! Version and licence texts (Widecoin Core's `src/clientversion.cpp`, and the
//! `-version`/`-help` output of `widecoind.cpp` and `widecoin-cli.cpp`).

use crate::args::ArgsManager;
use crate::help::format_paragraph;

/// `PACKAGE_NAME`.
pub const PACKAGE_NAME: &str = "Widecoin Core";
/// Name in the P2P user agent (`/WidecoinCore:6.0.0/`).
pub const CLIENT_NAME: &str = "WidecoinCore";
/// `CLIENT_VERSION`: major * 10000 + minor * 100 + build.
pub const CLIENT_VERSION: i32 = 60000;
/// `FormatFullVersion()` of a release build.
pub const CLIENT_VERSION_STRING: &str = "v6.0.0";
/// Last year of the copyright notice (`COPYRIGHT_YEAR`).
pub const COPYRIGHT_YEAR: i32 = 2024;

const URL_SOURCE_CODE: &str = "<https://github.com/widecoin-project/widecoin>";
const URL_WEBSITE: &str = "<https://widecoin.org>";

/// The build's version string (Core's `FormatFullVersion`).
pub fn format_full_version() -> String {
    CLIENT_VERSION_STRING.to_string()
}

/// `6.0.0` from 60000 (Core's `FormatVersion`).
pub fn format_version(version: i32) -> String {
    format!(
        "{}.{}.{}",
        version / 10000,
        (version / 100) % 100,
        version % 100
    )
}

/// The BIP 14 user agent, `/name:6.0.0(c1; c2)/` (Core's `FormatSubVersion`).
pub fn format_sub_version(name: &str, client_version: i32, comments: &[String]) -> String {
    let mut s = format!("/{name}:{}", format_version(client_version));
    if !comments.is_empty() {
        s += &format!("({})", comments.join("; "));
    }
    s.push('/');
    s
}

/// The copyright lines (Core's `CopyrightHolders`, as patched by Widecoin).
pub fn copyright_holders(prefix: &str) -> String {
    let year_prefix = prefix.replacen("2020", "2009", 1);
    format!("{prefix}The Widecoin Core developers\n{year_prefix}The Bitcoin Core developers")
}

/// The licence text printed by `-version` (Core's `LicenseInfo`), unwrapped.
pub fn license_info() -> String {
    format!(
        "{}\n\nPlease contribute if you find {PACKAGE_NAME} useful. Visit {URL_WEBSITE} for further information about the software.\n\
         The source code is available from {URL_SOURCE_CODE}.\n\n\
         This is experimental software.\n\
         Distributed under the MIT software license, see the accompanying file COPYING or <https://opensource.org/licenses/MIT>\n",
        copyright_holders(&format!("Copyright (C) 2020-{COPYRIGHT_YEAR} "))
    )
}

/// What `widecoind -version` prints.
pub fn widecoind_version_text() -> String {
    format!(
        "{PACKAGE_NAME} version {}\n{}",
        format_full_version(),
        format_paragraph(&license_info(), 79, 0)
    )
}

/// What `widecoind -help` prints (with debug options under `-help-debug`).
pub fn widecoind_help_text(args: &ArgsManager) -> String {
    format!(
        "{PACKAGE_NAME} version {}\n\nUsage:  widecoind [options]                     Start {PACKAGE_NAME}\n\n{}",
        format_full_version(),
        args.get_help_message()
    )
}

/// What `widecoin-cli -version` prints.
pub fn cli_version_text() -> String {
    format!(
        "{PACKAGE_NAME} RPC client version {}\n{}",
        format_full_version(),
        format_paragraph(&license_info(), 79, 0)
    )
}

/// What `widecoin-cli -help` (or no argument) prints.
pub fn cli_help_text(args: &ArgsManager) -> String {
    format!(
        "{PACKAGE_NAME} RPC client version {}\n\n\
         Usage:  widecoin-cli [options] <command> [params]  Send command to {PACKAGE_NAME}\n\
         or:     widecoin-cli [options] -named <command> [name=value]...  Send command to {PACKAGE_NAME} (with named arguments)\n\
         or:     widecoin-cli [options] help                List commands\n\
         or:     widecoin-cli [options] help <command>      Get help for a command\n\
         \n{}",
        format_full_version(),
        args.get_help_message()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(format_full_version(), "v6.0.0");
        assert_eq!(format_version(CLIENT_VERSION), "6.0.0");
        assert_eq!(
            format_sub_version(CLIENT_NAME, CLIENT_VERSION, &[]),
            "/WidecoinCore:6.0.0/"
        );
        assert_eq!(
            format_sub_version(CLIENT_NAME, CLIENT_VERSION, &["a".into(), "b".into()]),
            "/WidecoinCore:6.0.0(a; b)/"
        );
    }

    #[test]
    fn version_text_is_cores() {
        let expected = "Widecoin Core version v6.0.0\n\
Copyright (C) 2020-2024 The Widecoin Core developers\n\
Copyright (C) 2009-2024 The Bitcoin Core developers\n\
\n\
Please contribute if you find Widecoin Core useful. Visit\n\
<https://widecoin.org> for further information about the software.\n\
The source code is available from\n\
<https://github.com/widecoin-project/widecoin>.\n\
\n\
This is experimental software.\n\
Distributed under the MIT software license, see the accompanying file COPYING\n\
or <https://opensource.org/licenses/MIT>\n";
        assert_eq!(widecoind_version_text(), expected);
        assert!(
            cli_version_text().starts_with("Widecoin Core RPC client version v6.0.0\nCopyright")
        );
    }

    #[test]
    fn help_header() {
        let args = ArgsManager::new();
        assert_eq!(
            widecoind_help_text(&args),
            "Widecoin Core version v6.0.0\n\nUsage:  widecoind [options]                     Start Widecoin Core\n\n"
        );
    }
}
