//! Repair lines: what was wrong with an object and what was done, coded as in Dynamics AX
//! (symptom area and code, condition, diagnosis area and code, resolution), and the code tables
//! and repair stages they are checked against.

use serde::{Deserialize, Serialize};

use super::error::ValidationError;
use super::ids::ServiceObjectId;

/// One repair record on a service order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairLine {
    /// Object repaired (defaults to the order's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_object: Option<ServiceObjectId>,
    /// Symptom area (e.g. `"COOLING"`).
    pub symptom_area: String,
    /// Symptom code within the area (e.g. `"NO-COLD"`).
    pub symptom_code: String,
    /// Condition found (e.g. `"LEAK"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Diagnosis area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_area: Option<String>,
    /// Diagnosis code within the area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_code: Option<String>,
    /// Resolution applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One entry of a code table: a code and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// The code (e.g. `"LEAK"`).
    pub code: String,
    /// What it means.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// An area grouping codes (a symptom area with its symptom codes, a diagnosis area with its
/// diagnosis codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeArea {
    /// The area code (e.g. `"COOLING"`).
    pub code: String,
    /// What it covers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Codes valid within the area.
    #[serde(default)]
    pub codes: Vec<Code>,
}

impl CodeArea {
    /// Whether `code` is one of the area's codes.
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.code == code)
    }
}

/// A repair stage (e.g. `"DIAGNOSIS"`, `"WAIT-PARTS"`, `"DONE"`); a stage flagged `finished`
/// means the repair is complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairStage {
    /// Stage code.
    pub code: String,
    /// What happens in the stage.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether reaching this stage means the repair is finished.
    #[serde(default)]
    pub finished: bool,
}

/// The repair code tables of a dataset (section `repair_codes`): what [`RepairLine`]s and order
/// repair stages may contain.
///
/// Every table is optional: an empty table leaves its field free text, so datasets written
/// before code tables existed load unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RepairCodes {
    /// Symptom areas, each with its symptom codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptom_areas: Vec<CodeArea>,
    /// Conditions found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Code>,
    /// Diagnosis areas, each with its diagnosis codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnosis_areas: Vec<CodeArea>,
    /// Resolutions applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolutions: Vec<Code>,
    /// Repair stages, in their usual order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<RepairStage>,
}

impl RepairCodes {
    /// Whether every table is empty (the section is then not written).
    pub fn is_empty(&self) -> bool {
        self.symptom_areas.is_empty()
            && self.conditions.is_empty()
            && self.diagnosis_areas.is_empty()
            && self.resolutions.is_empty()
            && self.stages.is_empty()
    }

    /// A symptom area by code.
    pub fn symptom_area(&self, code: &str) -> Option<&CodeArea> {
        self.symptom_areas.iter().find(|a| a.code == code)
    }

    /// A diagnosis area by code.
    pub fn diagnosis_area(&self, code: &str) -> Option<&CodeArea> {
        self.diagnosis_areas.iter().find(|a| a.code == code)
    }

    /// A repair stage by code.
    pub fn stage(&self, code: &str) -> Option<&RepairStage> {
        self.stages.iter().find(|s| s.code == code)
    }
}

