//! Script verification of one input (Core's `VerifyScript`): scriptSig, scriptPubKey, P2SH,
//! and witness programs (BIP141 v0, BIP341/342 taproot).

use bitcoin::hashes::{sha256, Hash};
use bitcoin::Witness;

use crate::checker::{annex_hash, SignatureChecker};
use crate::constants::*;
use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::interpreter::{eval_script, ExecData, SigVersion, Stack};
use crate::opcodes::is_op_success;
use crate::opcodes::*;
use crate::script::{is_p2sh, is_push_only, push_data, read_op, witness_program};
use crate::script_num::cast_to_bool;
use crate::taproot::{tapleaf_hash, verify_taproot_commitment};

/// Verifies that `script_sig` and `witness` satisfy `script_pubkey` under `flags`.
///
/// `flags` should be a valid combination ([`ScriptFlags::is_valid_combination`]); Core asserts
/// that, and other combinations are evaluated as given here.
pub fn verify_script<C: SignatureChecker + ?Sized>(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &Witness,
    flags: ScriptFlags,
    checker: &C,
) -> Result<(), ScriptError> {
    if flags.contains(ScriptFlags::SIGPUSHONLY) && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut execdata = ExecData::default();
    let mut stack = Stack::new();
    eval_script(
        &mut stack,
        script_sig,
        flags,
        checker,
        SigVersion::Base,
        &mut execdata,
    )?;
    let stack_copy = if flags.contains(ScriptFlags::P2SH) {
        Some(stack.clone())
    } else {
        None
    };
    eval_script(
        &mut stack,
        script_pubkey,
        flags,
        checker,
        SigVersion::Base,
        &mut execdata,
    )?;
    if !stack.last().is_some_and(|top| cast_to_bool(top)) {
        return Err(ScriptError::EvalFalse);
    }

    let mut had_witness = false;
    if flags.contains(ScriptFlags::WITNESS) {
        if let Some((version, program)) = witness_program(script_pubkey) {
            had_witness = true;
            if !script_sig.is_empty() {
                return Err(ScriptError::WitnessMalleated);
            }
            verify_witness_program(witness, version, program, flags, checker, false)?;
            // The witness has its own clean-stack rule; keep CLEANSTACK below from firing.
            stack.truncate(1);
        }
    }

    if let (Some(copy), true) = (stack_copy, is_p2sh(script_pubkey)) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        stack = copy;
        // Not empty: the HASH160 <h> EQUAL scriptPubKey above needed an element.
        let redeem_script = stack
            .pop()
            .expect("P2SH scriptPubKey succeeded on this stack");
        eval_script(
            &mut stack,
            &redeem_script,
            flags,
            checker,
            SigVersion::Base,
            &mut execdata,
        )?;
        if !stack.last().is_some_and(|top| cast_to_bool(top)) {
            return Err(ScriptError::EvalFalse);
        }
        if flags.contains(ScriptFlags::WITNESS) {
            if let Some((version, program)) = witness_program(&redeem_script) {
                had_witness = true;
                let mut expected_sig = Vec::with_capacity(redeem_script.len() + 1);
                push_data(&mut expected_sig, &redeem_script);
                if script_sig != expected_sig.as_slice() {
                    return Err(ScriptError::WitnessMalleatedP2sh);
                }
                verify_witness_program(witness, version, program, flags, checker, true)?;
                stack.truncate(1);
            }
        }
    }

    if flags.contains(ScriptFlags::CLEANSTACK) && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if flags.contains(ScriptFlags::WITNESS) && !had_witness && !witness.is_empty() {
        return Err(ScriptError::WitnessUnexpected);
    }
    Ok(())
}

