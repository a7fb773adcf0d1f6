//! OP_CHECKSIG(VERIFY), OP_CHECKSIGADD and OP_CHECKMULTISIG(VERIFY).

use std::borrow::Cow;

use super::{Machine, SigVersion};
use crate::checker::SignatureChecker;
use crate::constants::{
    MAX_OPS_PER_SCRIPT, MAX_PUBKEYS_PER_MULTISIG, VALIDATION_WEIGHT_PER_SIGOP_PASSED,
};
use crate::ecdsa::{check_pubkey_encoding, check_signature_encoding};
use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::script::{find_and_delete, push_data};
use crate::script_num::{encode_num, DEFAULT_MAX_NUM_SIZE};

impl<'a, C: SignatureChecker + ?Sized> Machine<'a, C> {
    /// The scriptCode for legacy and witness v0 signatures: the script from the last
    /// OP_CODESEPARATOR on, with (legacy only) every push of `sigs` removed (Core's
    /// `FindAndDelete`), which CONST_SCRIPTCODE forbids.
    fn script_code<'s>(
        &self,
        sigs: impl Iterator<Item = &'s [u8]>,
    ) -> Result<Cow<'a, [u8]>, ScriptError> {
        let script: &'a [u8] = self.script;
        let mut code = Cow::Borrowed(&script[self.begin_code_hash..]);
        if self.sigversion != SigVersion::Base {
            return Ok(code);
        }
        let mut pattern = Vec::with_capacity(80);
        for sig in sigs {
            pattern.clear();
            push_data(&mut pattern, sig);
            let (stripped, found) = find_and_delete(&code, &pattern);
            if found > 0 {
                if self.flags.contains(ScriptFlags::CONST_SCRIPTCODE) {
                    return Err(ScriptError::SigFindAndDelete);
                }
                code = Cow::Owned(stripped.into_owned());
            }
        }
        Ok(code)
    }

    /// One signature check under any sigversion (Core's `EvalChecksig`): `Ok(success)`, or the
    /// error that ends the script.
    fn eval_checksig(&mut self, sig: &[u8], pubkey: &[u8]) -> Result<bool, ScriptError> {
        match self.sigversion {
            SigVersion::Base | SigVersion::WitnessV0 => {
                let script_code = self.script_code(std::iter::once(sig))?;
                check_signature_encoding(sig, self.flags)?;
                check_pubkey_encoding(pubkey, self.flags, self.sigversion)?;
                let ok =
                    self.checker
                        .check_ecdsa_signature(sig, pubkey, &script_code, self.sigversion);
                if !ok && self.flags.contains(ScriptFlags::NULLFAIL) && !sig.is_empty() {
                    return Err(ScriptError::SigNullFail);
                }
                Ok(ok)
            }
            SigVersion::Tapscript => {
                let success = !sig.is_empty();
                if success {
                    // BIP342: every non-empty signature spends validation weight.
                    if let Some(left) = self.execdata.validation_weight_left.as_mut() {
                        *left -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
                        if *left < 0 {
                            return Err(ScriptError::TapscriptValidationWeight);
                        }
                    }
                }
                if pubkey.is_empty() {
                    return Err(ScriptError::PubkeyType);
                } else if pubkey.len() == 32 {
                    if success {
                        self.checker.check_schnorr_signature(
                            sig,
                            pubkey,
                            SigVersion::Tapscript,
                            self.execdata,
                        )?;
                    }
                } else if self
                    .flags
                    .contains(ScriptFlags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE)
                {
                    return Err(ScriptError::DiscourageUpgradablePubkeyType);
                }
                Ok(success)
            }
            SigVersion::Taproot => unreachable!("key path spends execute no script"),
        }
    }

    pub(super) fn op_checksig(&mut self, verify: bool) -> Result<(), ScriptError> {
        self.need(2)?;
        let pubkey = self.pop();
        let sig = self.pop();
        let ok = self.eval_checksig(&sig, &pubkey)?;
        if verify {
            if !ok {
                return Err(ScriptError::CheckSigVerify);
            }
        } else {
            self.push_bool(ok);
        }
        Ok(())
    }

    /// BIP342 OP_CHECKSIGADD: `sig n pubkey -> n + success`.
    pub(super) fn op_checksigadd(&mut self) -> Result<(), ScriptError> {
        if matches!(self.sigversion, SigVersion::Base | SigVersion::WitnessV0) {
            return Err(ScriptError::BadOpcode);
        }
        self.need(3)?;
        let n =
            crate::script_num::decode_num(self.top(2), self.require_minimal, DEFAULT_MAX_NUM_SIZE)?;
        let pubkey = self.pop();
        self.stack.pop();
        let sig = self.pop();
        let ok = self.eval_checksig(&sig, &pubkey)?;
        self.stack.push(encode_num(n + i64::from(ok)));
        Ok(())
    }

    /// OP_CHECKMULTISIG(VERIFY), with its off-by-one dummy element (BIP147 NULLDUMMY).
    pub(super) fn op_checkmultisig(&mut self, verify: bool) -> Result<(), ScriptError> {
        if self.sigversion == SigVersion::Tapscript {
            return Err(ScriptError::TapscriptCheckMultisig);
        }
        let mut i = 1usize;
        self.need(i)?;
        let mut keys = self.num(i)?;
        if !(0..=MAX_PUBKEYS_PER_MULTISIG).contains(&keys) {
            return Err(ScriptError::PubkeyCount);
        }
        self.op_count += keys as usize;
        if self.op_count > MAX_OPS_PER_SCRIPT {
            return Err(ScriptError::OpCount);
        }
        i += 1;
        let mut ikey = i;
        // Depth of the last public key: the NULLFAIL check below skips the keys.
        let mut ikey2 = keys as usize + 2;
        i += keys as usize;
        self.need(i)?;
        let mut sigs = self.num(i)?;
        if sigs < 0 || sigs > keys {
            return Err(ScriptError::SigCount);
        }
        i += 1;
        let mut isig = i;
        i += sigs as usize;
        self.need(i)?;

        let len = self.stack.len();
        let script_code =
            self.script_code((0..sigs as usize).map(|k| self.stack[len - isig - k].as_slice()))?;

        let mut success = true;
        while success && sigs > 0 {
            let sig = &self.stack[len - isig];
            let pubkey = &self.stack[len - ikey];
            check_signature_encoding(sig, self.flags)?;
            check_pubkey_encoding(pubkey, self.flags, self.sigversion)?;
            if self
                .checker
                .check_ecdsa_signature(sig, pubkey, &script_code, self.sigversion)
            {
                isig += 1;
                sigs -= 1;
            }
            ikey += 1;
            keys -= 1;
            // More signatures left than keys: they cannot all match.
            if sigs > keys {
                success = false;
            }
        }

        // Pop everything, checking NULLFAIL on the signatures.
        while i > 1 {
            i -= 1;
            if !success
                && self.flags.contains(ScriptFlags::NULLFAIL)
                && ikey2 == 0
                && !self.top(1).is_empty()
            {
                return Err(ScriptError::SigNullFail);
            }
            ikey2 = ikey2.saturating_sub(1);
            self.stack.pop();
        }
        // The extra element consumed by Core's off-by-one.
        self.need(1)?;
        if self.flags.contains(ScriptFlags::NULLDUMMY) && !self.top(1).is_empty() {
            return Err(ScriptError::SigNullDummy);
        }
        self.stack.pop();

        if verify {
            if !success {
                return Err(ScriptError::CheckMultisigVerify);
            }
        } else {
            self.push_bool(success);
        }
        Ok(())
    }
}
