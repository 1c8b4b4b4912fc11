//! The typed form of an Amazon States Language definition, as `parse` produces it.
//!
//! Paths (`InputPath`, `...Path` fields, Choice variables) and the JSONPath templates
//! `Parameters` of Pass/Task/Parallel, `ResultSelector` and `Assign` are held compiled, as the parser
//! made them, so running a state never compiles them again; the other payload templates
//! (`Arguments`, `Output`, `Assign`, `ItemSelector` ...) and JSONata expressions are kept as
//! the validated `serde_json::Value`s of the definition.

pub use crate::asl::compiled::{JsonataExpr, JsonataTemplate, Payload, Reference};
use crate::asl::jsonpath::JsonPath;
pub use crate::asl::payload::Template;
use serde_json::Value;
use std::sync::Arc;

/// `QueryLanguage` of the whole machine or of one state (a state inherits the machine's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A state machine, or a nested one (a Parallel branch, a Map's `ItemProcessor`/`Iterator`);
/// nested ones never carry `timeout_seconds` or `version`.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub start_at: String,
    /// In definition order.
    pub states: Vec<State>,
    pub timeout_seconds: Option<u64>,
    pub version: Option<String>,
    pub query_language: QueryLanguage,
}

impl StateMachine {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }
}

/// A data-flow path field whose `null` means "discard" (`InputPath`, `OutputPath`,
/// `ResultPath`); absent fields are `Path($)`.
#[derive(Debug, Clone, PartialEq)]
pub enum DataPath {
    Discard,
    Path(JsonPath),
}

impl Default for DataPath {
    fn default() -> Self {
        DataPath::Path(JsonPath::whole_input())
    }
}

/// A value given literally, by a JSONPath (`...Path` field, JSONPath states) or by a JSONata
/// expression (`"{% ... %}"`, JSONata states).
#[derive(Debug, Clone, PartialEq)]
pub enum Dynamic<T> {
    Literal(T),
    Path(Box<Reference>),
    Jsonata(Arc<JsonataExpr>),
}

/// `Assign` in its state's language: a compiled JSONPath template (evaluated over the
/// state's result), or JSONata's value (an object of values and `{% %}` strings, or one
/// expression giving an object).
#[derive(Debug, Clone, PartialEq)]
pub enum Assign {
    JsonPath(Template),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Next(String),
    End,
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    /// The name, and `State <name>`, as a run's trace shows them: made once with the machine
    /// so that each state entered shares them rather than copying them.
    pub labels: StateLabels,
    pub comment: Option<String>,
    /// Effective language (the state's own `QueryLanguage`, else the machine's).
    pub query_language: QueryLanguage,
    /// JSONPath states only; `Path("$")` when absent.
    pub input_path: DataPath,
    pub output_path: DataPath,
    /// `Assign` (both languages).
    pub assign: Option<Assign>,
    /// `Output` (JSONata states).
    pub output: Option<JsonataTemplate>,
    /// `None` for Choice, Succeed and Fail.
    pub transition: Option<Transition>,
    pub kind: StateKind,
}

/// See [`State::labels`].
#[derive(Debug, Clone)]
pub struct StateLabels {
    pub name: Arc<str>,
    pub span: Arc<str>,
}

impl StateLabels {
    pub fn of(name: &str) -> StateLabels {
        StateLabels {
            name: Arc::from(name),
            span: Arc::from(format!("State {name}")),
        }
    }
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(PassState),
    Task(TaskState),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed,
    Fail(FailState),
    Parallel(ParallelState),
    Map(Box<MapState>),
}

impl State {
    /// `Retry` of a Task, Parallel or Map state; empty for the others.
    pub fn retriers(&self) -> &[Retrier] {
        match &self.kind {
            StateKind::Task(t) => &t.retry,
            StateKind::Parallel(p) => &p.retry,
            StateKind::Map(m) => &m.retry,
            _ => &[],
        }
    }

