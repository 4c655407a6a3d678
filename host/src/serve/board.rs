//! The live board and the technicians' pages.
//!
//! - `GET /board`: the same board as `fieldwork board` (the CLI's `views::board_of`, rendered by
//!   `views::board::render_view`), filtered by territory and skill, with a pin/move form (it
//!   calls `POST /orders/{id}/assign`; clicking a bar or a backlog item fills the order), a
//!   re-plan button (`POST /runs` over the days shown) and a script that follows
//!   `GET /board/events` and redraws the board when the database changes (an operation, a run,
//!   a `fieldwork` command in another process: the server polls the store's revision —
//!   SQLite's last batch id, PostgreSQL's revision counter — every 250 ms).
//! - `GET /me/today`: a technician's day as a page readable on a phone (`views::today`).
//! - `GET /technicians/{id}/today` (JSON) and `GET /technicians/{id}/calendar.ics` (a
//!   subscribable iCalendar feed, `views::ics`, whose SEQUENCE ledger is kept in the database).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::convert::Infallible;
use tokio::sync::broadcast;

use super::auth::Principal;
use super::{blocking, ok, ApiError, Shared};
use crate::cli::views::{board_of, calendar_of, today_of};
use crate::format::parse_date;
use crate::sql::access::Role;
use crate::views::board::{escape, render_view, BoardView};
use crate::views::{ics, today};
use fieldwork::model::{Model, TechnicianId};

/// The query of `GET /board`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct BoardQuery {
    /// First day shown (YYYY-MM-DD, inclusive; default the newest plan's first day).
    pub from: Option<String>,
    /// Last day shown (inclusive; default four days after `from`).
    pub to: Option<String>,
    /// Only technicians of this territory (and backlog orders of its customers).
    pub territory: Option<String>,
    /// Only technicians with this skill (and backlog orders that need it).
    pub skill: Option<String>,
    /// "Now", as `--at`.
    pub at: Option<String>,
    /// The token (a browser opens the board by URL).
    pub token: Option<String>,
}

fn date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            parse_date(t).map_err(|e| ApiError::bad_request(format!("invalid {field} '{t}': {e}")))
        })
        .transpose()
}

fn nonempty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

/// Keeps the technicians of `territory` having `skill` (rows and their bars), and the backlog
/// orders of the territory's customers needing the skill. The KPIs stay those of the whole
/// board.
pub fn filter_view(
    view: &mut BoardView,
    model: &Model,
    territory: Option<&str>,
    skill: Option<&str>,
) {
    if territory.is_none() && skill.is_none() {
        return;
    }
    let keep_technician = |id: &TechnicianId| {
        model.technician(id).is_some_and(|t| {
            territory.is_none_or(|x| t.territory.as_ref().is_some_and(|y| y.as_str() == x))
                && skill.is_none_or(|s| t.skills.contains_key(s))
        })
    };
    let mut index = vec![None; view.rows.len()];
    let mut rows = Vec::new();
    for (i, row) in view.rows.iter().enumerate() {
        if keep_technician(&row.technician) {
            index[i] = Some(rows.len());
            rows.push(row.clone());
        }
    }
    view.rows = rows;
    view.bars
        .retain_mut(|bar| match index.get(bar.row).copied().flatten() {
            Some(new) => {
                bar.row = new;
                true
            }
            None => false,
        });
    view.backlog.retain(|item| {
        let Some(order) = model.order(&item.order) else {
            return false;
        };
        let in_territory = territory.is_none_or(|x| {
            model
                .customer(&order.customer)
                .and_then(|c| c.territory.as_ref())
                .is_some_and(|y| y.as_str() == x)
        });
        let needs_skill = skill.is_none_or(|s| {
            order
                .task_codes()
                .filter_map(|c| model.task(c))
                .any(|t| t.required_skills.iter().any(|r| r.skill == s))
        });
        in_territory && needs_skill
    });
    view.backlog_total = view.backlog.len();
}

/// A value for a `<script>`: JSON with `<` escaped, so no `</script>` can close it.
fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
}

