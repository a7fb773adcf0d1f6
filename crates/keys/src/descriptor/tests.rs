use super::*;
use widecoin_chainparams::{ChainParams, ChainType};

fn regtest() -> ChainParams {
    ChainParams::new(ChainType::Regtest)
}

const TPRV: &str = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
const TPUB: &str = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
const G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

fn addresses(desc: &str, pos: u32) -> Vec<String> {
    let p = regtest();
    let d = parse(desc, &p, false).unwrap();
    d.expand(pos)
        .unwrap()
        .iter()
        .filter_map(|s| crate::address::encode_script_address(s.as_bytes(), &p))
        .collect()
}

/// Addresses of Bitcoin Core's rpc_deriveaddresses.py, with the witness
/// programs re-encoded under `wcrt` by the test framework's own bech32 code.
#[test]
fn derives_the_functional_test_addresses() {
    let a0 = "wcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr6kh2f8";
    assert_eq!(addresses(&format!("wpkh({TPRV}/1/1/0)"), 0), [a0]);
    assert_eq!(addresses(&format!("wpkh({TPUB}/1/1/0)"), 0), [a0]);
    let ranged = format!("wpkh({TPRV}/1/1/*)");
    assert_eq!(
        addresses(&ranged, 1),
        ["wcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq7klcfh"]
    );
    assert_eq!(
        addresses(&ranged, 2),
        ["wcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv23hp7en"]
    );
    assert_eq!(
        addresses(&ranged, 2147483647),
        ["wcrt1qtzs23vgzpreks5gtygwxf8tv5rldxvvs02tljm"]
    );
    assert_eq!(
        addresses(&format!("combo({TPRV}/1/1/0)"), 0),
        [
            "mtfUoUax9L4tzXARpw1oTGxWyoogp52KhJ",
            a0,
            "2NDvEwGfpEqJWfybzpKPHF2XH3jwoQV3D7x"
        ]
    );
}

/// The key 1 (public key G) in every address type, computed with the test framework.
#[test]
fn key_one_in_every_type() {
    assert_eq!(
        addresses(&format!("pkh({G})"), 0),
        ["mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"]
    );
    assert_eq!(
        addresses(&format!("sh(wpkh({G}))"), 0),
        ["2NAUYAHhujozruyzpsFRP63mbrdaU5wnEpN"]
    );
    assert_eq!(
        addresses(&format!("wpkh({G})"), 0),
        ["wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu"]
    );
    assert_eq!(
        addresses(&format!("tr({G})"), 0),
        ["wcrt1pmfr3p9j00pfxjh0zmgp99y8zftmd3s5pmedqhyptwy6lm87hf5ssftghjj"]
    );
    let wif = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
    assert_eq!(
        addresses(&format!("wpkh({wif})"), 0),
        ["wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu"]
    );
    assert!(addresses(&format!("pk({G})"), 0).is_empty());
}

#[test]
fn canonical_strings_keep_the_hardened_marker() {
    let p = regtest();
    for desc in [
        format!("pkh({TPUB}/1h/2)"),
        format!("pkh([d34db33f/44'/0'/0']{TPUB}/1/*)"),
        format!("wsh(multi(1,{TPUB}/1/0/*,{TPUB}/0/0/*))"),
        format!("sh(wsh(pkh({G})))"),
        format!("tr({G},{{pk({G}),{{pk({G}),multi_a(1,{G})}}}})"),
        "addr(mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r)".to_string(),
        "raw(51)".to_string(),
    ] {
        let d = parse(&desc, &p, false).unwrap();
        assert_eq!(d.to_string(&p), add_checksum(&desc), "{desc}");
    }
    let with_priv = parse(&format!("pkh({TPRV}/1h/*h)"), &p, false).unwrap();
    assert_eq!(
        with_priv.to_string(&p),
        add_checksum(&format!("pkh({TPUB}/1h/*h)"))
    );
    assert!(with_priv.is_range() && !with_priv.provider.keys.is_empty());
    assert!(!parse("raw(51)", &p, false).unwrap().is_solvable());
}