    /// `Catch` of a Task, Parallel or Map state; empty for the others.
    pub fn catchers(&self) -> &[Catcher] {
        match &self.kind {
            StateKind::Task(t) => &t.catch,
            StateKind::Parallel(p) => &p.catch,
            StateKind::Map(m) => &m.catch,
            _ => &[],
        }
    }

    /// `ResultPath` of the states that have one (`Path("$")` when absent).
    pub fn result_path(&self) -> Option<&DataPath> {
        match &self.kind {
            StateKind::Pass(p) => Some(&p.result_path),
            StateKind::Task(t) => Some(&t.result_path),
            StateKind::Parallel(p) => Some(&p.result_path),
            StateKind::Map(m) => Some(&m.result_path),
            _ => None,
        }
    }

    /// `ResultSelector` of a Task, Parallel or Map state.
    pub fn result_selector(&self) -> Option<&Template> {
        match &self.kind {
            StateKind::Task(t) => t.result_selector.as_ref(),
            StateKind::Parallel(p) => p.result_selector.as_ref(),
            StateKind::Map(m) => m.result_selector.as_ref(),
            _ => None,
        }
    }
}

impl StateKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PassState {
    pub result: Option<Value>,
    pub result_path: DataPath,
    pub parameters: Option<Template>,
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub resource: String,
    pub parameters: Option<Template>,
    pub arguments: Option<JsonataTemplate>,
    pub result_selector: Option<Template>,
    pub result_path: DataPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout_seconds: Option<Dynamic<u64>>,
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    /// `Credentials` object (`RoleArn`, or `RoleArn.$` in JSONPath), compiled.
    pub credentials: Option<Payload>,
}

#[derive(Debug, Clone)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// A top-level rule of `Choices`: a condition and where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
    pub comment: Option<String>,
    pub assign: Option<Assign>,
    pub output: Option<JsonataTemplate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// JSONata `Condition`: a `"{% ... %}"` expression.
    Jsonata(Arc<JsonataExpr>),
    /// JSONata `Condition` given as a literal boolean.
    JsonataLiteral(bool),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        variable: JsonPath,
        operator: ComparisonOperator,
        operand: Operand,
    },
}

/// The right-hand side of a comparison: literal, or the `...Path` form's path.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(JsonPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl ComparisonOperator {
    pub const ALL: [ComparisonOperator; 23] = [
        ComparisonOperator::StringEquals,
        ComparisonOperator::StringLessThan,
        ComparisonOperator::StringGreaterThan,
        ComparisonOperator::StringLessThanEquals,
        ComparisonOperator::StringGreaterThanEquals,
        ComparisonOperator::StringMatches,
        ComparisonOperator::NumericEquals,
        ComparisonOperator::NumericLessThan,
        ComparisonOperator::NumericGreaterThan,
        ComparisonOperator::NumericLessThanEquals,
        ComparisonOperator::NumericGreaterThanEquals,
        ComparisonOperator::BooleanEquals,
        ComparisonOperator::TimestampEquals,
        ComparisonOperator::TimestampLessThan,
        ComparisonOperator::TimestampGreaterThan,
        ComparisonOperator::TimestampLessThanEquals,
        ComparisonOperator::TimestampGreaterThanEquals,
        ComparisonOperator::IsNull,
        ComparisonOperator::IsPresent,
        ComparisonOperator::IsNumeric,
        ComparisonOperator::IsString,
        ComparisonOperator::IsBoolean,
        ComparisonOperator::IsTimestamp,
    ];

    pub fn name(self) -> &'static str {
        use ComparisonOperator::*;
        match self {
            StringEquals => "StringEquals",
            StringLessThan => "StringLessThan",
            StringGreaterThan => "StringGreaterThan",
            StringLessThanEquals => "StringLessThanEquals",
            StringGreaterThanEquals => "StringGreaterThanEquals",
            StringMatches => "StringMatches",
            NumericEquals => "NumericEquals",
            NumericLessThan => "NumericLessThan",
            NumericGreaterThan => "NumericGreaterThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            BooleanEquals => "BooleanEquals",
            TimestampEquals => "TimestampEquals",
            TimestampLessThan => "TimestampLessThan",
            TimestampGreaterThan => "TimestampGreaterThan",
            TimestampLessThanEquals => "TimestampLessThanEquals",
            TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
            IsNull => "IsNull",
            IsPresent => "IsPresent",
            IsNumeric => "IsNumeric",
            IsString => "IsString",
            IsBoolean => "IsBoolean",
            IsTimestamp => "IsTimestamp",
        }
    }

    /// Whether a `<name>Path` form exists (every comparison but the type tests and
    /// `StringMatches`).
    pub fn has_path_form(self) -> bool {
        use ComparisonOperator::*;
        !matches!(
            self,
            StringMatches | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp
        )
    }
}

