//! Signet and regtest options (Core's `ReadSigNetArgs` / `ReadRegTestArgs`).

use crate::consensus::{BuriedDeployment, DeploymentPos};
use crate::{
    signet_message_start, ChainParams, ChainParamsError, RegtestOptions, SignetOptions,
    DEFAULT_SIGNET_CHALLENGE,
};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn signet_magic_derivation() {
    let challenge = hex::decode(DEFAULT_SIGNET_CHALLENGE).unwrap();
    assert_eq!(hex::encode(signet_message_start(&challenge)), "0a03cf40");
}

#[test]
fn custom_signet_challenge_and_seeds() {
    let opts = SignetOptions::from_args(Some(strings(&["1.2.3.4:38553"])), Some(strings(&["51"])))
        .unwrap();
    let p = ChainParams::signet(&opts);
    assert_eq!(p.consensus.signet_challenge, vec![0x51]);
    assert_eq!(p.message_start(), signet_message_start(&[0x51]));
    assert_ne!(hex::encode(p.message_start()), "0a03cf40");
    assert_eq!(p.dns_seeds, strings(&["1.2.3.4:38553"]));
    assert_eq!(p.assumed_blockchain_size, 0);
    assert_eq!(p.chain_tx_data.time, 0);
    // The genesis block does not depend on the challenge.
    assert_eq!(
        p.genesis_hash().to_string(),
        "000000d7658e3ea68546b40f5f7159b82ea954e2d61c88c59f3275976f40f3b1"
    );
}

#[test]
fn signet_challenge_errors() {
    assert_eq!(
        SignetOptions::from_args(None, Some(strings(&["51", "52"])))
            .unwrap_err()
            .to_string(),
        "-signetchallenge cannot be multiple values."
    );
    assert_eq!(
        SignetOptions::from_args(None, Some(strings(&["5g"])))
            .unwrap_err()
            .to_string(),
        "-signetchallenge must be hex, not '5g'."
    );
    assert!(SignetOptions::from_args(None, Some(strings(&["515"]))).is_err());
    assert_eq!(
        SignetOptions::from_args(None, Some(strings(&[" 51 52"])))
            .unwrap()
            .challenge,
        Some(vec![0x51, 0x52])
    );
}

#[test]
fn regtest_options() {
    let opts = RegtestOptions::from_args(
        Some(true),
        &strings(&["segwit@10", "bip34@2", "dersig@3", "cltv@4", "csv@5"]),
        &strings(&["testdummy:1:2", "taproot:-2:+3:7"]),
    )
    .unwrap();
    assert_eq!(opts.activation_heights[&BuriedDeployment::DerSig], 3);
    let p = ChainParams::regtest(&opts);
    let c = p.consensus();
    assert_eq!(
        (
            c.segwit_height,
            c.bip34_height,
            c.bip66_height,
            c.bip65_height,
            c.csv_height
        ),
        (10, 2, 3, 4, 5)
    );
    let dummy = c.deployment(DeploymentPos::TestDummy);
    assert_eq!(
        (dummy.start_time, dummy.timeout, dummy.min_activation_height),
        (1, 2, 0)
    );
    let taproot = c.deployment(DeploymentPos::Taproot);
    assert_eq!(
        (
            taproot.start_time,
            taproot.timeout,
            taproot.min_activation_height
        ),
        (-2, 3, 7)
    );
    assert_eq!(p.prune_after_height, 100);
}

#[test]
fn regtest_option_errors() {
    let err = |tah: &[&str], vb: &[&str]| {
        RegtestOptions::from_args(None, &strings(tah), &strings(vb)).unwrap_err()
    };
    assert_eq!(
        err(&["segwit"], &[]).to_string(),
        "Invalid format (segwit) for -testactivationheight=name@height."
    );
    assert_eq!(
        err(&["segwit@-1"], &[]).to_string(),
        "Invalid height value (segwit@-1) for -testactivationheight=name@height."
    );
    assert_eq!(
        err(&["segwit@2147483647"], &[]),
        ChainParamsError::ActivationHeightValue("segwit@2147483647".into())
    );
    assert_eq!(
        err(&["bip65@1"], &[]).to_string(),
        "Invalid name (bip65@1) for -testactivationheight=name@height."
    );
    assert_eq!(
        err(&[], &["taproot:1"]).to_string(),
        "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]"
    );
    assert_eq!(
        err(&[], &["taproot:x:1"]).to_string(),
        "Invalid nStartTime (x)"
    );
    assert_eq!(
        err(&[], &["taproot:1: 2"]).to_string(),
        "Invalid nTimeout ( 2)"
    );
    assert_eq!(
        err(&[], &["taproot:1:2:+-3"]).to_string(),
        "Invalid min_activation_height (+-3)"
    );
    assert_eq!(
        err(&[], &["segwit:1:2"]).to_string(),
        "Invalid deployment (segwit)"
    );
    assert_eq!(
        RegtestOptions::from_args(None, &[], &[]).unwrap(),
        RegtestOptions::default()
    );
}
