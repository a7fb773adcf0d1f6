//! Genesis blocks, network identity, prefixes (widecoin-params.md §3.1, §3.2, §3.6).

use bitcoin::consensus::encode::serialize;

use crate::consensus::script_flags::SCRIPT_VERIFY_NONE;
use crate::consensus::{Bip9Deployment, DeploymentPos};
use crate::genesis::genesis_coinbase;
use crate::{Base58Type, ChainParams, ChainType};

const MERKLE_ROOT: &str = "1cbadb12d0d8056ff2318318d9a88c0270dbc8d90aa655e4f8c9cc8b7e2b326e";
const HEADER_PREFIX: &str = "01000000\
    0000000000000000000000000000000000000000000000000000000000000000\
    6e322b7e8bccc9f8e455a60ad9c8db70028ca8d9188331f26f05d8d012dbba1c";

fn params(chain: ChainType) -> ChainParams {
    ChainParams::new(chain)
}

#[test]
fn genesis_coinbase_hex() {
    let expected = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2604ffff001d01041e303031202d20497420697320616e20416d617a696e67205468696e67732effffffff0100f2052a0100000043410423b8bd9783e79e64a62e18cebf06bb4c89ddaf13b3152178ff259138ab3732e615ad1c4f8ccd5bb96f5e0b49da3953f1b518322f12127ddfd73cfdf3022180e8ac00000000";
    assert_eq!(hex::encode(serialize(&genesis_coinbase())), expected);
    let script_sig = &genesis_coinbase().input[0].script_sig;
    assert_eq!(
        hex::encode(script_sig.as_bytes()),
        "04ffff001d01041e303031202d20497420697320616e20416d617a696e67205468696e67732e"
    );
}

#[test]
fn genesis_hashes_and_merkle_roots() {
    let cases = [
        (
            ChainType::Main,
            "00000c1ed1d690f0c01dbd52589c9dafe1d5bb8be400e11dd59e48a985d93b6a",
        ),
        (
            ChainType::Testnet,
            "000008aad534f457cf11da13a6f3c90d34fe5c090595ae06d3e246cfb6222903",
        ),
        (
            ChainType::Signet,
            "000000d7658e3ea68546b40f5f7159b82ea954e2d61c88c59f3275976f40f3b1",
        ),
        (
            ChainType::Regtest,
            "7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7",
        ),
    ];
    for (chain, hash) in cases {
        let p = params(chain);
        assert_eq!(p.genesis_hash().to_string(), hash, "{chain}");
        assert_eq!(p.genesis_block().block_hash().to_string(), hash, "{chain}");
        assert_eq!(
            p.genesis_block().header.merkle_root.to_string(),
            MERKLE_ROOT
        );
        assert!(p.genesis_block().check_merkle_root());
        assert_eq!(
            p.genesis_block().txdata[0].output[0].value.to_sat(),
            50 * crate::consensus::COIN
        );
    }
}

#[test]
fn genesis_headers_serialize() {
    let cases = [
        (ChainType::Main, "38f15b60f0ff0f1e3caa1600"),
        (ChainType::Testnet, "94b45f60f0ff0f1ee0660200"),
        (ChainType::Signet, "a5b36a60ae77031efdc81900"),
        (ChainType::Regtest, "dae5494dffff7f2004000000"),
    ];
    for (chain, tail) in cases {
        let header = serialize(&params(chain).genesis_block().header);
        assert_eq!(header.len(), 80);
        assert_eq!(
            hex::encode(header),
            format!("{HEADER_PREFIX}{tail}"),
            "{chain}"
        );
    }
}

#[test]
fn network_identity() {
    let cases = [
        (ChainType::Main, "f8bfc3dc", 8553, "wc"),
        (ChainType::Testnet, "fec2b5db", 18553, "tw"),
        (ChainType::Signet, "0a03cf40", 38553, "tw"),
        (ChainType::Regtest, "fabfb5da", 18444, "wcrt"),
    ];
    for (chain, magic, port, hrp) in cases {
        let p = params(chain);
        assert_eq!(hex::encode(p.message_start()), magic, "{chain}");
        assert_eq!(p.default_port(), port, "{chain}");
        assert_eq!(p.bech32_hrp, hrp, "{chain}");
        assert_eq!(p.chain_type_string(), chain.as_str());
        assert_eq!(p.is_test_chain(), chain != ChainType::Main);
        assert!(p.require_standard());
    }
}

