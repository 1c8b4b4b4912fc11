//! The services (the four emulated ones, and the corner of STS that tools call first). Each exposes `call(ctx, operation, input) -> Result<Value, ApiError>`:
//! the input is already decoded from the wire into the JSON-protocol form (member names of
//! the JSON model, numbers as numbers, blobs as base64 strings) and validated against the
//! operation's input shape; the output is the JSON-protocol form of the output shape, which the
//! protocol layer encodes as JSON or XML.

pub mod events;
pub mod handlers;
pub(crate) mod named;
pub mod pagination;
pub(crate) mod policy;
pub mod registry;
pub mod sfn;
pub mod sns;
pub mod sqs;
pub mod sts;
pub(crate) mod tags;
pub mod validation;
