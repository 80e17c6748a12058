//! template.yaml as a value, and the template a given set of parameters deploys.
//!
//! The YAML (with CloudFormation's short tags, `!Sub`, `!If`, …) is read by cfn-lint's own
//! decoder from the venv (`scripts/setup` installs it), which turns every tag into its long
//! `Fn::` form: the same reading `scripts/lint-template` checks, and no YAML crate in the
//! workspace. [`Deployed`] then does what CloudFormation does with parameters before it creates
//! anything: it evaluates the conditions, drops the resources and outputs whose condition is
//! false, resolves every `Fn::If` and removes `AWS::NoValue`. What stays unresolved
//! (`Fn::Sub`, `Fn::GetAtt`, `Ref` to a resource) is what the tests assert on.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::e2e::lambdas::workspace_root;

/// The template as written, in long form.
pub static TEMPLATE: LazyLock<Value> = LazyLock::new(|| {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    let output = Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys\n\
             from cfnlint.decode import cfn_yaml\n\
             json.dump(cfn_yaml.load(sys.argv[1]), sys.stdout)",
        )
        .arg(root.join("template.yaml"))
        .output()
        .unwrap_or_else(|e| panic!("{} (run scripts/setup): {e}", python.display()));
    assert!(
        output.status.success(),
        "cfn-lint's decoder could not read template.yaml: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the decoder prints JSON")
});

/// The functions of the template: the logical-id prefix and the `Rotator` value.
pub const FUNCTIONS: [(&str, &str); 8] = [
    ("HmacKey", "hmac-key"),
    ("PostgresSingleUser", "postgres-single-user"),
    ("PostgresMultiUser", "postgres-multi-user"),
    ("MysqlSingleUser", "mysql-single-user"),
    ("MysqlMultiUser", "mysql-multi-user"),
    ("IamAccessKey", "iam-access-key"),
    ("RedshiftSingleUser", "redshift-single-user"),
    ("RedshiftMultiUser", "redshift-multi-user"),
];

/// What one set of parameters deploys.
#[derive(Debug)]
pub struct Deployed {
    /// Resources whose condition holds, fully resolved.
    pub resources: BTreeMap<String, Value>,
    /// Outputs whose condition holds, fully resolved.
    pub outputs: BTreeMap<String, Value>,
    /// The Globals section, resolved.
    pub globals: Value,
}

