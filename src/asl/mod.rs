//! Amazon States Language: the definition parser and validator (`parse` -> `ast`).
//! The data flow (JSONPath, payload templates, intrinsic functions), the interpreter and the
//! Step Functions API are not built yet (issue 3).

pub mod ast;
pub mod errors;
pub mod parse;
