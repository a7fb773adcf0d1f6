//! Core's `MuHash3072` (`crypto/muhash.cpp`): a rolling set hash over the
//! multiplicative group modulo the prime 2^3072 - 1103717. Each element is
//! hashed with SHA256, expanded to 384 bytes with the ChaCha20 keystream and
//! multiplied into a numerator (insert) or a denominator (remove).

use bitcoin::hashes::{sha256, Hash};

const LIMBS: usize = 48;
/// 2^3072 - MAX_PRIME_DIFF is the modulus.
const MAX_PRIME_DIFF: u64 = 1_103_717;
/// Bytes of a serialized [`Num3072`].
pub const BYTE_SIZE: usize = LIMBS * 8;

/// A residue modulo 2^3072 - 1103717, always fully reduced, in little-endian
/// 64-bit limbs (Core's `Num3072`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num3072([u64; LIMBS]);

impl Num3072 {
    pub fn one() -> Self {
        let mut l = [0u64; LIMBS];
        l[0] = 1;
        Num3072(l)
    }

    /// Reads 384 little-endian bytes, reducing the (rare) values at or above
    /// the modulus.
    pub fn from_bytes(b: &[u8; BYTE_SIZE]) -> Self {
        let mut l = [0u64; LIMBS];
        for (i, limb) in l.iter_mut().enumerate() {
            *limb = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        let mut n = Num3072(l);
        n.reduce_once();
        n
    }

    pub fn to_bytes(&self) -> [u8; BYTE_SIZE] {
        let mut out = [0u8; BYTE_SIZE];
        for (i, limb) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    /// Subtracts the modulus once if the value is at or above it
    /// (v >= p exactly when v + 1103717 overflows 2^3072).
    fn reduce_once(&mut self) {
        let mut w = self.0;
        let mut carry = u128::from(MAX_PRIME_DIFF);
        for limb in w.iter_mut() {
            let s = u128::from(*limb) + carry;
            *limb = s as u64;
            carry = s >> 64;
        }
        if carry != 0 {
            self.0 = w;
        }
    }

    /// `self * other mod p`.
    pub fn mul(&self, other: &Num3072) -> Num3072 {
        let mut prod = [0u64; 2 * LIMBS];
        for i in 0..LIMBS {
            let mut carry: u128 = 0;
            let a = u128::from(self.0[i]);
            for j in 0..LIMBS {
                let t = a * u128::from(other.0[j]) + u128::from(prod[i + j]) + carry;
                prod[i + j] = t as u64;
                carry = t >> 64;
            }
            prod[i + LIMBS] = carry as u64;
        }
        // hi * 2^3072 == hi * MAX_PRIME_DIFF (mod p).
        let mut r = [0u64; LIMBS];
        let mut carry: u128 = 0;
        for i in 0..LIMBS {
            let t = u128::from(prod[i])
                + u128::from(prod[i + LIMBS]) * u128::from(MAX_PRIME_DIFF)
                + carry;
            r[i] = t as u64;
            carry = t >> 64;
        }
        // Fold the remaining top (< 2^21) until nothing is left above 2^3072.
        while carry != 0 {
            let mut c = carry * u128::from(MAX_PRIME_DIFF);
            carry = 0;
            for limb in r.iter_mut() {
                if c == 0 {
                    break;
                }
                let t = u128::from(*limb) + c;
                *limb = t as u64;
                c = t >> 64;
            }
            carry += c;
        }
        let mut n = Num3072(r);
        n.reduce_once();
        n
    }

    /// The inverse by Fermat's little theorem: `self^(p-2)`.
    pub fn inverse(&self) -> Num3072 {
        // p - 2 = 2^3072 - 1103719: the low limb is 2^64 - 1103719, the rest all ones.
        let mut exp = [u64::MAX; LIMBS];
        exp[0] = u64::MAX - (MAX_PRIME_DIFF + 1);
        let mut acc = Num3072::one();
        for limb in exp.iter().rev() {
            for bit in (0..64).rev() {
                acc = acc.mul(&acc);
                if (limb >> bit) & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }
}

/// ChaCha20 keystream with a zero nonce from block counter 0 (what Core's
/// `ChaCha20Aligned(key).Keystream` produces for a fresh cipher).
fn chacha20_keystream(key: &[u8; 32], out: &mut [u8]) {
    let mut state = [0u32; 16];
    state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for i in 0..8 {
        state[4 + i] = u32::from_le_bytes(key[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    }
    fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    }
    for (counter, chunk) in out.chunks_mut(64).enumerate() {
        state[12] = counter as u32;
        let mut x = state;
        for _ in 0..10 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        let mut block = [0u8; 64];
        for i in 0..16 {
            block[i * 4..i * 4 + 4].copy_from_slice(&x[i].wrapping_add(state[i]).to_le_bytes());
        }
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// Core's `MuHash3072::ToNum3072`: an element of the set as a group member.
fn to_num3072(data: &[u8]) -> Num3072 {
    let key = sha256::Hash::hash(data).to_byte_array();
    let mut tmp = [0u8; BYTE_SIZE];
    chacha20_keystream(&key, &mut tmp);
    Num3072::from_bytes(&tmp)
}

/// The set hash: numerator over denominator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuHash3072 {
    numerator: Num3072,
    denominator: Num3072,
}

impl Default for MuHash3072 {
    fn default() -> Self {
        MuHash3072 {
            numerator: Num3072::one(),
            denominator: Num3072::one(),
        }
    }
}

impl MuHash3072 {
    /// The hash of the one-element set `{data}`.
    pub fn of(data: &[u8]) -> Self {
        MuHash3072 {
            numerator: to_num3072(data),
            denominator: Num3072::one(),
        }
    }

    pub fn insert(&mut self, data: &[u8]) {
        self.numerator = self.numerator.mul(&to_num3072(data));
    }

    pub fn remove(&mut self, data: &[u8]) {
        self.denominator = self.denominator.mul(&to_num3072(data));
    }

    /// Set union (`operator*=`).
    pub fn combine(&mut self, other: &MuHash3072) {
        self.numerator = self.numerator.mul(&other.numerator);
        self.denominator = self.denominator.mul(&other.denominator);
    }

    /// Set difference (`operator/=`).
    pub fn subtract(&mut self, other: &MuHash3072) {
        self.numerator = self.numerator.mul(&other.denominator);
        self.denominator = self.denominator.mul(&other.numerator);
    }

    /// Core's serialization: numerator then denominator, 384 bytes each.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = self.numerator.to_bytes().to_vec();
        out.extend_from_slice(&self.denominator.to_bytes());
        out
    }

    /// The inverse of [`MuHash3072::serialize`] (Core's `SERIALIZE_METHODS`),
    /// for the coinstatsindex, which keeps the running state per block.
    pub fn deserialize(bytes: &[u8; 2 * BYTE_SIZE]) -> Self {
        let mut num = [0u8; BYTE_SIZE];
        let mut den = [0u8; BYTE_SIZE];
        num.copy_from_slice(&bytes[..BYTE_SIZE]);
        den.copy_from_slice(&bytes[BYTE_SIZE..]);
        MuHash3072 {
            numerator: Num3072::from_bytes(&num),
            denominator: Num3072::from_bytes(&den),
        }
    }

    /// `Finalize`: SHA256 of numerator/denominator, in internal byte order
    /// (RPCs show it reversed, as a `uint256`).
    pub fn finalize(&mut self) -> [u8; 32] {
        self.numerator = self.numerator.mul(&self.denominator.inverse());
        self.denominator = Num3072::one();
        sha256::Hash::hash(&self.numerator.to_bytes()).to_byte_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_int(i: u8) -> MuHash3072 {
        let mut tmp = [0u8; 32];
        tmp[0] = i;
        MuHash3072::of(&tmp)
    }

    fn hex_rev(b: [u8; 32]) -> String {
        let mut b = b;
        b.reverse();
        hex::encode(b)
    }

    const VECTOR: &str = "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863";

    #[test]
    fn core_vector_multiply_divide() {
        let mut acc = from_int(0);
        acc.combine(&from_int(1));
        acc.subtract(&from_int(2));
        assert_eq!(hex_rev(acc.finalize()), VECTOR);
    }

    #[test]
    fn core_vector_insert_remove() {
        let mut acc = from_int(0);
        let mut one = [0u8; 32];
        one[0] = 1;
        acc.insert(&one);
        let mut two = [0u8; 32];
        two[0] = 2;
        acc.remove(&two);
        assert_eq!(hex_rev(acc.finalize()), VECTOR);
    }

    #[test]
    fn core_vector_serialization() {
        let mut s = from_int(1);
        s.combine(&from_int(2));
        let ser = hex::encode(s.serialize());
        let numerator = concat!(
            "1fa093295ea30a6a3acdc7b3f770fa538eff537528e990e2910e40bbcfd7f6696b1256901929094694b56316de342f59",
            "3303dd12ac43e06dce1be1ff8301c845beb15468fff0ef002dbf80c29f26e6452bccc91b5cb9437ad410d2a67ea84788",
            "7fa3c6a6553309946880fe20db2c73fe0641adbd4e86edfee0d9f8cd0ee1230898873dc13ed8ddcaf045c80faa082774",
            "279007a2253f8922ee3ef361d378a6af3ddaf180b190ac97e556888c36b3d1fb1c85aab9ccd46e3deaeb7b7cf5db067a",
            "7e9ff86b658cf3acd6662bbcce37232daa753c48b794356c020090c831a8304416e2aa7ad633c0ddb2f11be1be316a81",
            "be7f7e472071c042cb68faef549c221ebff209273638b741aba5a81675c45a5fa92fea4ca821d7a324cb1e1a2ccd3b76",
            "c4228ec8066dad2a5df6e1bd0de45c7dd5de8070bdb46db6c554cf9aefc9b7b2bbf9f75b1864d9f95005314593905c01",
            "09b71f703d49944ae94477b51dac10a816bb6d1c700bafabc8bd86fac8df24be519a2f2836b16392e18036cb13e48c5c",
        );
        assert_eq!(&ser[..768], numerator);
        // The denominator is one.
        assert_eq!(&ser[768..770], "01");
        assert!(ser[770..].bytes().all(|c| c == b'0'));
    }

    #[test]
    fn empty_set_and_inverse_cancel() {
        let mut x = from_int(5);
        let y = from_int(9);
        x.combine(&y);
        x.subtract(&y);
        x.subtract(&from_int(5));
        assert_eq!(x.finalize(), MuHash3072::default().finalize());
    }
}
