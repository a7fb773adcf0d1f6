//! Constants, NOPs and lock-time opcodes, stack manipulation, arithmetic and hashing opcodes.

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use super::Machine;
use crate::checker::SignatureChecker;
use crate::constants::SEQUENCE_LOCKTIME_DISABLE_FLAG;
use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::opcodes::*;
use crate::script_num::{cast_to_bool, decode_num, encode_num, DEFAULT_MAX_NUM_SIZE};

impl<C: SignatureChecker + ?Sized> Machine<'_, C> {
    /// Decodes the element `depth` places from the top as a 4-byte script number.
    #[inline]
    pub(crate) fn num(&self, depth: usize) -> Result<i64, ScriptError> {
        decode_num(self.top(depth), self.require_minimal, DEFAULT_MAX_NUM_SIZE)
    }

    /// Every opcode not handled by the flow-control dispatch in `run`.
    pub(super) fn op_other(&mut self, opcode: u8) -> Result<(), ScriptError> {
        match opcode {
            OP_1NEGATE | OP_1..=OP_16 => {
                let n = i64::from(opcode) - i64::from(OP_1 - 1);
                self.stack.push(encode_num(n));
            }
            OP_NOP => {}
            OP_CHECKLOCKTIMEVERIFY => self.op_locktime(false)?,
            OP_CHECKSEQUENCEVERIFY => self.op_locktime(true)?,
            OP_NOP1 | OP_NOP4..=OP_NOP10 => {
                if self.flags.contains(ScriptFlags::DISCOURAGE_UPGRADABLE_NOPS) {
                    return Err(ScriptError::DiscourageUpgradableNops);
                }
            }
            OP_VERIFY => {
                self.need(1)?;
                if !cast_to_bool(self.top(1)) {
                    return Err(ScriptError::Verify);
                }
                self.stack.pop();
            }
            OP_RETURN => return Err(ScriptError::OpReturn),
            OP_TOALTSTACK => {
                self.need(1)?;
                let v = self.pop();
                self.altstack.push(v);
            }
            OP_FROMALTSTACK => {
                let v = self
                    .altstack
                    .pop()
                    .ok_or(ScriptError::InvalidAltstackOperation)?;
                self.stack.push(v);
            }
            OP_2DROP..=OP_TUCK | OP_SIZE => self.op_stack(opcode)?,
            OP_EQUAL | OP_EQUALVERIFY => {
                self.need(2)?;
                let b = self.pop();
                let a = self.pop();
                let equal = a == b;
                if opcode == OP_EQUALVERIFY {
                    if !equal {
                        return Err(ScriptError::EqualVerify);
                    }
                } else {
                    self.push_bool(equal);
                }
            }
            OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
                self.need(1)?;
                let n = self.num(1)?;
                let r = match opcode {
                    OP_1ADD => n + 1,
                    OP_1SUB => n - 1,
                    OP_NEGATE => -n,
                    OP_ABS => n.abs(),
                    OP_NOT => i64::from(n == 0),
                    _ => i64::from(n != 0),
                };
                self.stack.pop();
                self.stack.push(encode_num(r));
            }
            OP_ADD
            | OP_SUB
            | OP_BOOLAND
            | OP_BOOLOR
            | OP_NUMEQUAL
            | OP_NUMEQUALVERIFY
            | OP_NUMNOTEQUAL
            | OP_LESSTHAN
            | OP_GREATERTHAN
            | OP_LESSTHANOREQUAL
            | OP_GREATERTHANOREQUAL
            | OP_MIN
            | OP_MAX => {
                self.need(2)?;
                let a = self.num(2)?;
                let b = self.num(1)?;
                let r = match opcode {
                    OP_ADD => a + b,
                    OP_SUB => a - b,
                    OP_BOOLAND => i64::from(a != 0 && b != 0),
                    OP_BOOLOR => i64::from(a != 0 || b != 0),
                    OP_NUMEQUAL | OP_NUMEQUALVERIFY => i64::from(a == b),
                    OP_NUMNOTEQUAL => i64::from(a != b),
                    OP_LESSTHAN => i64::from(a < b),
                    OP_GREATERTHAN => i64::from(a > b),
                    OP_LESSTHANOREQUAL => i64::from(a <= b),
                    OP_GREATERTHANOREQUAL => i64::from(a >= b),
                    OP_MIN => a.min(b),
                    _ => a.max(b),
                };
                self.stack.pop();
                self.stack.pop();
                if opcode == OP_NUMEQUALVERIFY {
                    if r == 0 {
                        return Err(ScriptError::NumEqualVerify);
                    }
                } else {
                    self.stack.push(encode_num(r));
                }
            }
            OP_WITHIN => {
                self.need(3)?;
                let x = self.num(3)?;
                let min = self.num(2)?;
                let max = self.num(1)?;
                self.stack.truncate(self.stack.len() - 3);
                self.push_bool(min <= x && x < max);
            }
            OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => {
                self.need(1)?;
                let data = self.pop();
                let digest = match opcode {
                    OP_RIPEMD160 => ripemd160::Hash::hash(&data).to_byte_array().to_vec(),
                    OP_SHA1 => sha1::Hash::hash(&data).to_byte_array().to_vec(),
                    OP_SHA256 => sha256::Hash::hash(&data).to_byte_array().to_vec(),
                    OP_HASH160 => hash160::Hash::hash(&data).to_byte_array().to_vec(),
                    _ => sha256d::Hash::hash(&data).to_byte_array().to_vec(),
                };
                self.stack.push(digest);
            }
            _ => return Err(ScriptError::BadOpcode),
        }
        Ok(())
    }

    /// BIP65 OP_CHECKLOCKTIMEVERIFY and BIP112 OP_CHECKSEQUENCEVERIFY; plain NOPs (without the
    /// upgradable-NOP discouragement) when their flag is off.
    fn op_locktime(&mut self, sequence: bool) -> Result<(), ScriptError> {
        let flag = if sequence {
            ScriptFlags::CHECKSEQUENCEVERIFY
        } else {
            ScriptFlags::CHECKLOCKTIMEVERIFY
        };
        if !self.flags.contains(flag) {
            return Ok(());
        }
        self.need(1)?;
        // Five bytes: lock times reach 2^32 - 1, beyond a 4-byte script number.
        let n = decode_num(self.top(1), self.require_minimal, 5)?;
        if n < 0 {
            return Err(ScriptError::NegativeLocktime);
        }
        if sequence {
            if n & i64::from(SEQUENCE_LOCKTIME_DISABLE_FLAG) != 0 {
                return Ok(());
            }
            if !self.checker.check_sequence(n) {
                return Err(ScriptError::UnsatisfiedLocktime);
            }
        } else if !self.checker.check_lock_time(n) {
            return Err(ScriptError::UnsatisfiedLocktime);
        }
        Ok(())
    }

    /// Pure stack manipulation opcodes (OP_2DROP .. OP_TUCK, OP_SIZE).
    fn op_stack(&mut self, opcode: u8) -> Result<(), ScriptError> {
        let len = self.stack.len();
        match opcode {
            OP_2DROP => {
                self.need(2)?;
                self.stack.truncate(len - 2);
            }
            OP_2DUP => {
                self.need(2)?;
                let (a, b) = (self.top(2).clone(), self.top(1).clone());
                self.stack.push(a);
                self.stack.push(b);
            }
            OP_3DUP => {
                self.need(3)?;
                let (a, b, c) = (
                    self.top(3).clone(),
                    self.top(2).clone(),
                    self.top(1).clone(),
                );
                self.stack.push(a);
                self.stack.push(b);
                self.stack.push(c);
            }
            OP_2OVER => {
                self.need(4)?;
                let (a, b) = (self.top(4).clone(), self.top(3).clone());
                self.stack.push(a);
                self.stack.push(b);
            }
            OP_2ROT => {
                self.need(6)?;
                let moved: Vec<Vec<u8>> = self.stack.drain(len - 6..len - 4).collect();
                self.stack.extend(moved);
            }
            OP_2SWAP => {
                self.need(4)?;
                self.stack.swap(len - 4, len - 2);
                self.stack.swap(len - 3, len - 1);
            }
            OP_IFDUP => {
                self.need(1)?;
                if cast_to_bool(self.top(1)) {
                    let v = self.top(1).clone();
                    self.stack.push(v);
                }
            }
            OP_DEPTH => self.stack.push(encode_num(len as i64)),
            OP_DROP => {
                self.need(1)?;
                self.stack.pop();
            }
            OP_DUP => {
                self.need(1)?;
                let v = self.top(1).clone();
                self.stack.push(v);
            }
            OP_NIP => {
                self.need(2)?;
                self.stack.remove(len - 2);
            }
            OP_OVER => {
                self.need(2)?;
                let v = self.top(2).clone();
                self.stack.push(v);
            }
            OP_PICK | OP_ROLL => {
                self.need(2)?;
                let n = self.num(1)?;
                self.stack.pop();
                let len = self.stack.len();
                if n < 0 || n >= len as i64 {
                    return Err(ScriptError::InvalidStackOperation);
                }
                let idx = len - 1 - n as usize;
                let v = if opcode == OP_ROLL {
                    self.stack.remove(idx)
                } else {
                    self.stack[idx].clone()
                };
                self.stack.push(v);
            }
            OP_ROT => {
                self.need(3)?;
                self.stack[len - 3..].rotate_left(1);
            }
            OP_SWAP => {
                self.need(2)?;
                self.stack.swap(len - 2, len - 1);
            }
            OP_TUCK => {
                self.need(2)?;
                let v = self.top(1).clone();
                self.stack.insert(len - 2, v);
            }
            OP_SIZE => {
                self.need(1)?;
                let n = self.top(1).len() as i64;
                self.stack.push(encode_num(n));
            }
            _ => return Err(ScriptError::BadOpcode),
        }
        Ok(())
    }
}