#[test]
fn hardened_derivation_needs_the_private_key() {
    let p = regtest();
    let d = parse(&format!("wpkh({TPUB}/1'/1/0)"), &p, false).unwrap();
    assert!(d.expand(0).is_none());
    let d = parse(&format!("wpkh({TPRV}/1'/1/0)"), &p, false).unwrap();
    assert!(d.expand(0).is_some());
}

#[test]
fn parse_errors_are_cores() {
    let p = regtest();
    let err = |s: &str| parse(s, &p, false).unwrap_err();
    assert_eq!(err(""), "'' is not a valid descriptor function");
    assert_eq!(err("pk(xyz)"), "pk(): key 'xyz' is not valid");
    assert_eq!(err("sh(combo(02))"), "Can only have combo() at top level");
    assert_eq!(
        err("wsh(wpkh(02))"),
        "Can only have wpkh() at top level or inside sh()"
    );
    assert_eq!(err("sh(foo)"), "A function is needed within P2SH");
    assert_eq!(err("multi(0,02)"), "Multi: Pubkey '02' is invalid");
    assert_eq!(
        err(&format!("multi(0,{G})")),
        "Multisig threshold cannot be 0, must be at least 1"
    );
    assert_eq!(err(&format!("multi(2,{G})")), "Multisig threshold cannot be larger than the number of keys; threshold is 2 but only 1 keys specified");
    assert_eq!(
        err(&format!("pkh([d34db33]{G})")),
        "pkh(): Fingerprint is not 4 bytes (7 characters instead of 8 characters)"
    );
    assert_eq!(
        err(&format!("pkh({TPUB}/1/x)")),
        "pkh(): Key path value 'x' is not a valid uint32"
    );
    assert_eq!(
        err(&format!("pkh({TPUB}/2147483648)")),
        "pkh(): Key path value 2147483648 is out of range"
    );
    assert_eq!(
        err("addr(wc1qw508d6qejxtdg4y5r3zarvary0c5xw7khj32t6)"),
        "Address is not valid"
    );
    assert_eq!(err("raw(zz)"), "Raw script is not hex");
    assert_eq!(parse("pk(02)", &p, true).unwrap_err(), "Missing checksum");
}

#[test]
fn infers_descriptors_like_core() {
    let p = regtest();
    let none = InferProvider::default();
    let pk = hex::decode(G).unwrap();
    let p2pk = p2pk(&pk);
    assert_eq!(
        infer_descriptor(&p2pk, &none).to_string(&p),
        format!("pk({G})")
    );
    let ms = multisig_script(1, std::slice::from_ref(&pk));
    let mut known = InferProvider::default();
    known.add_script(&ms);
    let wsh = script_for_destination(&Destination::witness_script_hash(&ms));
    assert_eq!(
        infer_descriptor(wsh.as_bytes(), &known).to_string(&p),
        format!("wsh(multi(1,{G}))")
    );
    assert!(infer_descriptor(wsh.as_bytes(), &none)
        .to_string(&p)
        .starts_with("addr(wcrt1q"));
    assert_eq!(
        infer_descriptor(&[0x51, 0x51], &none).to_string(&p),
        "raw(5151)"
    );
}

#[test]
fn miniscript_in_wsh_and_tr() {
    let p = regtest();
    for desc in [
        format!("wsh(and_v(v:pk({G}),older(1)))"),
        format!("wsh(or_d(pk({TPUB}/0/*),and_v(v:pkh({G}),older(144))))"),
        format!("tr({G},and_v(v:pk({TPUB}/1/*),older(10)))"),
    ] {
        let d = parse(&desc, &p, false).unwrap();
        assert_eq!(d.to_string(&p), add_checksum(&desc), "{desc}");
        assert!(d.expand(3).is_some());
    }
    assert_eq!(
        parse(&format!("and_v(v:pk({G}),older(1))"), &p, false).unwrap_err(),
        "Miniscript expressions can only be used in wsh or tr."
    );
    assert!(parse("wsh(older(1))", &p, false)
        .unwrap_err()
        .ends_with("is not sane: witnesses without signature exist"));
}

