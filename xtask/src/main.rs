//! Workspace commands.
//!
//! `cargo run -p xtask -- idl` regenerates `idl/ballast.json` from the program with
//! anchor-lang-idl's builder (no anchor CLI). `cargo run -p xtask -- idl --check` fails if the
//! committed file differs; the test `idl_is_current` runs the same check in the test suite.

use std::path::{Path, PathBuf};

/// Workspace root (this crate lives in `<root>/xtask`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Committed IDL path.
pub fn idl_path() -> PathBuf {
    root().join("idl").join("ballast.json")
}

/// Builds the IDL as pretty JSON with a trailing newline.
pub fn build_idl() -> Result<String, String> {
    // The builder runs `cargo test __anchor_private_print_idl --features idl-build` in the program
    // directory. It breaks if RUSTUP_TOOLCHAIN is set, and it needs its own target directory so that
    // its different RUSTFLAGS do not invalidate the main build.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let target = root().join("target").join("idl");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root().join("programs").join("ballast"))
        .resolution(true)
        .skip_lint(false)
        .no_docs(false)
        .cargo_args(vec!["--locked".into(), "--target-dir".into(), target.display().to_string()])
        .build()
        .map_err(|e| format!("IDL build failed: {e}"))?;
    let mut json = serde_json::to_string_pretty(&idl).map_err(|e| e.to_string())?;
    json.push('\n');
    Ok(json)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("idl") => {
            let json = build_idl().unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
            let path = idl_path();
            if args.iter().any(|a| a == "--check") {
                let committed = std::fs::read_to_string(&path).unwrap_or_default();
                if committed != json {
                    eprintln!("{} is out of date: run `cargo run -p xtask -- idl`", path.display());
                    std::process::exit(1);
                }
                println!("{} is current", path.display());
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, json).unwrap();
                println!("wrote {}", path.display());
            }
        }
        _ => {
            eprintln!("usage: cargo run -p xtask -- idl [--check]");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed IDL equals a fresh build of the program's IDL.
    #[test]
    fn idl_is_current() {
        let fresh = build_idl().expect("IDL builds");
        let committed = std::fs::read_to_string(idl_path()).expect("idl/ballast.json is committed");
        assert!(committed == fresh, "idl/ballast.json is out of date: run `cargo run -p xtask -- idl`");
        // Spot checks that the IDL describes the program's instructions.
        let v: serde_json::Value = serde_json::from_str(&fresh).unwrap();
        let ixs: Vec<&str> =
            v["instructions"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        for want in [
            "create_group",
            "list_asset",
            "edit_asset",
            "refresh_asset",
            "create_account",
            "close_account",
            "set_delegate",
            "deposit",
            "withdraw",
            "check_health",
        ] {
            assert!(ixs.contains(&want), "IDL lacks {want}");
        }
        assert!(!ixs.contains(&"set_stub_oracle"), "the default IDL must not expose the stub oracle");
    }
}
