//! A deterministic demo-data generator: a service business in the Berlin–Brandenburg region
//! with a few hundred customers, their equipment and agreements, ~40 technicians, Berlin's
//! public holidays and a few dozen open breakdown calls. Same seed and anchor date → same data.
//!
//! For measurements at the size of a real service business, [`DemoOptions::regions`] lays
//! `N` such regions side by side (at most [`MAX_REGIONS`]): each has its own centre, territories,
//! calendars, technicians, customers, agreements and open orders, with ids prefixed by the
//! region (`R002-T-001`); region 1 is exactly the one-region demo.

mod holidays;
mod names;

pub use holidays::{berlin_holidays, easter_sunday};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use crate::model::*;
use crate::random::SplitMix64;

/// Size and anchoring of a demo dataset.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Random seed; the same seed gives the same dataset.
    pub seed: u64,
    /// "Today" of the demo: agreements run around it, open orders were created just before it.
    pub anchor: NaiveDate,
    /// Number of customers.
    pub customers: usize,
    /// Number of technicians.
    pub technicians: usize,
    /// Number of open breakdown orders awaiting dispatch.
    pub open_orders: usize,
    /// Number of regions side by side, each with the sizes above (1 ..= [`MAX_REGIONS`];
    /// values outside are clamped by [`generate`]).
    pub regions: usize,
}

/// The largest number of demo regions (200 regions: 8,000 technicians, 60,000 customers).
pub const MAX_REGIONS: usize = 200;

/// Regions per row of the grid the regions are laid out on.
const REGIONS_PER_ROW: usize = 10;

impl DemoOptions {
    /// The standard demo: 300 customers, 40 technicians, 36 open orders.
    pub fn new(seed: u64, anchor: NaiveDate) -> Self {
        Self {
            seed,
            anchor,
            customers: 300,
            technicians: 40,
            open_orders: 36,
            regions: 1,
        }
    }

    /// The same options with `regions` regions side by side.
    ///
    /// ```
    /// use fieldwork::demo::{generate, DemoOptions};
    /// let options = DemoOptions::new(42, "2027-03-01".parse().unwrap()).with_regions(2);
    /// let dataset = generate(&options);
    /// assert_eq!(dataset.technicians.len(), 80);
    /// assert!(dataset.technicians.iter().any(|t| t.id.as_str() == "R002-T-001"));
    /// ```
    pub fn with_regions(mut self, regions: usize) -> Self {
        self.regions = regions;
        self
    }
}

/// One region of a demo dataset: its centre and the prefix of its ids (empty for the first).
#[derive(Debug, Clone)]
struct Region {
    index: usize,
    centre: (f64, f64),
    prefix: String,
}

impl Region {
    /// Region `r` (0-based): Berlin for the first, then a grid of [`REGIONS_PER_ROW`] columns
    /// 1.5° of longitude (≈100 km) and 1° of latitude (≈111 km) apart, so that regions of
    /// 45 km radius never overlap.
    fn new(r: usize) -> Self {
        let (col, row) = (r % REGIONS_PER_ROW, r / REGIONS_PER_ROW);
        Region {
            index: r,
            centre: (CENTER.0 - row as f64, CENTER.1 + 1.5 * col as f64),
            prefix: if r == 0 {
                String::new()
            } else {
                format!("R{:03}-", r + 1)
            },
        }
    }

    /// `id` with the region's prefix.
    fn id(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }
}

const CENTER: (f64, f64) = (52.52, 13.405);
const TERRITORIES: [&str; 4] = ["north", "east", "south", "west"];

/// A point within `radius_km` of the region's centre, and its territory (quadrant).
fn random_site(rng: &mut SplitMix64, region: &Region, radius_km: f64) -> (Location, TerritoryId) {
    let centre = region.centre;
    let angle = rng.unit() * std::f64::consts::TAU;
    let r = radius_km * rng.unit().sqrt();
    let lat = centre.0 + (r * angle.sin()) / 111.0;
    let lon = centre.1 + (r * angle.cos()) / (111.0 * centre.0.to_radians().cos());
    let quadrant =
        (((angle + std::f64::consts::FRAC_PI_4) / std::f64::consts::FRAC_PI_2) as usize) % 4;
    // angle 0 = east, π/2 = north, π = west, 3π/2 = south
    let territory = [
        TERRITORIES[1],
        TERRITORIES[0],
        TERRITORIES[3],
        TERRITORIES[2],
    ][quadrant];
    let round = |v: f64| (v * 1e5).round() / 1e5;
    (
        Location::new(round(lat), round(lon)),
        TerritoryId::new(region.id(territory)),
    )
}