/// Bitcoin Core's rpc_decodescript.py: a miniscript-compatible HTLC is inferred.
#[test]
fn infers_miniscript_under_p2wsh() {
    let p = regtest();
    let script = hex::decode("82012088a914ffffffffffffffffffffffffffffffffffffffff88210250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0ad51b2").unwrap();
    let mut known = InferProvider::default();
    known.add_script(&script);
    let wsh = script_for_destination(&Destination::witness_script_hash(&script));
    assert_eq!(
        add_checksum(&infer_descriptor(wsh.as_bytes(), &known).to_string(&p)),
        "wsh(and_v(and_v(v:hash160(ffffffffffffffffffffffffffffffffffffffff),v:pk(0250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)),older(1)))#gm8xz4fl"
    );
}

#[test]
fn inferred_keys_carry_their_origins() {
    let params = ChainParams::new(ChainType::Regtest);
    let d = parse(
        "combo(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/0h/0h/*)",
        &params,
        false,
    )
    .unwrap();
    let mut known = InferProvider::default();
    d.collect_known(0, &mut known);
    let scripts = d.expand(0).unwrap();
    // combo gives P2PK, P2PKH, P2WPKH, P2SH-P2WPKH; the P2PKH one:
    let inferred = infer_descriptor(scripts[1].as_bytes(), &known).to_string(&params);
    assert_eq!(
        add_checksum(&inferred),
        "pkh([0c5f9a1e/0h/0h/0]026dbd8b2315f296d36e6b6920b1579ca75569464875c7ebe869b536a7d9503c8c)#rthll0rg"
    );
    // Without origins, the bare key.
    let mut plain = known.clone();
    plain.origins.clear();
    assert_eq!(
        infer_descriptor(scripts[1].as_bytes(), &plain).to_string(&params),
        "pkh(026dbd8b2315f296d36e6b6920b1579ca75569464875c7ebe869b536a7d9503c8c)"
    );
}

/// Multipath descriptors (BIP389, Bitcoin Core v27): the canonical strings
/// of each expansion.
fn expansions(desc: &str) -> Result<Vec<String>, String> {
    let p = regtest();
    Ok(parse_multipath(desc, &p, false)?
        .iter()
        .map(|d| d.to_string(&p))
        .collect())
}

/// The canonical string of a single descriptor.
fn single(desc: &str) -> String {
    let p = regtest();
    parse(desc, &p, false).unwrap().to_string(&p)
}

#[test]
fn multipath_expands_into_the_single_descriptors() {
    let p = regtest();
    let multi = format!("wpkh({TPUB}/<0;1>/*)");
    let d0 = format!("wpkh({TPUB}/0/*)");
    let d1 = format!("wpkh({TPUB}/1/*)");
    assert_eq!(expansions(&multi).unwrap(), [single(&d0), single(&d1)]);
    let descs = parse_multipath(&multi, &p, false).unwrap();
    assert!(descs.iter().all(|d| d.is_range() && d.is_solvable()));
    for pos in [0, 1, 7] {
        assert_eq!(
            descs[0].expand(pos),
            parse(&d0, &p, false).unwrap().expand(pos)
        );
        assert_eq!(
            descs[1].expand(pos),
            parse(&d1, &p, false).unwrap().expand(pos)
        );
        assert_ne!(descs[0].expand(pos), descs[1].expand(pos));
    }
    // More than two values, in the order written, hardened ones with a private key.
    assert_eq!(
        expansions(&format!("pkh({TPUB}/2/<3;1;2>)")).unwrap(),
        [3, 1, 2].map(|i| single(&format!("pkh({TPUB}/2/{i})")))
    );
    let hard = parse_multipath(&format!("pkh({TPRV}/<0h;1'>/*)"), &p, false).unwrap();
    assert_eq!(hard.len(), 2);
    assert_eq!(
        hard[1].expand(5),
        parse(&format!("pkh({TPRV}/1h/*)"), &p, false)
            .unwrap()
            .expand(5)
    );
    // Origins stay on every expansion.
    assert_eq!(
        expansions(&format!("wpkh([deadbeef/84h/1h/0h]{TPUB}/<0;1>/*)")).unwrap(),
        [0, 1].map(|i| single(&format!("wpkh([deadbeef/84h/1h/0h]{TPUB}/{i}/*)")))
    );
}

