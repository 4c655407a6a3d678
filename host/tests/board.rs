//! The dispatch board in a real browser: renders a plan of 40 technicians × 5 days with orders
//! in progress, on hold and done, a backlog and SLA due times, opens it in headless Chromium,
//! takes a screenshot, and checks through the DOM (with the browser's own layout) that every
//! scheduled order appears exactly once, that no two bars overlap in a row, that the backlog
//! pane lists the window's backlog, that the now line sits between the bars that start before
//! and after now, that each status is drawn with its own style, and that each SLA due marker
//! sits in its order's row (overdue ones red).
//! Skips, saying so, where Chromium is not installed — except in CI (`CI` set), where it fails.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::model::{Model, OrderId, OrderStatus};
use fieldwork::schedule::plan::{Plan, PlanKpis, Route, Unassigned, UnassignedReason, Visit};
use fieldwork_host::views::board::{board_view, render, render_view, BoardOptions, Dues};
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
                    part: None,
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
                depot_stop: None,
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

/// Berlin local time on a day of the window.
fn berlin(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The dense plan over a model whose first visits are real orders in progress, on hold and
/// done (their history recorded), with SLA due times for every order of the model: the board
/// of a day being run.
fn day_being_run(from: NaiveDate) -> (Model, Plan, Dues) {
    let mut model = Model::from_dataset(generate(&DemoOptions::new(3, from))).unwrap();
    let mut plan = dense_plan(&model, from);
    use OrderStatus::*;
    let paths: [&[OrderStatus]; 4] = [
        &[Scheduled, InProgress],
        &[Scheduled, InProgress, OnHold],
        &[Scheduled, InProgress, Completed],
        &[Scheduled],
    ];
    // The first visit of each of the first four routes becomes a real order of the model.
    for (i, path) in paths.iter().enumerate() {
        let id = model.orders()[i + 1].id.clone();
        let visit = &mut plan.routes[i].visits[0];
        for (k, status) in path.iter().enumerate() {
            let at = visit.start + Duration::minutes(10 * k as i64);
            model.transition_order(&id, *status, at).unwrap();
        }
        visit.order = id;
    }
    let dues: Dues = model
        .orders()
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let day = from + Duration::days((i % 5) as i64);
            (o.id.clone(), berlin(day, 8 + (i % 9) as u32))
        })
        .collect();
    (model, plan, dues)
}