fn interval(start: &str, end: &str) -> OpeningInterval {
    // The literals below are well-formed; a malformed one would be caught by model validation.
    OpeningInterval::parse(start, end).unwrap_or(OpeningInterval {
        start: TimeOfDay::MIDNIGHT,
        end: TimeOfDay::MIDNIGHT,
    })
}

fn weekdays(intervals: Vec<OpeningInterval>, saturday: bool) -> WeeklyHours {
    WeeklyHours {
        mon: intervals.clone(),
        tue: intervals.clone(),
        wed: intervals.clone(),
        thu: intervals.clone(),
        fri: intervals.clone(),
        sat: if saturday { intervals } else { Vec::new() },
        sun: Vec::new(),
    }
}

fn calendars(anchor: NaiveDate, region: &Region) -> Vec<BusinessCalendar> {
    let holidays: std::collections::BTreeSet<NaiveDate> = (anchor.year() - 1..=anchor.year() + 2)
        .flat_map(berlin_holidays)
        .collect();
    let mut christmas_eve = BTreeMap::new();
    for year in anchor.year() - 1..=anchor.year() + 2 {
        if let Some(d) = NaiveDate::from_ymd_opt(year, 12, 24) {
            christmas_eve.insert(d, vec![interval("08:00", "12:00")]);
        }
    }
    let cal = |id: &str, weekly: WeeklyHours, with_holidays: bool| BusinessCalendar {
        id: CalendarId::new(region.id(id)),
        time_zone: TimeZoneName::new("Europe/Berlin"),
        weekly,
        holidays: if with_holidays {
            holidays.clone()
        } else {
            Default::default()
        },
        exceptions: if with_holidays {
            christmas_eve.clone()
        } else {
            Default::default()
        },
    };
    vec![
        cal(
            "office",
            weekdays(vec![interval("08:00", "17:00")], false),
            true,
        ),
        cal(
            "retail",
            weekdays(vec![interval("09:00", "20:00")], true),
            true,
        ),
        cal(
            "24x7",
            WeeklyHours::every_day(vec![interval("00:00", "24:00")]),
            false,
        ),
        cal(
            "tech-early",
            weekdays(
                vec![interval("07:00", "12:00"), interval("12:30", "15:30")],
                false,
            ),
            true,
        ),
        cal(
            "tech-late",
            weekdays(
                vec![interval("10:00", "14:00"), interval("14:30", "18:30")],
                false,
            ),
            true,
        ),
    ]
}

fn task(code: &str, description: &str, skill: &str, level: u8, minutes: u32) -> ServiceTask {
    ServiceTask {
        code: TaskCode::new(code),
        description: description.to_owned(),
        required_skills: vec![SkillRequirement {
            skill: skill.to_owned(),
            min_level: level,
        }],
        duration_minutes: minutes,
        parts: Default::default(),
        tools: Vec::new(),
    }
}

/// A task that uses parts and tools (the demo's repairs).
fn with_stock(mut task: ServiceTask, parts: &[(&str, u32)], tools: &[&str]) -> ServiceTask {
    task.parts = parts.iter().map(|(p, n)| (PartId::new(*p), *n)).collect();
    task.tools = tools.iter().map(|t| ToolId::new(*t)).collect();
    task
}

/// The demo's part types.
fn part_types() -> Vec<PartType> {
    [
        ("P-filter", "Air filter F7"),
        ("P-valve", "Expansion valve"),
        ("P-igniter", "Boiler igniter"),
        ("P-door-sensor", "Lift door sensor"),
    ]
    .into_iter()
    .map(|(id, name)| PartType {
        id: id.into(),
        name: name.into(),
    })
    .collect()
}

