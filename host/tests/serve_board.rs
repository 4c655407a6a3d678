//! The live board in a real browser: headless Chromium driven through WebDriver (chromedriver)
//! opens `/board` of a running `fieldwork serve`, an operation is recorded through the API,
//! and the board shows it without a reload (server-sent events) within a second or two; then a
//! territory filter keeps only that territory's technicians, and the pin form calls the API.
//! Skips, saying so, where Chromium or chromedriver is not installed — except in CI (`CI` set),
//! where it fails.

#[path = "support/server.rs"]
mod server;
mod support;

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

impl Driver {
    fn start(chromium: &str, driver: &str) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let agent = server::agent();
        let deadline = Instant::now() + Duration::from_secs(20);
        let ready = |agent: &ureq::Agent| {
            agent
                .get(&format!("{base}/status"))
                .call()
                .is_ok_and(|r| r.status() == 200)
        };
        while !ready(&agent) {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1200"]
        }}}});
        let session = server::send(
            &agent,
            "POST",
            &format!("{base}/session"),
            None,
            Some(&caps),
        );
        assert_eq!(session.status, 200, "{}", session.text);
        let session = session.json()["value"]["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        Driver {
            child,
            base,
            session,
            agent,
        }
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let answer = server::send(&self.agent, "POST", &url, None, Some(body));
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        answer.json()["value"].clone()
    }

    fn open(&self, url: &str) {
        self.post("/url", &json!({ "url": url }));
    }

    fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", &json!({ "script": script, "args": [] }))
    }

    /// Polls `script` until it returns `want`; the time it took.
    fn wait_for(&self, script: &str, want: &Value, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let got = self.script(script);
            if &got == want {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "{script} is {got}, not {want}, after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = server::send(&self.agent, "DELETE", &url, None, None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|n| PathBuf::from("/usr/bin").join(n))
        .find(|p| p.exists())
        .map(|p| p.display().to_string())
}

#[test]
fn the_board_redraws_when_an_operation_lands_and_filters_and_pins() {
    let (Some(chromium), Some(driver)) = (
        installed(&["chromium", "chromium-browser", "google-chrome"]),
        installed(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the live board test: install chromium and chromium-driver"
        );
        eprintln!("SKIPPED: Chromium or chromedriver not installed (apt-get install chromium chromium-driver)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    support::demo_db(dir.path());
    let token = server::token(dir.path(), "dispatcher", None, "board test");
    let server = server::Server::start(dir.path(), &[], &[]);
    let browser = Driver::start(&chromium, &driver);
    // Monday to Wednesday of the demo's week, now Monday noon.
    let at = "2027-03-01T12:00:00Z";
    browser.open(&server.url(&format!(
        "/board?token={token}&from=2027-03-01&to=2027-03-03&at={at}"
    )));
    browser.wait_for(
        "return document.body.getAttribute('data-live')",
        &json!("connected"),
        Duration::from_secs(10),
    );
    let status = "return (document.querySelector('g.bar[data-order=\"SO-B0001\"]') || {getAttribute: () => 'missing'}).getAttribute('data-status')";
    assert_eq!(browser.script(status), json!("scheduled"));

    // An operation through the API: the bar changes without a reload.
    let started = server.post(
        "/orders/SO-B0001/start",
        Some(&token),
        Some(&json!({ "at": at })),
    );
    assert_eq!(started.status, 200, "{}", started.text);
    let took = browser.wait_for(status, &json!("in_progress"), Duration::from_secs(3));
    eprintln!("the board showed the operation after {took:?}");
    assert!(
        browser
            .script("return Number(document.body.getAttribute('data-live-version'))")
            .as_u64()
            >= Some(1),
        "redrawn in place, not reloaded"
    );

    // The territory filter keeps that territory's technicians only.
    let territory = browser.script(
        "const o = document.querySelectorAll('select[name=territory] option'); return o.length > 1 ? o[1].value : null",
    );
    let territory = territory
        .as_str()
        .expect("the demo has territories")
        .to_owned();
    let rows_all =
        browser.script("return document.querySelectorAll('select[name=technician] option').length");
    browser.open(&server.url(&format!(
        "/board?token={token}&from=2027-03-01&to=2027-03-03&at={at}&territory={territory}"
    )));
    let rows_filtered =
        browser.script("return document.querySelectorAll('select[name=technician] option').length");
    assert!(
        rows_filtered.as_u64() < rows_all.as_u64() && rows_filtered.as_u64() > Some(0),
        "{rows_filtered} of {rows_all}"
    );

    // The pin form calls the API: the order is assigned to the chosen technician.
    browser.wait_for(
        "return document.body.getAttribute('data-live')",
        &json!("connected"),
        Duration::from_secs(10),
    );
    let chosen = browser.script(
        "document.getElementById('fw-order').value = 'SO-B0002';
         const s = document.querySelector('select[name=technician]');
         const v = s.options[s.options.length - 1].value; s.value = v;
         document.querySelector('#fw-pin button').click(); return v",
    );
    browser.wait_for(
        "const s = document.getElementById('fw-status'); return s && s.textContent.startsWith('pinned')",
        &json!(true),
        Duration::from_secs(5),
    );
    let shown = server.get("/orders/SO-B0002", Some(&token)).json();
    assert_eq!(shown["required_technician"], chosen, "{shown}");
}
