//! The script interpreter (Core's `EvalScript`): the instruction loop, resource limits and
//! flow control. Stack and arithmetic opcodes live in `interpreter/ops.rs`, signature opcodes
//! in `interpreter/checksig.rs`.

mod checksig;
mod ops;

use crate::checker::SignatureChecker;
use crate::constants::{
    MAX_OPS_PER_SCRIPT, MAX_SCRIPT_ELEMENT_SIZE, MAX_SCRIPT_SIZE, MAX_STACK_SIZE,
};
use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::opcodes::*;
use crate::script::{check_minimal_push, read_op};

/// The stack: byte vectors, top last.
pub type Stack = Vec<Vec<u8>>;

/// Which rules a script is evaluated under (Core's `SigVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigVersion {
    /// Legacy scripts and P2SH redeem scripts.
    Base,
    /// BIP141 witness v0 scripts (P2WPKH, P2WSH).
    WitnessV0,
    /// BIP341 key path spending (no script execution).
    Taproot,
    /// BIP342 tapscript.
    Tapscript,
}

/// Data a taproot signature hash commits to that comes from script execution rather than the
/// transaction (Core's `ScriptExecutionData`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecData {
    /// The BIP341 tapleaf hash of the executing script (script path only).
    pub tapleaf_hash: Option<[u8; 32]>,
    /// Opcode position of the last executed OP_CODESEPARATOR, `0xffffffff` if none.
    pub codeseparator_pos: u32,
    /// SHA256 of the compact-size-prefixed annex, when the witness has one.
    pub annex_hash: Option<[u8; 32]>,
    /// Remaining BIP342 validation weight budget; `None` leaves signature checks unmetered
    /// (only when `eval_script` is called directly).
    pub validation_weight_left: Option<i64>,
}

/// The OP_IF nesting, kept as a size and the position of the first false entry (Core's
/// `ConditionStack`), so that checking "all true" is O(1).
#[derive(Debug, Default)]
struct ConditionStack {
    size: u32,
    first_false: Option<u32>,
}

impl ConditionStack {
    fn all_true(&self) -> bool {
        self.first_false.is_none()
    }

    fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn push(&mut self, value: bool) {
        if self.first_false.is_none() && !value {
            self.first_false = Some(self.size);
        }
        self.size += 1;
    }

    fn pop(&mut self) {
        self.size -= 1;
        if self.first_false == Some(self.size) {
            self.first_false = None;
        }
    }

    fn toggle_top(&mut self) {
        let top = self.size - 1;
        match self.first_false {
            None => self.first_false = Some(top),
            Some(p) if p == top => self.first_false = None,
            Some(_) => {}
        }
    }
}

/// Opcodes disabled since CVE-2010-5137; they fail even in unexecuted branches.
fn is_disabled(op: u8) -> bool {
    matches!(
        op,
        OP_CAT
            | OP_SUBSTR
            | OP_LEFT
            | OP_RIGHT
            | OP_INVERT
            | OP_AND
            | OP_OR
            | OP_XOR
            | OP_2MUL
            | OP_2DIV
            | OP_MUL
            | OP_DIV
            | OP_MOD
            | OP_LSHIFT
            | OP_RSHIFT
    )
}

/// State of one script execution.
pub(crate) struct Machine<'a, C: ?Sized> {
    pub(crate) stack: &'a mut Stack,
    pub(crate) altstack: Stack,
    pub(crate) script: &'a [u8],
    pub(crate) flags: ScriptFlags,
    pub(crate) checker: &'a C,
    pub(crate) sigversion: SigVersion,
    pub(crate) execdata: &'a mut ExecData,
    pub(crate) require_minimal: bool,
    /// Start of the scriptCode: just after the last executed OP_CODESEPARATOR.
    pub(crate) begin_code_hash: usize,
    pub(crate) op_count: usize,
}

