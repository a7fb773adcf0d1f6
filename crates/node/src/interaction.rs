//! Core's `InitParameterInteraction` (options that imply other options) and
//! the amount parsing of `AppInitParameterInteraction`.

use widecoin_common::args::ArgsManager;

fn soft_set(args: &mut ArgsManager, name: &str, value: bool, why: &str) {
    if args.soft_set_bool_arg(name, value) {
        tracing::info!(
            "InitParameterInteraction: parameter interaction: {why} -> setting {name}={}",
            u8::from(value)
        );
    }
}

/// Options that imply others, logged as Core logs them.
pub fn parameter_interaction(args: &mut ArgsManager) {
    if args.is_arg_set("-bind") {
        soft_set(args, "-listen", true, "-bind set");
    }
    if args.is_arg_set("-whitebind") {
        soft_set(args, "-listen", true, "-whitebind set");
    }
    if args.is_arg_set("-connect") || args.get_int_arg("-maxconnections", 125) <= 0 {
        soft_set(args, "-dnsseed", false, "-connect or -maxconnections=0 set");
        soft_set(args, "-listen", false, "-connect or -maxconnections=0 set");
    }
    let proxy = args.get_arg_or("-proxy", "");
    if !proxy.is_empty() && proxy != "0" {
        for name in ["-listen", "-upnp", "-natpmp", "-discover"] {
            soft_set(args, name, false, "-proxy set");
        }
    }
    if !args.get_bool_arg("-listen", true) {
        for name in [
            "-upnp",
            "-natpmp",
            "-discover",
            "-listenonion",
            "-i2pacceptincoming",
        ] {
            soft_set(args, name, false, "-listen=0");
        }
    }
    if args.is_arg_set("-externalip") {
        soft_set(args, "-discover", false, "-externalip set");
    }
    if args.get_bool_arg("-blocksonly", false) {
        soft_set(args, "-whitelistrelay", false, "-blocksonly=1");
        if args.soft_set_arg("-maxmempool", "5") {
            tracing::info!(
                "InitParameterInteraction: parameter interaction: -blocksonly=1 -> setting -maxmempool=5"
            );
        }
    }
    if args.get_bool_arg("-whitelistforcerelay", false) {
        soft_set(args, "-whitelistrelay", true, "-whitelistforcerelay=1");
    }
}

/// Core's `ParseMoney`: a decimal amount with at most 8 decimals, in satoshis.
pub fn parse_money(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('-') || t.starts_with('+') {
        return None;
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.len() > 10
        || frac.len() > 8
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (whole.is_empty() && frac.is_empty())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<8}").parse().ok()?;
    let sats = whole.checked_mul(100_000_000)?.checked_add(frac)?;
    (sats <= 35_000_000 * 100_000_000).then_some(sats)
}

/// An amount option (`-minrelaytxfee=0.00001`), with Core's `AmountErrMsg`.
pub fn parse_amount_arg(args: &ArgsManager, name: &str, default: i64) -> Result<i64, String> {
    match args.get_arg(name) {
        None => Ok(default),
        Some(v) => {
            parse_money(&v).ok_or_else(|| format!("Invalid amount for {name}=<amount>: '{v}'"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        assert_eq!(parse_money("0.00001"), Some(1000));
        assert_eq!(parse_money("1"), Some(100_000_000));
        assert_eq!(parse_money(".5"), Some(50_000_000));
        assert_eq!(parse_money("0.000000001"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money("-1"), None);
    }
}
