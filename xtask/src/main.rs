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

/// Checks that `current` only appends to `baseline` (a released IDL): every error keeps its code,
/// name and message and new codes come after the last released one; every event keeps its
/// discriminator and its released fields, in order and with their types, new fields only at the
/// end. Returns the violations.
pub fn append_only_violations(baseline: &serde_json::Value, current: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut out = Vec::new();
    let list = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    let errors = list(current, "errors");
    let max_released = list(baseline, "errors").iter().filter_map(|e| e["code"].as_u64()).max().unwrap_or(0);
    for old in list(baseline, "errors") {
        match errors.iter().find(|e| e["code"] == old["code"]) {
            Some(e) if e["name"] == old["name"] && e["msg"] == old["msg"] => {}
            Some(e) => out.push(format!("error {} changed: {} -> {}", old["code"], old["name"], e["name"])),
            None => out.push(format!("error {} ({}) removed", old["code"], old["name"])),
        }
    }
    for e in &errors {
        let known = list(baseline, "errors").iter().any(|o| o["code"] == e["code"]);
        if !known && e["code"].as_u64().unwrap_or(0) <= max_released {
            out.push(format!("new error {} ({}) inserted among released codes", e["code"], e["name"]));
        }
    }
    let fields = |idl: &Value, name: &Value| -> Option<Vec<Value>> {
        let t = list(idl, "types").into_iter().find(|t| t["name"] == *name)?;
        t["type"]["fields"].as_array().cloned()
    };
    for old in list(baseline, "events") {
        let Some(new) = list(current, "events").into_iter().find(|e| e["name"] == old["name"]) else {
            out.push(format!("event {} removed", old["name"]));
            continue;
        };
        if new["discriminator"] != old["discriminator"] {
            out.push(format!("event {} changed its discriminator", old["name"]));
        }
        let (Some(of), Some(nf)) = (fields(baseline, &old["name"]), fields(current, &old["name"])) else {
            out.push(format!("event {} has no field list", old["name"]));
            continue;
        };
        let strip = |f: &Value| (f["name"].clone(), f["type"].clone());
        if nf.len() < of.len() || of.iter().zip(&nf).any(|(a, b)| strip(a) != strip(b)) {
            out.push(format!("event {}: released fields changed (only appending is allowed)", old["name"]));
        }
        // A type nested in a released field sits mid-record: it may not change at all.
        let mut nested = Vec::new();
        for f in &of {
            referenced_types(&f["type"], &mut nested);
        }
        let mut i = 0;
        while i < nested.len() {
            let name = nested[i].clone();
            i += 1;
            let find = |idl: &Value| list(idl, "types").into_iter().find(|t| t["name"] == name.as_str());
            let (Some(a), b) = (find(baseline), find(current)) else { continue };
            if b.as_ref().map(|b| &b["type"]) != Some(&a["type"]) {
                out.push(format!("event {}: nested type {name} changed", old["name"]));
            }
            referenced_types(&a["type"], &mut nested);
        }
    }
    out
}

/// Checks that every zero-copy account of `baseline` (a released IDL) keeps its discriminator and
/// size in `current`, and every released field not named `*reserved*` keeps its name, type and byte
/// offset: new fields come out of reserved bytes, accounts never grow or move a field (an account
/// of the released size must keep working, docs/contributing.md). Returns the violations.
pub fn account_layout_violations(baseline: &serde_json::Value, current: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut out = Vec::new();
    let list = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    for old in list(baseline, "accounts") {
        let name = old["name"].clone();
        let Some(new) = list(current, "accounts").into_iter().find(|a| a["name"] == name) else {
            out.push(format!("account {name} removed"));
            continue;
        };
        if new["discriminator"] != old["discriminator"] {
            out.push(format!("account {name} changed its discriminator"));
        }
        let (Some(of), Some(nf)) = (layout(baseline, &name), layout(current, &name)) else {
            out.push(format!("account {name}: no bytemuck layout"));
            continue;
        };
        if of.1 != nf.1 {
            out.push(format!("account {name}: size {} -> {}", of.1, nf.1));
        }
        for (field, ty, offset) in of.0.iter().filter(|(f, _, _)| !f.contains("reserved")) {
            let reviewed = REVIEWED_TYPE_CHANGES.contains(&(name.as_str().unwrap_or(""), field.as_str()));
            if !nf.0.iter().any(|(f, t, o)| f == field && (t == ty || reviewed) && o == offset) {
                out.push(format!("account {name}: field {field} moved, changed or removed"));
            }
        }
    }
    out
}

