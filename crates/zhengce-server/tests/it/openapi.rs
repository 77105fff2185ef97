//! The OpenAPI document: every API route of the router is in it, it is OpenAPI 3, and the
//! document and Swagger UI are served.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::Value;

use crate::common::{call, fixture};

#[tokio::test]
async fn every_route_is_documented_and_the_document_is_openapi_3() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (st, doc) = call(s, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(doc, serde_json::to_value(zhengce_server::openapi_document()).unwrap(), "served = generated");

    // OpenAPI 3 structure: version, info, paths with operations that have responses.
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
                for p in op["parameters"].as_array().into_iter().flatten() {
                    assert!(["query", "path", "header", "cookie"].contains(&p["in"].as_str().unwrap()), "{p}");
                    if p["in"] == "path" {
                        assert!(path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())), "{path}: {p}");
                    }
                }
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    // Every `$ref` points at a component that exists.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling {r}");
    }

    // Every API route of the router table is documented, and every documented one is routed.
    for (method, path) in zhengce_server::ROUTES {
        if path.starts_with("/api/v1/") && *path != "/api/v1/openapi.json" || ["/healthz", "/readyz"].contains(path) {
            assert!(
                documented.contains(&(method.to_string(), path.to_string())),
                "{method} {path} is not in the OpenAPI document"
            );
        }
    }
    for (method, path) in &documented {
        assert!(
            zhengce_server::ROUTES.contains(&(method.as_str(), path.as_str())),
            "{method} {path} documented but not in ROUTES"
        );
        let uri = path.replace("{slug}", "cn-hnte-certification").replace("{code}", &f.a.0).replace("{label}", "x");
        let (_, v) = call(s, method, &uri, Some(&f.officer), None).await;
        assert_ne!(v["error"]["message"], "没有这个接口", "{method} {path} is documented but not routed");
    }
    // Swagger UI is served (vendored).
    let (st, _) = call(s, "GET", "/api/docs/", None, None).await;
    assert!(st.is_success() || st.is_redirection(), "{st}");
}