/// Core's `VerifyWitnessProgram`.
fn verify_witness_program<C: SignatureChecker + ?Sized>(
    witness: &Witness,
    version: u8,
    program: &[u8],
    flags: ScriptFlags,
    checker: &C,
    is_p2sh: bool,
) -> Result<(), ScriptError> {
    let mut execdata = ExecData::default();
    let mut stack: Stack = witness.iter().map(<[u8]>::to_vec).collect();
    if version == 0 {
        if program.len() == WITNESS_V0_SCRIPTHASH_SIZE {
            let script = stack.pop().ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
            if sha256::Hash::hash(&script).as_byte_array() != program {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            execute_witness_script(
                stack,
                &script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut execdata,
            )
        } else if program.len() == WITNESS_V0_KEYHASH_SIZE {
            if stack.len() != 2 {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            let mut script = Vec::with_capacity(25);
            script.extend_from_slice(&[OP_DUP, OP_HASH160, 20]);
            script.extend_from_slice(program);
            script.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
            execute_witness_script(
                stack,
                &script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut execdata,
            )
        } else {
            Err(ScriptError::WitnessProgramWrongLength)
        }
    } else if version == 1 && program.len() == WITNESS_V1_TAPROOT_SIZE && !is_p2sh {
        if !flags.contains(ScriptFlags::TAPROOT) {
            return Ok(());
        }
        if stack.is_empty() {
            return Err(ScriptError::WitnessProgramWitnessEmpty);
        }
        if stack.len() >= 2 && stack.last().is_some_and(|a| a.first() == Some(&ANNEX_TAG)) {
            let annex = stack.pop().expect("checked non-empty");
            execdata.annex_hash = Some(annex_hash(&annex));
        }
        if stack.len() == 1 {
            // Key path spending: a single signature.
            return checker.check_schnorr_signature(
                &stack[0],
                program,
                SigVersion::Taproot,
                &execdata,
            );
        }
        // Script path spending: ... script control.
        let control = stack.pop().expect("at least two elements");
        let script = stack.pop().expect("at least two elements");
        if control.len() < TAPROOT_CONTROL_BASE_SIZE
            || control.len() > TAPROOT_CONTROL_MAX_SIZE
            || !(control.len() - TAPROOT_CONTROL_BASE_SIZE)
                .is_multiple_of(TAPROOT_CONTROL_NODE_SIZE)
        {
            return Err(ScriptError::TaprootWrongControlSize);
        }
        let leaf_version = control[0] & TAPROOT_LEAF_MASK;
        let leaf_hash = tapleaf_hash(leaf_version, &script);
        if !verify_taproot_commitment(&control, program, &leaf_hash) {
            return Err(ScriptError::WitnessProgramMismatch);
        }
        execdata.tapleaf_hash = Some(leaf_hash);
        if leaf_version == TAPROOT_LEAF_TAPSCRIPT {
            // BIP342 budget: the serialized witness size (with its item count) plus 50.
            let witness_size = witness.size() as i64;
            execdata.validation_weight_left = Some(witness_size + VALIDATION_WEIGHT_OFFSET);
            return execute_witness_script(
                stack,
                &script,
                flags,
                SigVersion::Tapscript,
                checker,
                &mut execdata,
            );
        }
        if flags.contains(ScriptFlags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION) {
            return Err(ScriptError::DiscourageUpgradableTaprootVersion);
        }
        Ok(())
    } else {
        if flags.contains(ScriptFlags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) {
            return Err(ScriptError::DiscourageUpgradableWitnessProgram);
        }
        // Unknown versions, lengths and P2SH-wrapped v1 are anyone-can-spend for soft forks.
        Ok(())
    }
}

/// Core's `ExecuteWitnessScript`: OP_SUCCESSx scan (tapscript), element limits, execution and
/// the implicit clean stack rule.
fn execute_witness_script<C: SignatureChecker + ?Sized>(
    mut stack: Stack,
    script: &[u8],
    flags: ScriptFlags,
    sigversion: SigVersion,
    checker: &C,
    execdata: &mut ExecData,
) -> Result<(), ScriptError> {
    if sigversion == SigVersion::Tapscript {
        // OP_SUCCESSx makes the script succeed before anything else is checked, even limits.
        let mut pc = 0;
        while pc < script.len() {
            let ins = read_op(script, &mut pc).ok_or(ScriptError::BadOpcode)?;
            if is_op_success(ins.opcode) {
                if flags.contains(ScriptFlags::DISCOURAGE_OP_SUCCESS) {
                    return Err(ScriptError::DiscourageOpSuccess);
                }
                return Ok(());
            }
        }
        if stack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
    }
    if stack
        .iter()
        .any(|item| item.len() > MAX_SCRIPT_ELEMENT_SIZE)
    {
        return Err(ScriptError::PushSize);
    }
    eval_script(&mut stack, script, flags, checker, sigversion, execdata)?;
    if stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if !cast_to_bool(&stack[0]) {
        return Err(ScriptError::EvalFalse);
    }
    Ok(())
}