/// The live part of a page: the script that follows `/board/events` and redraws the page.
fn live_script(token: &str) -> String {
    format!(
        r##"<script>
(function () {{
  const FW = {config};
  let pending = null;
  let version = 0;
  function redraw() {{
    fetch(location.pathname + location.search, {{ cache: "no-store" }})
      .then(function (r) {{ return r.text(); }})
      .then(function (html) {{
        const doc = new DOMParser().parseFromString(html, "text/html");
        // What the dispatcher typed and the last message survive the redraw.
        const keep = ["fw-status", "fw-order"].map(function (id) {{
          const e = document.getElementById(id);
          return [id, e ? (e.value !== undefined ? e.value : e.textContent) : null];
        }});
        document.body.innerHTML = doc.body.innerHTML;
        keep.forEach(function (k) {{
          const e = document.getElementById(k[0]);
          if (e && k[1] !== null) {{ if (e.value !== undefined) e.value = k[1]; else e.textContent = k[1]; }}
        }});
        version += 1;
        document.body.setAttribute("data-live-version", String(version));
      }});
  }}
  const events = new EventSource("/board/events?token=" + encodeURIComponent(FW.token));
  events.addEventListener("open", function () {{ document.body.setAttribute("data-live", "connected"); }});
  events.addEventListener("error", function () {{ document.body.setAttribute("data-live", "reconnecting"); }});
  events.addEventListener("change", function () {{
    if (pending) return;
    pending = setTimeout(function () {{ pending = null; redraw(); }}, 100);
  }});
  function say(text) {{
    const s = document.getElementById("fw-status");
    if (s) s.textContent = text;
  }}
  function post(path, body) {{
    return fetch(path, {{
      method: "POST",
      headers: {{ "Authorization": "Bearer " + FW.token, "Content-Type": "application/json" }},
      body: JSON.stringify(body)
    }}).then(function (r) {{ return r.json().then(function (j) {{ return [r, j]; }}); }});
  }}
  document.addEventListener("click", function (e) {{
    const item = e.target.closest && e.target.closest("[data-order]");
    const field = document.getElementById("fw-order");
    if (item && field) field.value = item.getAttribute("data-order").split("#")[0];
  }});
  document.addEventListener("submit", function (e) {{
    if (e.target.id === "fw-pin") {{
      e.preventDefault();
      const f = new FormData(e.target);
      const body = {{ technician: f.get("technician"), reason: "pinned on the board" }};
      if (f.get("start")) body.start = f.get("start");
      post("/orders/" + encodeURIComponent(f.get("order")) + "/assign", body).then(function (rj) {{
        say(rj[0].ok ? "pinned " + rj[1].order + " to " + body.technician + " (re-plan to place it)" : rj[1].detail);
      }});
    }} else if (e.target.id === "fw-replan") {{
      e.preventDefault();
      const f = new FormData(e.target);
      post("/runs", {{ from: f.get("from"), to: f.get("to") }}).then(function (rj) {{
        say(rj[0].ok ? "re-planning: " + rj[1].id : rj[1].detail);
      }});
    }}
  }});
}})();
</script>
"##,
        config = script_json(&serde_json::json!({ "token": token })),
    )
}

/// The filter, pin/move and re-plan forms above the board.
fn controls(model: &Model, view: &BoardView, query: &BoardQuery, token: &str) -> String {
    let territories: BTreeSet<&str> = model
        .technicians()
        .iter()
        .filter_map(|t| t.territory.as_ref().map(|x| x.as_str()))
        .collect();
    let skills: BTreeSet<&str> = model
        .technicians()
        .iter()
        .flat_map(|t| t.skills.keys().map(String::as_str))
        .collect();
    let options = |all: &BTreeSet<&str>, chosen: Option<&str>| -> String {
        let mut html = String::from(r#"<option value="">all</option>"#);
        for v in all {
            html.push_str(&format!(
                r#"<option value="{0}"{1}>{0}</option>"#,
                escape(v),
                if chosen == Some(*v) { " selected" } else { "" }
            ));
        }
        html
    };
    let technicians: String = view
        .rows
        .iter()
        .map(|r| {
            format!(
                r#"<option value="{}">{}</option>"#,
                escape(r.technician.as_str()),
                escape(&r.label)
            )
        })
        .collect();
    let (from, to) = (view.options.from, view.options.to);
    format!(
        r#"<div id="fw-controls" style="display:flex;gap:18px;flex-wrap:wrap;align-items:center;margin:0 0 10px;padding:8px;background:#f5f5f5;border-radius:6px">
<form id="fw-filter" method="get" action="/board"><input type="hidden" name="token" value="{token}">
territory <select name="territory">{territories}</select> skill <select name="skill">{skills}</select>
from <input type="date" name="from" value="{from}"> to <input type="date" name="to" value="{to}"> <button>Filter</button></form>
<form id="fw-pin">pin/move <input id="fw-order" name="order" placeholder="order (click a bar)" size="12" required>
to <select name="technician">{technicians}</select> at <input type="datetime-local" name="start"> <button>Pin</button></form>
<form id="fw-replan"><input type="hidden" name="from" value="{from}"><input type="hidden" name="to" value="{to}"><button>Re-plan these days</button></form>
<span id="fw-status" style="color:#555"></span></div>
"#,
        token = escape(token),
        territories = options(&territories, nonempty(&query.territory)),
        skills = options(&skills, nonempty(&query.skill)),
    )
}

/// The dispatcher's board, live (dispatcher, manager, admin).
#[utoipa::path(get, path = "/board", tag = "board", params(BoardQuery),
    responses((status = 200, description = "text/html: the board, redrawn when the database changes"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem, description = "no plan stored yet")))]