#[test]
fn base58_prefixes() {
    let cases = [
        (ChainType::Main, 73, 33, 153, "0488b21e", "0488ade4"),
        (ChainType::Testnet, 111, 65, 239, "043587cf", "04358394"),
        (ChainType::Signet, 111, 65, 239, "043587cf", "04358394"),
        (ChainType::Regtest, 111, 196, 239, "043587cf", "04358394"),
    ];
    for (chain, pubkey, script, secret, xpub, xprv) in cases {
        let p = params(chain);
        assert_eq!(p.base58_prefix(Base58Type::PubkeyAddress), [pubkey]);
        assert_eq!(p.base58_prefix(Base58Type::ScriptAddress), [script]);
        assert_eq!(p.base58_prefix(Base58Type::SecretKey), [secret]);
        assert_eq!(hex::encode(p.base58_prefix(Base58Type::ExtPublicKey)), xpub);
        assert_eq!(hex::encode(p.base58_prefix(Base58Type::ExtSecretKey)), xprv);
    }
}

#[test]
fn consensus_values() {
    let main = params(ChainType::Main);
    let c = main.consensus();
    assert_eq!(c.subsidy_halving_interval, 2_102_400);
    assert_eq!(c.bip34_height, 10_000);
    assert_eq!(
        c.bip34_hash.to_string(),
        "0000000000a0cd53ce693673c9cd2ea429f18578a9d6b1c48a67045afb017338"
    );
    // Note A: one effective exception, flags NONE.
    assert_eq!(c.script_flag_exceptions.len(), 1);
    assert_eq!(
        c.script_flag_exceptions.get(&c.bip34_hash),
        Some(&SCRIPT_VERIFY_NONE)
    );
    assert_eq!(c.difficulty_adjustment_interval(), 120);
    assert_eq!(c.pow_limit.to_compact_lossy().to_consensus(), 0x1e0f_ffff);
    assert_eq!(
        hex::encode(c.minimum_chain_work.to_be_bytes()),
        "0000000000000000000000000000000000000000000000a0a04a0abc10ce96cd"
    );
    let taproot = c.deployment(DeploymentPos::Taproot);
    assert_eq!(
        (
            taproot.bit,
            taproot.start_time,
            taproot.timeout,
            taproot.min_activation_height
        ),
        (2, 1_619_222_400, 1_628_640_000, 709_632)
    );
    assert_eq!(
        c.deployment(DeploymentPos::TestDummy).start_time,
        Bip9Deployment::NEVER_ACTIVE
    );
    assert_eq!(main.last_checkpoint_height(), 281_240);
    assert_eq!(main.fixed_seeds.len(), 14);
    assert_eq!(main.fixed_seeds[9].to_string(), "95.111.247.164:8554");
    assert_eq!(main.dns_seeds.len(), 5);
    assert_eq!(main.prune_after_height, 100_000);

    let test = params(ChainType::Testnet);
    assert_eq!(test.consensus.script_flag_exceptions.len(), 1);
    assert!(test.consensus.pow_allow_min_difficulty_blocks);
    assert_eq!(test.fixed_seeds.len(), 2);
    assert_eq!(
        test.assumeutxo_for_height(2_500_000).unwrap().chain_tx,
        66_484_552
    );

    let signet = params(ChainType::Signet);
    assert!(signet.consensus.signet_blocks);
    assert_eq!(
        hex::encode(&signet.consensus.signet_challenge),
        crate::DEFAULT_SIGNET_CHALLENGE
    );
    assert_eq!(
        signet.consensus.pow_limit.to_compact_lossy().to_consensus(),
        0x1e03_77ae
    );
    assert!(signet.dns_seeds.is_empty());
    assert_eq!(signet.assumed_blockchain_size, 1);

    let regtest = params(ChainType::Regtest);
    assert_eq!(regtest.consensus.subsidy_halving_interval, 150);
    assert_eq!(regtest.consensus.rule_change_activation_threshold, 95);
    assert_eq!(regtest.consensus.miner_confirmation_window, 120);
    assert_eq!(
        regtest
            .consensus
            .deployment(DeploymentPos::Taproot)
            .start_time,
        Bip9Deployment::ALWAYS_ACTIVE
    );
    assert!(regtest.default_consistency_checks && regtest.is_mockable_chain);
    assert!(regtest.mine_blocks_on_demand());
    assert_eq!(regtest.prune_after_height, 1000);
    assert_eq!(regtest.assumeutxo_data.len(), 2);
    assert!(regtest.dns_seeds.is_empty());
}