/// Released fields whose IDL type changed with the same bytes and meaning, reviewed: `Asset.
/// stable_price` held price bits in an `Fx128` wrapper in v0.1.0 and holds them in `Price128` now
/// (the wrapper was renamed so a price cannot be read as an amount).
const REVIEWED_TYPE_CHANGES: [(&str, &str); 1] = [("Asset", "stable_price")];

/// A field of a bytemuck layout: name, IDL type, byte offset.
type Field = (String, serde_json::Value, usize);

/// The fields (name, type, byte offset) and size of a bytemuck struct of `idl` (padding-free, as
/// every zero-copy account is: the program asserts it).
fn layout(idl: &serde_json::Value, name: &serde_json::Value) -> Option<(Vec<Field>, usize)> {
    let t = idl["types"].as_array()?.iter().find(|t| t["name"] == *name)?;
    let mut at = 0usize;
    let mut fields = Vec::new();
    for f in t["type"]["fields"].as_array()? {
        fields.push((f["name"].as_str()?.to_string(), f["type"].clone(), at));
        at = at.checked_add(type_size(idl, &f["type"])?)?;
    }
    Some((fields, at))
}

/// Byte size of an IDL type in a bytemuck layout.
fn type_size(idl: &serde_json::Value, t: &serde_json::Value) -> Option<usize> {
    if let Some(s) = t.as_str() {
        return match s {
            "bool" | "u8" | "i8" => Some(1),
            "u16" | "i16" => Some(2),
            "u32" | "i32" | "f32" => Some(4),
            "u64" | "i64" | "f64" => Some(8),
            "u128" | "i128" => Some(16),
            "pubkey" => Some(32),
            _ => None,
        };
    }
    if let Some(a) = t["array"].as_array() {
        return type_size(idl, &a[0])?.checked_mul(usize::try_from(a[1].as_u64()?).ok()?);
    }
    let name = &t["defined"]["name"];
    layout(idl, name).map(|(_, n)| n)
}

