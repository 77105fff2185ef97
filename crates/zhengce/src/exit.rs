//! Exit statuses: 0 success, 2 bad input, 1 internal failure.

/// An error caused by the user's input (bad file, bad profile): exit status 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for a bad-input error.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// Prints the error (if any) and returns the exit status. `Ok(code)` lets a command report partial failure.
pub fn report(result: anyhow::Result<i32>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            if let Some(b) = e.downcast_ref::<BadInput>() {
                eprintln!("错误: {b}");
                return 2;
            } else {
                eprintln!("内部错误: {e:#}");
            }
            1
        }
    }
}
