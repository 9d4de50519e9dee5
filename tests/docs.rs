//! The documentation as a reader follows it: every relative link and anchor leads somewhere,
//! the contributor guide's layout names only paths that exist, and the README opens with the
//! two set-up commands, the second being the test command CI runs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::support::repo;

/// The Markdown files a reader is sent to.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = [
        "README.md",
        "CONTRIBUTING.md",
        "examples/staging/README.md",
        "crates/fake-apiserver/README.md",
    ]
    .iter()
    .map(|p| repo().join(p))
    .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The text's lines outside fenced code blocks, with their 1-based numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// GitHub's anchor for a heading: lowercased, punctuation other than `-` and `_` dropped,
/// spaces made `-`; a repeated heading gets `-1`, `-2`, ...
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, line) in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while seen.contains(&unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        seen.insert(unique);
    }
    seen
}

/// `(line, target)` of every inline link `[text](target)` in the prose.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in prose(text) {
        // Inline code (`[a-z]([-a-z]*)`) holds no links.
        let line: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect();
        let mut rest = line.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((number, after[..end].to_owned()));
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_relative_link_and_anchor_leads_somewhere() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                dir.join(path)
            };
            let place = format!("{}:{line}: {target}", page.display());
            if !file.exists() {
                broken.push(format!("{place}: no file {}", file.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let target_text = std::fs::read_to_string(&file).unwrap_or_default();
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!("{place}: no heading with that anchor"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Whether a backticked name in the layout is a repository path (not a type or a command).
fn repository_path(name: &str) -> bool {
    const ROOTS: &[&str] = &[
        "src/",
        "tests/",
        "crates/",
        "docs/",
        "examples/",
        "bench/",
        "benches/",
        "scripts/",
        "schemas/",
        "krew/",
        "fuzz/",
    ];
    ROOTS.iter().any(|root| name.starts_with(root)) && !name.contains(' ')
}

/// Whether `pattern` (a path, possibly with one `*` or a `<placeholder>`) names something.
fn exists(pattern: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    let wild = pattern.find(['*', '<']);
    let Some(at) = wild else {
        return repo().join(pattern).exists();
    };
    let (dir, _) = pattern[..at].rsplit_once('/').unwrap_or(("", ""));
    let prefix = &pattern[dir.len() + usize::from(!dir.is_empty())..at];
    let suffix = pattern[at..]
        .rsplit_once(['*', '>'])
        .map(|(_, s)| s)
        .unwrap_or("");
    std::fs::read_dir(repo().join(dir)).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
    })
}

#[test]
fn the_layout_names_only_paths_that_exist() {
    let text = std::fs::read_to_string(repo().join("CONTRIBUTING.md")).unwrap();
    let layout = text
        .split("\n## Layout\n")
        .nth(1)
        .expect("CONTRIBUTING.md has a Layout section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut named = 0;
    let mut missing = Vec::new();
    for (_, line) in prose(layout) {
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 1 && repository_path(part) {
                named += 1;
                if !exists(part) {
                    missing.push(part.to_owned());
                }
            }
        }
    }
    assert!(
        named > 30,
        "the layout names the tree's paths ({named} found)"
    );
    assert!(
        missing.is_empty(),
        "the layout names paths that do not exist: {missing:?}"
    );
}

#[test]
fn the_readme_opens_with_the_two_set_up_commands_and_ci_runs_the_second() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let first_section = readme.split("\n## ").nth(1).expect("a first section");
    assert!(
        first_section.starts_with("Set-up on a fresh machine"),
        "the README's first section is the set-up"
    );
    let blocks: Vec<&str> = first_section
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().trim())
        .collect();
    assert_eq!(blocks.len(), 2, "exactly two set-up commands: {blocks:?}");
    assert!(blocks[0].starts_with("cargo run --release --locked -- render"));
    let test_command = blocks[1];
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    let runs = |command: &str| ci.lines().any(|l| l.trim() == command);
    let (pip, nextest) = test_command.split_once(" && ").unwrap();
    assert!(
        pip.starts_with("python3 -m pip install") && pip.ends_with("-r tests/requirements.txt")
    );
    assert!(runs(nextest), ".ci/run runs `{nextest}`");
    let contributing = std::fs::read_to_string(repo().join("CONTRIBUTING.md")).unwrap();
    assert!(
        contributing.contains(test_command),
        "CONTRIBUTING.md gives the same test command"
    );
}

#[test]
fn every_command_has_its_page_in_the_readme() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let commands = readme
        .split("\n## Commands\n")
        .nth(1)
        .expect("a Commands section")
        .split("\n## ")
        .next()
        .unwrap();
    let help = crate::support::ok(crate::support::kubectl_smi().arg("--help"));
    let listed: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(listed.len() >= 10, "commands in --help: {listed:?}");
    for command in listed {
        assert!(
            commands.contains(&format!("`{command}")),
            "README's Commands table names `{command}`"
        );
    }
}
