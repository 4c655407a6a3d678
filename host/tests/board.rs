//! The dispatch board in a real browser: renders a plan of 40 technicians × 5 days, opens it in
//! headless Chromium, takes a screenshot, and checks through the DOM (with the browser's own
//! layout) that every scheduled order appears exactly once and that no two bars overlap in a row.
//! Skips, saying so, where Chromium is not installed — except in CI (`CI` set), where it fails.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::model::Model;
use fieldwork::schedule::plan::{Plan, PlanKpis, Route, Unassigned, UnassignedReason, Visit};
use fieldwork_host::views::board::{render, BoardOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|n| PathBuf::from("/usr/bin").join(n))
        .find(|p| p.exists())
}

/// A dense synthetic plan: every active technician, five days, back-to-back jobs with travel.
fn dense_plan(model: &Model, from: NaiveDate) -> Plan {
    let tz = chrono_tz::Europe::Berlin;
    let mut routes = Vec::new();
    let mut orders = model.orders().iter().cycle();
    let mut n = 0;
    for (ti, tech) in model.technicians().iter().filter(|t| t.active).enumerate() {
        for d in 0..5 {
            let day = from + Duration::days(d);
            let start = tz
                .from_local_datetime(&day.and_hms_opt(7, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc);
            let mut t = start;
            let mut visits = Vec::new();
            for j in 0..(3 + (ti + d as usize) % 4) {
                let order = orders.next().unwrap();
                let travel = 10 + (j * 7 + ti) % 30;
                t += Duration::minutes(travel as i64);
                let len = 30 + ((j + ti) % 4) as i64 * 30;
                visits.push(Visit {
                    order: format!("{}#{n}", order.id).into(),
                    arrival: t,
                    start: t,
                    end: t + Duration::minutes(len),
                    travel_minutes: travel as f64,
                    travel_km: travel as f64 * 0.8,
                    due: Some(t + Duration::minutes(if j == 2 { 20 } else { 300 })),
                    late_minutes: 0.0,
                    fixed: false,
                });
                n += 1;
                t += Duration::minutes(len);
            }
            routes.push(Route {
                technician: tech.id.clone(),
                day,
                shift_start: start,
                shift_end: start + Duration::hours(9),
                visits,
                return_minutes: 15.0,
                return_km: 10.0,
            });
        }
    }
    let mut plan = Plan {
        from: Utc.from_utc_datetime(&from.and_hms_opt(0, 0, 0).unwrap()),
        to: Utc.from_utc_datetime(&(from + Duration::days(5)).and_hms_opt(0, 0, 0).unwrap()),
        routes,
        unassigned: vec![Unassigned {
            order: model.orders()[0].id.clone(),
            reason: UnassignedReason::NoEligibleTechnician,
            detail: "needs lifts level 4 <none has it>".into(),
        }],
        kpis: PlanKpis {
            orders_total: n + 1,
            ..PlanKpis::default()
        },
    };
    plan.refresh_kpis();
    plan
}

/// Appended to the page by the test: measures every bar with the browser's layout engine.
const PROBE: &str = r#"<script>
const bars = [...document.querySelectorAll('g.bar')];
const rows = {}; const seen = {}; let overlaps = [];
for (const g of bars) {
  const r = g.querySelector('rect').getBoundingClientRect();
  (rows[g.dataset.row] ||= []).push([r.left, r.right, g.dataset.order]);
  seen[g.dataset.order] = (seen[g.dataset.order] || 0) + 1;
}
for (const [row, list] of Object.entries(rows)) {
  list.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < list.length; i++) if (list[i][0] < list[i-1][1] - 0.01) overlaps.push(row + ':' + list[i-1][2] + '/' + list[i][2]);
}
const pre = document.createElement('pre'); pre.id = 'probe';
pre.textContent = JSON.stringify({bars: bars.length, seen, overlaps});
document.body.appendChild(pre);
</script>"#;

fn run_chromium(chrome: &Path, dir: &Path, args: &[String]) -> String {
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn board_renders_every_order_once_without_overlaps_in_chromium() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (installed by .ci/run)"
        );
        eprintln!("SKIPPED: Chromium not installed (apt-get install chromium to run this test)");
        return;
    };
    let from: NaiveDate = "2027-03-01".parse().unwrap();
    let model = Model::from_dataset(generate(&DemoOptions::new(3, from))).unwrap();
    let plan = dense_plan(&model, from);
    let html = render(
        &model,
        &plan,
        &BoardOptions {
            from,
            to: from + Duration::days(4),
            zone: chrono_tz::Europe::Berlin,
            now: plan.from,
            risk_margin_minutes: 30,
        },
    );
    assert!(
        !html.contains("src=") && !html.contains("href=") && !html.contains("url("),
        "no fetches"
    );
    assert!(
        !html.contains("<link") && !html.contains("<script"),
        "self-contained, no scripts"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("board.html");
    std::fs::write(&page, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let url = format!("file://{}", page.display());

    let shot = dir.path().join("board.png");
    run_chromium(
        &chrome,
        dir.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1600,1200".into(),
            url.clone(),
        ],
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "screenshot written"
    );
    if let Some(keep) = std::env::var_os("FIELDWORK_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }

    let dom = run_chromium(
        &chrome,
        dir.path(),
        &["--dump-dom".into(), "--window-size=1600,1200".into(), url],
    );
    let start = dom.find("<pre id=\"probe\">").expect("probe ran") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let probe: serde_json::Value = serde_json::from_str(
        &dom[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
    .unwrap();
    let planned: Vec<String> = plan
        .routes
        .iter()
        .flat_map(|r| r.visits.iter().map(|v| v.order.to_string()))
        .collect();
    assert_eq!(probe["bars"].as_u64().unwrap() as usize, planned.len());
    for order in &planned {
        assert_eq!(
            probe["seen"][order].as_u64(),
            Some(1),
            "{order} appears exactly once"
        );
    }
    assert_eq!(
        probe["overlaps"].as_array().unwrap().len(),
        0,
        "overlapping bars: {}",
        probe["overlaps"]
    );
}

/// The KPIs on top count the days shown; the unassigned list is the whole backlog.
#[test]
fn kpis_count_the_days_shown() {
    let from: NaiveDate = "2027-03-01".parse().unwrap();
    let model = Model::from_dataset(generate(&DemoOptions::new(3, from))).unwrap();
    let plan = dense_plan(&model, from);
    let board = |to: NaiveDate| {
        render(
            &model,
            &plan,
            &BoardOptions {
                from,
                to,
                zone: chrono_tz::Europe::Berlin,
                now: plan.from,
                risk_margin_minutes: 30,
            },
        )
    };
    let first_day: usize = plan
        .routes
        .iter()
        .filter(|r| r.day == from)
        .map(|r| r.visits.len())
        .sum();
    let all: usize = plan.routes.iter().map(|r| r.visits.len()).sum();
    let left = plan.unassigned.len();
    assert!(first_day > 0 && first_day < all);
    let kpi = |html: &str| {
        let at = html.find(r#"id="kpi-assigned">assigned<b>"#).unwrap();
        html[at..]
            .split("<b>")
            .nth(1)
            .unwrap()
            .split("</b>")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        kpi(&board(from)),
        format!("{first_day} / {}", first_day + left)
    );
    assert_eq!(
        kpi(&board(from + Duration::days(4))),
        format!("{all} / {}", all + left)
    );
}
