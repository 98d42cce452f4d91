//! Terraform: `.tf` files parsed with hcl-edit (which keeps byte spans), grouped by module
//! folder; `var.X` resolves to the module call's argument or the variable's default and
//! `local.X` to the module's locals; `kubernetes_*` resources become infra facts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbstack_core::infra::{Container, Located, Location, Origin, Port, Resource};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use hcl_edit::Span;

use super::{probe_summary, InfraError};

/// One parsed `.tf` file.
pub(crate) struct TfFile {
    pub(crate) path: String,
    text: String,
    body: Body,
}

impl TfFile {
    pub(crate) fn parse(path: String, text: String) -> Result<TfFile, InfraError> {
        let body = hcl_edit::parser::parse_body(&text).map_err(|e| InfraError::Syntax {
            file: path.clone(),
            line: e.location().line(),
            column: e.location().column(),
            message: e.message().to_string(),
        })?;
        Ok(TfFile { path, text, body })
    }

    fn at(&self, span: Option<std::ops::Range<usize>>) -> Location {
        let offset = span.map_or(0, |s| s.start).min(self.text.len());
        let line = self
            .text
            .as_bytes()
            .iter()
            .take(offset)
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Location::new(self.path.clone(), line)
    }
}

/// An evaluated expression, located where its literal is written.
#[derive(Debug, Clone)]
struct Value {
    kind: Kind,
    at: Location,
}

#[derive(Debug, Clone)]
enum Kind {
    Scalar(String),
    List(Vec<Value>),
    /// Key, where the key is written, value.
    Map(Vec<(String, Location, Value)>),
    /// An expression that cannot be evaluated without Terraform (kept as text).
    Unknown(String),
}

impl Value {
    fn text(&self) -> String {
        match &self.kind {
            Kind::Scalar(s) | Kind::Unknown(s) => s.clone(),
            Kind::List(items) => items.iter().map(Value::text).collect::<Vec<_>>().join(" "),
            Kind::Map(_) => "{...}".to_string(),
        }
    }

    fn located(&self) -> Located<String> {
        Located::new(self.text(), self.at.clone())
    }
}

/// What `var.*` and `local.*` mean inside one module folder.
#[derive(Default)]
struct Scope {
    variables: BTreeMap<String, Value>,
    locals: BTreeMap<String, Value>,
}

/// Module folder -> its files.
type Modules<'a> = BTreeMap<PathBuf, Vec<&'a TfFile>>;