#[test]
fn descriptors_without_a_group_parse_as_before() {
    let p = regtest();
    for desc in [
        format!("wpkh({TPUB}/1/*)"),
        format!("sh(multi(1,{G},{TPUB}/0))"),
        format!("combo({TPRV}/1/1/0)"),
        "raw(51)".to_string(),
    ] {
        let all = parse_multipath(&desc, &p, false).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].to_string(&p), single(&desc));
    }
    // The single-descriptor parser keeps Widecoin Core 6.0's answer.
    assert_eq!(
        parse(&format!("wpkh({TPUB}/<0;1>/*)"), &p, false).unwrap_err(),
        "wpkh(): Key path value '<0;1>' is not a valid uint32"
    );
    assert_eq!(
        parse(&format!("pkh([deadbeef/<0;1>]{TPUB}/0)"), &p, false).unwrap_err(),
        "pkh(): Key path value '<0;1>' is not a valid uint32"
    );
}

#[test]
fn multipath_checksums_cover_the_multipath_form() {
    let p = regtest();
    let multi = format!("wpkh({TPUB}/<0;1>/*)");
    let sum = get_descriptor_checksum(&multi);
    assert_eq!(sum.len(), 8);
    assert_ne!(sum, get_descriptor_checksum(&format!("wpkh({TPUB}/0/*)")));
    let with_sum = format!("{multi}#{sum}");
    assert_eq!(parse_multipath(&with_sum, &p, true).unwrap().len(), 2);
    assert_eq!(
        parse_multipath(&multi, &p, true).unwrap_err(),
        "Missing checksum"
    );
    let wrong = format!(
        "{multi}#{}",
        get_descriptor_checksum(&format!("wpkh({TPUB}/0/*)"))
    );
    assert!(parse_multipath(&wrong, &p, true)
        .unwrap_err()
        .starts_with("Provided checksum '"));
    // Each expansion carries the checksum of its own string.
    for d in parse_multipath(&with_sum, &p, true).unwrap() {
        let s = d.to_string(&p);
        let (body, c) = s.split_once('#').unwrap();
        assert_eq!(c, get_descriptor_checksum(body));
    }
}

