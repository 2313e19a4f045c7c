//! Keys and helpers shared by the unit tests of every part of the parser,
//! which all feed whole lines through `parse`.

use super::{AllowedSigner, parse};

// Real keys from `ssh-keygen -t ed25519|rsa|ecdsa -N ''`.
pub(super) const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIAuW8BgDd/1FFL5EfQwAY1UMKN2OIuGILobkcHPJeAoA";
pub(super) const K1_RAW: [u8; 32] = [
    11, 150, 240, 24, 3, 119, 253, 69, 20, 190, 68, 125, 12, 0, 99, 85, 12, 40, 221, 142, 34, 225,
    136, 46, 134, 228, 112, 115, 201, 120, 10, 0,
];
pub(super) const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIC1e0o7/3iMaqNea9mCJ5PBDgyARyaCI5LUwi8KK9VJ6";
pub(super) const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC5m8icrwVxlaRaROGMv6LeBnVj8itJPHkW/HC+vvVjx03V+WFI5h/W2OY678DuYzUgFh0bpy3WTeoNGpnQOOtm40wmbC+ncF0XAYG7qmEp7cuPu1NALakfRUmqsDdkLWS/VmNkw8WOqBcXPJKWk9OaSsjQ6avhmBwtxAThie50dx865YmKZ/WuBTz4ouXKOxQTATlEXsVRG4XkpCaZOXGmWoscu/DkCnIYxsh5L4sXmsW3Pgn9aUwEXr27EGURr42zJq9BXAzMSWEypHis9lP9sCH55rVsJarc7gEly1ZmSr1crHS8uBFCquNK+BMWxpOzrxml+RxBL02ohQxwCQOH";
pub(super) const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC45NUm0p7GN/smCugLBLPd4J9QdEo9CboLHwBwpnoYWud30cwGBXVITwnim8LljmnUznPdjVaDfjRhu/Hnkc6E=";

pub(super) fn one(text: &str) -> AllowedSigner {
    let mut signers = parse(text).expect("should parse");
    assert_eq!(signers.len(), 1, "{signers:?}");
    signers.remove(0)
}

pub(super) fn err_at(text: &str, line: usize, needle: &str) {
    let err = parse(text).expect_err("should fail");
    assert_eq!(err.line, line, "{err}");
    assert!(
        err.problem.to_string().contains(needle),
        "expected {needle:?} in {err}"
    );
    assert!(err.to_string().starts_with(&format!("line {line}: ")));
}

pub(super) fn wire_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    out.extend_from_slice(bytes);
}