/// The demo's tool types.
fn tool_types() -> Vec<ToolType> {
    [
        ("T-recovery-unit", "Refrigerant recovery unit"),
        ("T-flue-analyser", "Flue gas analyser"),
        ("T-torque-wrench", "Torque wrench 40-200 Nm"),
    ]
    .into_iter()
    .map(|(id, name)| ToolType {
        id: id.into(),
        name: name.into(),
    })
    .collect()
}

/// The region's depots: a central warehouse holding every part and lending the recovery unit,
/// and (first region only) a small northern one with filters and valves. The flue-gas analyser
/// and the torque wrench are in vans only, so a van without them cannot take those repairs.
fn depots(region: &Region) -> Vec<Depot> {
    let (lat, lon) = region.centre;
    let round = |v: f64| (v * 1e5).round() / 1e5;
    let mut out = vec![Depot {
        id: DepotId::new(region.id("D-central")),
        name: "Central warehouse".into(),
        location: Location::new(round(lat - 0.02), round(lon + 0.03)),
        calendar: Some(CalendarId::new(region.id("tech-early"))),
        parts: part_types().into_iter().map(|p| p.id).collect(),
        tools: vec!["T-recovery-unit".into()],
        service_minutes: None,
    }];
    if region.index == 0 {
        out.push(Depot {
            id: DepotId::new("D-north"),
            name: "North parts store".into(),
            location: Location::new(round(lat + 0.18), round(lon - 0.05)),
            calendar: None,
            parts: vec!["P-filter".into(), "P-valve".into()],
            tools: Vec::new(),
            service_minutes: Some(10),
        });
    }
    out
}

/// Technician `i`'s van: filters for everyone, the other parts and the tools of its primary
/// skill on most vans (some lack them: every fourth HVAC van (from the fourth) has no recovery unit, every third
/// heating van no flue-gas analyser, every fifth lift van no torque wrench). Drawn from the
/// index alone, so the random stream of the rest of the demo is unchanged.
fn van(i: usize, primary: &str) -> (BTreeMap<PartId, u32>, Vec<ToolId>) {
    let mut stock = BTreeMap::from([(PartId::new("P-filter"), 4)]);
    let mut tools = Vec::new();
    let mut add = |part: &str, n: u32, tool: Option<&str>| {
        if n > 0 {
            stock.insert(PartId::new(part), n);
        }
        if let Some(t) = tool {
            tools.push(ToolId::new(t));
        }
    };
    match primary {
        "hvac" | "refrigeration" => add(
            "P-valve",
            (i % 2) as u32 + 1,
            (i % 4 != 3).then_some("T-recovery-unit"),
        ),
        "heating" => add("P-igniter", 1, (i % 3 != 2).then_some("T-flue-analyser")),
        "lifts" => add(
            "P-door-sensor",
            1,
            (i % 5 != 2).then_some("T-torque-wrench"),
        ),
        _ => {}
    }
    (stock, tools)
}

fn tasks() -> Vec<ServiceTask> {
    vec![
        task("HVAC-INSP", "Inspect air-conditioning unit", "hvac", 2, 60),
        with_stock(
            task(
                "HVAC-REPAIR",
                "Repair air-conditioning unit",
                "hvac",
                3,
                120,
            ),
            &[("P-valve", 1)],
            &["T-recovery-unit"],
        ),
        with_stock(
            task("FILTER-REPL", "Replace air filters", "hvac", 1, 30),
            &[("P-filter", 2)],
            &[],
        ),
        task("BOILER-SVC", "Annual boiler service", "heating", 2, 90),
        with_stock(
            task("BOILER-REPAIR", "Repair boiler", "heating", 4, 150),
            &[("P-igniter", 1)],
            &["T-flue-analyser"],
        ),
        task("LIFT-INSP", "Statutory lift inspection", "lifts", 3, 90),
        with_stock(
            task("LIFT-REPAIR", "Repair lift", "lifts", 4, 180),
            &[("P-door-sensor", 1)],
            &["T-torque-wrench"],
        ),
        task(
            "ELEC-TEST",
            "Electrical safety test (DGUV V3)",
            "electrical",
            2,
            60,
        ),
        task("FIRE-INSP", "Inspect fire alarm panel", "fire", 2, 45),
        task("CHILLER-SVC", "Service chiller", "refrigeration", 3, 120),
    ]
}

