//! Name lists for the demo data: people, companies, streets and reported symptoms.

/// What kind of business a demo customer is, which decides its opening hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyKind {
    /// Open around the clock (clinics, data centres, hotels).
    Around,
    /// Shops, open Monday to Saturday.
    Shop,
    /// Offices, schools, workshops: Monday to Friday.
    Office,
}

const FIRST: [&str; 24] = [
    "Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hannes", "Ida", "Jonas", "Katrin",
    "Lukas", "Mia", "Noah", "Olga", "Paul", "Rana", "Stefan", "Tilda", "Umut", "Vera", "Wojtek",
    "Yusuf", "Zoe",
];
const LAST: [&str; 24] = [
    "Schmidt",
    "Müller",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schulz",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Kaya",
    "Nowak",
];
const PLACES: [&str; 16] = [
    "Spree",
    "Havel",
    "Müggelsee",
    "Tempelhof",
    "Pankow",
    "Köpenick",
    "Spandau",
    "Wedding",
    "Potsdam",
    "Oranienburg",
    "Bernau",
    "Falkensee",
    "Teltow",
    "Kreuzberg",
    "Friedrichshain",
    "Lichtenberg",
];
const KINDS: [(&str, CompanyKind); 12] = [
    ("Klinikum", CompanyKind::Around),
    ("Rechenzentrum", CompanyKind::Around),
    ("Hotel", CompanyKind::Around),
    ("Pflegeheim", CompanyKind::Around),
    ("Markt", CompanyKind::Shop),
    ("Bäckerei", CompanyKind::Shop),
    ("Baumarkt", CompanyKind::Shop),
    ("Bürohaus", CompanyKind::Office),
    ("Grundschule", CompanyKind::Office),
    ("Logistik GmbH", CompanyKind::Office),
    ("Werkstatt", CompanyKind::Office),
    ("Verwaltung", CompanyKind::Office),
];
const STREETS: [&str; 12] = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Lindenallee",
    "Am Markt",
    "Schulstraße",
    "Parkstraße",
    "Seestraße",
    "Kirchplatz",
    "Bergstraße",
    "Ringstraße",
    "Uferweg",
];
const SYMPTOMS: [&str; 8] = [
    "No cooling since this morning",
    "Unit trips the breaker",
    "Loud rattling noise",
    "Error code E4 on the display",
    "No hot water",
    "Lift stuck between floors",
    "Alarm panel shows a fault",
    "Water leaking under the unit",
];

/// A person's name; `below(n)` draws a number in `0..n`.
pub fn person(below: &mut dyn FnMut(usize) -> usize) -> String {
    format!("{} {}", FIRST[below(FIRST.len())], LAST[below(LAST.len())])
}

/// A company name and its kind.
pub fn company(below: &mut dyn FnMut(usize) -> usize) -> (String, CompanyKind) {
    let (kind_name, kind) = KINDS[below(KINDS.len())];
    (format!("{kind_name} {}", PLACES[below(PLACES.len())]), kind)
}

/// A street address in the region.
pub fn address(below: &mut dyn FnMut(usize) -> usize) -> String {
    format!(
        "{} {}, {}",
        STREETS[below(STREETS.len())],
        1 + below(120),
        PLACES[below(PLACES.len())]
    )
}

/// A reported symptom for a breakdown call.
pub fn symptom(below: &mut dyn FnMut(usize) -> usize) -> String {
    SYMPTOMS[below(SYMPTOMS.len())].to_owned()
}
