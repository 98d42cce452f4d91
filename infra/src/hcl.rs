//! Terraform: `.tf` files parsed with hcl-edit (which keeps byte spans), grouped by module
//! folder; `var.X` resolves to the module call's argument or the variable's default and
//! `local.X` to the module's locals; `kubernetes_*` resources become infra facts.
//!
//! The evaluator is bounded and linear: locals are evaluated once each, in dependency order
//! (a cycle is an error); values nest at most [`MAX_DEPTH`] levels and one module folder
//! builds at most [`MAX_VALUES`] of them, a reference counting the size of what it copies.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hcl_edit::expr::{Expression, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use hcl_edit::visit::{visit_traversal, Visit};
use hcl_edit::Span;

use crate::limits::{MAX_DEPTH, MAX_PARSE_SECONDS, MAX_VALUES};
use crate::model::{probe_summary, Container, Located, Location, Origin, Port, Resource};
use crate::InfraError;

/// One parsed `.tf` file.
pub(crate) struct TfFile {
    path: String,
    body: Body,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

impl TfFile {
    /// Parses `text`, giving up at `deadline`: hcl-edit 0.10 backtracks exponentially on some
    /// malformed nested objects (a 463-byte file found by fuzzing takes 4.5 s, each further
    /// line about ten times more), so the parse runs on its own thread and is abandoned when
    /// the deadline passes (the thread ends with the process).
    pub(crate) fn parse(path: String, text: &str, deadline: Instant) -> Result<TfFile, InfraError> {
        let (tx, rx) = mpsc::channel();
        let owned = text.to_owned();
        std::thread::Builder::new()
            .name("hcl-parse".into())
            .stack_size(8 << 20)
            .spawn(move || tx.send(hcl_edit::parser::parse_body(&owned)))
            .map_err(|source| InfraError::Io {
                path: path.clone(),
                source,
            })?;
        let wait = deadline.saturating_duration_since(Instant::now());
        let parsed = rx.recv_timeout(wait).map_err(|_| InfraError::TooSlow {
            file: path.clone(),
            seconds: MAX_PARSE_SECONDS,
        })?;
        let body = parsed.map_err(|e| {
            let (file, line) = (path.clone(), e.location().line());
            // hcl-edit's own bounds (64 nested levels, 128 chained binary operators).
            if e.message().starts_with("invalid nesting depth") {
                InfraError::TooDeep {
                    file,
                    line,
                    limit: MAX_DEPTH,
                }
            } else if e.message().contains("chained binary operators") {
                InfraError::TooDeep {
                    file,
                    line,
                    limit: 128,
                }
            } else {
                InfraError::Syntax {
                    file,
                    line,
                    column: e.location().column(),
                    message: e.message().to_string(),
                }
            }
        })?;
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Ok(TfFile {
            path,
            body,
            line_starts,
        })
    }

    fn at(&self, span: Option<std::ops::Range<usize>>) -> Location {
        let offset = span.map_or(0, |s| s.start);
        let line = self.line_starts.partition_point(|start| *start <= offset);
        Location::new(self.path.clone(), line.max(1))
    }
}

/// An evaluated expression, located where its literal is written.
#[derive(Debug, Clone)]
struct Value {
    kind: Kind,
    at: Location,
    /// Values in it, itself included.
    size: usize,
    /// Levels of lists and objects in it (0 for a scalar).
    depth: usize,
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
    fn new(kind: Kind, at: Location) -> Value {
        let children: Vec<&Value> = match &kind {
            Kind::List(items) => items.iter().collect(),
            Kind::Map(entries) => entries.iter().map(|(_, _, v)| v).collect(),
            Kind::Scalar(_) | Kind::Unknown(_) => Vec::new(),
        };
        let size = 1 + children.iter().map(|v| v.size).sum::<usize>();
        let depth = match kind {
            Kind::List(_) | Kind::Map(_) => 1 + children.iter().map(|v| v.depth).max().unwrap_or(0),
            _ => 0,
        };
        Value {
            kind,
            at,
            size,
            depth,
        }
    }

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

/// What `var.*` and `local.*` mean inside one module folder, and what evaluating there cost.
#[derive(Default)]
struct Scope {
    variables: BTreeMap<String, Value>,
    locals: BTreeMap<String, Value>,
    /// Values built so far.
    built: usize,
    /// The first bound crossed; every evaluation after it gives an unknown value.
    error: Option<InfraError>,
}

impl Scope {
    fn fail(&mut self, error: InfraError) {
        self.error.get_or_insert(error);
    }

