//! The human-readable `-getinfo` summary (Core's `ParseGetInfoResult`,
//! `GetProgressBar` and `-color`).

use crate::error::CliError;
use crate::univalue::UniValue;

/// `CURRENCY_UNIT`.
pub const CURRENCY_UNIT: &str = "WCN";

/// Whether to add colour codes: `-color=always|never|auto`, where `auto` (and
/// no `-color`) means "when standard output is a terminal" (never on Windows).
pub fn should_colorize(color: Option<&str>, stdout_is_terminal: bool) -> Result<bool, CliError> {
    let auto = !cfg!(windows) && stdout_is_terminal;
    match color {
        None | Some("auto") => Ok(auto),
        Some("always") => Ok(true),
        Some("never") => Ok(false),
        Some(_) => Err(CliError::runtime(
            "Invalid value for -color option. Valid values: always, auto, never.",
        )),
    }
}

/// A bar of 5% steps: filled `▒` for `progress`, then `░` for the rest;
/// empty outside 0..=1.
pub fn progress_bar(progress: f64) -> String {
    const INCREMENT: f64 = 0.05;
    let mut bar = String::new();
    if !(0.0..=1.0).contains(&progress) {
        return bar;
    }
    let mut i = 0.0;
    while i < progress / INCREMENT {
        bar.push('\u{2592}');
        i += 1.0;
    }
    let mut i = 0.0;
    while i < (1.0 - progress) / INCREMENT {
        bar.push('\u{2591}');
        i += 1.0;
    }
    bar
}

struct Colors {
    reset: &'static str,
    green: &'static str,
    blue: &'static str,
    yellow: &'static str,
    magenta: &'static str,
    cyan: &'static str,
}

const NO_COLORS: Colors = Colors {
    reset: "",
    green: "",
    blue: "",
    yellow: "",
    magenta: "",
    cyan: "",
};

const ANSI_COLORS: Colors = Colors {
    reset: "\x1B[0m",
    green: "\x1B[32m",
    blue: "\x1B[34m",
    yellow: "\x1B[33m",
    magenta: "\x1B[35m",
    cyan: "\x1B[36m",
};