/// Equipment kinds: (model prefix, service task, repair task, recurrence choices).
const EQUIPMENT: [(&str, &str, &str); 6] = [
    ("AC-Split", "HVAC-INSP", "HVAC-REPAIR"),
    ("Boiler", "BOILER-SVC", "BOILER-REPAIR"),
    ("Lift", "LIFT-INSP", "LIFT-REPAIR"),
    ("Switchboard", "ELEC-TEST", "ELEC-TEST"),
    ("FirePanel", "FIRE-INSP", "FIRE-INSP"),
    ("Chiller", "CHILLER-SVC", "HVAC-REPAIR"),
];

/// Recurrence patterns: weekly, monthly, quarterly, yearly mixes of RFC 5545 rules.
const RULES: [&str; 8] = [
    "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
    "FREQ=MONTHLY;INTERVAL=3;BYDAY=2WE",
    "FREQ=WEEKLY;INTERVAL=6;BYDAY=TH",
    "FREQ=YEARLY;BYMONTH=4;BYDAY=1TU",
    "FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=1",
];

fn money(units: i64, cents: i64) -> Decimal {
    Decimal::new(units * 100 + cents, 2)
}

/// The dataset being generated, with the random stream every part draws from in turn.
struct Draw<'o> {
    options: &'o DemoOptions,
    region: &'o Region,
    rng: SplitMix64,
    ds: Dataset,
    /// Ids of the technicians drawn so far (customers may exclude one, lines prefer one).
    tech_ids: Vec<TechnicianId>,
    /// Agreement lines numbered so far, across customers.
    line_no: usize,
}

