//! The properties the fuzz targets (`fuzz/`) check on every input, and the replay of their
//! committed corpus: this file is a module of the test program and is included by the fuzz
//! targets, so both check the same things.
//!
//! - `render`: a manifest stream through the whole post-render with the example values:
//!   no panic; an output or an error; rendering the output again changes nothing; a stream
//!   no filter changes leaves byte for byte; every changed document means, as JSON, the
//!   input's document with exactly the recorded RFC 6902 changes applied.
//! - `values`: a values file's text through reading and validation: no panic; valid, or
//!   invalid with at least one problem placed at a line and column inside the text.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kubectl_smi::render::{Filter, PostRenderStrategy, RenderOptions, filters, run};
use kubectl_smi::stream::{Limits, Stream};
use kubectl_smi::values::{ValuesError, load_text};

fn repo() -> PathBuf {
    // CARGO_MANIFEST_DIR is the repository (tests) or fuzz/ (the fuzz targets).
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if dir.ends_with("fuzz") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

thread_local! {
    /// The filters of `render -f examples/values-aws.yaml`, built once per thread.
    static FILTERS: Vec<Box<dyn Filter>> = example_filters();
}

fn example_filters() -> Vec<Box<dyn Filter>> {
    let loaded = kubectl_smi::values::load(&[repo().join("examples/values-aws.yaml")])
        .expect("the example values load");
    let options = RenderOptions {
        values: loaded.typed().expect("the example values are valid"),
        values_json: loaded.merged.clone(),
        overlay_dirs: Vec::new(),
        strict: false,
        strategy: PostRenderStrategy::Combined,
        rewrite_all: false,
        limits: Limits::default(),
    };
    filters(&options).expect("the example filters build")
}

fn render_text(text: &str) -> Result<(String, kubectl_smi::render::Rendered), String> {
    let rendered = FILTERS
        .with(|filters| run(filters, text.to_owned(), Limits::default()))
        .map_err(|e| e.to_string())?;
    let output = String::from_utf8(rendered.output.clone()).expect("the output is UTF-8");
    Ok((output, rendered))
}

/// The `render` target's properties; panics (a finding) when one does not hold.
pub fn check_render(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return; // read_input refuses non-UTF-8 before any YAML is read
    };
    let Ok((output, rendered)) = render_text(text) else {
        return; // an error, nothing written: a valid outcome
    };
    let (again, second) = render_text(&output).expect("the output renders again");
    assert_eq!(again, output, "rendering the output again changed it");
    assert!(
        second.changes.is_empty(),
        "a second render recorded changes: {:?}",
        second.changes
    );
    if rendered.changes.is_empty()
        && !text.trim().is_empty()
        && text.contains(|c: char| !c.is_whitespace() && c != '#')
    {
        assert_eq!(
            output, text,
            "a stream no filter changed is not byte for byte the input"
        );
    }
    let mut input =
        Stream::parse(text.to_owned(), Limits::default()).expect("the input parsed in render");
    let mut written = Stream::parse(output.clone(), Limits::default()).expect("the output parses");
    let out_objects = written.objects();
    for object in input.objects() {
        let mut expected = input.json(object).expect("the input object reads");
        let number = object.document + 1;
        for change in rendered
            .changes
            .iter()
            .filter(|c| c.document == Some(number))
        {
            let ops: Vec<json_patch::PatchOperation> = change.patch.clone();
            if object.item.is_some() {
                continue; // List items: patches are rooted at the document
            }
            json_patch::patch(&mut expected, &ops).expect("a recorded change applies to the input");
        }
        if object.item.is_some() {
            continue;
        }
        let found = out_objects
            .iter()
            .find(|o| o.document == object.document && o.item.is_none())
            .copied()
            .expect("every input document is in the output");
        let actual = written.json(found).expect("the output object reads");
        assert_eq!(
            actual, expected,
            "document {number} means something else than the input plus its recorded changes"
        );
    }
}

/// The `values` target's properties.
pub fn check_values(bytes: &[u8]) {
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return;
    };
    // YAML's line breaks: CR LF, LF, and a lone CR (as the parser counts positions).
    let lines = text
        .replace("\r\n", "\n")
        .split(['\n', '\r'])
        .count()
        .max(1);
    let result =
        load_text(Path::new("fuzz.yaml"), text).and_then(|loaded| loaded.typed().map(|_| ()));
    match result {
        Ok(()) => {}
        Err(ValuesError::Invalid { problems }) => {
            assert!(!problems.is_empty(), "invalid with no problem");
            for problem in &problems {
                assert!(
                    problem.line >= 1 && problem.line <= lines + 1,
                    "problem outside the text: {problem:?}"
                );
                assert!(problem.column >= 1, "column 0: {problem:?}");
            }
        }
        Err(_) => {}
    }
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = repo().join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn the_render_corpus_replays_with_every_property_holding() {
    let files = corpus("render");
    assert!(
        !files.is_empty(),
        "fuzz/corpus/render holds the committed findings and seeds"
    );
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        let result = std::panic::catch_unwind(|| check_render(&bytes));
        assert!(result.is_ok(), "{} fails a property", file.display());
    }
}

#[test]
fn the_values_corpus_replays_with_every_property_holding() {
    let files = corpus("values");
    assert!(
        !files.is_empty(),
        "fuzz/corpus/values holds the committed findings and seeds"
    );
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        let result = std::panic::catch_unwind(|| check_values(&bytes));
        assert!(result.is_ok(), "{} fails a property", file.display());
    }
}
