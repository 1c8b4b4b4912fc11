//! JSONata's standard library: each built-in is a signature (validated before the call, which
//! also supplies the context value for `-` parameters) and a native implementation.

pub mod array;
pub mod datetime;
pub mod format;
pub mod hof;
pub mod integer;
pub mod numeric;
pub mod regex;
pub mod sfn;
pub mod string;

use super::signature::Signature;
use super::value::{Func, NativeImpl, Val};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

const TABLE: &[(&str, &str, NativeImpl)] = &[
    ("sum", "<a<n>:n>", numeric::sum),
    ("count", "<a:n>", numeric::count),
    ("max", "<a<n>:n>", numeric::max),
    ("min", "<a<n>:n>", numeric::min),
    ("average", "<a<n>:n>", numeric::average),
    ("number", "<(nsb)-:n>", numeric::number),
    ("floor", "<n-:n>", numeric::floor),
    ("ceil", "<n-:n>", numeric::ceil),
    ("round", "<n-n?:n>", numeric::round),
    ("abs", "<n-:n>", numeric::abs),
    ("sqrt", "<n-:n>", numeric::sqrt),
    ("power", "<n-n:n>", numeric::power),
    ("random", "<:n>", numeric::random),
    ("formatBase", "<n-n?:s>", numeric::format_base),
    ("formatNumber", "<n-so?:s>", format::format_number),
    ("formatInteger", "<n-s:s>", format::format_integer),
    ("parseInteger", "<s-s:n>", format::parse_integer),
    ("string", "<x-b?:s>", string::string),
    ("substring", "<s-nn?:s>", string::substring),
    ("substringBefore", "<s-s:s>", string::substring_before),
    ("substringAfter", "<s-s:s>", string::substring_after),
    ("lowercase", "<s-:s>", string::lowercase),
    ("uppercase", "<s-:s>", string::uppercase),
    ("length", "<s-:n>", string::length),
    ("trim", "<s-:s>", string::trim),
    ("pad", "<s-ns?:s>", string::pad),
    ("join", "<a<s>s?:s>", string::join),
    ("base64encode", "<s-:s>", string::base64encode),
    ("base64decode", "<s-:s>", string::base64decode),
    ("encodeUrlComponent", "<s-:s>", string::encode_url_component),
    ("encodeUrl", "<s-:s>", string::encode_url),
    ("decodeUrlComponent", "<s-:s>", string::decode_url_component),
    ("decodeUrl", "<s-:s>", string::decode_url),
    ("match", "<s-f<s:o>n?:a<o>>", regex::match_fn),
    ("contains", "<s-(sf):b>", regex::contains),
    ("replace", "<s-(sf)(sf)n?:s>", regex::replace),
    ("split", "<s-(sf)n?:a<s>>", regex::split),
    ("boolean", "<x-:b>", array::boolean),
    ("not", "<x-:b>", array::not),
    ("exists", "<x:b>", array::exists),
    ("type", "<x:s>", array::type_of),
    ("append", "<xx:a>", array::append_fn),
    ("reverse", "<a:a>", array::reverse),
    ("shuffle", "<a:a>", array::shuffle),
    ("distinct", "<x:x>", array::distinct),
    ("zip", "<a+>", array::zip),
    ("keys", "<x-:a<s>>", array::keys),
    ("lookup", "<x-s:x>", array::lookup),
    ("spread", "<x-:a<o>>", array::spread),
    ("merge", "<a<o>:o>", array::merge),
    ("error", "<s?:x>", array::error),
    ("assert", "<bs?:x>", array::assert),
    ("clone", "<(oa)-:o>", array::clone),
    ("sort", "<af?:a>", hof::sort),
    ("map", "<af>", hof::map),
    ("filter", "<af>", hof::filter),
    ("single", "<af?>", hof::single),
    ("reduce", "<afj?:j>", hof::reduce),
    ("sift", "<o-f?:o>", hof::sift),
    ("each", "<o-f:a>", hof::each),
    ("eval", "<sx?:x>", hof::eval),
    ("uuid", "<:s>", sfn::uuid),
    ("now", "<s?s?:s>", datetime::now),
    ("millis", "<:n>", datetime::millis),
    ("fromMillis", "<n-s?s?:s>", datetime::from_millis),
    ("toMillis", "<s-s?:n>", datetime::to_millis),
];

type Entry = (&'static str, Arc<Signature>, NativeImpl);

fn table() -> &'static HashMap<&'static str, Entry> {
    static T: OnceLock<HashMap<&'static str, Entry>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .iter()
            .map(|(name, sig, imp)| {
                let sig = Signature::parse(sig, 0).expect("built-in signatures are valid");
                (*name, (*name, Arc::new(sig), *imp))
            })
            .collect()
    })
}

/// The built-in `$name` as a function value.
pub fn builtin(name: &str) -> Option<Val> {
    table().get(name).map(|(_, sig, imp)| {
        Val::Func(Rc::new(Func::Native {
            sig: sig.clone(),
            imp: *imp,
        }))
    })
}

fn sfn_table() -> &'static HashMap<&'static str, Entry> {
    static T: OnceLock<HashMap<&'static str, Entry>> = OnceLock::new();
    T.get_or_init(|| {
        sfn::FUNCTIONS
            .iter()
            .map(|(name, sig, imp)| {
                let sig = Signature::parse(sig, 0).expect("Step Functions signatures are valid");
                (*name, (*name, Arc::new(sig), *imp))
            })
            .collect()
    })
}

/// A Step Functions extension (`$partition`, ...) as a function value.
pub fn sfn_builtin(name: &str) -> Option<Val> {
    sfn_table().get(name).map(|(_, sig, imp)| {
        Val::Func(Rc::new(Func::Native {
            sig: sig.clone(),
            imp: *imp,
        }))
    })
}

pub(crate) use super::error::{err, Result};
pub(crate) use super::value::Opt;

/// The first argument, or undefined.
pub fn arg(args: &[Opt], i: usize) -> Opt {
    args.get(i).cloned().flatten()
}