impl Draw<'_> {
    /// Technician `i`: home and territory, a primary skill by position and a few random ones.
    fn technician(&mut self, i: usize) -> Technician {
        let rng = &mut self.rng;
        let (home, territory) = random_site(rng, self.region, 25.0);
        let mut skills = BTreeMap::new();
        let all = [
            "hvac",
            "heating",
            "lifts",
            "electrical",
            "fire",
            "refrigeration",
        ];
        let primary = all[i % all.len()];
        skills.insert(primary.to_owned(), 3 + (rng.below(3) as u8).min(2));
        for _ in 0..1 + rng.below(3) {
            let skill = *rng.pick(&all);
            skills
                .entry(skill.to_owned())
                .or_insert(1 + rng.below(4) as u8);
        }
        let (stock, tools) = van(i, primary);
        Technician {
            id: TechnicianId::new(self.region.id(&format!("T-{:03}", i + 1))),
            name: names::person(&mut |n| rng.below(n)),
            skills,
            certifications: Vec::new(),
            home,
            territory: Some(territory),
            calendar: CalendarId::new(self.region.id(if i % 3 == 2 {
                "tech-late"
            } else {
                "tech-early"
            })),
            hourly_cost: money(48 + rng.below(30) as i64, [0, 50][rng.below(2)]),
            max_hours_per_day: 8.0,
            max_jobs_per_day: Some(6),
            van_capacity: Some(12.0),
            stock,
            tools,
            depot: None,
            active: i % 17 != 16,
        }
    }

    /// Customer `i`: site, tier by weighted roll, name and calendar by kind of business, now
    /// and then a technician it excludes.
    fn customer(&mut self, i: usize) -> Customer {
        let rng = &mut self.rng;
        let (location, territory) = random_site(rng, self.region, 45.0);
        let roll = rng.unit();
        let tier = if roll < 0.15 {
            "gold"
        } else if roll < 0.45 {
            "silver"
        } else if roll < 0.8 {
            "bronze"
        } else {
            "standard"
        };
        let (name, kind) = names::company(&mut |n| rng.below(n));
        let calendar = match kind {
            names::CompanyKind::Around => "24x7",
            names::CompanyKind::Shop => "retail",
            names::CompanyKind::Office => "office",
        };
        Customer {
            id: CustomerId::new(self.region.id(&format!("C-{:04}", i + 1))),
            name,
            tier: tier.to_owned(),
            time_zone: TimeZoneName::new("Europe/Berlin"),
            location,
            address: Some(names::address(&mut |n| rng.below(n))),
            calendar: Some(CalendarId::new(self.region.id(calendar))),
            visiting_hours: None,
            territory: Some(territory),
            excluded_technicians: if rng.chance(0.03) {
                vec![rng.pick(&self.tech_ids).clone()]
            } else {
                Vec::new()
            },
        }
    }

    /// Customer `i`'s 1–3 pieces of equipment as service objects (a chiller with its
    /// compressor), each with a maintenance agreement line.
    fn equipment(&mut self, i: usize, customer: &CustomerId) -> Vec<AgreementLine> {
        let mut lines = Vec::new();
        let objects = 1 + self.rng.below(3);
        for j in 0..objects {
            let rng = &mut self.rng;
            let (model, service_task, _) = EQUIPMENT[rng.below(EQUIPMENT.len())];
            let object_id =
                ServiceObjectId::new(self.region.id(&format!("SO-{:04}-{}", i + 1, j + 1)));
            let installed = self.options.anchor - Duration::days(200 + rng.below(2500) as i64);
            self.ds.service_objects.push(ServiceObject {
                id: object_id.clone(),
                customer: customer.clone(),
                site: Some(format!(
                    "Building {}, floor {}",
                    1 + rng.below(3),
                    rng.below(6)
                )),
                location: None,
                visiting_hours: None,
                serial: format!("SN{:08}", rng.next_u64() % 100_000_000),
                model: format!("{model}-{}", 100 + rng.below(900)),
                warranty_end: Some(installed + Duration::days(730)),
                parent: None,
                repairable: !rng.chance(0.1),
            });
            if model == "Chiller" {
                self.ds.service_objects.push(ServiceObject {
                    id: ServiceObjectId::new(format!("{object_id}-C")),
                    customer: customer.clone(),
                    site: None,
                    location: None,
                    visiting_hours: None,
                    serial: format!("SN{:08}", rng.next_u64() % 100_000_000),
                    model: "Compressor-K4".into(),
                    warranty_end: Some(installed + Duration::days(365)),
                    parent: Some(object_id.clone()),
                    repairable: true,
                });
            }
            lines.push(self.maintenance_line(object_id, service_task));
        }
        lines
    }

    /// The next agreement line: recurring `task` on `object` from a random rule and start.
    fn maintenance_line(&mut self, object: ServiceObjectId, task: &str) -> AgreementLine {
        self.line_no += 1;
        let line_no = self.line_no;
        let rng = &mut self.rng;
        let rule = *rng.pick(&RULES);
        let start = self.options.anchor - Duration::days(30 + rng.below(400) as i64);
        let hour = 8 + rng.below(3) as u32;
        AgreementLine {
            id: AgreementLineId::new(self.region.id(&format!("AL-{line_no:05}"))),
            service_object: Some(object),
            task: TaskCode::new(task),
            recurrence: Recurrence {
                rrule: rule.to_owned(),
                dtstart: start.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default()),
                exdates: Vec::new(),
                rdates: Vec::new(),
            },
            start: None,
            end: None,
            price: money(60 + 10 * rng.below(20) as i64, 0),
            preferred_technician: rng.chance(0.2).then(|| rng.pick(&self.tech_ids).clone()),
            priority: None,
            stopped: rng.chance(0.03),
        }
    }

    /// Most customers' agreement over their `lines` (mostly active), with a subscription for
    /// gold and silver customers.
    fn agreement(&mut self, i: usize, customer: &Customer, lines: Vec<AgreementLine>) {
        if !self.rng.chance(0.9) {
            return;
        }
        let status_roll = self.rng.unit();
        let status = if status_roll < 0.9 {
            AgreementStatus::Active
        } else if status_roll < 0.95 {
            AgreementStatus::Suspended
        } else {
            AgreementStatus::Draft
        };
        let agreement_id = AgreementId::new(self.region.id(&format!("AG-{:04}", i + 1)));
        let valid_from = self.options.anchor - Duration::days(400);
        self.ds.agreements.push(ServiceAgreement {
            id: agreement_id.clone(),
            customer: customer.id.clone(),
            valid_from,
            valid_to: Some(valid_from + Duration::days(365 * 3)),
            status,
            sla_policy: Some(SlaPolicyId::new(if customer.tier == "gold" {
                "premium"
            } else {
                "standard"
            })),
            lines,
        });
        if customer.tier == "gold" || customer.tier == "silver" {
            let subscription = self.subscription(i, &customer.id, agreement_id, valid_from);
            self.ds.subscriptions.push(subscription);
        }
    }

    /// Customer `i`'s subscription to its agreement: monthly or (less often) quarterly.
    fn subscription(
        &mut self,
        i: usize,
        customer: &CustomerId,
        agreement: AgreementId,
        valid_from: NaiveDate,
    ) -> Subscription {
        let quarterly = self.rng.chance(0.4);
        Subscription {
            id: SubscriptionId::new(self.region.id(&format!("SUB-{:04}", i + 1))),
            customer: customer.clone(),
            agreement: Some(agreement),
            fee: if quarterly {
                money(540, 0)
            } else {
                money(200, 0)
            },
            currency: "EUR".into(),
            frequency: if quarterly {
                BillingFrequency::Quarterly
            } else {
                BillingFrequency::Monthly
            },
            alignment: PeriodAlignment::Calendar,
            start: valid_from + Duration::days(self.rng.below(20) as i64),
            end: None,
        }
    }
}