/// Appended to the page by the test: measures every bar with the browser's layout engine.
const PROBE: &str = r#"<script>
const bars = [...document.querySelectorAll('g.bar[data-order]')];
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
// The now line between the bars that start before now and those that start after it.
const nowG = document.querySelector('#now');
const nowX = nowG ? nowG.querySelector('line').getBoundingClientRect().left : null;
const now = nowG ? Date.parse(nowG.dataset.now) : null;
let nowMisplaced = [];
for (const g of bars) {
  const r = g.querySelector('rect').getBoundingClientRect();
  const start = Date.parse(g.dataset.start);
  const sameDay = Math.abs(start - now) < 12 * 3600 * 1000;
  if (sameDay && start < now - 60000 && r.left > nowX + 0.5) nowMisplaced.push(g.dataset.order);
  if (sameDay && start > now + 60000 && r.left < nowX - 0.5) nowMisplaced.push(g.dataset.order);
}
// Each status has its own look.
const style = {};
for (const s of ['scheduled', 'in_progress', 'on_hold', 'completed']) {
  const g = document.querySelector('g.bar[data-order].status-' + s);
  if (!g) continue;
  const cs = getComputedStyle(g.querySelector('rect.body'));
  style[s] = {opacity: cs.fillOpacity, dash: cs.strokeDasharray, stripes: !!g.querySelector('rect.stripes')};
}
// Due markers: in their order's row (visits), in the backlog lane (backlog), overdue ones red.
const rowOf = {};
for (const g of bars) { const r = g.querySelector('rect').getBoundingClientRect(); rowOf[g.dataset.order] = [r.top, r.bottom]; }
const lane = document.querySelector('#backlog-lane rect.lane').getBoundingClientRect();
let markers = 0, backlogMarkers = 0, overdue = 0, misplaced = [], notRed = [];
for (const g of document.querySelectorAll('g.due[data-order]')) {
  markers++;
  const r = g.querySelector('path').getBoundingClientRect();
  const mid = (r.top + r.bottom) / 2;
  if (g.classList.contains('backlog-due')) {
    backlogMarkers++;
    if (mid < lane.top || mid > lane.bottom) misplaced.push(g.dataset.order);
  } else {
    const row = rowOf[g.dataset.order];
    if (!row || mid < row[0] - 6 || mid > row[1] + 6) misplaced.push(g.dataset.order);
  }
  if (g.classList.contains('overdue')) {
    overdue++;
    if (getComputedStyle(g.querySelector('path')).fill !== 'rgb(213, 0, 0)') notRed.push(g.dataset.order);
  }
}
const backlog = [...document.querySelectorAll('#backlog li.backlog-item')].map(li => [li.dataset.order, li.dataset.why, li.classList.contains('overdue')]);
const pre = document.createElement('pre'); pre.id = 'probe';
pre.textContent = JSON.stringify({bars: bars.length, seen, overlaps, now: nowX !== null, nowMisplaced, style, markers, backlogMarkers, overdue, misplaced, notRed, backlog});
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
    let (model, plan, dues) = day_being_run(from);
    let options = BoardOptions {
        from,
        to: from + Duration::days(4),
        zone: chrono_tz::Europe::Berlin,
        now: berlin(from + Duration::days(2), 12),
        risk_margin_minutes: 30,
    };
    let view = board_view(&model, &plan, &dues, &options);
    let html = render_view(&view);
    // The only url( is the stripes pattern of the same document.
    assert!(
        !html.contains("src=")
            && !html.contains("href=")
            && html.matches("url(").count() == html.matches("url(#stripes)").count(),
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

    // The backlog pane lists the window's backlog, in the view's order, with why.
    let listed: Vec<(String, String, bool)> = probe["backlog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v[0].as_str().unwrap().to_owned(),
                v[1].as_str().unwrap().to_owned(),
                v[2].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, bool)> = view
        .backlog
        .iter()
        .map(|b| (b.order.to_string(), b.reason.kind().to_owned(), b.overdue))
        .collect();
    assert!(expected.len() > 10, "the demo's open orders are backlog");
    assert_eq!(listed, expected);
    assert_eq!(
        listed[0].1, "unassigned",
        "the plan's unassigned order, overdue first"
    );
    assert!(listed.iter().any(|l| l.2) && listed.iter().any(|l| !l.2));

    // The now line, between what started before now and what starts after.
    assert_eq!(probe["now"], true);
    assert_eq!(
        probe["nowMisplaced"].as_array().unwrap().len(),
        0,
        "{}",
        probe["nowMisplaced"]
    );

    // Each status its own look: stripes in progress, dashed on hold, pale when done.
    let style = &probe["style"];
    assert_eq!(style["in_progress"]["stripes"], true, "{style}");
    assert_eq!(style["scheduled"]["stripes"], false, "{style}");
    assert_ne!(style["on_hold"]["dash"], "none", "{style}");
    assert_eq!(style["scheduled"]["dash"], "none", "{style}");
    assert_eq!(style["completed"]["opacity"], "0.3", "{style}");
    assert_eq!(style["scheduled"]["opacity"], "1", "{style}");

    // SLA due markers: one per visit and backlog order due on the days shown, in place.
    let visit_marks = view.bars.iter().filter(|b| b.due_shown).count();
    let backlog_marks = view.backlog.iter().filter(|b| b.due_shown).count();
    let overdue = view
        .bars
        .iter()
        .filter(|b| b.due_shown && b.overdue)
        .count()
        + view
            .backlog
            .iter()
            .filter(|b| b.due_shown && b.overdue)
            .count();
    assert!(visit_marks > 100 && backlog_marks > 10 && overdue > 10);
    assert_eq!(probe["markers"], visit_marks + backlog_marks);
    assert_eq!(probe["backlogMarkers"], backlog_marks);
    assert_eq!(probe["overdue"], overdue);
    assert_eq!(
        probe["misplaced"].as_array().unwrap().len(),
        0,
        "{}",
        probe["misplaced"]
    );
    assert_eq!(
        probe["notRed"].as_array().unwrap().len(),
        0,
        "{}",
        probe["notRed"]
    );
}

/// The KPIs on top count the days shown: the visits of those days against them plus the
/// window's backlog (the open orders of the window that no plan holds).
#[test]
fn kpis_count_the_days_shown() {
    let from: NaiveDate = "2027-03-01".parse().unwrap();
    let (model, plan, dues) = day_being_run(from);
    let board = |to: NaiveDate| {
        let options = BoardOptions {
            from,
            to,
            zone: chrono_tz::Europe::Berlin,
            now: plan.from,
            risk_margin_minutes: 30,
        };
        (
            render(&model, &plan, &dues, &options),
            board_view(&model, &plan, &dues, &options),
        )
    };
    let first_day: usize = plan
        .routes
        .iter()
        .filter(|r| r.day == from)
        .map(|r| r.visits.len())
        .sum();
    let all: usize = plan.routes.iter().map(|r| r.visits.len()).sum();
    assert!(first_day > 0 && first_day < all);
    let kpi = |html: &str, id: &str| {
        let at = html.find(&format!(r#"id="kpi-{id}""#)).unwrap();
        html[at..]
            .split("<b>")
            .nth(1)
            .unwrap()
            .split("</b>")
            .next()
            .unwrap()
            .to_owned()
    };
    // Open model orders no visit holds: the created ones (the first four are on the plan).
    let open = |until: DateTime<Utc>| {
        model
            .orders()
            .iter()
            .filter(|o| o.status() == OrderStatus::Created)
            .filter(|o| o.earliest_start.unwrap_or(o.created_at) < until)
            .count()
    };
    let (one, _) = board(from);
    let left = open(berlin(from + Duration::days(1), 0));
    assert!(left > 0);
    assert_eq!(
        kpi(&one, "assigned"),
        format!("{first_day} / {}", first_day + left)
    );
    let (five, view) = board(from + Duration::days(4));
    let left = open(berlin(from + Duration::days(5), 0));
    assert_eq!(kpi(&five, "assigned"), format!("{all} / {}", all + left));
    assert_eq!(view.backlog_total, left);
    assert_eq!(
        kpi(&five, "status"),
        "1 · 1 · 1",
        "in progress · on hold · done"
    );
    assert!(view
        .backlog
        .iter()
        .any(|b| b.order == OrderId::new(model.orders()[0].id.as_str())));
}
