//! Kubernetes manifests: YAML (multi-document) parsed with yaml-rust2's marked events into a
//! small tree that keeps the line of every key and value, then turned into infra facts.

use yaml_rust2::parser::{Event, Parser};

use crate::limits::MAX_DEPTH;
use crate::model::{probe_summary, Container, Located, Location, Origin, Port, Resource};
use crate::InfraError;

/// A YAML node with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Scalar(String, usize),
    Seq(Vec<Node>, usize),
    /// Entries: key, line of the key, value.
    Map(Vec<(String, usize, Node)>, usize),
}

impl Node {
    fn line(&self) -> usize {
        match self {
            Node::Scalar(_, l) | Node::Seq(_, l) | Node::Map(_, l) => *l,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, n)| n)
    }

    /// The value of `key` and the line of the key.
    fn entry(&self, key: &str) -> Option<(usize, &Node)> {
        match self {
            Node::Map(entries, _) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, l, n)| (*l, n)),
            _ => None,
        }
    }

    fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items, _) => items,
            _ => &[],
        }
    }

    fn is_empty_value(&self) -> bool {
        match self {
            Node::Scalar(s, _) => s.is_empty() || s == "~" || s == "null",
            Node::Seq(v, _) => v.is_empty(),
            Node::Map(v, _) => v.is_empty(),
        }
    }
}

enum Frame {
    Seq(Vec<Node>, usize),
    Map(Vec<(String, usize, Node)>, Option<(String, usize)>, usize),
}

/// Builds the nodes from the parser's events with an explicit stack (no recursion), refusing
/// collections nested deeper than [`MAX_DEPTH`].
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
}

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, pending, _)) => match pending.take() {
                Some((key, line)) => entries.push((key, line, node)),
                None => {
                    let line = node.line();
                    let key = match node {
                        Node::Scalar(s, _) => s,
                        _ => String::new(),
                    };
                    *pending = Some((key, line));
                }
            },
        }
    }

    /// Takes one event; `false` when it opens a collection deeper than the limit.
    fn on_event(&mut self, ev: Event, line: usize) -> bool {
        match ev {
            // An alias is not expanded: no "billion laughs".
            Event::Scalar(value, ..) => self.push(Node::Scalar(value, line)),
            Event::Alias(_) => self.push(Node::Scalar(String::new(), line)),
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                return false;
            }
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(Vec::new(), line)),
            Event::MappingStart(..) => self.stack.push(Frame::Map(Vec::new(), None, line)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(items, l)) => Node::Seq(items, l),
                    Some(Frame::Map(entries, _, l)) => Node::Map(entries, l),
                    None => return true,
                };
                self.push(node);
            }
            _ => {}
        }
        true
    }
}

/// Parses every document of a YAML stream.
pub(crate) fn parse_documents(file: &str, text: &str) -> Result<Vec<Node>, InfraError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            // yaml-rust2 reports an error at the end of a text without a final line break one
            // line past it (found by fuzzing): name the last line instead.
            let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
            let (file, line) = (file.to_string(), e.marker().line().min(lines));
            // The scanner's own bound: 255 levels of `[` and `{`, which are more than ours.
            if e.info() == "recursion limit exceeded" {
                InfraError::TooDeep {
                    file,
                    line,
                    limit: MAX_DEPTH,
                }
            } else {
                InfraError::Syntax {
                    file,
                    line,
                    column: e.marker().col(),
                    message: e.info().to_string(),
                }
            }
        })?;
        if matches!(ev, Event::StreamEnd) {
            return Ok(builder.docs);
        }
        if !builder.on_event(ev, mark.line()) {
            return Err(InfraError::TooDeep {
                file: file.to_string(),
                line: mark.line(),
                limit: MAX_DEPTH,
            });
        }
    }
}

fn located(file: &str, node: &Node) -> Located<String> {
    Located::new(
        node.scalar().unwrap_or_default().to_string(),
        Location::new(file, node.line()),
    )
}