    /// Counts `n` values built for the expression at `at`; `false` past the bound.
    fn charge(&mut self, n: usize, at: &Location) -> bool {
        self.built = self.built.saturating_add(n);
        if self.built > MAX_VALUES {
            self.fail(InfraError::Expansion {
                file: at.file.clone(),
                line: at.line,
                limit: MAX_VALUES,
            });
        }
        self.error.is_none()
    }

    fn eval(&mut self, f: &TfFile, expr: &Expression) -> Value {
        let at = f.at(expr.span());
        let unknown =
            |at: Location| Value::new(Kind::Unknown(expr.to_string().trim().to_string()), at);
        if !self.charge(1, &at) {
            return Value::new(Kind::Unknown(String::new()), at);
        }
        let kind = match expr {
            Expression::String(s) => Kind::Scalar(s.value().clone()),
            Expression::Number(n) => Kind::Scalar(n.value().to_string()),
            Expression::Bool(b) => Kind::Scalar(b.value().to_string()),
            Expression::Array(items) => Kind::List(items.iter().map(|e| self.eval(f, e)).collect()),
            Expression::Object(object) => Kind::Map(
                object
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(e) => self.eval(f, e).text(),
                        };
                        (key, f.at(k.span()), self.eval(f, v.expr()))
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
            Expression::Parenthesis(p) => return self.eval(f, p.inner()),
            Expression::Traversal(t) => {
                let Some(size) = self.reference(t).map(|v| v.size) else {
                    return unknown(at);
                };
                if !self.charge(size, &at) {
                    return unknown(at);
                }
                return self.reference(t).cloned().unwrap_or_else(|| unknown(at));
            }
            Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
                let mut entries = Vec::new();
                for arg in call.args.iter() {
                    match self.eval(f, arg).kind {
                        Kind::Map(more) => entries.extend(more),
                        _ => return unknown(at),
                    }
                }
                // A later key replaces an earlier one and takes its place at the end.
                let mut seen = HashSet::new();
                entries.reverse();
                entries.retain(|(k, _, _)| seen.insert(k.clone()));
                entries.reverse();
                Kind::Map(entries)
            }
            _ => return unknown(at),
        };
        let value = Value::new(kind, at);
        if value.depth > MAX_DEPTH {
            self.fail(InfraError::TooDeep {
                file: value.at.file.clone(),
                line: value.at.line,
                limit: MAX_DEPTH,
            });
            return unknown(value.at);
        }
        value
    }

    /// The value of `var.X` or `local.X` (nothing more: `var.X.y` is unknown).
    fn reference(&self, t: &Traversal) -> Option<&Value> {
        let (Expression::Variable(root), [first]) = (&t.expr, t.operators.as_slice()) else {
            return None;
        };
        let TraversalOperator::GetAttr(attr) = first.value() else {
            return None;
        };
        match root.as_str() {
            "var" => self.variables.get(attr.as_str()),
            "local" => self.locals.get(attr.as_str()),
            _ => None,
        }
    }

    fn attr(&mut self, f: &TfFile, body: &Body, key: &str) -> Option<Value> {
        body.get_attribute(key).map(|a| self.eval(f, &a.value))
    }
}

/// The names of the locals an expression refers to (`local.X`).
#[derive(Default)]
struct LocalRefs(Vec<String>);

impl Visit for LocalRefs {
    fn visit_traversal(&mut self, t: &Traversal) {
        if let (Expression::Variable(root), Some(first)) = (&t.expr, t.operators.first()) {
            if let TraversalOperator::GetAttr(attr) = first.value() {
                if root.as_str() == "local" {
                    self.0.push(attr.as_str().to_string());
                }
            }
        }
        visit_traversal(self, t);
    }
}

/// The Kubernetes objects defined by every module under the Terraform folder.
pub(crate) fn resources(files: &[(String, String)]) -> Result<Vec<Resource>, InfraError> {
    let deadline = Instant::now() + Duration::from_secs(MAX_PARSE_SECONDS);
    let files = files
        .iter()
        .map(|(path, text)| TfFile::parse(path.clone(), text, deadline))
        .collect::<Result<Vec<_>, _>>()?;
    let mut modules: BTreeMap<PathBuf, Vec<&TfFile>> = BTreeMap::new();
    for f in &files {
        let dir = Path::new(&f.path)
            .parent()
            .map(normalize)
            .unwrap_or_default();
        modules.entry(dir).or_default().push(f);
    }
    // Arguments passed by `module` blocks with a local `source`: they override defaults.
    let mut overrides: BTreeMap<PathBuf, BTreeMap<String, Value>> = BTreeMap::new();
    for (dir, fs) in &modules {
        let mut scope = scope_of(fs, &BTreeMap::new())?;
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
                let args = overrides.entry(normalize(&dir.join(source))).or_default();
                for attr in block.body.attributes() {
                    let key = attr.key.as_str();
                    if matches!(
                        key,
                        "source" | "version" | "depends_on" | "providers" | "count" | "for_each"
                    ) {
                        continue;
                    }
                    let value = scope.eval(f, &attr.value);
                    if !matches!(value.kind, Kind::Unknown(_)) {
                        args.insert(key.to_string(), value);
                    }
                }
            }
        }
        if let Some(error) = scope.error {
            return Err(error);
        }
    }
    let mut out = Vec::new();
    for (dir, fs) in &modules {
        let empty = BTreeMap::new();
        let mut scope = scope_of(fs, overrides.get(dir).unwrap_or(&empty))?;
        for f in fs {
            for block in f.body.get_blocks("resource") {
                out.extend(resource(f, block, &mut scope));
            }
        }
        if let Some(error) = scope.error {
            return Err(error);
        }
    }
    Ok(out)
}

