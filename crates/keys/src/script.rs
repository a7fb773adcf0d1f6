//! Script text for RPC results (Core's `ScriptToAsmStr`).

use widecoin_consensus::ecdsa::{is_defined_hashtype_signature, is_valid_signature_encoding};
use widecoin_consensus::opcodes::{self, OP_1, OP_16, OP_1NEGATE, OP_PUSHDATA4, OP_RETURN};
use widecoin_consensus::script::read_op;
use widecoin_consensus::script_num::decode_num;

/// Core's `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;

/// Core's `CScript::IsUnspendable`.
pub fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// Core's `MAX_SCRIPT_ELEMENT_SIZE`.
pub const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;

pub use widecoin_consensus::opcodes::OP_CHECKSIGADD;

/// Core's `CScript::HasValidOps`: every instruction parses, is at most
/// OP_NOP10 and pushes at most 520 bytes.
pub fn has_valid_ops(script: &[u8]) -> bool {
    let mut pc = 0;
    while pc < script.len() {
        match read_op(script, &mut pc) {
            Some(ins)
                if ins.opcode <= opcodes::OP_NOP10 && ins.data.len() <= MAX_SCRIPT_ELEMENT_SIZE => {
            }
            _ => return false,
        }
    }
    true
}

/// The opcodes of a script, up to the first bad push.
pub fn opcodes_of(script: &[u8]) -> impl Iterator<Item = u8> + '_ {
    widecoin_consensus::script::instructions(script).map(|i| i.opcode)
}

/// Core's `IsOpSuccess` (BIP342).
pub fn is_op_success(op: u8) -> bool {
    matches!(op, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

/// Core's `GetOpName`.
pub fn op_name(op: u8) -> String {
    match op {
        0 => "0".into(),
        OP_1NEGATE => "-1".into(),
        OP_1..=OP_16 => (op - OP_1 + 1).to_string(),
        _ => opcodes::name(op).unwrap_or("OP_UNKNOWN").into(),
    }
}

/// Core's `SighashToStr` for the defined types.
pub fn sighash_name(byte: u8) -> Option<&'static str> {
    Some(match byte {
        0x01 => "ALL",
        0x81 => "ALL|ANYONECANPAY",
        0x02 => "NONE",
        0x82 => "NONE|ANYONECANPAY",
        0x03 => "SINGLE",
        0x83 => "SINGLE|ANYONECANPAY",
        _ => return None,
    })
}

/// Core's `ScriptToAsmStr`: pushes of up to 4 bytes as numbers, longer ones as
/// hex (with `[ALL]`-style sighash decoding of signatures when asked), other
/// opcodes by name, `[error]` at a truncated push.
pub fn script_to_asm(script: &[u8], attempt_sighash_decode: bool) -> String {
    let mut out = String::new();
    let mut pc = 0;
    while pc < script.len() {
        if !out.is_empty() {
            out.push(' ');
        }
        let Some(ins) = read_op(script, &mut pc) else {
            out.push_str("[error]");
            return out;
        };
        if ins.opcode > OP_PUSHDATA4 {
            out.push_str(&op_name(ins.opcode));
            continue;
        }
        if ins.data.len() <= 4 {
            let n = decode_num(ins.data, false, 4).expect("at most 4 bytes");
            out.push_str(&n.to_string());
            continue;
        }
        let mut data = ins.data;
        let mut decoded = "";
        if attempt_sighash_decode
            && !is_unspendable(script)
            && is_valid_signature_encoding(data)
            && is_defined_hashtype_signature(data)
        {
            if let Some(name) = sighash_name(*data.last().expect("longer than 4 bytes")) {
                decoded = name;
                data = &data[..data.len() - 1];
            }
        }
        out.push_str(&hex::encode(data));
        if !decoded.is_empty() {
            out.push_str(&format!("[{decoded}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asm_like_core() {
        assert_eq!(
            script_to_asm(
                &hex::decode("76a914000000000000000000000000000000000000000088ac").unwrap(),
                false
            ),
            "OP_DUP OP_HASH160 0000000000000000000000000000000000000000 OP_EQUALVERIFY OP_CHECKSIG"
        );
        assert_eq!(
            script_to_asm(&[0x00, 0x4f, 0x51, 0x60, 0x02, 0xff, 0x00, 0xff], false),
            "0 -1 1 16 255 OP_UNKNOWN"
        );
        assert_eq!(script_to_asm(&[0x4c, 0x05, 0x01], false), "[error]");
        assert_eq!(
            script_to_asm(&[0x6a, 0x03, 0x01, 0x02, 0x03], false),
            "OP_RETURN 197121"
        );
    }

    #[test]
    fn decodes_sighash_of_signatures() {
        let sig = "3044022045c46e1a9be6f8dc3dbb6a7bf6db2e1da5e4d0b3bf7b2e5a8ef8a8d86d8b6e3f02203b1dfb1b05f8e3c1c3ebf15ba4ff6e4bd6b6b6e1b8ee3b2f3c4d6f7e8a9b0c1d";
        let mut script = vec![0x47];
        script.extend(hex::decode(format!("{sig}81")).unwrap());
        assert_eq!(
            script_to_asm(&script, true),
            format!("{sig}[ALL|ANYONECANPAY]")
        );
        assert_eq!(script_to_asm(&script, false), format!("{sig}81"));
    }
}