impl<C: SignatureChecker + ?Sized> Machine<'_, C> {
    /// Fails with INVALID_STACK_OPERATION unless the stack holds at least `n` elements.
    #[inline]
    pub(crate) fn need(&self, n: usize) -> Result<(), ScriptError> {
        if self.stack.len() < n {
            Err(ScriptError::InvalidStackOperation)
        } else {
            Ok(())
        }
    }

    /// The element `depth` places from the top (1 = top), like Core's `stacktop(-depth)`.
    #[inline]
    pub(crate) fn top(&self, depth: usize) -> &Vec<u8> {
        &self.stack[self.stack.len() - depth]
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Vec<u8> {
        self.stack
            .pop()
            .expect("callers check the stack depth first")
    }

    #[inline]
    pub(crate) fn push_bool(&mut self, value: bool) {
        self.stack.push(if value { vec![1] } else { Vec::new() });
    }

    fn run(&mut self) -> Result<(), ScriptError> {
        let script = self.script;
        let legacy_limits = matches!(self.sigversion, SigVersion::Base | SigVersion::WitnessV0);
        if legacy_limits && script.len() > MAX_SCRIPT_SIZE {
            return Err(ScriptError::ScriptSize);
        }
        let mut exec = ConditionStack::default();
        let mut pc = 0;
        let mut opcode_pos: u32 = 0;
        self.execdata.codeseparator_pos = u32::MAX;
        while pc < script.len() {
            let executing = exec.all_true();
            let ins = read_op(script, &mut pc).ok_or(ScriptError::BadOpcode)?;
            let opcode = ins.opcode;
            if ins.data.len() > MAX_SCRIPT_ELEMENT_SIZE {
                return Err(ScriptError::PushSize);
            }
            // OP_RESERVED and the pushes do not count towards the opcode limit.
            if legacy_limits && opcode > OP_16 {
                self.op_count += 1;
                if self.op_count > MAX_OPS_PER_SCRIPT {
                    return Err(ScriptError::OpCount);
                }
            }
            if is_disabled(opcode) {
                return Err(ScriptError::DisabledOpcode);
            }
            if opcode == OP_CODESEPARATOR
                && self.sigversion == SigVersion::Base
                && self.flags.contains(ScriptFlags::CONST_SCRIPTCODE)
            {
                return Err(ScriptError::OpCodeSeparator);
            }

            if executing && opcode <= OP_PUSHDATA4 {
                if self.require_minimal && !check_minimal_push(ins.data, opcode) {
                    return Err(ScriptError::MinimalData);
                }
                self.stack.push(ins.data.to_vec());
            } else if executing || (OP_IF..=OP_ENDIF).contains(&opcode) {
                match opcode {
                    OP_IF | OP_NOTIF => {
                        let mut value = false;
                        if executing {
                            value = self.condition()?;
                            if opcode == OP_NOTIF {
                                value = !value;
                            }
                        }
                        exec.push(value);
                    }
                    OP_ELSE => {
                        if exec.is_empty() {
                            return Err(ScriptError::UnbalancedConditional);
                        }
                        exec.toggle_top();
                    }
                    OP_ENDIF => {
                        if exec.is_empty() {
                            return Err(ScriptError::UnbalancedConditional);
                        }
                        exec.pop();
                    }
                    OP_CODESEPARATOR => {
                        self.begin_code_hash = pc;
                        self.execdata.codeseparator_pos = opcode_pos;
                    }
                    OP_CHECKSIG | OP_CHECKSIGVERIFY => {
                        self.op_checksig(opcode == OP_CHECKSIGVERIFY)?
                    }
                    OP_CHECKSIGADD => self.op_checksigadd()?,
                    OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
                        self.op_checkmultisig(opcode == OP_CHECKMULTISIGVERIFY)?
                    }
                    _ => self.op_other(opcode)?,
                }
            }

            if self.stack.len() + self.altstack.len() > MAX_STACK_SIZE {
                return Err(ScriptError::StackSize);
            }
            opcode_pos = opcode_pos.wrapping_add(1);
        }
        if !exec.is_empty() {
            return Err(ScriptError::UnbalancedConditional);
        }
        Ok(())
    }

    /// Pops the OP_IF/OP_NOTIF argument, enforcing tapscript's and MINIMALIF's minimal form.
    fn condition(&mut self) -> Result<bool, ScriptError> {
        if self.stack.is_empty() {
            return Err(ScriptError::UnbalancedConditional);
        }
        let arg = self.top(1);
        let minimal = arg.is_empty() || arg.as_slice() == [1];
        if self.sigversion == SigVersion::Tapscript && !minimal {
            return Err(ScriptError::TapscriptMinimalIf);
        }
        if self.sigversion == SigVersion::WitnessV0
            && self.flags.contains(ScriptFlags::MINIMALIF)
            && !minimal
        {
            return Err(ScriptError::MinimalIf);
        }
        let value = crate::script_num::cast_to_bool(arg);
        self.stack.pop();
        Ok(value)
    }
}

/// Runs `script` on `stack` (Core's `EvalScript`). `sigversion` must be `Base`, `WitnessV0` or
/// `Tapscript`; taproot key path spends run no script (`Taproot` fails with UNKNOWN_ERROR).
pub fn eval_script<C: SignatureChecker + ?Sized>(
    stack: &mut Stack,
    script: &[u8],
    flags: ScriptFlags,
    checker: &C,
    sigversion: SigVersion,
    execdata: &mut ExecData,
) -> Result<(), ScriptError> {
    if sigversion == SigVersion::Taproot {
        // Core asserts here: a key path spend has no script to run.
        return Err(ScriptError::UnknownError);
    }
    Machine {
        stack,
        altstack: Vec::new(),
        script,
        flags,
        checker,
        sigversion,
        execdata,
        require_minimal: flags.contains(ScriptFlags::MINIMALDATA),
        begin_code_hash: 0,
        op_count: 0,
    }
    .run()
}
