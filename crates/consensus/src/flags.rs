//! Script verification flags (`SCRIPT_VERIFY_*` of Widecoin Core's `script/interpreter.h`) and the
//! policy flag sets of `policy/policy.h`.

use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not};

/// A set of `SCRIPT_VERIFY_*` bits. The bit values are Widecoin Core's, so a value can cross into
/// libconsensus or be printed as Core prints it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ScriptFlags(u32);

macro_rules! script_flags {
    ($($(#[$doc:meta])* $name:ident = $bit:expr;)*) => {
        impl ScriptFlags {
            $($(#[$doc])* pub const $name: ScriptFlags = ScriptFlags(1 << $bit);)*

            /// Every named flag with its name as used in Core's test vectors, in bit order.
            pub const NAMED: &'static [(&'static str, ScriptFlags)] = &[$((stringify!($name), ScriptFlags::$name)),*];
        }
    };
}

script_flags! {
    /// BIP16: evaluate P2SH subscripts.
    P2SH = 0;
    /// Strict signature and public key encoding (and defined hash types).
    STRICTENC = 1;
    /// BIP66: strict DER signatures.
    DERSIG = 2;
    /// Low S values in ECDSA signatures (BIP146).
    LOW_S = 3;
    /// BIP147: the CHECKMULTISIG dummy must be empty.
    NULLDUMMY = 4;
    /// scriptSig must be push-only.
    SIGPUSHONLY = 5;
    /// Pushes and numbers must be minimally encoded.
    MINIMALDATA = 6;
    /// Reject upgradable NOPs (NOP1, NOP4-NOP10).
    DISCOURAGE_UPGRADABLE_NOPS = 7;
    /// Exactly one stack element must remain.
    CLEANSTACK = 8;
    /// BIP65: OP_CHECKLOCKTIMEVERIFY.
    CHECKLOCKTIMEVERIFY = 9;
    /// BIP112: OP_CHECKSEQUENCEVERIFY.
    CHECKSEQUENCEVERIFY = 10;
    /// BIP141: segregated witness.
    WITNESS = 11;
    /// Reject unknown witness versions.
    DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM = 12;
    /// OP_IF/NOTIF arguments in witness v0 must be minimal.
    MINIMALIF = 13;
    /// Failed signature checks must have empty signatures (BIP146).
    NULLFAIL = 14;
    /// Only compressed public keys in witness v0.
    WITNESS_PUBKEYTYPE = 15;
    /// OP_CODESEPARATOR and FindAndDelete hits are rejected in legacy scripts.
    CONST_SCRIPTCODE = 16;
    /// BIP341/342: taproot and tapscript.
    TAPROOT = 17;
    /// Reject unknown taproot leaf versions.
    DISCOURAGE_UPGRADABLE_TAPROOT_VERSION = 18;
    /// Reject OP_SUCCESSx in tapscript.
    DISCOURAGE_OP_SUCCESS = 19;
    /// Reject unknown public key types in tapscript.
    DISCOURAGE_UPGRADABLE_PUBKEYTYPE = 20;
}

impl ScriptFlags {
    /// `SCRIPT_VERIFY_NONE`.
    pub const NONE: ScriptFlags = ScriptFlags(0);
    /// Every defined flag.
    pub const ALL: ScriptFlags = ScriptFlags((1 << 21) - 1);

    /// `MANDATORY_SCRIPT_VERIFY_FLAGS` (policy.h): failures under these are consensus failures.
    pub const MANDATORY: ScriptFlags = ScriptFlags(
        Self::P2SH.0
            | Self::DERSIG.0
            | Self::NULLDUMMY.0
            | Self::CHECKLOCKTIMEVERIFY.0
            | Self::CHECKSEQUENCEVERIFY.0
            | Self::WITNESS.0
            | Self::TAPROOT.0,
    );

    /// `STANDARD_SCRIPT_VERIFY_FLAGS` (policy.h): what the mempool enforces.
    pub const STANDARD: ScriptFlags = ScriptFlags(
        Self::MANDATORY.0
            | Self::STRICTENC.0
            | Self::MINIMALDATA.0
            | Self::DISCOURAGE_UPGRADABLE_NOPS.0
            | Self::CLEANSTACK.0
            | Self::MINIMALIF.0
            | Self::NULLFAIL.0
            | Self::LOW_S.0
            | Self::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM.0
            | Self::WITNESS_PUBKEYTYPE.0
            | Self::CONST_SCRIPTCODE.0
            | Self::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION.0
            | Self::DISCOURAGE_OP_SUCCESS.0
            | Self::DISCOURAGE_UPGRADABLE_PUBKEYTYPE.0,
    );

    /// `STANDARD_NOT_MANDATORY_VERIFY_FLAGS`.
    pub const STANDARD_NOT_MANDATORY: ScriptFlags =
        ScriptFlags(Self::STANDARD.0 & !Self::MANDATORY.0);

    /// The flags from their bit representation (unknown bits are kept, as Core keeps them).
    pub const fn from_bits(bits: u32) -> ScriptFlags {
        ScriptFlags(bits)
    }

    /// The bit representation.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: ScriptFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Looks a single flag up by Core's name (`"P2SH"`, `"WITNESS"`, ...).
    pub fn from_name(name: &str) -> Option<ScriptFlags> {
        Self::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// Parses the comma-separated form of the test vectors (`""` and `"NONE"` are no flags).
    pub fn parse(s: &str) -> Result<ScriptFlags, UnknownFlagError> {
        if s.is_empty() || s == "NONE" {
            return Ok(ScriptFlags::NONE);
        }
        s.split(',').try_fold(ScriptFlags::NONE, |acc, word| {
            Self::from_name(word)
                .map(|f| acc | f)
                .ok_or_else(|| UnknownFlagError(word.to_owned()))
        })
    }

    /// Whether Core's `VerifyScript` accepts this combination: CLEANSTACK needs WITNESS, and
    /// WITNESS needs P2SH (Core asserts this; see `IsValidFlagCombination`).
    pub const fn is_valid_combination(self) -> bool {
        if self.contains(Self::CLEANSTACK) && !self.contains(Self::WITNESS) {
            return false;
        }
        !self.contains(Self::WITNESS) || self.contains(Self::P2SH)
    }
}

/// A flag name that is not one of Core's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown verification flag '{0}'")]
pub struct UnknownFlagError(pub String);

impl fmt::Display for ScriptFlags {
    /// Comma-separated names in bit order, as the vector files write them; `NONE` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("NONE");
        }
        let mut first = true;
        for (name, flag) in Self::NAMED {
            if self.contains(*flag) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        let unknown = self.0 & !Self::ALL.0;
        if unknown != 0 {
            if !first {
                f.write_str(",")?;
            }
            write!(f, "{unknown:#x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScriptFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScriptFlags({self})")
    }
}

impl BitOr for ScriptFlags {
    type Output = ScriptFlags;
    fn bitor(self, rhs: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for ScriptFlags {
    fn bitor_assign(&mut self, rhs: ScriptFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for ScriptFlags {
    type Output = ScriptFlags;
    fn bitand(self, rhs: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 & rhs.0)
    }
}

impl BitAndAssign for ScriptFlags {
    fn bitand_assign(&mut self, rhs: ScriptFlags) {
        self.0 &= rhs.0;
    }
}

impl Not for ScriptFlags {
    type Output = ScriptFlags;
    /// Complement within the defined flags.
    fn not(self) -> ScriptFlags {
        ScriptFlags(!self.0 & Self::ALL.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let f = ScriptFlags::parse("P2SH,WITNESS,DISCOURAGE_OP_SUCCESS").unwrap();
        assert_eq!(f.bits(), 1 | (1 << 11) | (1 << 19));
        assert_eq!(f.to_string(), "P2SH,WITNESS,DISCOURAGE_OP_SUCCESS");
        assert_eq!(ScriptFlags::parse("NONE").unwrap(), ScriptFlags::NONE);
        assert_eq!(ScriptFlags::parse("").unwrap(), ScriptFlags::NONE);
        assert!(ScriptFlags::parse("P2SH,BOGUS").is_err());
    }

    #[test]
    fn policy_sets_match_core() {
        assert_eq!(ScriptFlags::MANDATORY.bits(), 0x20e15);
        assert_eq!(ScriptFlags::STANDARD.bits(), 0x1fffdf);
        assert_eq!(ScriptFlags::NAMED.len(), 21);
    }
}