/// `a/./b/../c` -> `a/c`, without touching the filesystem (the folder of a module `source`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn scope_of(files: &[&TfFile], overrides: &BTreeMap<String, Value>) -> Result<Scope, InfraError> {
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
                let v = scope.eval(f, &default.value);
                scope.variables.insert(name, v);
            }
        }
    }
    // Locals, each once, after the locals it refers to (Kahn's order); the last definition of
    // a name wins.
    struct Local<'a> {
        f: &'a TfFile,
        name: &'a str,
        expr: &'a Expression,
        /// References to locals not evaluated yet.
        waiting: usize,
        /// The locals that refer to this one.
        users: Vec<usize>,
    }
    let mut defs: Vec<Local<'_>> = Vec::new();
    for f in files {
        for attr in f
            .body
            .get_blocks("locals")
            .flat_map(|b| b.body.attributes())
        {
            defs.push(Local {
                f,
                name: attr.key.as_str(),
                expr: &attr.value,
                waiting: 0,
                users: Vec::new(),
            });
        }
    }
    let index: HashMap<&str, usize> = defs.iter().enumerate().map(|(i, d)| (d.name, i)).collect();
    let winners: Vec<usize> = (0..defs.len())
        .filter(|i| defs.get(*i).and_then(|d| index.get(d.name)) == Some(i))
        .collect();
    let mut ready = Vec::new();
    for i in winners.iter().copied() {
        let mut refs = LocalRefs::default();
        if let Some(d) = defs.get(i) {
            refs.visit_expr(d.expr);
        }
        for j in refs.0.iter().filter_map(|r| index.get(r.as_str())) {
            if let Some(used) = defs.get_mut(*j) {
                used.users.push(i);
            }
        }
        if let Some(d) = defs.get_mut(i) {
            d.waiting = refs
                .0
                .iter()
                .filter(|r| index.contains_key(r.as_str()))
                .count();
            if d.waiting == 0 {
                ready.push(i);
            }
        }
    }
    ready.reverse();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        let Some(d) = defs.get_mut(i) else { continue };
        let users = std::mem::take(&mut d.users);
        let (f, name, expr) = (d.f, d.name, d.expr);
        let value = scope.eval(f, expr);
        scope.locals.insert(name.to_string(), value);
        done += 1;
        for u in users {
            if let Some(user) = defs.get_mut(u) {
                user.waiting -= 1;
                if user.waiting == 0 {
                    ready.push(u);
                }
            }
        }
    }
    if done < index.len() {
        if let Some(d) = winners
            .iter()
            .filter_map(|i| defs.get(*i))
            .find(|d| d.waiting > 0)
        {
            return Err(InfraError::Invalid {
                file: d.f.path.clone(),
                line: d.f.at(d.expr.span()).line,
                message: format!(
                    "local.{} refers to itself through a cycle of locals",
                    d.name
                ),
            });
        }
    }
    Ok(scope)
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

