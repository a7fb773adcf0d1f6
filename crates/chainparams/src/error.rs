//! Errors from reading `-signet*`, `-testactivationheight`, `-vbparams` and
//! `-fastprune` (Core's `ReadSigNetArgs` / `ReadRegTestArgs`, `src/chainparams.cpp`).
//! The texts are Core's; the node prints them as "Error: <text>".

/// An invalid signet or regtest option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainParamsError {
    #[error("-signetchallenge cannot be multiple values.")]
    SignetChallengeMultiple,
    #[error("-signetchallenge must be hex, not '{0}'.")]
    SignetChallengeNotHex(String),
    #[error("Invalid format ({0}) for -testactivationheight=name@height.")]
    ActivationHeightFormat(String),
    #[error("Invalid height value ({0}) for -testactivationheight=name@height.")]
    ActivationHeightValue(String),
    #[error("Invalid name ({0}) for -testactivationheight=name@height.")]
    ActivationHeightName(String),
    #[error(
        "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]"
    )]
    VbParamsMalformed,
    #[error("Invalid nStartTime ({0})")]
    VbParamsStartTime(String),
    #[error("Invalid nTimeout ({0})")]
    VbParamsTimeout(String),
    #[error("Invalid min_activation_height ({0})")]
    VbParamsMinActivationHeight(String),
    #[error("Invalid deployment ({0})")]
    VbParamsDeployment(String),
}

/// Core's `ParseInt32`/`ParseInt64`: an optional sign and decimal digits, nothing
/// else (no spaces); "+-1" is rejected.
pub(crate) fn parse_int<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.starts_with("+-") {
        return None;
    }
    s.parse().ok()
}

/// Core's `TryParseHex`: pairs of hex digits, with whitespace allowed between pairs.
pub(crate) fn try_parse_hex(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c') {
            continue;
        }
        let lo = chars.next()?;
        let hi = c.to_digit(16)?;
        let lo = lo.to_digit(16)?;
        out.push((hi << 4 | lo) as u8);
    }
    Some(out)
}