pub async fn board(
    State(state): State<Shared>,
    principal: Principal,
    Query(query): Query<BoardQuery>,
) -> Result<Response, ApiError> {
    principal.require_office("open the board")?;
    let from = date("from", nonempty(&query.from))?;
    let to = date("to", nonempty(&query.to))?;
    blocking(move || {
        let ctx = state.context(nonempty(&query.at))?;
        let mut view = board_of(&ctx, from, to)?;
        filter_view(
            &mut view,
            &ctx.model,
            nonempty(&query.territory),
            nonempty(&query.skill),
        );
        let token = query.token.clone().unwrap_or_default();
        let html = render_view(&view);
        let body_start = html.find("<body>").map_or(0, |i| i + "<body>".len());
        let end = html.rfind("</body>").unwrap_or(html.len());
        let page = format!(
            "{}\n{}{}{}{}",
            &html[..body_start],
            controls(&ctx.model, &view, &query, &token),
            &html[body_start..end],
            live_script(&token),
            &html[end..]
        );
        Ok(Html(page).into_response())
    })
    .await
}

/// Server-sent events: `change` each time the database changed (the board redraws).
#[utoipa::path(get, path = "/board/events", tag = "board",
    responses((status = 200, description = "text/event-stream of `change` events")))]
pub async fn events(
    State(state): State<Shared>,
    principal: Principal,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if principal.role == Role::Technician && principal.technician.is_none() {
        return Err(ApiError::forbidden(
            "this technician token names no technician",
        ));
    }
    let receiver = state.changes.subscribe();
    let stream = stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(seq) => {
                    let event = Event::default().event("change").data(seq.to_string());
                    return Some((Ok(event), receiver));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The query of the day pages.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DayQuery {
    /// The day (YYYY-MM-DD; default today in the business's zone).
    pub date: Option<String>,
    /// `/me/today` with an office token: whose day.
    pub technician: Option<String>,
    /// "Now", as `--at`.
    pub at: Option<String>,
    /// The token (a phone opens the page by URL).
    pub token: Option<String>,
}

async fn day(
    state: Shared,
    technician: TechnicianId,
    query: DayQuery,
) -> Result<(today::DayView, chrono_tz::Tz), ApiError> {
    let date = date("date", nonempty(&query.date))?;
    blocking(move || {
        let ctx = state.context(nonempty(&query.at))?;
        Ok(today_of(
            &ctx.model,
            &ctx.store.plans()?,
            technician.as_str(),
            date,
            ctx.now,
        )?)
    })
    .await
}

/// A technician's day as a page readable on a phone: a technician token shows their own day;
/// an office token names the technician (`?technician=`).
#[utoipa::path(get, path = "/me/today", tag = "board", params(DayQuery),
    responses((status = 200, description = "text/html: the day's stops"),
              (status = 400, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn me_today(
    State(state): State<Shared>,
    principal: Principal,
    Query(query): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let technician = match (&principal.technician, nonempty(&query.technician)) {
        (Some(own), asked) => {
            if let Some(asked) = asked {
                principal.require_technician(&TechnicianId::new(asked))?;
            }
            own.clone()
        }
        (None, Some(asked)) => {
            principal.require_office("read a technician's day")?;
            TechnicianId::new(asked)
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "this token is not bound to a technician: give ?technician=ID",
            ))
        }
    };
    let token = query.token.clone().unwrap_or_default();
    let (view, zone) = day(state, technician, query).await?;
    Ok(Html(today::render_html(&view, zone, &live_script(&token))).into_response())
}

/// A technician's day as JSON (as `fieldwork today --json`).
#[utoipa::path(get, path = "/technicians/{id}/today", tag = "board",
    params(("id" = String, Path, description = "the technician"), DayQuery),
    responses((status = 200, description = "the day's stops"),
              (status = 403, body = super::Problem, description = "another technician's day"),
              (status = 404, body = super::Problem)))]
pub async fn technician_today(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
    Query(query): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let technician = TechnicianId::new(id);
    principal.require_technician(&technician)?;
    let (view, _) = day(state, technician, query).await?;
    let value = serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(ok(value))
}