fn resource(f: &TfFile, b: &Block, scope: &mut Scope) -> Option<Resource> {
    let kind = kind_of(b.labels.first()?.as_str())?;
    let meta = block(&b.body, &["metadata"]);
    let name = meta
        .and_then(|m| scope.attr(f, &m.body, "name"))
        .map_or_else(
            || Located::new(String::new(), f.at(b.span())),
            |v| v.located(),
        );
    let mut r = Resource::new(Origin::Terraform, kind.clone(), name);
    if let Some(labels) = meta.and_then(|m| m.body.get_attribute("labels")) {
        r.labels_at = f.at(labels.span());
        if let Kind::Map(entries) = scope.eval(f, &labels.value).kind {
            for (k, _, v) in entries {
                r.labels.insert(k, v.text());
            }
        }
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = block(&b.body, &["spec"]) {
                for p in spec.body.get_blocks("port") {
                    if let Some(port) = scope.attr(f, &p.body, "port") {
                        r.ports.push(Port {
                            name: scope.attr(f, &p.body, "name").map(|v| v.text()),
                            port: port.located(),
                        });
                    }
                }
            }
        }
        "ConfigMap" => {
            if let Some(Kind::Map(entries)) = scope.attr(f, &b.body, "data").map(|v| v.kind) {
                for (k, at, v) in entries {
                    r.data.push((Located::new(k, at), v.text()));
                }
            }
        }
        "ClusterRoleBinding" | "RoleBinding" => {
            r.role_ref = block(&b.body, &["role_ref"])
                .and_then(|rr| scope.attr(f, &rr.body, "name"))
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
        r.service_account = scope
            .attr(f, &pod.body, "service_account_name")
            .map(|v| v.located());
        for key in ["init_container", "container"] {
            for c in pod.body.get_blocks(key) {
                r.containers.push(container(f, c, scope));
            }
        }
    }
    Some(r)
}

fn container(f: &TfFile, c: &Block, scope: &mut Scope) -> Container {
    let name = scope.attr(f, &c.body, "name").map_or_else(
        || Located::new(String::new(), f.at(c.span())),
        |v| v.located(),
    );
    Container {
        name,
        image: scope.attr(f, &c.body, "image").map(|v| v.located()),
        env: c
            .body
            .get_blocks("env")
            .filter_map(|e| scope.attr(f, &e.body, "name").map(|v| v.located()))
            .collect(),
        env_from: c
            .body
            .get_blocks("env_from")
            .filter_map(|e| block(&e.body, &["config_map_ref"]))
            .filter_map(|r| scope.attr(f, &r.body, "name").map(|v| v.located()))
            .collect(),
        liveness: block(&c.body, &["liveness_probe"]).map(|p| probe(f, p, scope)),
        readiness: block(&c.body, &["readiness_probe"]).map(|p| probe(f, p, scope)),
        startup: block(&c.body, &["startup_probe"]).map(|p| probe(f, p, scope)),
        has_resources: block(&c.body, &["resources"]).is_some_and(|r| !r.body.is_empty()),
        args: match scope.attr(f, &c.body, "args").map(|v| v.kind) {
            Some(Kind::List(items)) => items.into_iter().map(|v| v.located()).collect(),
            _ => Vec::new(),
        },
    }
}

fn probe(f: &TfFile, p: &Block, scope: &mut Scope) -> Located<String> {
    let text =
        |scope: &mut Scope, b: &Block, key: &str| scope.attr(f, &b.body, key).map(|v| v.text());
    let (action, line) = if let Some(e) = block(&p.body, &["exec"]) {
        let cmd = scope.attr(f, &e.body, "command");
        (
            format!("exec {}", cmd.as_ref().map(Value::text).unwrap_or_default()),
            cmd.map_or_else(|| f.at(e.span()), |v| v.at),
        )
    } else if let Some(t) = block(&p.body, &["tcp_socket"]) {
        (
            format!("tcp {}", text(scope, t, "port").unwrap_or_default()),
            f.at(t.span()),
        )
    } else if let Some(h) = block(&p.body, &["http_get"]) {
        (
            format!(
                "http {} {}",
                text(scope, h, "path").unwrap_or_default(),
                text(scope, h, "port").unwrap_or_default()
            ),
            f.at(h.span()),
        )
    } else if let Some(g) = block(&p.body, &["grpc"]) {
        (
            format!("grpc {}", text(scope, g, "port").unwrap_or_default()),
            f.at(g.span()),
        )
    } else {
        ("none".to_string(), f.at(p.span()))
    };
    let timing = [
        ("delay", text(scope, p, "initial_delay_seconds")),
        ("period", text(scope, p, "period_seconds")),
        ("timeout", text(scope, p, "timeout_seconds")),
        ("failures", text(scope, p, "failure_threshold")),
    ];
    Located::new(probe_summary(&action, &timing), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

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
            "locals {\n  labels = merge(local.base, { b = var.v })\n  base = { a = \"1\" }\n}\n",
            far(),
        )
        .unwrap();
        let vars = TfFile::parse(
            "m/variables.tf".into(),
            "variable \"v\" {\n  type = string\n  default = \"x\"\n}\n",
            far(),
        )
        .unwrap();
        let scope = scope_of(&[&main, &vars], &BTreeMap::new()).unwrap();
        let Kind::Map(entries) = &scope.locals["labels"].kind else {
            panic!("not a map");
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].0, "b");
        assert_eq!(entries[1].2.text(), "x");
        assert_eq!(entries[1].2.at, Location::new("m/variables.tf", 3));
    }
}
