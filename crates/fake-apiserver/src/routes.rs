//! REST paths and query strings, parsed as the API server's RequestInfoFactory does.

/// Where a path points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources {
        group: String,
        version: String,
    },
    Object {
        group: String,
        version: String,
        resource: String,
        namespace: String,
        name: String,
        subresource: String,
    },
    NotFound,
}

/// Parses a REST path the way the API server's RequestInfoFactory does.
pub fn parse_route(path: &str) -> Route {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segments.as_slice() {
        ["version"] => return Route::Version,
        ["api"] => return Route::CoreVersions,
        ["apis"] => return Route::Groups,
        ["apis", group] => return Route::Group((*group).to_owned()),
        ["api", version] => {
            return Route::Resources {
                group: String::new(),
                version: (*version).to_owned(),
            };
        }
        ["apis", group, version] => {
            return Route::Resources {
                group: (*group).to_owned(),
                version: (*version).to_owned(),
            };
        }
        ["api", version, rest @ ..] => (String::new(), *version, rest),
        ["apis", group, version, rest @ ..] => ((*group).to_owned(), *version, rest),
        _ => return Route::NotFound,
    };
    let owned = |s: Option<&&str>| s.map(|s| (*s).to_owned()).unwrap_or_default();
    let namespaced = rest.len() >= 3
        && rest[0] == "namespaces"
        && !(group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize"));
    let (namespace, resource, name, subresource) = if namespaced {
        (
            owned(rest.get(1)),
            owned(rest.get(2)),
            owned(rest.get(3)),
            owned(rest.get(4)),
        )
    } else {
        (
            String::new(),
            owned(rest.first()),
            owned(rest.get(1)),
            owned(rest.get(2)),
        )
    };
    Route::Object {
        group,
        version: version.to_owned(),
        resource,
        namespace,
        name,
        subresource,
    }
}

pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_like_the_api_server() {
        assert_eq!(
            parse_route("/api/v1/namespaces/prod/secrets/x"),
            Route::Object {
                group: "".into(),
                version: "v1".into(),
                resource: "secrets".into(),
                namespace: "prod".into(),
                name: "x".into(),
                subresource: "".into()
            }
        );
        assert_eq!(
            parse_route("/api/v1/namespaces/prod"),
            Route::Object {
                group: "".into(),
                version: "v1".into(),
                resource: "namespaces".into(),
                namespace: "".into(),
                name: "prod".into(),
                subresource: "".into()
            }
        );
        assert_eq!(
            parse_route("/apis/apps/v1/daemonsets"),
            Route::Object {
                group: "apps".into(),
                version: "v1".into(),
                resource: "daemonsets".into(),
                namespace: "".into(),
                name: "".into(),
                subresource: "".into()
            }
        );
        assert_eq!(
            parse_route("/apis/apps/v1"),
            Route::Resources {
                group: "apps".into(),
                version: "v1".into()
            }
        );
    }

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(
            parse_query("labelSelector=a%3Db%2Cc&x=1"),
            vec![
                ("labelSelector".into(), "a=b,c".into()),
                ("x".into(), "1".into())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
