//! Amazon States Language: the definition parser and validator (`parse` -> `ast`), and the
//! pieces of the data flow the interpreter uses: Step Functions' JSONPath, payload templates
//! (`Parameters`, `ResultSelector`, `.$` keys) and the intrinsic functions.
//! The interpreter and the Step Functions API are not built yet (issue 3).

pub mod ast;
pub mod errors;
pub mod intrinsics;
pub mod jsonpath;
pub mod parse;
pub mod payload;
