//! Amazon States Language: the definition parser and validator (`parse` -> `ast`), and the
//! pieces of the data flow the interpreter uses: Step Functions' JSONPath, payload templates
//! (`Parameters`, `ResultSelector`, `.$` keys) and the intrinsic functions.
//! `interp` runs a parsed machine (JSONPath and JSONata states, variables; Task integrations
//! are still to come, and fail clearly with `States.Runtime`). `var_refs` lists the variables
//! each state reads (DescribeStateMachine's `variableReferences`).

pub mod ast;
pub mod compiled;
pub mod errors;
pub mod interp;
pub mod intrinsics;
pub mod jsonpath;
pub mod parse;
pub mod payload;
pub mod var_refs;
