//! The operation coverage table in the README: implemented / total per service, and the
//! missing operations by name. `stepyard coverage` prints it; a test checks the README's copy.

use crate::request::ServiceId;

pub fn markdown_table() -> String {
    let mut out = String::from("| service | implemented | missing |\n|---|---|---|\n");
    for service in ServiceId::ALL {
        let all = service.model().operation_names();
        let implemented = service.implemented_operations();
        let missing: Vec<&str> = all
            .iter()
            .copied()
            .filter(|op| !implemented.contains(op))
            .collect();
        let done = all.len() - missing.len();
        let missing_text = if missing.is_empty() {
            "none".to_string()
        } else if done == 0 {
            "all".to_string()
        } else {
            missing.join(", ")
        };
        out.push_str(&format!(
            "| {} | {done} / {} | {missing_text} |\n",
            display_name(service),
            all.len()
        ));
    }
    out
}

fn display_name(service: ServiceId) -> &'static str {
    match service {
        ServiceId::Sqs => "SQS",
        ServiceId::Sns => "SNS",
        ServiceId::Events => "EventBridge",
        ServiceId::StepFunctions => "Step Functions",
        ServiceId::Sts => "STS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_tables_name_each_operation_of_the_model_once() {
        for service in ServiceId::ALL {
            let names = service.implemented_operations();
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "{}'s operation table names an operation twice: {names:?}",
                service.name()
            );
            for name in names {
                assert!(
                    service.model().operation(name).is_some(),
                    "{}'s operation table names {name}, which its model does not have",
                    service.name()
                );
            }
        }
    }

    #[test]
    fn readme_table_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("README.md is readable");
        let start = readme
            .find("<!-- coverage:start -->\n")
            .expect("README has a coverage:start marker");
        let end = readme
            .find("<!-- coverage:end -->")
            .expect("README has a coverage:end marker");
        let in_readme = &readme[start + "<!-- coverage:start -->\n".len()..end];
        assert_eq!(
            in_readme.trim_end(),
            markdown_table().trim_end(),
            "README's coverage table is stale: run scripts/update-coverage"
        );
    }
}
