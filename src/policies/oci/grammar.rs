//! The grammar of the guide's three OCI statements, used to check every generated statement:
//!
//! ```text
//! statement  = "Allow any-user to manage " resource " in compartment id " ocid
//!              " where all { " condition *( ", " condition ) " }"
//! resource   = "objectstorage-namespaces" | "buckets" | "objects"
//! condition  = variable " = '" value "'"
//! variable   = "target.bucket.name" | "request.permission" | "request.principal.type"
//!            | "request.principal.namespace" | "request.principal.service_account"
//!            | "request.principal.cluster_id"
//! value      = 1*( any character except "'", "{", "}", "," )
//! ```
//! and, per resource, the guide's conditions in the guide's order.

/// The variables each resource's statement must test, in the guide's order.
pub fn required_variables(resource: &str) -> Option<&'static [&'static str]> {
    const PRINCIPAL: [&str; 4] = [
        "request.principal.type",
        "request.principal.namespace",
        "request.principal.service_account",
        "request.principal.cluster_id",
    ];
    const NAMESPACES: [&str; 4] = PRINCIPAL;
    const BUCKETS: [&str; 6] = [
        "target.bucket.name",
        "request.permission",
        PRINCIPAL[0],
        PRINCIPAL[1],
        PRINCIPAL[2],
        PRINCIPAL[3],
    ];
    const OBJECTS: [&str; 5] = [
        "target.bucket.name",
        PRINCIPAL[0],
        PRINCIPAL[1],
        PRINCIPAL[2],
        PRINCIPAL[3],
    ];
    match resource {
        "objectstorage-namespaces" => Some(&NAMESPACES),
        "buckets" => Some(&BUCKETS),
        "objects" => Some(&OBJECTS),
        _ => None,
    }
}

/// A statement taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// `objectstorage-namespaces`, `buckets` or `objects`.
    pub resource: String,
    /// The compartment OCID after `in compartment id`.
    pub compartment_id: String,
    /// The conditions as (variable, unquoted value), in the statement's order.
    pub conditions: Vec<(String, String)>,
}

/// Parses a statement of the guide's shape; the error says what does not fit.
pub fn parse(statement: &str) -> Result<Parsed, String> {
    let rest = statement
        .strip_prefix("Allow any-user to manage ")
        .ok_or("it does not start with `Allow any-user to manage `")?;
    let (resource, rest) = rest
        .split_once(" in compartment id ")
        .ok_or("no ` in compartment id ` location")?;
    let variables = required_variables(resource)
        .ok_or_else(|| format!("unknown resource type `{resource}`"))?;
    let (compartment_id, rest) = rest
        .split_once(" where all { ")
        .ok_or("no ` where all { ` condition block")?;
    if compartment_id.is_empty() || compartment_id.contains([' ', '\'', '{', '}']) {
        return Err(format!(
            "the compartment id `{compartment_id}` is not one word"
        ));
    }
    let body = rest
        .strip_suffix(" }")
        .ok_or("the condition block does not end with ` }`")?;
    let mut conditions = Vec::new();
    for condition in body.split(", ") {
        let (variable, quoted) = condition
            .split_once(" = ")
            .ok_or_else(|| format!("condition `{condition}` is not `variable = 'value'`"))?;
        let value = quoted
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(|| format!("the value of {variable} is not quoted"))?;
        if value.is_empty() || value.contains(['\'', '{', '}', ',']) {
            return Err(format!(
                "the value of {variable} is empty or holds ' {{ }} or ,"
            ));
        }
        conditions.push((variable.to_owned(), value.to_owned()));
    }
    let found: Vec<&str> = conditions.iter().map(|(v, _)| v.as_str()).collect();
    if found != variables {
        return Err(format!(
            "a {resource} statement tests {} (expected {})",
            found.join(", "),
            variables.join(", ")
        ));
    }
    if conditions
        .iter()
        .any(|(v, value)| v == "request.principal.type" && value != "workload")
    {
        return Err("request.principal.type must be 'workload'".to_owned());
    }
    Ok(Parsed {
        resource: resource.to_owned(),
        compartment_id: compartment_id.to_owned(),
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "Allow any-user to manage objects in compartment id ocid1.compartment.oc1..x where all { target.bucket.name = 'b', request.principal.type = 'workload', request.principal.namespace = 'ns', request.principal.service_account = 'sa', request.principal.cluster_id = 'ocid1.cluster.oc1.r.c' }";

    #[test]
    fn a_guide_statement_parses() {
        let parsed = parse(OK).unwrap();
        assert_eq!(parsed.resource, "objects");
        assert_eq!(
            parsed.conditions[0],
            ("target.bucket.name".to_owned(), "b".to_owned())
        );
    }

    #[test]
    fn statements_off_the_grammar_are_refused() {
        for (statement, fragment) in [
            (OK.replace("objects in", "buckets in"), "tests"),
            (OK.replace("'b'", "'b' or 'c'"), "holds"),
            (
                OK.replace("'b'", "'b', request.principal.type = 'any'"),
                "tests",
            ),
            (OK.replace("'workload'", "'user'"), "workload"),
            (OK.replace("Allow any-user", "Allow group x"), "start"),
            (
                OK.replace("manage objects", "manage all-resources"),
                "unknown resource",
            ),
            (OK.replace(" }", ""), "end"),
        ] {
            let err = parse(&statement).unwrap_err();
            assert!(err.contains(fragment), "{statement}: {err}");
        }
    }
}
