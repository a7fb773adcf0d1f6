//! The chain type and the few parameters the argument parser, the RPC client and
//! the data directory need before full chain parameters exist (Core's
//! `CBaseChainParams`, `src/chainparamsbase.cpp`).

use std::fmt;
use std::str::FromStr;

/// One of Widecoin's networks (Core's `ChainType`, `src/util/chaintype.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChainType {
    Main,
    Testnet,
    Signet,
    Regtest,
}

/// A `-chain=` value that names no network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chain {0}")]
pub struct UnknownChainError(pub String);

impl ChainType {
    pub const ALL: [ChainType; 4] = [
        ChainType::Main,
        ChainType::Testnet,
        ChainType::Signet,
        ChainType::Regtest,
    ];

    /// The name used by `-chain=`, config sections and `getblockchaininfo`'s `chain`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainType::Main => "main",
            ChainType::Testnet => "test",
            ChainType::Signet => "signet",
            ChainType::Regtest => "regtest",
        }
    }

    /// The parameters every process needs before the full chain parameters.
    pub fn base_params(self) -> BaseParams {
        match self {
            ChainType::Main => BaseParams {
                data_dir: "",
                rpc_port: 8552,
                onion_service_target_port: 8554,
            },
            ChainType::Testnet => BaseParams {
                data_dir: "testnet3",
                rpc_port: 18552,
                onion_service_target_port: 18554,
            },
            ChainType::Signet => BaseParams {
                data_dir: "signet",
                rpc_port: 38552,
                onion_service_target_port: 38554,
            },
            ChainType::Regtest => BaseParams {
                data_dir: "regtest",
                rpc_port: 18443,
                onion_service_target_port: 18445,
            },
        }
    }
}

impl fmt::Display for ChainType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChainType {
    type Err = UnknownChainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "main" => Ok(ChainType::Main),
            "test" => Ok(ChainType::Testnet),
            "signet" => Ok(ChainType::Signet),
            "regtest" => Ok(ChainType::Regtest),
            other => Err(UnknownChainError(other.to_string())),
        }
    }
}

/// Core's `CBaseChainParams`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseParams {
    /// Sub-directory of the data directory ("" on main).
    pub data_dir: &'static str,
    pub rpc_port: u16,
    pub onion_service_target_port: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ChainType::ALL {
            assert_eq!(c.as_str().parse::<ChainType>().unwrap(), c);
        }
        assert!("testnet".parse::<ChainType>().is_err());
    }

    #[test]
    fn widecoin_ports_and_dirs() {
        assert_eq!(ChainType::Main.base_params().rpc_port, 8552);
        assert_eq!(ChainType::Testnet.base_params().data_dir, "testnet3");
        assert_eq!(ChainType::Signet.base_params().rpc_port, 38552);
        assert_eq!(ChainType::Regtest.base_params().rpc_port, 18443);
    }
}
