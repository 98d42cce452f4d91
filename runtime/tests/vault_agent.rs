//! dbstack through OpenBao's agent in proxy mode (`bao agent`, the same binary): the agent logs
//! in with AppRole (auto-auth), caches, and adds its token to requests that carry none
//! (`api_proxy { use_auto_auth_token = true }`). The pod's environment has no token:
//! `VAULT_AUTH_METHOD=agent`, `VAULT_ADDR` = the agent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::openbao::{bao_bin, free_port, http_get, OpenBao};
use common::{default_kv_reads, plan, seed_default_layout, settings};
use dbstack_core::vault::{AuthMethod, VaultStatus};
use dbstack_runtime::vault::perform;

/// A running `bao agent`, killed on drop.
struct Agent {
    child: Child,
    port: u16,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_agent(bao: &OpenBao) -> Agent {
    let (role_id, secret_id) = bao.dbstack_reader_approle("agent", &["token_ttl=10m"]);
    let dir = bao.dir.path();
    std::fs::write(dir.join("role_id"), role_id).unwrap();
    std::fs::write(dir.join("secret_id"), secret_id).unwrap();
    let port = free_port();
    let config = format!(
        r#"
vault {{
  address = "{addr}"
}}
auto_auth {{
  method "approle" {{
    config = {{
      role_id_file_path                   = "{dir}/role_id"
      secret_id_file_path                 = "{dir}/secret_id"
      remove_secret_id_file_after_reading = false
    }}
  }}
}}
cache {{}}
api_proxy {{
  use_auto_auth_token = true
}}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
}}
"#,
        addr = bao.addr,
        dir = dir.display(),
    );
    let path = dir.join("agent.hcl");
    std::fs::write(&path, config).unwrap();
    let log = std::fs::File::create(dir.join("agent.log")).unwrap();
    let child = Command::new(bao_bin())
        .arg("agent")
        .arg(format!("-config={}", path.display()))
        .env_remove("BAO_TOKEN")
        .env_remove("VAULT_TOKEN")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let agent = Agent { child, port };
    // Up once auto-auth has a token: lookup-self without a token answers 200 through it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = http_get(port, "/v1/auth/token/lookup-self").unwrap_or_default();
        if answer.starts_with("HTTP/1.1 200") {
            return agent;
        }
        assert!(
            Instant::now() < deadline,
            "bao agent did not come up: {answer}\n{}",
            std::fs::read_to_string(dir.join("agent.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// No `VAULT_TOKEN`, no `~/.vault-token`.
fn tokenless_env() -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("HOME".to_owned(), "/nonexistent-home".to_owned());
    env
}

#[test]
fn resolves_through_the_openbao_agent_without_a_token() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let agent = start_agent(&bao);
    let mut s = settings(&format!("http://127.0.0.1:{}", agent.port));
    s.auth = AuthMethod::Agent;
    let answers = perform(&plan(s.clone(), default_kv_reads()), &tokenless_env());
    assert_eq!(answers.status, VaultStatus::Ok, "{answers:?}");
    assert_eq!(answers.auth, Some(AuthMethod::Agent));
    assert_eq!(answers.results.len(), 4);
    let user = answers.results["secret/dbstack/supabase"]
        .kv_field("username")
        .unwrap()
        .expose()
        .to_owned();
    assert_eq!(user, "app_user");

    // A second pod through the same agent: the agent's one login serves both.
    let again = perform(&plan(s, default_kv_reads()), &tokenless_env());
    assert_eq!(again.status, VaultStatus::Ok, "{again:?}");
}

#[test]
fn agent_auth_against_a_plain_vault_says_what_is_missing() {
    let bao = OpenBao::start();
    seed_default_layout(&bao);
    let mut s = settings(&bao.addr);
    s.auth = AuthMethod::Agent;
    let answers = perform(&plan(s, default_kv_reads()), &tokenless_env());
    let VaultStatus::Failed { error } = &answers.status else {
        panic!("expected a failure: {answers:?}")
    };
    assert_eq!(error.kind, "auth_failed", "{error:?}");
    assert!(error.message.contains("use_auto_auth_token"), "{error:?}");
}
