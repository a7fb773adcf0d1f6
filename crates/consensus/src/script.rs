//! Reading scripts instruction by instruction and the script predicates of Core's `CScript`
//! (`IsPushOnly`, `IsPayToScriptHash`, `IsWitnessProgram`, `FindAndDelete`, ...).

use std::borrow::Cow;

use crate::opcodes::*;

/// One instruction: its opcode and, for a push, the pushed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// The opcode byte.
    pub opcode: u8,
    /// The pushed bytes (empty for non-push opcodes).
    pub data: &'a [u8],
}

/// Reads the instruction at `*pc` (Core's `GetScriptOp`). Returns `None` at the end of the script
/// or on a truncated push; in the latter case `*pc` has moved past the opcode and any length bytes
/// read, exactly as in Core, which matters for how the legacy sighash serializes such scripts.
#[inline]
pub fn read_op<'a>(script: &'a [u8], pc: &mut usize) -> Option<Instruction<'a>> {
    let opcode = *script.get(*pc)?;
    *pc += 1;
    if opcode > OP_PUSHDATA4 {
        return Some(Instruction { opcode, data: &[] });
    }
    let len_bytes = match opcode {
        OP_PUSHDATA1 => 1,
        OP_PUSHDATA2 => 2,
        OP_PUSHDATA4 => 4,
        _ => 0,
    };
    let size = if len_bytes == 0 {
        usize::from(opcode)
    } else {
        let bytes = script.get(*pc..*pc + len_bytes)?;
        *pc += len_bytes;
        bytes
            .iter()
            .rev()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let data = script.get(*pc..(*pc).checked_add(size)?)?;
    *pc += size;
    Some(Instruction { opcode, data })
}

/// An iterator over a script's instructions that stops at the end or at the first bad one.
pub fn instructions(script: &[u8]) -> impl Iterator<Item = Instruction<'_>> + '_ {
    let mut pc = 0;
    std::iter::from_fn(move || read_op(script, &mut pc))
}

/// Whether every instruction parses and is a push or OP_1NEGATE..OP_16, OP_RESERVED included
/// (Core's `CScript::IsPushOnly`).
pub fn is_push_only(script: &[u8]) -> bool {
    let mut pc = 0;
    while pc < script.len() {
        match read_op(script, &mut pc) {
            Some(ins) if ins.opcode <= OP_16 => {}
            _ => return false,
        }
    }
    true
}

/// BIP16 `OP_HASH160 <20 bytes> OP_EQUAL` (Core's `IsPayToScriptHash`).
pub fn is_p2sh(script: &[u8]) -> bool {
    script.len() == 23 && script[0] == OP_HASH160 && script[1] == 0x14 && script[22] == OP_EQUAL
}

/// BIP141 witness program: version and program (Core's `IsWitnessProgram`).
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if script.len() < 4 || script.len() > 42 {
        return None;
    }
    if script[0] != OP_0 && !(OP_1..=OP_16).contains(&script[0]) {
        return None;
    }
    if usize::from(script[1]) + 2 == script.len() {
        Some((decode_op_n(script[0]), &script[2..]))
    } else {
        None
    }
}

/// Whether a push uses the smallest possible encoding (Core's `CheckMinimalPush`).
pub fn check_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data.len() {
        0 => opcode == OP_0,
        1 if (1..=16).contains(&data[0]) => false,
        1 if data[0] == 0x81 => false,
        n if n <= 75 => usize::from(opcode) == n,
        n if n <= 255 => opcode == OP_PUSHDATA1,
        n if n <= 65535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// Appends a push of `data` with the smallest push opcode (Core's `CScript << std::vector`);
/// an empty push is OP_0.
pub fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n < usize::from(OP_PUSHDATA1) {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[OP_PUSHDATA1, n as u8]);
    } else if n <= 0xffff {
        out.push(OP_PUSHDATA2);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else {
        out.push(OP_PUSHDATA4);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// Removes every occurrence of `pattern` that starts at an instruction boundary (Core's
/// `FindAndDelete`). Returns the script (borrowed when nothing was removed) and the number of
/// occurrences removed.
pub fn find_and_delete<'a>(script: &'a [u8], pattern: &[u8]) -> (Cow<'a, [u8]>, usize) {
    if pattern.is_empty() {
        return (Cow::Borrowed(script), 0);
    }
    let mut result: Option<Vec<u8>> = None;
    let mut found = 0;
    let mut pc = 0;
    let mut kept_from = 0;
    loop {
        // Copy what lies between the previous match (or instruction) and here.
        let mut scan = pc;
        while script.len() - scan >= pattern.len() && script[scan..].starts_with(pattern) {
            scan += pattern.len();
            found += 1;
        }
        if scan != pc {
            let out = result.get_or_insert_with(|| Vec::with_capacity(script.len()));
            out.extend_from_slice(&script[kept_from..pc]);
            kept_from = scan;
        }
        pc = scan;
        if read_op(script, &mut pc).is_none() {
            break;
        }
    }
    match result {
        Some(mut out) => {
            out.extend_from_slice(&script[kept_from..]);
            (Cow::Owned(out), found)
        }
        None => (Cow::Borrowed(script), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fad(script: &str, pattern: &str) -> (String, usize) {
        let s = hex::decode(script).unwrap();
        let p = hex::decode(pattern).unwrap();
        let (out, n) = find_and_delete(&s, &p);
        (hex::encode(out), n)
    }

    #[test]
    fn find_and_delete_matches_core_cases() {
        // Cases of Core's script_FindAndDelete test.
        assert_eq!(fad("0302ff03", "0302ff03"), (String::new(), 1));
        assert_eq!(fad("0302ff030302ff03", "0302ff03"), (String::new(), 2));
        assert_eq!(fad("0302ff03", "02"), ("0302ff03".into(), 0));
        assert_eq!(fad("0302ff03", "ff"), ("0302ff03".into(), 0));
        assert_eq!(fad("0302ff03", "03"), ("02ff03".into(), 1));
        assert_eq!(fad("0003", "00"), ("03".into(), 1));
        assert_eq!(fad("ab61ab", "ab"), ("61".into(), 2));
        assert_eq!(
            fad("0302ff030302ff03", "02"),
            ("0302ff030302ff03".into(), 0)
        );
        assert_eq!(fad("0302ff0302ff03", "0302ff03"), ("02ff03".into(), 1));
        assert_eq!(fad("0302ff030302ff03", "03"), ("02ff0302ff03".into(), 2));
        // A pattern only has to start at an instruction boundary, not end at one.
        assert_eq!(fad("0302ff03", "0302ff"), ("03".into(), 1));
        // Matches only count at instruction boundaries, and consume what follows them.
        assert_eq!(fad("00010203040506", "0102"), ("0003040506".into(), 1));
        assert_eq!(fad("0203040506", "02"), ("03040506".into(), 1));
    }

    #[test]
    fn truncated_push_moves_pc_like_core() {
        let s = [0x05u8, 0xaa];
        let mut pc = 0;
        assert!(read_op(&s, &mut pc).is_none());
        assert_eq!(pc, 1);
        let s = [OP_PUSHDATA2, 0x01];
        let mut pc = 0;
        assert!(read_op(&s, &mut pc).is_none());
        assert_eq!(pc, 1);
    }
}