/// The Kubernetes objects defined by every module under the Terraform folder.
pub(crate) fn resources(files: &[TfFile]) -> Vec<Resource> {
    let mut modules: Modules<'_> = BTreeMap::new();
    for f in files {
        let dir = Path::new(&f.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        modules.entry(dir).or_default().push(f);
    }
    // Arguments passed by `module` blocks with a local `source`: they override defaults.
    let mut overrides: BTreeMap<PathBuf, BTreeMap<String, Value>> = BTreeMap::new();
    for (dir, fs) in &modules {
        let scope = scope_of(fs, &BTreeMap::new());
        for f in fs {
            for block in f.body.get_blocks("module") {
                let Some(source) = block
                    .body
                    .get_attribute("source")
                    .and_then(|a| a.value.as_str())
                else {
                    continue;
                };
                if !source.starts_with('.') {
                    continue;
                }
                let target = normalize(&dir.join(source));
                let args = overrides.entry(target).or_default();
                for attr in block.body.attributes() {
                    let key = attr.key.as_str();
                    if matches!(
                        key,
                        "source" | "version" | "depends_on" | "providers" | "count" | "for_each"
                    ) {
                        continue;
                    }
                    let value = eval(f, &attr.value, &scope);
                    if !matches!(value.kind, Kind::Unknown(_)) {
                        args.insert(key.to_string(), value);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (dir, fs) in &modules {
        let empty = BTreeMap::new();
        let scope = scope_of(fs, overrides.get(&normalize(dir)).unwrap_or(&empty));
        for f in fs {
            for block in f.body.get_blocks("resource") {
                if let Some(r) = resource(f, block, &scope) {
                    out.push(r);
                }
            }
        }
    }
    out
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn scope_of(files: &[&TfFile], overrides: &BTreeMap<String, Value>) -> Scope {
    let mut scope = Scope::default();
    for f in files {
        for block in f.body.get_blocks("variable") {
            let Some(name) = block.labels.first() else {
                continue;
            };
            let name = name.as_str().to_string();
            if let Some(v) = overrides.get(&name) {
                scope.variables.insert(name, v.clone());
            } else if let Some(default) = block.body.get_attribute("default") {
                let v = eval(f, &default.value, &Scope::default());
                scope.variables.insert(name, v);
            }
        }
    }
    // Locals may refer to variables and to earlier locals: evaluate in a few passes.
    for _ in 0..3 {
        for f in files {
            for block in f.body.get_blocks("locals") {
                for attr in block.body.attributes() {
                    let v = eval(f, &attr.value, &scope);
                    scope.locals.insert(attr.key.as_str().to_string(), v);
                }
            }
        }
    }
    scope
}

fn eval(f: &TfFile, expr: &Expression, scope: &Scope) -> Value {
    let at = f.at(expr.span());
    let unknown = |at: Location| Value {
        kind: Kind::Unknown(expr.to_string().trim().to_string()),
        at,
    };
    let kind = match expr {
        Expression::String(s) => Kind::Scalar(s.value().clone()),
        Expression::Number(n) => Kind::Scalar(n.value().to_string()),
        Expression::Bool(b) => Kind::Scalar(b.value().to_string()),
        Expression::Array(items) => Kind::List(items.iter().map(|e| eval(f, e, scope)).collect()),
        Expression::Object(object) => Kind::Map(
            object
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => eval(f, e, scope).text(),
                    };
                    (key, f.at(k.span()), eval(f, v.expr(), scope))
                })
                .collect(),
        ),
        Expression::StringTemplate(t) => {
            let mut text = String::new();
            for element in t.iter() {
                match element {
                    Element::Literal(s) => text.push_str(s.value()),
                    _ => return unknown(at),
                }
            }
            Kind::Scalar(text)
        }
        Expression::Parenthesis(p) => return eval(f, p.inner(), scope),
        Expression::Traversal(t) => {
            let (Expression::Variable(root), Some(first)) = (&t.expr, t.operators.first()) else {
                return unknown(at);
            };
            let TraversalOperator::GetAttr(attr) = first.value() else {
                return unknown(at);
            };
            let table = match root.as_str() {
                "var" => &scope.variables,
                "local" => &scope.locals,
                _ => return unknown(at),
            };
            match (table.get(attr.as_str()), t.operators.len()) {
                (Some(v), 1) => return v.clone(),
                _ => return unknown(at),
            }
        }
        Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
            let mut merged: Vec<(String, Location, Value)> = Vec::new();
            for arg in call.args.iter() {
                match eval(f, arg, scope).kind {
                    Kind::Map(entries) => {
                        for (k, l, v) in entries {
                            merged.retain(|(x, _, _)| *x != k);
                            merged.push((k, l, v));
                        }
                    }
                    _ => return unknown(at),
                }
            }
            Kind::Map(merged)
        }
        _ => return unknown(at),
    };
    Value { kind, at }
}

fn block<'a>(body: &'a Body, path: &[&'a str]) -> Option<&'a Block> {
    let (first, rest) = path.split_first()?;
    let b = body.get_blocks(first).next()?;
    if rest.is_empty() {
        Some(b)
    } else {
        block(&b.body, rest)
    }
}

fn attr(f: &TfFile, body: &Body, key: &str, scope: &Scope) -> Option<Value> {
    body.get_attribute(key).map(|a| eval(f, &a.value, scope))
}

/// `kubernetes_stateful_set_v1` -> `StatefulSet`.
fn kind_of(resource_type: &str) -> Option<String> {
    let base = resource_type.strip_prefix("kubernetes_")?;
    let base = base
        .strip_suffix("_v1")
        .or_else(|| base.strip_suffix("_v2"))
        .unwrap_or(base);
    let base = match base {
        "daemonset" => "daemon_set",
        "manifest" => return None,
        other => other,
    };
    Some(
        base.split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect(),
    )
}

fn resource(f: &TfFile, b: &Block, scope: &Scope) -> Option<Resource> {
    let kind = kind_of(b.labels.first()?.as_str())?;
    let meta = block(&b.body, &["metadata"]);
    let name = meta
        .and_then(|m| attr(f, &m.body, "name", scope))
        .map_or_else(
            || Located::new(String::new(), f.at(b.span())),
            |v| v.located(),
        );
    let mut r = Resource::new(Origin::Terraform, kind.clone(), name);
    if let Some(labels) = meta.and_then(|m| m.body.get_attribute("labels")) {
        r.labels_at = f.at(labels.span());
        if let Kind::Map(entries) = eval(f, &labels.value, scope).kind {
            for (k, _, v) in entries {
                r.labels.insert(k, v.text());
            }
        }
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = block(&b.body, &["spec"]) {
                for p in spec.body.get_blocks("port") {
                    if let Some(port) = attr(f, &p.body, "port", scope) {
                        r.ports.push(Port {
                            name: attr(f, &p.body, "name", scope).map(|v| v.text()),
                            port: port.located(),
                        });
                    }
                }
            }
        }
        "ConfigMap" => {
            if let Some(Kind::Map(entries)) = attr(f, &b.body, "data", scope).map(|v| v.kind) {
                for (k, at, v) in entries {
                    r.data.push((Located::new(k, at), v.text()));
                }
            }
        }
        "ClusterRoleBinding" | "RoleBinding" => {
            r.role_ref = block(&b.body, &["role_ref"])
                .and_then(|rr| attr(f, &rr.body, "name", scope))
                .map(|v| v.text());
        }
        _ => {}
    }
    let pod = match kind.as_str() {
        "Pod" => block(&b.body, &["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            block(&b.body, &["spec", "template", "spec"])
        }
        "CronJob" => block(
            &b.body,
            &["spec", "job_template", "spec", "template", "spec"],
        ),
        _ => None,
    };
    if let Some(pod) = pod {
        for key in ["init_container", "container"] {
            for c in pod.body.get_blocks(key) {
                r.containers.push(container(f, c, scope));
            }
        }
    }
    Some(r)
}

fn container(f: &TfFile, c: &Block, scope: &Scope) -> Container {
    let name = attr(f, &c.body, "name", scope).map_or_else(
        || Located::new(String::new(), f.at(c.span())),
        |v| v.located(),
    );
    Container {
        name,
        image: attr(f, &c.body, "image", scope).map(|v| v.located()),
        env: c
            .body
            .get_blocks("env")
            .filter_map(|e| attr(f, &e.body, "name", scope).map(|v| v.located()))
            .collect(),
        env_from: c
            .body
            .get_blocks("env_from")
            .filter_map(|e| block(&e.body, &["config_map_ref"]))
            .filter_map(|r| attr(f, &r.body, "name", scope).map(|v| v.located()))
            .collect(),
        liveness: block(&c.body, &["liveness_probe"]).map(|p| probe(f, p, scope)),
        readiness: block(&c.body, &["readiness_probe"]).map(|p| probe(f, p, scope)),
        has_resources: block(&c.body, &["resources"]).is_some_and(|r| !r.body.is_empty()),
    }
}

fn probe(f: &TfFile, p: &Block, scope: &Scope) -> Located<String> {
    let text = |b: &Block, key: &str| attr(f, &b.body, key, scope).map(|v| v.text());
    let (action, line) = if let Some(e) = block(&p.body, &["exec"]) {
        let cmd = attr(f, &e.body, "command", scope);
        (
            format!("exec {}", cmd.as_ref().map(Value::text).unwrap_or_default()),
            cmd.map_or_else(|| f.at(e.span()), |v| v.at),
        )
    } else if let Some(t) = block(&p.body, &["tcp_socket"]) {
        (
            format!("tcp {}", text(t, "port").unwrap_or_default()),
            f.at(t.span()),
        )
    } else if let Some(h) = block(&p.body, &["http_get"]) {
        (
            format!(
                "http {} {}",
                text(h, "path").unwrap_or_default(),
                text(h, "port").unwrap_or_default()
            ),
            f.at(h.span()),
        )
    } else if let Some(g) = block(&p.body, &["grpc"]) {
        (
            format!("grpc {}", text(g, "port").unwrap_or_default()),
            f.at(g.span()),
        )
    } else {
        ("none".to_string(), f.at(p.span()))
    };
    let timing = [
        ("delay", text(p, "initial_delay_seconds")),
        ("period", text(p, "period_seconds")),
        ("timeout", text(p, "timeout_seconds")),
        ("failures", text(p, "failure_threshold")),
    ];
    Located::new(probe_summary(&action, &timing), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_kinds() {
        assert_eq!(
            kind_of("kubernetes_stateful_set_v1").as_deref(),
            Some("StatefulSet")
        );
        assert_eq!(
            kind_of("kubernetes_config_map").as_deref(),
            Some("ConfigMap")
        );
        assert_eq!(kind_of("aws_instance"), None);
    }

    #[test]
    fn resolves_variables_locals_and_merge_with_lines() {
        let main = TfFile::parse(
            "m/main.tf".into(),
            "locals {\n  base = { a = \"1\" }\n  labels = merge(local.base, { b = var.v })\n}\n"
                .into(),
        )
        .unwrap();
        let vars = TfFile::parse(
            "m/variables.tf".into(),
            "variable \"v\" {\n  type = string\n  default = \"x\"\n}\n".into(),
        )
        .unwrap();
        let scope = scope_of(&[&main, &vars], &BTreeMap::new());
        let Kind::Map(entries) = &scope.locals["labels"].kind else {
            panic!("not a map");
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].0, "b");
        assert_eq!(entries[1].2.text(), "x");
        assert_eq!(entries[1].2.at, Location::new("m/variables.tf", 3));
    }
}
