//! `wildcard` patterns: `*` matches any run of characters, `\*` and `\\` are literal. Also
//! event-ruler's complexity measure, which EventBridge uses to refuse patterns whose matching
//! could keep too many partial matches alive at once.

use std::collections::{BTreeSet, HashSet};

/// EventBridge refuses a field whose wildcards can have more than this many partial matches
/// alive at once for some input.
pub(crate) const MAX_COMPLEXITY: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Piece {
    Byte(u8),
    Star,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wildcard {
    source: String,
    pieces: Vec<Piece>,
}

impl Wildcard {
    /// Validates like event-ruler's WildcardParser; positions count UTF-8 bytes of the value
    /// with its opening quote, as event-ruler reports them.
    pub(crate) fn parse(text: &str) -> Result<Wildcard, String> {
        let quoted = format!("\"{text}\"");
        let b = quoted.as_bytes();
        let mut pieces = Vec::new();
        let mut i = 1;
        while i < b.len() - 1 {
            match b[i] {
                b'*' => {
                    if b.get(i + 1) == Some(&b'*') {
                        return Err(format!("Consecutive wildcard characters at pos {i}"));
                    }
                    pieces.push(Piece::Star);
                }
                b'\\' => match b.get(i + 1) {
                    Some(&n) if (n == b'*' || n == b'\\') && i + 1 < b.len() - 1 => {
                        pieces.push(Piece::Byte(n));
                        i += 1;
                    }
                    _ => return Err(format!("Invalid escape character at pos {i}")),
                },
                other => pieces.push(Piece::Byte(other)),
            }
            i += 1;
        }
        Ok(Wildcard {
            source: text.to_string(),
            pieces,
        })
    }

    /// Glob match over bytes, with the classic single-backtrack-point algorithm (linear in
    /// practice, never exponential).
    pub(crate) fn matches(&self, s: &str) -> bool {
        let p = &self.pieces;
        let t = s.as_bytes();
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(Piece::Byte(c)) if *c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                Some(Piece::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|x| *x == Piece::Star)
    }

    /// The pattern as event-ruler's byte machine sees it: the value between quotes.
    fn quoted_pieces(&self) -> Vec<Piece> {
        let mut v = Vec::with_capacity(self.pieces.len() + 2);
        v.push(Piece::Byte(b'"'));
        v.extend_from_slice(&self.pieces);
        v.push(Piece::Byte(b'"'));
        v
    }
}

/// The largest number of wildcard-pattern prefixes that one input can match at once, over all
/// inputs, for the patterns on one field (event-ruler's MachineComplexityEvaluator measure).
/// Each pattern is an automaton with one state per consumed piece; a `*` state loops on every
/// byte and is also entered without input. States count except the start, the state after the
/// opening quote and the accepting state. Stops early once `cap` is exceeded.
pub(crate) fn complexity(patterns: &[&Wildcard], cap: usize) -> usize {
    let mut seen_sources = HashSet::new();
    let autos: Vec<Vec<Piece>> = patterns
        .iter()
        .filter(|w| seen_sources.insert(w.source.clone()))
        .map(|w| w.quoted_pieces())
        .collect();
    if autos.is_empty() {
        return 0;
    }
    let mut alphabet: BTreeSet<u8> = BTreeSet::new();
    for a in &autos {
        for p in a {
            if let Piece::Byte(b) = p {
                alphabet.insert(*b);
            }
        }
    }
    // One byte that appears in no pattern stands for all such bytes.
    let other = (0u8..=255).find(|b| !alphabet.contains(b));
    let bytes: Vec<u8> = alphabet.iter().copied().chain(other).collect();

    type State = Vec<Vec<usize>>;
    let start: State = autos.iter().map(|a| closure(a, vec![0])).collect();
    let mut seen: HashSet<State> = HashSet::new();
    let mut todo = vec![start.clone()];
    seen.insert(start);
    let mut best = 0;
    // Bounded: subsets reachable in practice are few; the bound keeps a hostile pattern from
    // costing more than a few milliseconds.
    let mut budget = 20_000usize;
    while let Some(state) = todo.pop() {
        for &b in &bytes {
            let next: State = autos
                .iter()
                .zip(&state)
                .map(|(a, s)| closure(a, step(a, s, b)))
                .collect();
            let count: usize = autos
                .iter()
                .zip(&next)
                .map(|(a, s)| s.iter().filter(|&&q| q >= 2 && q < a.len()).count())
                .sum();
            best = best.max(count);
            if best > cap {
                return best;
            }
            if next.iter().any(|s| !s.is_empty()) && seen.insert(next.clone()) {
                budget = budget.saturating_sub(1);
                if budget == 0 {
                    return best;
                }
                todo.push(next);
            }
        }
    }
    best
}

fn closure(a: &[Piece], mut states: Vec<usize>) -> Vec<usize> {
    let mut i = 0;
    while i < states.len() {
        let q = states[i];
        if a.get(q) == Some(&Piece::Star) && !states.contains(&(q + 1)) {
            states.push(q + 1);
        }
        i += 1;
    }
    states.sort_unstable();
    states.dedup();
    states
}

fn step(a: &[Piece], states: &[usize], b: u8) -> Vec<usize> {
    let mut out = Vec::new();
    for &q in states {
        if q > 0 && a[q - 1] == Piece::Star {
            out.push(q);
        }
        if a.get(q) == Some(&Piece::Byte(b)) {
            out.push(q + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wildcard {
        Wildcard::parse(s).unwrap()
    }

    #[test]
    fn stars_match_any_run_and_escapes_are_literal() {
        assert!(w("/Users/*/doc.txt").matches("/Users/me/dir/doc.txt"));
        assert!(!w("/Users/*/doc.txt").matches("/Users/me/dir/notdoc.txt2"));
        assert!(w("a*b*c").matches("abc"));
        assert!(w("*").matches(""));
        assert!(w("").matches(""));
        assert!(!w("").matches("x"));
        assert!(w("a\\*b").matches("a*b"));
        assert!(!w("a\\*b").matches("axb"));
        assert!(w("a\\\\b").matches("a\\b"));
    }

    #[test]
    fn invalid_wildcards_get_event_rulers_messages() {
        assert_eq!(
            Wildcard::parse("arn:aws:events:us-east-1:**:event-bus/*").unwrap_err(),
            "Consecutive wildcard characters at pos 26"
        );
        assert_eq!(
            Wildcard::parse("a\\b").unwrap_err(),
            "Invalid escape character at pos 2"
        );
        assert_eq!(
            Wildcard::parse("a\\").unwrap_err(),
            "Invalid escape character at pos 2"
        );
    }

    fn cx(patterns: &[&str]) -> usize {
        let ws: Vec<Wildcard> = patterns.iter().map(|p| w(p)).collect();
        let refs: Vec<&Wildcard> = ws.iter().collect();
        complexity(&refs, 100)
    }

    /// Expected values from event-ruler's MachineComplexityEvaluatorTest.
    #[test]
    fn complexity_agrees_with_event_ruler() {
        let cases: &[(&[&str], usize)] = &[
            (&["*"], 1),
            (&["*", "ab*c"], 3),
            (&["abc"], 1),
            (&["*ab"], 2),
            (&["*aa"], 3),
            (&["a*b"], 2),
            (&["aa*"], 2),
            (&["a*bbb"], 4),
            (&["*ab*ad"], 4),
            (&["a*b*bb"], 5),
            (&["a*b*cd"], 3),
            (&["ab*b*"], 3),
            (&["*abc", "*abcde"], 4),
            (&["a*aaa", "aa*aa"], 7),
            (&["a*aax", "aaa*x"], 5),
            (&["abc*", "abcde*"], 3),
            (&["ab*cd", "ab*wx", "ab*yz"], 6),
            (&["ab*c", "ab*c"], 2),
            (&["*ab*b*b*"], 7),
            (&["*a*a*a*a*a*a*a*a*"], 17),
            (
                &["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"],
                10,
            ),
        ];
        for (patterns, expected) in cases {
            assert_eq!(cx(patterns), *expected, "{patterns:?}");
        }
    }

    #[test]
    fn eventbridge_limit_separates_recorded_cases() {
        assert!(cx(&["*:*:*:*:*:event-bus/*"]) > MAX_COMPLEXITY);
        assert!(cx(&["arn:aws:events:us-east-1:*:event-bus/*"]) <= MAX_COMPLEXITY);
        assert!(cx(&["/Users/*/dir/dir/dir/dir/dir/doc.txt"]) <= MAX_COMPLEXITY);
    }
}