/// Names of the defined types `v` (an IDL type or type definition) refers to, appended to `out`
/// once each.
fn referenced_types(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::Object(d)) = m.get("defined") {
                if let Some(n) = d.get("name").and_then(|n| n.as_str()) {
                    if !out.iter().any(|o| o == n) {
                        out.push(n.to_string());
                    }
                }
            }
            m.values().for_each(|x| referenced_types(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| referenced_types(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod append_only {
    use super::*;

    fn read(p: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("readable IDL")).expect("JSON")
    }

    /// Every released IDL under idl/released: the committed IDL only appends error codes and event
    /// fields to it (error codes and event layouts are ABI for every client and indexer).
    #[test]
    fn error_codes_and_event_layouts_are_append_only() {
        let current = read(&idl_path());
        let dir = root().join("idl").join("released");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("idl/released exists") {
            let path = entry.unwrap().path();
            let v = append_only_violations(&read(&path), &current);
            assert!(v.is_empty(), "{} -> idl/ballast.json: {v:#?}", path.display());
            checked += 1;
        }
        assert!(checked > 0, "no released IDL to compare with");
    }

    /// Every released IDL: each zero-copy account keeps its size and its released fields' offsets
    /// (no silent growth: a v0.1.0 account must keep working).
    #[test]
    fn account_layouts_keep_their_size_and_released_fields() {
        let current = read(&idl_path());
        for entry in std::fs::read_dir(root().join("idl").join("released")).expect("idl/released exists") {
            let path = entry.unwrap().path();
            let v = account_layout_violations(&read(&path), &current);
            assert!(v.is_empty(), "{} -> idl/ballast.json: {v:#?}", path.display());
        }
        // The released MarginAccount is 1,456 bytes (the program asserts it too).
        let released = read(&root().join("idl").join("released").join("ballast-v0.1.0.json"));
        assert_eq!(layout(&released, &"MarginAccount".into()).map(|l| l.1), Some(1_456));
    }

    /// The layout check catches a grown account, a moved field and a field taken from reserved
    /// bytes done right (allowed).
    #[test]
    fn the_layout_check_catches_growth_and_moves() {
        let base: serde_json::Value = serde_json::json!({
            "accounts": [{"name": "A", "discriminator": [1]}],
            "types": [{"name": "A", "type": {"fields": [
                {"name": "x", "type": "u64"}, {"name": "k", "type": "pubkey"},
                {"name": "reserved", "type": {"array": ["u8", 8]}}]}}]
        });
        assert!(account_layout_violations(&base, &base).is_empty());
        let mut used = base.clone();
        used["types"][0]["type"]["fields"] = serde_json::json!([
            {"name": "x", "type": "u64"}, {"name": "k", "type": "pubkey"},
            {"name": "y", "type": "u32"}, {"name": "reserved", "type": {"array": ["u8", 4]}}]);
        assert!(account_layout_violations(&base, &used).is_empty());
        let mut grown = base.clone();
        grown["types"][0]["type"]["fields"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "z", "type": "u8"}));
        assert_eq!(account_layout_violations(&base, &grown).len(), 1);
        let mut moved = base.clone();
        moved["types"][0]["type"]["fields"].as_array_mut().unwrap().swap(0, 1);
        assert_eq!(account_layout_violations(&base, &moved).len(), 2);
    }

    /// The check itself catches a renamed error, an inserted code, a removed event field and a
    /// reordered one.
    #[test]
    fn the_append_only_check_catches_changes() {
        let base: serde_json::Value = serde_json::json!({
            "errors": [{"code": 6000, "name": "A", "msg": "a"}, {"code": 6001, "name": "B", "msg": "b"}],
            "events": [{"name": "E", "discriminator": [1]}],
            "types": [{"name": "E", "type": {"fields": [{"name": "x", "type": "u64"}, {"name": "y", "type": "u8"}]}}]
        });
        assert!(append_only_violations(&base, &base).is_empty());
        let mut appended = base.clone();
        appended["errors"].as_array_mut().unwrap().push(serde_json::json!({"code": 6002, "name": "C", "msg": "c"}));
        appended["types"][0]["type"]["fields"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "z", "type": "u8"}));
        assert!(append_only_violations(&base, &appended).is_empty());
        let mut renamed = base.clone();
        renamed["errors"][1]["name"] = "Bee".into();
        assert_eq!(append_only_violations(&base, &renamed).len(), 1);
        let mut reordered = base.clone();
        reordered["types"][0]["type"]["fields"].as_array_mut().unwrap().swap(0, 1);
        assert_eq!(append_only_violations(&base, &reordered).len(), 1);
        let mut removed = base.clone();
        removed["types"][0]["type"]["fields"].as_array_mut().unwrap().pop();
        assert_eq!(append_only_violations(&base, &removed).len(), 1);
        let mut gone = base.clone();
        gone["errors"].as_array_mut().unwrap().remove(0);
        assert_eq!(append_only_violations(&base, &gone).len(), 1);
        // A type nested in a released event may not change, not even by appending.
        let mut with_nested = base.clone();
        with_nested["types"][0]["type"]["fields"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "c", "type": {"defined": {"name": "Cfg"}}}));
        with_nested["types"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "Cfg", "type": {"fields": [{"name": "a", "type": "u8"}]}}));
        assert!(append_only_violations(&with_nested, &with_nested).is_empty());
        let mut grown = with_nested.clone();
        grown["types"][1]["type"]["fields"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "b", "type": "u8"}));
        assert_eq!(append_only_violations(&with_nested, &grown).len(), 1);
    }
}