/// Generates the demo dataset: [`DemoOptions::regions`] regions side by side (clamped to
/// 1 ..= [`MAX_REGIONS`]), each drawn from its own random stream, so region 1 is the same
/// whatever the number of regions.
///
/// ```
/// use fieldwork::demo::{generate, DemoOptions};
/// let options = DemoOptions::new(42, "2027-03-01".parse().unwrap());
/// let dataset = generate(&options);
/// assert_eq!(dataset.customers.len(), 300);
/// assert!(fieldwork::model::Model::from_dataset(dataset).is_ok());
/// ```
pub fn generate(options: &DemoOptions) -> Dataset {
    let mut ds = Dataset {
        tasks: tasks(),
        parts: part_types(),
        tools: tool_types(),
        ..Dataset::default()
    };
    for r in 0..options.regions.clamp(1, MAX_REGIONS) {
        ds.depots.extend(depots(&Region::new(r)));
        let region = generate_region(options, &Region::new(r));
        ds.calendars.extend(region.calendars);
        ds.technicians.extend(region.technicians);
        ds.customers.extend(region.customers);
        ds.service_objects.extend(region.service_objects);
        ds.agreements.extend(region.agreements);
        ds.subscriptions.extend(region.subscriptions);
        ds.orders.extend(region.orders);
        ds.return_orders.extend(region.return_orders);
    }
    ds
}

