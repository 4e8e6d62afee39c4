//! larch: a mailing-list archive server that imports mbox, maildir and pipermail archives
//! into SQLite, threads them, and serves them on the web.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod ingest;
pub mod live;
pub mod memory;
pub mod pause;
pub mod render;
pub mod search;
pub mod store;
pub mod web;

#[cfg(test)]
mod test_util;

/// The direction of dependencies, checked: each stage may use only the modules below it
/// (`domain` uses none), so that the layers stay a stack as the code grows. A file that
/// names a module outside its allowance fails this test with the line that does.
#[cfg(test)]
mod layers {
    /// Top-level module -> the crate modules it may name. Modules not listed (the command
    /// line, the demo, the configuration) sit on top and may use anything.
    const ALLOWED: &[(&str, &[&str])] = &[
        ("domain", &[]),
        ("i18n", &[]),
        ("store", &["domain"]),
        ("ingest", &["store", "domain"]),
        ("render", &["domain", "i18n"]),
        ("search", &["store", "domain"]),
        ("web", &["search", "render", "store", "domain", "i18n"]),
    ];

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn stages_import_only_what_lies_below_them() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut bad = Vec::new();
        let mut checked = 0;
        for (module, allowed) in ALLOWED {
            let mut files = Vec::new();
            let dir = src.join(module);
            if dir.is_dir() {
                rust_files(&dir, &mut files);
            }
            let single = src.join(format!("{module}.rs"));
            if single.is_file() {
                files.push(single);
            }
            assert!(!files.is_empty(), "no source for {module}");
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let mut rest = line;
                    while let Some(at) = rest.find("crate::") {
                        let after = &rest[at + "crate::".len()..];
                        // `crate::a::…` or `crate::{a, b::…}` (on one line).
                        let names: Vec<&str> = match after.strip_prefix('{') {
                            Some(group) => group
                                .split('}')
                                .next()
                                .unwrap_or("")
                                .split(',')
                                .map(|g| g.trim().split("::").next().unwrap_or(""))
                                .collect(),
                            None => vec![after.split("::").next().unwrap_or("")],
                        };
                        for name in names {
                            let name = name.trim_end_matches(|c: char| {
                                !(c.is_ascii_alphanumeric() || c == '_')
                            });
                            // The test helpers and the crash tests' pause hook are
                            // leaves that any stage may call.
                            let ok = name == *module
                                || name == "test_util"
                                || name == "pause"
                                || name.is_empty()
                                || allowed.contains(&name);
                            if !ok {
                                bad.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                            }
                            checked += 1;
                        }
                        rest = after;
                    }
                }
            }
        }
        assert!(
            checked > 20,
            "the scan found the crate's imports ({checked})"
        );
        assert!(
            bad.is_empty(),
            "imports across the layers:\n{}",
            bad.join("\n")
        );
    }

    /// Markup a template prints without escaping is made by the renderer or by escaping
    /// text, nowhere else: see `domain::escape::Html`.
    #[test]
    fn only_the_renderer_trusts_markup() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        // This file names the constructor only to look for it.
        let allowed = [
            src.join("render"),
            src.join("domain").join("escape.rs"),
            src.join("lib.rs"),
        ];
        let mut seen = 0;
        let mut bad = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let uses = text.matches("Html::trusted(").count();
            seen += uses;
            if uses > 0 && !allowed.iter().any(|a| f.starts_with(a)) {
                bad.push(f.display().to_string());
            }
        }
        assert!(seen > 1, "the scan found the renderer's markup ({seen})");
        assert!(
            bad.is_empty(),
            "markup trusted outside the renderer: {bad:?}"
        );
    }
}
