//! Golden files: compare a whole output with a committed file; `UPDATE_GOLDEN=1 cargo nextest
//! run` rewrites them instead.

use std::path::Path;

/// Whether the golden files are being rewritten (`UPDATE_GOLDEN` is set).
pub fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

/// Compares `actual` with the golden file `tests/golden/<relative>`.
pub fn assert_golden(relative: &str, actual: &str) {
    assert_file(&super::repo().join("tests/golden").join(relative), actual);
}

/// Compares `actual` with the committed file at `path`.
pub fn assert_file(path: &Path, actual: &str) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let shown = path.strip_prefix(super::repo()).unwrap_or(path).display();
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{shown} is missing: run with UPDATE_GOLDEN=1 to create it"));
    if expected != actual {
        let diff = first_difference(&expected, actual);
        panic!(
            "{shown} differs from the output (run with UPDATE_GOLDEN=1 if the change is intended):\n{diff}"
        );
    }
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  golden: {e}\n  output: {a}", i + 1);
        }
    }
    format!(
        "one is a prefix of the other ({} vs {} lines)",
        expected.lines().count(),
        actual.lines().count()
    )
}