/// Renders the merged `-getinfo` object as text (no trailing newline).
pub fn format_getinfo(result: &UniValue, colorize: bool) -> Result<String, CliError> {
    let c = if colorize { &ANSI_COLORS } else { &NO_COLORS };
    let v = |key: &str| result.get(key).val_str().to_owned();
    let mut s = format!("{}Chain: {}{}\n", c.blue, v("chain"), c.reset);
    s += &format!("Blocks: {}\n", v("blocks"));
    s += &format!("Headers: {}\n", v("headers"));

    let progress = result.get("verificationprogress").get_real()?;
    let mut bar = String::new();
    // The bar only while less than 99% verified.
    if progress < 0.99 {
        bar = progress_bar(progress) + " ";
    }
    s += &format!("Verification progress: {bar}{:.4}%\n", progress * 100.0);
    s += &format!("Difficulty: {}\n\n", v("difficulty"));

    let conns = result.get("connections");
    s += &format!(
        "{}Network: in {}, out {}, total {}{}\n",
        c.green,
        conns.get("in").val_str(),
        conns.get("out").val_str(),
        conns.get("total").val_str(),
        c.reset
    );
    s += &format!("Version: {}\n", v("version"));
    s += &format!("Time offset (s): {}\n", v("timeoffset"));

    // Proxies in first-seen order, each with the networks that use it.
    let mut proxies: Vec<(String, Vec<String>)> = Vec::new();
    for network in result.get("networks").values()? {
        let proxy = network.get("proxy").val_str();
        if proxy.is_empty() {
            continue;
        }
        let name = network.get("name").val_str().to_owned();
        match proxies.iter_mut().find(|(p, _)| p == proxy) {
            Some((_, names)) => names.push(name),
            None => proxies.push((proxy.to_owned(), vec![name])),
        }
    }
    let proxies_text = if proxies.is_empty() {
        "n/a".to_owned()
    } else {
        let formatted: Vec<String> = proxies
            .iter()
            .map(|(p, names)| format!("{p} ({})", names.join(", ")))
            .collect();
        formatted.join(", ")
    };
    s += &format!("Proxies: {proxies_text}\n");
    s += &format!(
        "Min tx relay fee rate ({CURRENCY_UNIT}/kvB): {}\n\n",
        v("relayfee")
    );

    if !result.get("has_wallet").is_null() {
        let name = v("walletname");
        let name = if name.is_empty() {
            "\"\"".to_owned()
        } else {
            name
        };
        s += &format!("{}Wallet: {}{}\n", c.magenta, name, c.reset);
        s += &format!("Keypool size: {}\n", v("keypoolsize"));
        if !result.get("unlocked_until").is_null() {
            s += &format!("Unlocked until: {}\n", v("unlocked_until"));
        }
        s += &format!(
            "Transaction fee rate (-paytxfee) ({CURRENCY_UNIT}/kvB): {}\n\n",
            v("paytxfee")
        );
    }
    if !result.get("balance").is_null() {
        s += &format!("{}Balance:{} {}\n\n", c.cyan, c.reset, v("balance"));
    }
    let balances = result.get("balances");
    if !balances.is_null() {
        s += &format!("{}Balances{}\n", c.cyan, c.reset);
        let keys = balances.keys();
        let width = keys
            .iter()
            .map(|k| balances.get(k).val_str().len())
            .fold(10, usize::max);
        for wallet in keys {
            let shown = if wallet.is_empty() { "\"\"" } else { wallet };
            s += &format!("{:>width$} {}\n", balances.get(wallet).val_str(), shown);
        }
        s += "\n";
    }
    let warnings = v("warnings");
    let warnings = if warnings.is_empty() {
        "(none)".to_owned()
    } else {
        warnings
    };
    s += &format!("{}Warnings:{} {}", c.yellow, c.reset, warnings);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bar_steps() {
        assert_eq!(progress_bar(0.0).chars().count(), 20);
        assert_eq!(progress_bar(0.0).chars().filter(|&c| c == '▒').count(), 0);
        let bar = progress_bar(0.5);
        assert_eq!(bar.chars().filter(|&c| c == '▒').count(), 10);
        assert_eq!(bar.chars().filter(|&c| c == '░').count(), 10);
        // 0.52 -> 11 filled (10.4 rounds up), 10 empty (9.6 rounds up).
        let bar = progress_bar(0.52);
        assert_eq!(bar.chars().filter(|&c| c == '▒').count(), 11);
        assert_eq!(bar.chars().filter(|&c| c == '░').count(), 10);
        assert_eq!(progress_bar(1.5), "");
    }

    #[test]
    fn color_setting() {
        assert_eq!(should_colorize(Some("always"), false), Ok(true));
        assert_eq!(should_colorize(Some("never"), true), Ok(false));
        assert_eq!(should_colorize(None, false), Ok(false));
        assert_eq!(
            should_colorize(Some("foo"), false).unwrap_err().to_string(),
            "Invalid value for -color option. Valid values: always, auto, never."
        );
    }

    #[test]
    fn full_summary() {
        let r = UniValue::read(
            r#"{"version":60000,"blocks":200,"headers":200,"verificationprogress":1,
            "timeoffset":0,"connections":{"in":0,"out":1,"total":1},
            "networks":[{"name":"ipv4","proxy":"127.0.0.1:9050"},{"name":"ipv6","proxy":""},
                        {"name":"onion","proxy":"127.0.0.1:9050"}],
            "difficulty":4.656542373906925e-10,"chain":"regtest","has_wallet":true,
            "keypoolsize":1000,"walletname":"","paytxfee":0.00000000,
            "balance":25.00000000,"balances":{"":25.00000000,"w2":1234567.12345678},
            "relayfee":0.00001000,"warnings":""}"#,
        )
        .unwrap();
        let text = format_getinfo(&r, false).unwrap();
        let expected = "Chain: regtest\nBlocks: 200\nHeaders: 200\n\
            Verification progress: 100.0000%\nDifficulty: 4.656542373906925e-10\n\n\
            Network: in 0, out 1, total 1\nVersion: 60000\nTime offset (s): 0\n\
            Proxies: 127.0.0.1:9050 (ipv4, onion)\n\
            Min tx relay fee rate (WCN/kvB): 0.00001000\n\n\
            Wallet: \"\"\nKeypool size: 1000\n\
            Transaction fee rate (-paytxfee) (WCN/kvB): 0.00000000\n\n\
            Balance: 25.00000000\n\n\
            Balances\n     25.00000000 \"\"\n1234567.12345678 w2\n\n\
            Warnings: (none)";
        assert_eq!(text, expected);
        let colored = format_getinfo(&r, true).unwrap();
        assert!(colored.starts_with("\x1B[34mChain: regtest\x1B[0m\n"));
    }
}