/// The random stream of region `r`: the one-region demo's stream for the first region, an
/// independent one (mixed with the region number) for the others.
fn region_seed(seed: u64, r: usize) -> u64 {
    let base = seed ^ 0x5EED_F1E1_D000_0001;
    if r == 0 {
        base
    } else {
        base ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// One region's calendars, technicians, customers, equipment, agreements and open orders.
fn generate_region(options: &DemoOptions, region: &Region) -> Dataset {
    let mut draw = Draw {
        options,
        region,
        rng: SplitMix64::new(region_seed(options.seed, region.index)),
        ds: Dataset {
            calendars: calendars(options.anchor, region),
            ..Dataset::default()
        },
        tech_ids: Vec::new(),
        line_no: 0,
    };
    for i in 0..options.technicians {
        let technician = draw.technician(i);
        draw.ds.technicians.push(technician);
    }
    draw.tech_ids = draw.ds.technicians.iter().map(|t| t.id.clone()).collect();
    for i in 0..options.customers {
        let customer = draw.customer(i);
        draw.ds.customers.push(customer.clone());
        let lines = draw.equipment(i, &customer.id);
        draw.agreement(i, &customer, lines);
    }
    let Draw {
        mut ds, mut rng, ..
    } = draw;
    open_orders(&mut ds, &mut rng, options, region);
    return_orders(&mut ds, &mut rng, options.anchor, region);
    field_constraints(&mut ds, options.anchor, region);
    ds
}

/// An instant of the demo's zone (Europe/Berlin): `days` after `anchor` at `hour`:00 local.
fn berlin(anchor: NaiveDate, days: i64, hour: u32) -> chrono::DateTime<Utc> {
    let local = (anchor + Duration::days(days))
        .and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
    chrono_tz::Europe::Berlin
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

/// A service object of a customer (no visiting hours, no exclusions) in a territory with at
/// least `techs` active technicians holding `skill` at `level`.
fn site_for<'a>(
    ds: &'a Dataset,
    skill: &str,
    level: u8,
    techs: usize,
) -> Option<&'a ServiceObject> {
    let mut territories: BTreeMap<&TerritoryId, usize> = BTreeMap::new();
    for t in ds.technicians.iter().filter(|t| t.active) {
        if t.skills.get(skill).is_some_and(|&l| l >= level) {
            if let Some(territory) = &t.territory {
                *territories.entry(territory).or_default() += 1;
            }
        }
    }
    ds.service_objects.iter().find(|o| {
        ds.customers
            .iter()
            .find(|c| c.id == o.customer)
            .is_some_and(|c| {
                c.visiting_hours.is_none()
                    && c.excluded_technicians.is_empty()
                    && c.territory
                        .as_ref()
                        .is_some_and(|t| territories.get(t).is_some_and(|&n| n >= techs))
            })
    })
}

/// One of each field constraint, drawn from what the region already holds (no random draw, so
/// the rest of the demo stays as it was): a customer site open only in the mornings, a sick
/// day, a dated certification, a multi-day job (14 h), a crew job (two technicians) and an
/// order with a booked arrival window.
fn field_constraints(ds: &mut Dataset, anchor: NaiveDate, region: &Region) {
    let mornings = CalendarId::new(region.id("site-mornings"));
    ds.calendars.push(BusinessCalendar {
        id: mornings.clone(),
        time_zone: TimeZoneName::new("Europe/Berlin"),
        weekly: weekdays(vec![interval("08:00", "12:00")], false),
        holidays: Default::default(),
        exceptions: Default::default(),
    });
    if let Some(c) = ds.customers.get_mut(4) {
        c.visiting_hours = Some(mornings);
    }
    if let Some(t) = ds.technicians.get(4) {
        ds.absences.push(Absence {
            technician: t.id.clone(),
            start: berlin(anchor, 2, 0),
            end: berlin(anchor, 3, 0),
            reason: "sick".into(),
        });
    }
    if let Some(t) = ds.technicians.get_mut(3) {
        t.certifications.push(Certification {
            skill: "fire".into(),
            level: 3,
            valid_from: Some(anchor - Duration::days(365)),
            valid_to: Some(anchor + Duration::days(3)),
        });
    }
    let manual = |ds: &Dataset, id: &str, object: &ServiceObject, task: &str, hours: i64| {
        let mut order = ServiceOrder::new(
            region.id(id),
            object.customer.clone(),
            Priority::Normal,
            berlin(anchor, 0, 8),
        );
        order.service_object = Some(object.id.clone());
        order.agreement = ds
            .agreements
            .iter()
            .find(|a| a.customer == object.customer)
            .map(|a| a.id.clone());
        order.lines.push(OrderLine {
            kind: LineKind::Task,
            task: Some(TaskCode::new(task)),
            agreement_line: None,
            description: String::new(),
            quantity: Decimal::ONE,
            unit_price: money(95, 0),
        });
        if hours > 0 {
            order.lines.push(OrderLine {
                kind: LineKind::Hour,
                task: None,
                agreement_line: None,
                description: "labour".into(),
                quantity: Decimal::from(hours),
                unit_price: money(68, 0),
            });
        }
        order
    };
    let mut extra = Vec::new();
    if let Some(object) = site_for(ds, "refrigeration", 3, 1).cloned() {
        // 2 h of service and 12 h of labour: longer than any working day.
        let mut order = manual(ds, "SO-M0001", &object, "CHILLER-SVC", 12);
        order.description = "replace the chiller (two days)".into();
        extra.push(order);
    }
    if let Some(object) = site_for(ds, "lifts", 3, 2).cloned() {
        let mut order = manual(ds, "SO-C0001", &object, "LIFT-INSP", 0);
        order.description = "lift inspection with a load test: two technicians".into();
        order.technicians_required = 2;
        extra.push(order);
    }
    if let Some(object) = site_for(ds, "hvac", 2, 1).cloned() {
        let mut order = manual(ds, "SO-A0001", &object, "HVAC-INSP", 0);
        order.description = "inspection booked with the customer".into();
        order.appointment = Some(Appointment {
            from: berlin(anchor, 3, 10),
            to: berlin(anchor, 3, 12),
        });
        extra.push(order);
    }
    ds.orders.extend(extra);
}

fn open_orders(ds: &mut Dataset, rng: &mut SplitMix64, options: &DemoOptions, region: &Region) {
    let anchor_noon = Utc.from_utc_datetime(
        &options
            .anchor
            .and_time(NaiveTime::from_hms_opt(11, 0, 0).unwrap_or_default()),
    );
    for i in 0..options.open_orders {
        if ds.service_objects.is_empty() {
            break;
        }
        let object = ds.service_objects[rng.below(ds.service_objects.len())].clone();
        let repair = EQUIPMENT
            .iter()
            .find(|(prefix, ..)| object.model.starts_with(prefix))
            .map_or("HVAC-REPAIR", |e| e.2);
        let priority = *rng.pick(&[
            Priority::Critical,
            Priority::High,
            Priority::High,
            Priority::Normal,
            Priority::Normal,
            Priority::Low,
        ]);
        let created_at = anchor_noon - Duration::minutes(30 + rng.below(60 * 48) as i64);
        let mut order = ServiceOrder::new(
            region.id(&format!("SO-B{:04}", i + 1)),
            object.customer.clone(),
            priority,
            created_at,
        );
        order.service_object = Some(object.id.clone());
        order.description = names::symptom(&mut |n| rng.below(n));
        order.lines.push(OrderLine {
            kind: LineKind::Task,
            task: Some(TaskCode::new(repair)),
            agreement_line: None,
            description: String::new(),
            quantity: Decimal::ONE,
            unit_price: money(95, 0),
        });
        order.agreement = ds
            .agreements
            .iter()
            .find(|a| a.customer == object.customer)
            .map(|a| a.id.clone());
        order.demand = 1.0 + rng.below(4) as f64;
        ds.orders.push(order);
    }
}

fn return_orders(ds: &mut Dataset, rng: &mut SplitMix64, anchor: NaiveDate, region: &Region) {
    let reasons = ["DEFECT", "DOA", "WRONG-ITEM", "NOT-NEEDED"];
    for i in 0..6 {
        if ds.service_objects.is_empty() {
            break;
        }
        let object = ds.service_objects[rng.below(ds.service_objects.len())].clone();
        let created = anchor - Duration::days(1 + rng.below(20) as i64);
        ds.return_orders.push(ReturnOrder {
            id: ReturnOrderId::new(region.id(&format!("RMA-{:04}", i + 1))),
            customer: object.customer.clone(),
            reason_code: rng.pick(&reasons).to_string(),
            status: ReturnStatus::Received,
            created_at: Utc.from_utc_datetime(
                &created.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()),
            ),
            currency: Some("EUR".into()),
            lines: vec![ReturnLine {
                line: 1,
                service_object: Some(object.id.clone()),
                item: object.model.clone(),
                quantity: Decimal::ONE,
                value: money(400 + 50 * rng.below(20) as i64, 0),
                disposition: None,
            }],
        });
    }
}
