//! `phase complete N --tag`: the tag is SSH-signed with the record-signing key
//! and plain git verifies it against the repository's allowed_signers file.

use crate::support::{Repo, stderr};

#[test]
fn phase_tags_are_ssh_signed_and_git_tag_v_verifies_them() {
    let repo = Repo::new();
    let key = repo.setup_trusted();
    let config = "version = 1\n\n[[phases]]\nid = 0\nname = \"Setup\"\n";
    repo.write(".auditops.toml", config);
    repo.commit_all("one phase");
    let done: serde_json::Value =
        serde_json::from_str(&repo.ok(&["phase", "complete", "0", "--tag", "--json"])).unwrap();
    assert_eq!(done["tag"], "phase-0-complete");
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(repo.git(&["rev-parse", "phase-0-complete^{commit}"]), head);

    let object = repo.git(&["cat-file", "-p", "phase-0-complete"]);
    assert!(object.contains("-----BEGIN SSH SIGNATURE-----"), "{object}");
    let record = object
        .lines()
        .find_map(|l| l.strip_prefix("Completion record: "))
        .unwrap_or_else(|| panic!("no record id in {object}"));
    assert_eq!(record.len(), 64, "{record}");
    assert!(record.bytes().all(|b| b.is_ascii_hexdigit()));

    let verify = |signers: &str| {
        std::process::Command::new("git")
            .current_dir(repo.path())
            .args(["-c", &format!("gpg.ssh.allowedSignersFile={signers}")])
            .args(["tag", "-v", "phase-0-complete"])
            .output()
            .expect("git tag -v")
    };
    let out = verify(".auditops/allowed_signers");
    assert!(out.status.success(), "git tag -v failed: {}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("Good \"git\" signature"), "{said}");
    let principal = key.allowed_signers_line.split(' ').next().unwrap();
    assert!(said.contains(principal), "{said}");

    // Another trust list: git refuses the same tag.
    let other = tempfile::NamedTempFile::new().unwrap();
    let stranger = "someone@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAuW8BgDd/1FFL5EfQwAY1UMKN2OIuGILobkcHPJeAoA\n";
    std::fs::write(other.path(), stranger).unwrap();
    let out = verify(other.path().to_str().unwrap());
    assert!(!out.status.success(), "verified against a stranger's key");

    // Completing again keeps the tag where it is.
    repo.ok(&["phase", "complete", "0", "--tag"]);
    assert_eq!(repo.git(&["rev-parse", "phase-0-complete^{commit}"]), head);
}