impl Deployed {
    /// Deploys with `overrides` on top of the parameters' defaults (`functionName` defaults to
    /// `rotor`, since the template has no default for it).
    pub fn with(overrides: &[(&str, &str)]) -> Self {
        let template = &*TEMPLATE;
        let mut params: HashMap<String, Value> = HashMap::new();
        for (name, spec) in template["Parameters"].as_object().expect("Parameters") {
            let raw = spec.get("Default").map(scalar);
            let raw = if name == "functionName" {
                Some("rotor".to_owned())
            } else {
                raw
            };
            if let Some(raw) = raw {
                params.insert(name.clone(), parameter_value(spec, &raw));
            }
        }
        for (name, raw) in overrides {
            let spec = template["Parameters"]
                .get(*name)
                .unwrap_or_else(|| panic!("template.yaml has no parameter {name}"));
            params.insert((*name).to_owned(), parameter_value(spec, raw));
        }
        let mut resolver = Resolver {
            template,
            params,
            conditions: HashMap::new(),
        };
        let conditions: Vec<String> = template["Conditions"]
            .as_object()
            .expect("Conditions")
            .keys()
            .cloned()
            .collect();
        for name in conditions {
            resolver.condition(&name);
        }
        let pick = |section: &str| -> BTreeMap<String, Value> {
            template[section]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, body)| {
                    body.get("Condition")
                        .and_then(Value::as_str)
                        .is_none_or(|c| resolver.holds(c))
                })
                .map(|(id, body)| {
                    (
                        id.clone(),
                        resolver.resolve(body).expect("a resource is never AWS::NoValue"),
                    )
                })
                .collect()
        };
        Self {
            resources: pick("Resources"),
            outputs: pick("Outputs"),
            globals: resolver.resolve(&template["Globals"]).unwrap_or(Value::Null),
        }
    }

    /// The resource `id`, which must be deployed.
    pub fn resource(&self, id: &str) -> &Value {
        self.resources
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not deployed; deployed: {:?}", self.ids()))
    }

    /// The logical ids of the deployed resources of `kind` (e.g. `AWS::IAM::Role`).
    pub fn of_type(&self, kind: &str) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Every deployed logical id.
    pub fn ids(&self) -> Vec<&str> {
        self.resources.keys().map(String::as_str).collect()
    }

    /// The statements of every inline policy of role `id`.
    pub fn role_statements(&self, id: &str) -> Vec<&Value> {
        self.resource(id)["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|policy| {
                policy["PolicyDocument"]["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .collect()
    }

    /// The function environment shared through Globals.
    pub fn environment(&self) -> &Map<String, Value> {
        self.globals["Function"]["Environment"]["Variables"]
            .as_object()
            .expect("Globals environment")
    }
}

/// A statement's `Action` or `Resource` as a list.
pub fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// `{"Fn::GetAtt": [id, attribute]}`, as the decoder writes `!GetAtt id.attribute`.
pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `{"Ref": id}`.
pub fn reference(id: &str) -> Value {
    json!({ "Ref": id })
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parameter_value(spec: &Value, raw: &str) -> Value {
    if spec["Type"] == "CommaDelimitedList" {
        Value::Array(
            raw.split(',')
                .map(|s| Value::String(s.trim().to_owned()))
                .collect(),
        )
    } else {
        Value::String(raw.to_owned())
    }
}

struct Resolver<'a> {
    template: &'a Value,
    params: HashMap<String, Value>,
    conditions: HashMap<String, bool>,
}

impl Resolver<'_> {
    fn holds(&self, name: &str) -> bool {
        *self
            .conditions
            .get(name)
            .unwrap_or_else(|| panic!("unknown condition {name}"))
    }

    fn condition(&mut self, name: &str) -> bool {
        if let Some(value) = self.conditions.get(name) {
            return *value;
        }
        let body = self.template["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("unknown condition {name}"))
            .clone();
        let value = self.boolean(&body);
        self.conditions.insert(name.to_owned(), value);
        value
    }

    fn boolean(&mut self, expr: &Value) -> bool {
        let (function, args) = single_key(expr).unwrap_or_else(|| panic!("not a condition: {expr}"));
        match function {
            "Condition" => self.condition(args.as_str().expect("condition name")),
            "Fn::Not" => !self.boolean(&args[0]),
            "Fn::And" => args.as_array().expect("And").iter().all(|a| self.boolean(a)),
            "Fn::Or" => args.as_array().expect("Or").iter().any(|a| self.boolean(a)),
            "Fn::Equals" => {
                let left = self.value(&args[0]);
                let right = self.value(&args[1]);
                left == right
            }
            other => panic!("condition function {other} is not modelled"),
        }
    }

    /// A value inside a condition: a literal, a parameter or a join of one.
    fn value(&mut self, expr: &Value) -> Value {
        match single_key(expr) {
            Some(("Ref", name)) => {
                let name = name.as_str().expect("Ref name");
                self.params
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("parameter {name} has no value"))
            }
            Some(("Fn::Join", args)) => {
                let separator = args[0].as_str().expect("Join separator");
                let items = self.value(&args[1]);
                let parts: Vec<String> = list(&items).into_iter().map(scalar).collect();
                Value::String(parts.join(separator))
            }
            _ => expr.clone(),
        }
    }

    /// Resolves `Fn::If`, `Condition` references and `AWS::NoValue`; `None` is AWS::NoValue.
    fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Object(map) => {
                if let Some(("Fn::If", args)) = single_key(value) {
                    let name = args[0].as_str().expect("If condition");
                    return self.resolve(&args[if self.holds(name) { 1 } else { 2 }]);
                }
                if let Some(("Ref", Value::String(name))) = single_key(value)
                    && name == "AWS::NoValue"
                {
                    return None;
                }
                Some(Value::Object(
                    map.iter()
                        .filter_map(|(k, v)| self.resolve(v).map(|v| (k.clone(), v)))
                        .collect(),
                ))
            }
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|v| self.resolve(v)).collect(),
            )),
            other => Some(other.clone()),
        }
    }
}

fn single_key(value: &Value) -> Option<(&str, &Value)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.iter().next().map(|(k, v)| (k.as_str(), v))
}
