//! The generated code in `src/generated/` is what `regenerate.sh` makes of
//! the schemas now. Skipped (with a note) where `capnp` or `capnpc-rust` is
//! not installed.

use std::path::Path;
use std::process::Command;

fn on_path(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// The generated text without the header lines that name tool versions.
fn comparable(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.starts_with("// capnp binary version") && !l.starts_with("// capnpc crate version")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn generated_code_is_up_to_date() {
    if !on_path("capnp") || !on_path("capnpc-rust") {
        println!("note: capnp or capnpc-rust not on PATH; not checking src/generated (see regenerate.sh)");
        return;
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("sh")
        .arg(crate_dir.join("regenerate.sh"))
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success(), "regenerate.sh failed");
    let mut names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut kept: Vec<_> = std::fs::read_dir(crate_dir.join("src/generated"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    kept.sort();
    assert_eq!(names, kept, "generated files differ from src/generated");
    for name in names {
        let fresh = std::fs::read_to_string(out.path().join(&name)).unwrap();
        let kept = std::fs::read_to_string(crate_dir.join("src/generated").join(&name)).unwrap();
        assert!(
            comparable(&fresh) == comparable(&kept),
            "src/generated/{} is stale: run crates/ipc/regenerate.sh",
            name.to_string_lossy()
        );
    }
}