/// A technician's calendar feed (iCalendar): subscribe to
/// `/technicians/T-001/calendar.ics?token=…`. UIDs are stable; a moved visit gets the next
/// SEQUENCE, a visit taken away is sent as cancelled (the ledger is kept in the database).
#[utoipa::path(get, path = "/technicians/{id}/calendar.ics", tag = "board",
    params(("id" = String, Path, description = "the technician")),
    responses((status = 200, description = "text/calendar"),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn calendar(
    State(state): State<Shared>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let technician = TechnicianId::new(id);
    principal.require_technician(&technician)?;
    blocking(move || {
        let ctx = state.context(None)?;
        let mut store = state.store()?;
        let ledger: ics::ExportLedger = match store.ics_ledger(technician.as_str())? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => ics::ExportLedger::new(),
        };
        let (text, next) = calendar_of(
            &ctx.model,
            &ctx.store.plans()?,
            technician.as_str(),
            &ledger,
            ctx.now,
        )?;
        if next != ledger {
            let json =
                serde_json::to_string(&next).map_err(|e| ApiError::internal(e.to_string()))?;
            state.writing(|| Ok(store.save_ics_ledger(technician.as_str(), &json)?))?;
        }
        Ok((
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            text,
        )
            .into_response())
    })
    .await
}

/// The board and technician routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/board", get(board))
        .route("/board/events", get(events))
        .route("/me/today", get(me_today))
        .route("/technicians/{id}/today", get(technician_today))
        .route("/technicians/{id}/calendar.ics", get(calendar))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::board::{board_view, Bar, BoardOptions, Dues};
    use chrono::{TimeZone, Utc};
    use fieldwork::demo::{generate, DemoOptions};
    use fieldwork::model::OrderStatus;
    use fieldwork::schedule::plan::{Plan, PlanKpis};

    fn view_with_a_bar_per_row(model: &Model) -> BoardView {
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let start = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
        let plan = Plan {
            from: start,
            to: start,
            routes: Vec::new(),
            unassigned: Vec::new(),
            kpis: PlanKpis::default(),
        };
        let mut view = board_view(
            model,
            &plan,
            &Dues::new(),
            &BoardOptions {
                from: day,
                to: day,
                zone: chrono_tz::Europe::Berlin,
                now: start,
                risk_margin_minutes: 60,
            },
        );
        let order = model.orders()[0].clone();
        view.bars = (0..view.rows.len())
            .map(|row| Bar {
                order: order.id.clone(),
                row,
                start,
                end: start,
                travel_minutes: 0.0,
                priority: order.priority,
                status: OrderStatus::Scheduled,
                due: None,
                due_shown: false,
                overdue: false,
                at_risk: false,
                actual_start: None,
                actual_end: None,
                part: None,
                title: row.to_string(),
            })
            .collect();
        view
    }

    #[test]
    fn filters_keep_the_territory_and_skill_rows_and_renumber_their_bars() {
        let model = Model::from_dataset(generate(&DemoOptions::new(
            3,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        )))
        .unwrap();
        let all = view_with_a_bar_per_row(&model);
        let territory = model
            .technicians()
            .iter()
            .find_map(|t| t.territory.clone())
            .expect("the demo has territories");
        let mut view = all.clone();
        filter_view(&mut view, &model, Some(territory.as_str()), None);
        assert!(!view.rows.is_empty() && view.rows.len() < all.rows.len());
        for row in &view.rows {
            let t = model.technician(&row.technician).unwrap();
            assert_eq!(t.territory.as_ref(), Some(&territory));
        }
        // One bar per kept row, pointing at it (the title is the old row index).
        assert_eq!(view.bars.len(), view.rows.len());
        for bar in &view.bars {
            let old: usize = bar.title.parse().unwrap();
            assert_eq!(all.rows[old].technician, view.rows[bar.row].technician);
        }
        let skill = model.technicians()[0].skills.keys().next().unwrap().clone();
        let mut view = all.clone();
        filter_view(&mut view, &model, None, Some(&skill));
        assert!(view.rows.iter().all(|r| model
            .technician(&r.technician)
            .unwrap()
            .skills
            .contains_key(&skill)));
        let mut none = all.clone();
        filter_view(&mut none, &model, Some("no-such-territory"), None);
        assert!(none.rows.is_empty() && none.bars.is_empty() && none.backlog.is_empty());
    }

    #[test]
    fn the_script_config_cannot_close_the_script() {
        let text = script_json(&serde_json::json!({ "token": "</script><b>" }));
        assert!(!text.contains("</script>"), "{text}");
    }
}