#[test]
fn multipath_keys_line_up_across_a_descriptor() {
    // A key without a group is repeated in every expansion.
    assert_eq!(
        expansions(&format!("wsh(multi(1,{G},{TPUB}/<0;1>/*))")).unwrap(),
        [0, 1].map(|i| single(&format!("wsh(multi(1,{G},{TPUB}/{i}/*))")))
    );
    assert_eq!(
        expansions(&format!(
            "sh(sortedmulti(2,{TPUB}/0/<0;1>/*,{TPUB}/1/<2;3>/*))"
        ))
        .unwrap(),
        [(0, 2), (1, 3)]
            .map(|(a, b)| single(&format!("sh(sortedmulti(2,{TPUB}/0/{a}/*,{TPUB}/1/{b}/*))")))
    );
    assert_eq!(
        expansions(&format!(
            "tr({TPUB}/<0;1>/*,{{pk({G}),multi_a(1,{TPUB}/5/<6;7>)}})"
        ))
        .unwrap(),
        [(0, 6), (1, 7)].map(|(a, b)| single(&format!(
            "tr({TPUB}/{a}/*,{{pk({G}),multi_a(1,{TPUB}/5/{b})}})"
        )))
    );
    assert_eq!(
        expansions(&format!("tr({G},pk({TPUB}/<0;1;2>))")).unwrap(),
        [0, 1, 2].map(|i| single(&format!("tr({G},pk({TPUB}/{i}))")))
    );
    assert_eq!(
        expansions(&format!(
            "wsh(and_v(v:pk({TPUB}/<0;1>/*),pk({TPUB}/9/<1;0>/*)))"
        ))
        .unwrap(),
        [(0, 1), (1, 0)].map(|(a, b)| single(&format!(
            "wsh(and_v(v:pk({TPUB}/{a}/*),pk({TPUB}/9/{b}/*)))"
        )))
    );
    assert_eq!(
        expansions(&format!("tr({TPUB}/<0;1>/*)")).unwrap(),
        [0, 1].map(|i| single(&format!("tr({TPUB}/{i}/*)")))
    );
    assert_eq!(
        expansions(&format!("combo({TPUB}/<0;1>)")).unwrap(),
        [0, 1].map(|i| single(&format!("combo({TPUB}/{i})")))
    );
    assert_eq!(
        expansions(&format!("rawtr({TPUB}/<0;1>)")).unwrap(),
        [0, 1].map(|i| single(&format!("rawtr({TPUB}/{i})")))
    );
}

#[test]
fn multipath_errors_are_cores() {
    let err = |s: String| expansions(&s).unwrap_err();
    assert_eq!(
        err(format!("pkh({TPUB}/<0;1>/<2;3>)")),
        "pkh(): Multiple multipath key path specifiers found"
    );
    assert_eq!(
        err(format!("pkh([deadbeef/<0;1>]{TPUB}/0)")),
        "pkh(): Key path value '<0;1>' specifies multipath in a section where multipath is not allowed"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<1;1>/*)")),
        "wpkh(): Duplicated key path value 1 in multipath specifier"
    );
    // The value is the child number, hardened bit included, as Core prints it.
    assert_eq!(
        err(format!("wpkh({TPUB}/<1h;1'>/*)")),
        "wpkh(): Duplicated key path value 2147483649 in multipath specifier"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<0>/*)")),
        "wpkh(): Multipath key path specifiers must have at least two items"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<>/*)")),
        "wpkh(): Multipath key path specifiers must have at least two items"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<0;x>/*)")),
        "wpkh(): Key path value 'x' is not a valid uint32"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<0;>/*)")),
        "wpkh(): Key path value '' is not a valid uint32"
    );
    assert_eq!(
        err(format!("wpkh({TPUB}/<0;2147483648>/*)")),
        "wpkh(): Key path value 2147483648 is out of range"
    );
    assert_eq!(
        err(format!("wsh(multi(1,{TPUB}/<0;1>/*,{TPUB}/2/<0;1;2>/*))")),
        "multi(): Multipath derivation paths have mismatched lengths"
    );
    assert_eq!(
        err(format!(
            "tr({G},{{pk({TPUB}/<0;1>/*),pk({TPUB}/2/<0;1;2>/*)}})"
        )),
        "tr(): Multipath subscripts have mismatched lengths"
    );
    assert_eq!(
        err(format!("tr({TPUB}/<0;1>/*,pk({TPUB}/2/<0;1;2>/*))")),
        "tr(): Multipath internal key mismatches multipath subscripts lengths"
    );
    assert_eq!(
        err(format!(
            "wsh(and_v(v:pk({TPUB}/<0;1>/*),pk({TPUB}/2/<0;1;2>/*)))"
        )),
        "Miniscript: Multipath derivation paths have mismatched lengths"
    );
}