/// The Kubernetes objects of one manifest file.
pub(crate) fn resources(file: &str, text: &str) -> Result<Vec<Resource>, InfraError> {
    let mut out = Vec::new();
    for doc in parse_documents(file, text)? {
        if doc.is_empty_value() {
            continue;
        }
        let invalid = |line: usize, message: &str| InfraError::Invalid {
            file: file.to_string(),
            line,
            message: message.to_string(),
        };
        let Some(kind) = doc.get("kind").and_then(Node::scalar) else {
            return Err(invalid(doc.line(), "a manifest document has no `kind`"));
        };
        if kind == "List" {
            return Err(invalid(doc.line(), "`kind: List` is not supported"));
        }
        let Some(name) = doc.path(&["metadata", "name"]) else {
            return Err(invalid(
                doc.line(),
                "a manifest document has no `metadata.name`",
            ));
        };
        let mut r = Resource::new(Origin::Kubernetes, kind, located(file, name));
        if let Some((line, Node::Map(labels, _))) =
            doc.get("metadata").and_then(|m| m.entry("labels"))
        {
            r.labels_at = Location::new(file, line);
            for (k, _, v) in labels {
                r.labels
                    .insert(k.clone(), v.scalar().unwrap_or_default().to_string());
            }
        }
        match kind {
            "Service" => {
                for p in doc.path(&["spec", "ports"]).map_or(&[][..], Node::items) {
                    if let Some(port) = p.get("port") {
                        r.ports.push(Port {
                            name: p.get("name").and_then(Node::scalar).map(str::to_string),
                            port: located(file, port),
                        });
                    }
                }
            }
            "ConfigMap" => {
                if let Some(Node::Map(entries, _)) = doc.get("data") {
                    for (k, line, v) in entries {
                        r.data.push((
                            Located::new(k.clone(), Location::new(file, *line)),
                            v.scalar().unwrap_or_default().to_string(),
                        ));
                    }
                }
            }
            "ClusterRoleBinding" | "RoleBinding" => {
                r.role_ref = doc
                    .path(&["roleRef", "name"])
                    .and_then(Node::scalar)
                    .map(str::to_string);
            }
            _ => {}
        }
        let pod = match kind {
            "Pod" => doc.get("spec"),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                doc.path(&["spec", "template", "spec"])
            }
            "CronJob" => doc.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
            _ => None,
        };
        if let Some(pod) = pod {
            r.service_account = pod.get("serviceAccountName").map(|n| located(file, n));
            for key in ["initContainers", "containers"] {
                for c in pod.get(key).map_or(&[][..], Node::items) {
                    r.containers.push(container(file, c));
                }
            }
        }
        out.push(r);
    }
    Ok(out)
}

fn container(file: &str, c: &Node) -> Container {
    let name = c.get("name").map_or_else(
        || Located::new(String::new(), Location::new(file, c.line())),
        |n| located(file, n),
    );
    Container {
        name,
        image: c.get("image").map(|n| located(file, n)),
        env: c
            .get("env")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|e| e.get("name").map(|n| located(file, n)))
            .collect(),
        env_from: c
            .get("envFrom")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|e| e.path(&["configMapRef", "name"]).map(|n| located(file, n)))
            .collect(),
        liveness: c.get("livenessProbe").map(|p| probe(file, p)),
        readiness: c.get("readinessProbe").map(|p| probe(file, p)),
        startup: c.get("startupProbe").map(|p| probe(file, p)),
        has_resources: c.get("resources").is_some_and(|r| !r.is_empty_value()),
        args: c
            .get("args")
            .map_or(&[][..], Node::items)
            .iter()
            .map(|a| located(file, a))
            .collect(),
    }
}

fn probe(file: &str, p: &Node) -> Located<String> {
    let scalar = |keys: &[&str]| p.path(keys).and_then(Node::scalar).map(str::to_string);
    let (action, line) = if let Some(cmd) = p.path(&["exec", "command"]) {
        let words: Vec<&str> = cmd.items().iter().filter_map(Node::scalar).collect();
        (format!("exec {}", words.join(" ")), cmd.line())
    } else if let Some(t) = p.get("tcpSocket") {
        (
            format!("tcp {}", scalar(&["tcpSocket", "port"]).unwrap_or_default()),
            t.line(),
        )
    } else if let Some(h) = p.get("httpGet") {
        (
            format!(
                "http {} {}",
                scalar(&["httpGet", "path"]).unwrap_or_default(),
                scalar(&["httpGet", "port"]).unwrap_or_default()
            ),
            h.line(),
        )
    } else if let Some(g) = p.get("grpc") {
        (
            format!("grpc {}", scalar(&["grpc", "port"]).unwrap_or_default()),
            g.line(),
        )
    } else {
        ("none".to_string(), p.line())
    };
    let timing = [
        ("delay", scalar(&["initialDelaySeconds"])),
        ("period", scalar(&["periodSeconds"])),
        ("timeout", scalar(&["timeoutSeconds"])),
        ("failures", scalar(&["failureThreshold"])),
    ];
    Located::new(probe_summary(&action, &timing), Location::new(file, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_of_keys_and_values() {
        let docs =
            parse_documents("f.yaml", "# c\n---\na:\n  b: 1\n  c: [x, y]\n---\nd: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].path(&["a", "b"]).unwrap();
        assert_eq!(b, &Node::Scalar("1".into(), 4));
        assert_eq!(docs[0].entry("a").unwrap().0, 3);
        assert_eq!(docs[1].get("d").unwrap().line(), 7);
    }

    #[test]
    fn an_error_at_the_end_names_the_last_line() {
        let err = parse_documents("f.yaml", "a: b\nc").unwrap_err();
        assert!(matches!(err, InfraError::Syntax { line: 2, .. }), "{err}");
    }

    #[test]
    fn reports_syntax_errors_with_line() {
        let err = parse_documents("bad.yaml", "a: b\n  c: [\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.yaml:"), "{text}");
    }
}
