//! Standard output that survives a closed pipe (`zhengce search … | head`): the reader has gone, so
//! the command stops quietly with status 0 instead of panicking as `println!` would.

use std::io::Write as _;

/// Writes `text` to standard output.
pub fn text(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        #[allow(clippy::print_stderr)]
        {
            eprintln!("无法写入标准输出：{e}");
        }
        std::process::exit(1);
    }
}

/// Writes `line` and a newline to standard output.
pub fn line(line: &str) {
    text(&format!("{line}\n"));
}