#[derive(Debug, Clone)]
pub enum WaitFor {
    Seconds(Dynamic<u64>),
    Timestamp(Dynamic<String>),
}

#[derive(Debug, Clone)]
pub struct WaitState {
    pub wait: WaitFor,
}

#[derive(Debug, Clone, Default)]
pub struct FailState {
    pub error: Option<Dynamic<String>>,
    pub cause: Option<Dynamic<String>>,
}

#[derive(Debug, Clone)]
pub struct ParallelState {
    pub branches: Vec<StateMachine>,
    pub parameters: Option<Template>,
    pub arguments: Option<JsonataTemplate>,
    pub result_selector: Option<Template>,
    pub result_path: DataPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessorMode {
    #[default]
    Inline,
    Distributed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionType {
    Standard,
    Express,
}

#[derive(Debug, Clone, Default)]
pub struct ProcessorConfig {
    pub mode: ProcessorMode,
    pub execution_type: Option<ExecutionType>,
}

#[derive(Debug, Clone)]
pub struct MapState {
    /// `ItemsPath` (JSONPath); `Path("$")` when absent.
    pub items_path: DataPath,
    /// `Items` (JSONata): an array or a `"{% ... %}"` expression.
    pub items: Option<JsonataTemplate>,
    /// `ItemSelector`, or the legacy `Parameters` in the same role.
    pub item_selector: Option<Payload>,
    pub item_processor: Box<StateMachine>,
    pub processor_config: ProcessorConfig,
    /// The processor came from the legacy `Iterator` field.
    pub legacy_iterator: bool,
    pub max_concurrency: Option<Dynamic<u64>>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<ResultWriter>,
    pub label: Option<String>,
    pub arguments: Option<JsonataTemplate>,
    pub result_selector: Option<Template>,
    pub result_path: DataPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub struct ItemReader {
    pub resource: String,
    pub parameters: Option<Value>,
    pub arguments: Option<Value>,
    pub reader_config: Option<ReaderConfig>,
}

#[derive(Debug, Clone, Default)]
pub struct ReaderConfig {
    pub input_type: Option<String>,
    pub csv_header_location: Option<String>,
    pub csv_headers: Option<Vec<String>>,
    pub csv_delimiter: Option<String>,
    pub max_items: Option<Dynamic<u64>>,
}

#[derive(Debug, Clone, Default)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Dynamic<u64>>,
    pub max_input_bytes_per_batch: Option<Dynamic<u64>>,
    pub batch_input: Option<Payload>,
}

#[derive(Debug, Clone, Default)]
pub struct ResultWriter {
    pub resource: Option<String>,
    pub parameters: Option<Value>,
    pub arguments: Option<Value>,
    pub writer_config: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    #[default]
    None,
    Full,
}

/// One `Retry` entry, defaults filled in (1 s, 3 attempts, rate 2.0).
#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter_strategy: JitterStrategy,
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    pub result_path: DataPath,
    pub assign: Option<Assign>,
    pub output: Option<JsonataTemplate>,
    pub comment: Option<String>,
}
