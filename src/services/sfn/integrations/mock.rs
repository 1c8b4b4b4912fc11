//! Mocked Task responses in the file format of AWS Step Functions Local
//! (`SFN_MOCK_CONFIG` / `--mock-config`):
//!
//! ```json
//! {"StateMachines": {"<machine name>": {"TestCases": {"<test case>": {"<state>": "<response>"}}}},
//!  "MockedResponses": {"<response>": {"0": {"Return": {...}}, "1-2": {"Throw": {"Error": "..", "Cause": ".."}}}}}
//! ```
//!
//! An execution started on `<state machine ARN>#<test case>` uses that test case: each time a
//! listed state's Task runs (retries included), the next invocation's response is used instead
//! of calling the resource.

use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Mocked {
    Return(Value),
    Throw {
        error: Option<String>,
        cause: Option<String>,
    },
}

#[derive(Debug, Default)]
pub struct MockConfig {
    /// machine name -> test case -> state name -> response name.
    cases: HashMap<String, HashMap<String, HashMap<String, String>>>,
    /// response name -> (first invocation, last invocation, response), in file order.
    responses: HashMap<String, Vec<(u64, u64, Mocked)>>,
}

impl MockConfig {
    /// Parses the file's text; the message says what is wrong, for the startup error.
    pub fn parse(text: &str) -> Result<MockConfig, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let mut config = MockConfig::default();
        if let Some(machines) = doc.get("StateMachines").and_then(Value::as_object) {
            for (machine, body) in machines {
                let Some(cases) = body.get("TestCases").and_then(Value::as_object) else {
                    return Err(format!("StateMachines.{machine} has no TestCases object"));
                };
                let entry = config.cases.entry(machine.clone()).or_default();
                for (case, states) in cases {
                    let Some(states) = states.as_object() else {
                        return Err(format!("TestCases.{case} of {machine} is not an object"));
                    };
                    let mut map = HashMap::new();
                    for (state, response) in states {
                        let Some(response) = response.as_str() else {
                            return Err(format!(
                                "TestCases.{case}.{state} of {machine} must name a MockedResponse"
                            ));
                        };
                        map.insert(state.clone(), response.to_string());
                    }
                    entry.insert(case.clone(), map);
                }
            }
        }
        if let Some(responses) = doc.get("MockedResponses").and_then(Value::as_object) {
            for (name, invocations) in responses {
                let Some(invocations) = invocations.as_object() else {
                    return Err(format!("MockedResponses.{name} is not an object"));
                };
                let mut list = Vec::new();
                for (range, response) in invocations {
                    let (first, last) = parse_range(range).ok_or_else(|| {
                        format!("MockedResponses.{name}: '{range}' is not an invocation index or range such as \"1-2\"")
                    })?;
                    let mocked = if let Some(ret) = response.get("Return") {
                        Mocked::Return(ret.clone())
                    } else if let Some(throw) = response.get("Throw") {
                        Mocked::Throw {
                            error: throw
                                .get("Error")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            cause: throw
                                .get("Cause")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        }
                    } else {
                        return Err(format!(
                            "MockedResponses.{name}.{range} needs a Return or a Throw"
                        ));
                    };
                    list.push((first, last, mocked));
                }
                config.responses.insert(name.clone(), list);
            }
        }
        Ok(config)
    }

    /// Whether `machine` has the test case (StartExecution refuses unknown ones).
    pub fn has_case(&self, machine: &str, case: &str) -> bool {
        self.cases
            .get(machine)
            .is_some_and(|c| c.contains_key(case))
    }

    /// The responses the test case lists for `state`, if it mocks that state.
    pub fn responses(
        &self,
        machine: &str,
        case: &str,
        state: &str,
    ) -> Option<&[(u64, u64, Mocked)]> {
        let name = self.cases.get(machine)?.get(case)?.get(state)?;
        self.responses.get(name).map(Vec::as_slice)
    }

    /// The response for the `invocation`-th (0-based) run of `state`'s Task, if the test case
    /// mocks that state.
    pub fn response(
        &self,
        machine: &str,
        case: &str,
        state: &str,
        invocation: u64,
    ) -> Option<Mocked> {
        pick(self.responses(machine, case, state)?, invocation)
    }
}

/// The response listed for `invocation`; past the last listed invocation, the last repeats.
pub fn pick(list: &[(u64, u64, Mocked)], invocation: u64) -> Option<Mocked> {
    list.iter()
        .find(|(first, last, _)| (*first..=*last).contains(&invocation))
        .or_else(|| list.iter().max_by_key(|(_, last, _)| *last))
        .map(|(_, _, m)| m.clone())
}

fn parse_range(range: &str) -> Option<(u64, u64)> {
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => {
            let n = range.trim().parse().ok()?;
            Some((n, n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invocations_pick_their_response_by_index_and_range() {
        let config = MockConfig::parse(
            &json!({
                "StateMachines": {"m": {"TestCases": {"Happy": {"A": "r"}}}},
                "MockedResponses": {"r": {
                    "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                    "1-2": {"Return": {"n": 1}},
                    "3": {"Return": {"n": 3}}
                }}
            })
            .to_string(),
        )
        .unwrap();
        assert!(config.has_case("m", "Happy"));
        assert!(!config.has_case("m", "Sad"));
        assert_eq!(
            config.response("m", "Happy", "A", 0),
            Some(Mocked::Throw {
                error: Some("Lambda.TooManyRequestsException".into()),
                cause: Some("slow down".into())
            })
        );
        assert_eq!(
            config.response("m", "Happy", "A", 2),
            Some(Mocked::Return(json!({"n": 1})))
        );
        assert_eq!(
            config.response("m", "Happy", "A", 9),
            Some(Mocked::Return(json!({"n": 3})))
        );
        assert_eq!(config.response("m", "Happy", "B", 0), None);
    }

    #[test]
    fn a_malformed_file_is_refused_with_a_reason() {
        assert!(MockConfig::parse("{").is_err());
        let bad = json!({"MockedResponses": {"r": {"x": {"Return": 1}}}}).to_string();
        assert!(MockConfig::parse(&bad).unwrap_err().contains("'x'"));
    }
}