impl RepairCodes {
    /// Checks a repair line against the tables; returns each offending field (`symptom_code`,
    /// `diagnosis_area`…) with what is wrong. Fields whose table is empty are free text.
    ///
    /// ```
    /// use fieldwork::model::{Code, CodeArea, RepairCodes, RepairLine};
    /// let codes = RepairCodes {
    ///     symptom_areas: vec![CodeArea { code: "COOLING".into(), description: String::new(),
    ///         codes: vec![Code { code: "NO-COLD".into(), description: String::new() }] }],
    ///     ..RepairCodes::default()
    /// };
    /// let mut line = RepairLine { service_object: None, symptom_area: "COOLING".into(),
    ///     symptom_code: "NO-COLD".into(), condition: Some("anything".into()),
    ///     diagnosis_area: None, diagnosis_code: None, resolution: None, note: String::new() };
    /// assert!(codes.check_line(&line).is_empty());
    /// line.symptom_code = "NOISE".into();
    /// assert_eq!(codes.check_line(&line)[0].0, "symptom_code");
    /// ```
    pub fn check_line(&self, line: &RepairLine) -> Vec<(&'static str, ValidationError)> {
        let mut out = Vec::new();
        let unknown = |what: &str, code: &str| {
            ValidationError::InvalidValue(format!("unknown {what} `{code}`"))
        };
        if !self.symptom_areas.is_empty() {
            match self.symptom_area(&line.symptom_area) {
                None => out.push(("symptom_area", unknown("symptom area", &line.symptom_area))),
                Some(area) if !area.has_code(&line.symptom_code) => out.push((
                    "symptom_code",
                    ValidationError::InvalidValue(format!(
                        "symptom code `{}` is not in symptom area `{}`",
                        line.symptom_code, area.code
                    )),
                )),
                Some(_) => {}
            }
        }
        if let Some(condition) = &line.condition {
            if !self.conditions.is_empty() && !self.conditions.iter().any(|c| &c.code == condition)
            {
                out.push(("condition", unknown("condition", condition)));
            }
        }
        match (&line.diagnosis_area, &line.diagnosis_code) {
            (None, Some(_)) => out.push((
                "diagnosis_area",
                ValidationError::InvalidValue("a diagnosis code needs a diagnosis area".into()),
            )),
            (Some(area), code) if !self.diagnosis_areas.is_empty() => {
                match self.diagnosis_area(area) {
                    None => out.push(("diagnosis_area", unknown("diagnosis area", area))),
                    Some(a) => {
                        if let Some(code) = code.as_deref().filter(|c| !a.has_code(c)) {
                            out.push((
                                "diagnosis_code",
                                ValidationError::InvalidValue(format!(
                                    "diagnosis code `{code}` is not in diagnosis area `{area}`"
                                )),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(resolution) = &line.resolution {
            if !self.resolutions.is_empty()
                && !self.resolutions.iter().any(|c| &c.code == resolution)
            {
                out.push(("resolution", unknown("resolution", resolution)));
            }
        }
        out
    }

    /// Codes defined twice within one table, as `(table, code)` (e.g.
    /// `("symptom_areas.COOLING.codes", "NO-COLD")`).
    pub fn duplicates(&self) -> Vec<(String, String)> {
        fn dups<'a>(
            table: &str,
            codes: impl Iterator<Item = &'a str>,
            out: &mut Vec<(String, String)>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for code in codes {
                if !seen.insert(code) {
                    out.push((table.to_owned(), code.to_owned()));
                }
            }
        }
        let mut out = Vec::new();
        for (name, areas) in [
            ("symptom_areas", &self.symptom_areas),
            ("diagnosis_areas", &self.diagnosis_areas),
        ] {
            dups(name, areas.iter().map(|a| a.code.as_str()), &mut out);
            for a in areas {
                let table = format!("{name}.{}.codes", a.code);
                dups(&table, a.codes.iter().map(|c| c.code.as_str()), &mut out);
            }
        }
        for (name, codes) in [
            ("conditions", &self.conditions),
            ("resolutions", &self.resolutions),
        ] {
            dups(name, codes.iter().map(|c| c.code.as_str()), &mut out);
        }
        dups(
            "stages",
            self.stages.iter().map(|s| s.code.as_str()),
            &mut out,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn code(c: &str) -> Code {
        Code {
            code: c.into(),
            description: String::new(),
        }
    }

    fn area(a: &str, codes: &[&str]) -> CodeArea {
        CodeArea {
            code: a.into(),
            description: String::new(),
            codes: codes.iter().map(|c| code(c)).collect(),
        }
    }

    fn tables() -> RepairCodes {
        RepairCodes {
            symptom_areas: vec![area("COOLING", &["NO-COLD", "NOISE"])],
            conditions: vec![code("LEAK")],
            diagnosis_areas: vec![area("REFRIG", &["LOW-GAS"])],
            resolutions: vec![code("REFILL")],
            stages: vec![],
        }
    }

    fn line() -> RepairLine {
        RepairLine {
            service_object: None,
            symptom_area: "COOLING".into(),
            symptom_code: "NO-COLD".into(),
            condition: Some("LEAK".into()),
            diagnosis_area: Some("REFRIG".into()),
            diagnosis_code: Some("LOW-GAS".into()),
            resolution: Some("REFILL".into()),
            note: String::new(),
        }
    }

    fn fields(codes: &RepairCodes, line: &RepairLine) -> Vec<&'static str> {
        codes.check_line(line).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn each_coded_field_is_checked_against_its_table() {
        let codes = tables();
        assert!(fields(&codes, &line()).is_empty());
        type Change = fn(&mut RepairLine);
        let cases: [(Change, &str); 6] = [
            (|l| l.symptom_area = "HEATING".into(), "symptom_area"),
            (|l| l.symptom_code = "LOW-GAS".into(), "symptom_code"),
            (|l| l.condition = Some("RUST".into()), "condition"),
            (|l| l.diagnosis_area = Some("X".into()), "diagnosis_area"),
            (
                |l| l.diagnosis_code = Some("NOISE".into()),
                "diagnosis_code",
            ),
            (|l| l.resolution = Some("PRAY".into()), "resolution"),
        ];
        for (change, field) in cases {
            let mut l = line();
            change(&mut l);
            assert_eq!(fields(&codes, &l), vec![field]);
        }
        let mut l = line();
        l.diagnosis_area = None;
        assert_eq!(fields(&codes, &l), vec!["diagnosis_area"]);
    }

    #[test]
    fn empty_tables_leave_fields_free_text() {
        let mut l = line();
        l.symptom_area = "ANY".into();
        l.resolution = Some("ANY".into());
        assert!(fields(&RepairCodes::default(), &l).is_empty());
    }

    #[test]
    fn duplicates_are_named_by_table() {
        let mut codes = tables();
        codes.symptom_areas[0].codes.push(code("NOISE"));
        codes.stages = vec![
            RepairStage {
                code: "DONE".into(),
                description: String::new(),
                finished: true,
            };
            2
        ];
        assert_eq!(
            codes.duplicates(),
            vec![
                ("symptom_areas.COOLING.codes".into(), "NOISE".into()),
                ("stages".into(), "DONE".into())
            ]
        );
    }

    #[test]
    fn the_model_validates_repair_lines_stages_and_return_reasons() {
        let json = r#"{
          "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                         "location": {"lat": 0, "lon": 0}}],
          "repair_codes": {
            "symptom_areas": [{"code": "COOLING", "codes": [{"code": "NO-COLD"}]}],
            "stages": [{"code": "DIAG"}, {"code": "DONE", "finished": true}]
          },
          "return_reasons": [{"code": "DEFECT"}],
          "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
                      "priority": "normal", "created_at": "2027-03-01T08:00:00Z",
                      "repair_stage": "FIXED",
                      "repair_lines": [{"symptom_area": "COOLING", "symptom_code": "HOT"}]}],
          "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "WHIM",
                             "status": "created", "created_at": "2027-03-01T08:00:00Z",
                             "currency": "euro"}]
        }"#;
        let err = Model::from_json(json).unwrap_err();
        let mut found: Vec<String> = err
            .issues()
            .iter()
            .map(|i| format!("{} {}", i.id, i.field))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "RMA-1 currency",
                "RMA-1 reason_code",
                "SO-1 repair_lines[0].symptom_code",
                "SO-1 repair_stage"
            ]
        );
        let fixed = json
            .replace("FIXED", "DONE")
            .replace("HOT", "NO-COLD")
            .replace("WHIM", "DEFECT")
            .replace("euro", "EUR");
        let model = Model::from_json(&fixed).unwrap();
        assert_eq!(model.repair_codes().stages.len(), 2);
        let again = Model::from_json(&model.to_json()).unwrap();
        assert_eq!(again.to_dataset(), model.to_dataset());
    }
}
