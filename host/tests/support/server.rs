//! `fieldwork serve` started as users start it — the real binary on a free loopback port — and
//! a real HTTP client (ureq) to talk to it. Included by the server tests and the load bench
//! with `#[path = "support/server.rs"] mod server;`.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The folder it runs in (holds `d.db`).
    pub dir: PathBuf,
    agent: ureq::Agent,
}

/// One answer: status, content type and body text.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: String,
    /// The body.
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the body otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }

    /// The problem's `detail`, checking it is a problem document with this status.
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        let json = self.json();
        assert_eq!(json["status"], status, "{json}");
        json["detail"].as_str().unwrap_or_default().to_owned()
    }
}

/// An HTTP client that returns every status as an answer (no error for 4xx/5xx).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let response = result.expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut body = response.into_body();
    let text = body
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("a text body");
    Answer {
        status,
        content_type,
        text,
    }
}

/// GET with an optional bearer token.
pub fn get(agent: &ureq::Agent, url: &str, token: Option<&str>) -> Answer {
    let mut request = agent.get(url);
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    answer(request.call())
}

/// POST (or PUT with `put`) a JSON body (or none) with an optional bearer token.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let mut request = match method {
        "PUT" => agent.put(url),
        "DELETE" => {
            return answer({
                let mut r = agent.delete(url);
                if let Some(t) = token {
                    r = r.header("Authorization", &format!("Bearer {t}"));
                }
                r.call()
            })
        }
        _ => agent.post(url),
    };
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    answer(match body {
        Some(body) => request.send_json(body),
        None => request.send_empty(),
    })
}

impl Server {
    /// Starts `fieldwork serve --db d.db --listen 127.0.0.1:0` in `dir` (which holds `d.db`)
    /// with `extra` arguments and `env`, and waits for its `listening on` line.
    pub fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::start_on(dir, "d.db", extra, env)
    }

    /// As [`Server::start`], on the database `db` (a path in `dir` or a `postgres://` URL).
    pub fn start_on(dir: &Path, db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fieldwork"));
        command
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0", "--quiet"])
            .args(extra)
            .current_dir(dir)
            .env_remove("FIELDWORK_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start fieldwork serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Server {
            child,
            base,
            dir: dir.to_owned(),
            agent: agent(),
        }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`.
    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        get(&self.agent, &self.url(path), token)
    }

    /// POST `path` with a JSON body.
    pub fn post(&self, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        send(&self.agent, "POST", &self.url(path), token, body)
    }

    /// PUT `path` with a JSON body.
    pub fn put(&self, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        send(&self.agent, "PUT", &self.url(path), token, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a token with `fieldwork token create` in `dir`'s `d.db`; returns the secret.
pub fn token(dir: &Path, role: &str, technician: Option<&str>, subject: &str) -> String {
    token_on(dir, "d.db", role, technician, subject)
}

/// As [`token`], in the database `db` (a path in `dir` or a `postgres://` URL).
pub fn token_on(
    dir: &Path,
    db: &str,
    role: &str,
    technician: Option<&str>,
    subject: &str,
) -> String {
    let mut args = vec![
        "token",
        "create",
        "--db",
        db,
        "--role",
        role,
        "--subject",
        subject,
        "--quiet",
    ];
    if let Some(t) = technician {
        args.extend(["--technician", t]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_fieldwork"))
        .args(&args)
        .current_dir(dir)
        .env_remove("FIELDWORK_DB")
        .output()
        .expect("run fieldwork token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
