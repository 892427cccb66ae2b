//! Plain-text tables for people.

use serde_json::Value;

/// The text of a JSON value in a cell: strings bare, null as `-`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A table of `rows` with the given (header, JSON field) columns.
pub fn table(rows: &[Value], columns: &[(&str, &str)]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|(_, f)| cell(&r[*f])).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |items: Vec<String>| {
        items
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(columns.iter().map(|(h, _)| h.to_string()).collect())];
    out.extend(cells.into_iter().map(line));
    out.join("\n")
}

/// One record as `key: value` lines.
pub fn record(v: &Value, fields: &[(&str, &str)]) -> String {
    let w = fields.iter().map(|(h, _)| h.len()).max().unwrap_or(0);
    fields
        .iter()
        .map(|(h, f)| format!("{h:<w$}  {}", cell(&v[*f])))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn aligns_columns() {
        let t = super::table(
            &[
                json!({"id": 1, "name": "dhcp1"}),
                json!({"id": 22, "name": null}),
            ],
            &[("ID", "id"), ("NAME", "name")],
        );
        assert_eq!(t, "ID  NAME\n1   dhcp1\n22  -");
    }
}
