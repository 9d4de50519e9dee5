//! Golden files: compare a whole output with the file committed under tests/golden/;
//! `UPDATE_GOLDEN=1 cargo nextest run` rewrites them instead.

use std::path::Path;

pub fn assert_golden(relative: &str, actual: &str) {
    let path = super::repo().join("tests/golden").join(relative);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let diff = first_difference(&expected, actual);
        panic!(
            "{} differs from the output (run with UPDATE_GOLDEN=1 if the change is intended):\n{diff}",
            Path::new(relative).display()
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
