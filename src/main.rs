use kubectl_smi::stream::{Limits, Stream, read_input};

fn main() {
    let limits = Limits::default();
    let input = read_input(std::io::stdin().lock(), &limits).unwrap_or_else(|e| { eprintln!("{e}"); std::process::exit(1) });
    let mut stream = Stream::parse(input, limits).unwrap_or_else(|e| { eprintln!("{e}"); std::process::exit(1) });
    if std::env::args().any(|a| a == "--rewrite-all") { stream.rewrite_all().unwrap(); }
    stream.write(&mut std::io::stdout().lock()).unwrap();
}
