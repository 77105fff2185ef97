//! HTTP tests of the web UI through the router (`oneshot`): every page answers, forms work without
//! JavaScript, CSRF is enforced on every state-changing form, the console is staff-only (login
//! redirect for anonymous callers, 403 for enterprises), unknown things are 404 pages, and the
//! xlsx export reads back and is audited.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt as _;
use zhengce_server::{AppState, router};

use crate::common::{Fixture, PASSWORD, fixture};

/// Who is calling.
#[derive(Clone, Copy)]
pub(crate) enum Who<'a> {
    Anonymous,
    Token(&'a str),
    Cookie(&'a str),
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    pub(crate) bytes: Vec<u8>,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The `name=value` of a `Set-Cookie` header for `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    }

    /// The value of the hidden `_csrf` input.
    pub(crate) fn csrf(&self) -> String {
        let at = self.body.find("name=\"_csrf\" value=\"").expect("a _csrf field") + "name=\"_csrf\" value=\"".len();
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

pub(crate) async fn request(state: &AppState, method: &str, uri: &str, who: Who<'_>, form: Option<&str>) -> Page {
    let mut req = Request::builder().method(method).uri(uri);
    match who {
        Who::Anonymous => {}
        Who::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
        Who::Cookie(c) => req = req.header(header::COOKIE, c),
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req.body(form.map(|f| Body::from(f.to_string())).unwrap_or_else(Body::empty)).unwrap();
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 26).await.unwrap().to_vec();
    Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
}

pub(crate) async fn get(state: &AppState, uri: &str, who: Who<'_>) -> Page {
    request(state, "GET", uri, who, None).await
}

pub(crate) async fn post(state: &AppState, uri: &str, who: Who<'_>, form: &str) -> Page {
    request(state, "POST", uri, who, Some(form)).await
}

pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Logs in through the login form; the cookie header of the session and its CSRF token.
pub(crate) async fn form_login(state: &AppState, name: &str) -> (String, String) {
    let page = get(state, "/login", Who::Anonymous).await;
    let anon = page.cookie("zc_csrf").expect("login sets the anonymous CSRF cookie");
    let body = format!("_csrf={}&name={name}&password={}&next=", page.csrf(), enc(PASSWORD));
    let done = post(state, "/login", Who::Cookie(&anon), &body).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let session = done.cookie("zc_session").expect("session cookie");
    let check = get(state, "/check", Who::Cookie(&session)).await;
    (session, check.csrf())
}

/// The Wenshang garment SME as a form submission, insured for 11 months only (a near miss on 稳岗返还).
const SME_FORM: &str = "region=370830&industry_code=1811&employees=120&revenue=4600&total_assets=3800&taxable_income=150\
    &insured_employees=98&insured_employees_start=100&layoffs=2&ui_premium_paid=9.6&ui_paid_months=11&serious_dishonesty=false\
    &hnte=&srdi_level=&_action=match";

#[tokio::test]
async fn public_pages_answer_in_chinese_with_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let home = get(s, "/", Who::Anonymous).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("lang=\"zh-CN\"") && home.body.contains("自助体检") && home.body.contains("工作人员入口"));
    assert!(home.headers[header::CONTENT_TYPE].to_str().unwrap().contains("text/html; charset=utf-8"));
    let csp = home.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    let check = get(s, "/check", Who::Anonymous).await;
    assert_eq!(check.status, StatusCode::OK);
    for must in [
        "基本信息",
        "用工与社保",
        "数字化（智改数转）",
        "（万元）",
        "上年度裁员多少人？",
        "不清楚",
        "name=\"serious_dishonesty\"",
        "hx-post=\"/check\"",
    ] {
        assert!(check.body.contains(must), "/check lacks {must}");
    }

    let search =
        get(s, "/policies?q=%E6%8B%9B%E5%A4%A7%E5%AD%A6%E7%94%9F%E6%9C%89%E8%A1%A5%E8%B4%B4%E5%90%97", Who::Anonymous).await;
    assert_eq!(search.status, StatusCode::OK);
    assert!(search.body.contains("一次性扩岗补助"), "招大学生有补贴吗 finds the hiring subsidy");
    assert!(search.body.contains("企业账号登录后可“只看我可能符合的”"));
    let filtered = get(s, "/policies?level=county&dimension=digital", Who::Anonymous).await;
    assert!(filtered.body.contains("汶上县智改数转") && !filtered.body.contains("失业保险稳岗返还"));

    let policy = get(s, "/policies/cn-ui-job-retention-refund-2025", Who::Anonymous).await;
    assert_eq!(policy.status, StatusCode::OK);
    for must in ["失业保险稳岗返还", "人社部发〔2025〕18号", "匹配用到的标准", "max_layoff_rate", "来源", "适用对象和条件"]
    {
        assert!(policy.body.contains(must), "policy page lacks {must}");
    }
    let draft = get(s, "/policies/ws-digital-upgrade-award-draft", Who::Anonymous).await;
    assert!(draft.body.contains("草案/待核实"));
    let missing = get(s, "/policies/no-such-policy", Who::Anonymous).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("页面不存在"));

    for (path, ty) in [
        ("/static/htmx-2.0.11.min.js", "text/javascript"),
        ("/static/zhengce.css", "text/css"),
        ("/static/zhengce.js", "text/javascript"),
    ] {
        let a = get(s, path, Who::Anonymous).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(a.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(ty));
    }
    assert!(get(s, "/static/htmx-2.0.11.min.js", Who::Anonymous).await.body.contains("Zero-Clause BSD"));
}

#[tokio::test]
async fn anonymous_self_check_matches_without_storing() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let store = s.store.as_ref().unwrap();
    let before = (store.count_enterprises().await.unwrap(), store.count_profile_versions().await.unwrap());
    let page = post(s, "/check", Who::Anonymous, SME_FORM).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("id=\"policy-cn-small-low-profit-cit\" data-policy=\"cn-small-low-profit-cit\" data-status=\"eligible\"")
    );
    assert!(page.body.contains("data-status=\"near_miss\""));
    assert!(page.body.contains("继续足额缴纳失业保险1个月即满12个月"), "the gap is shown, as what to do");
    assert!(page.body.contains("企业规模") || page.body.contains("小型"), "derived facts are shown");
    assert!(page.body.contains("value=\"4600\""), "the form keeps what was typed");
    let after = (store.count_enterprises().await.unwrap(), store.count_profile_versions().await.unwrap());
    assert_eq!(before, after, "nothing stored");

    // A question answered in the results comes after the form's empty input of the same name.
    let answered = post(s, "/check", Who::Anonymous, &format!("{SME_FORM}&layoffs=&ui_paid_months=")).await;
    assert!(answered.body.contains("id=\"f-ui_paid_months\" name=\"ui_paid_months\" value=\"11\""));
    let q = post(s, "/check", Who::Anonymous, "region=370830&disabled_employees=&q%3Adisabled_employees=3").await;
    assert!(q.body.contains("id=\"f-disabled_employees\" name=\"disabled_employees\" value=\"3\""), "the answer fills the form");

    // Bad input: 422 naming the field, in Chinese; the rest still matches.
    let bad = post(s, "/check", Who::Anonymous, "employees=%E5%BE%88%E5%A4%9A&high_tech_revenue_share=150&region=370830").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("从业人员：请填写不小于0的整数") || bad.body.contains("从业人员：请填写数字"), "{}", bad.body);
    assert!(bad.body.contains("百分比应在 0 到 100 之间"));
    let bad_code = post(s, "/check", Who::Anonymous, "credit_code=91370830MA3C4K5L80").await;
    assert_eq!(bad_code.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Saving needs an enterprise account.
    let save = post(s, "/check", Who::Anonymous, &SME_FORM.replace("_action=match", "_action=save")).await;
    assert_eq!(save.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_logout_and_csrf() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let page = get(s, "/login", Who::Anonymous).await;
    assert_eq!(page.status, StatusCode::OK);
    let anon = page.cookie("zc_csrf").unwrap();
    let token = page.csrf();
    // No cookie, or a token that does not match it: 403.
    let body = format!("_csrf={token}&name=ent-a&password={}", enc(PASSWORD));
    assert_eq!(post(s, "/login", Who::Anonymous, &body).await.status, StatusCode::FORBIDDEN);
    let wrong = post(s, "/login", Who::Cookie(&anon), &format!("_csrf=x{token}&name=ent-a&password=p")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.contains("CSRF"));
    // Wrong password: 401 in Chinese; then the rate limit: 429 in Chinese.
    let bad = post(s, "/login", Who::Cookie(&anon), &format!("_csrf={token}&name=ent-b&password=nope")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("用户名或密码不正确"));
    let mut last = bad.status;
    for _ in 0..6 {
        last = post(s, "/login", Who::Cookie(&anon), &format!("_csrf={token}&name=ent-b&password=nope")).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let limited = post(s, "/login", Who::Cookie(&anon), &format!("_csrf={token}&name=ent-b&password={}", enc(PASSWORD))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("尝试次数过多"));
    // A good login goes to `next` (local paths only), the page for the role otherwise.
    let ok = post(
        s,
        "/login",
        Who::Cookie(&anon),
        &format!("_csrf={token}&name=officer1&password={}&next=%2Fconsole%2Fbriefs", enc(PASSWORD)),
    )
    .await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/console/briefs"));
    let evil = post(
        s,
        "/login",
        Who::Cookie(&anon),
        &format!("_csrf={token}&name=officer1&password={}&next=%2F%2Fevil.example", enc(PASSWORD)),
    )
    .await;
    assert_eq!(evil.location(), "/console/enterprises");
    let session = ok.cookie("zc_session").unwrap();
    assert_eq!(get(s, "/console/enterprises", Who::Cookie(&session)).await.status, StatusCode::OK);
    // Logout needs the session's CSRF token.
    let csrf = get(s, "/", Who::Cookie(&session)).await.csrf();
    assert_eq!(post(s, "/logout", Who::Cookie(&session), "_csrf=wrong").await.status, StatusCode::FORBIDDEN);
    let out = post(s, "/logout", Who::Cookie(&session), &format!("_csrf={csrf}")).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/"));
    assert_eq!(get(s, "/console/enterprises", Who::Cookie(&session)).await.status, StatusCode::SEE_OTHER, "session ended");
}

#[tokio::test]
async fn enterprise_sees_and_saves_its_own_profile() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (session, csrf) = form_login(s, "ent-a").await;
    let code = &f.a.0;
    let page = get(s, "/check", Who::Cookie(&session)).await;
    assert!(page.body.contains(&format!("value=\"{code}\"")) && page.body.contains("readonly"), "own code, read-only");
    assert!(page.body.contains("档案历史") && page.body.contains("保存为新版本"));
    // The form as the page shows it, with one fact changed.
    let body = format!("_csrf={csrf}&_action=save&employees=77&layoffs=1&credit_code={}", f.b.0);
    let no_csrf = post(s, "/check", Who::Cookie(&session), &body.replace(&format!("_csrf={csrf}&"), "")).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "saving without the CSRF token is refused");
    let saved = post(s, "/check", Who::Cookie(&session), &body).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(saved.body.contains("已保存为第 2 版档案"), "{}", saved.body);
    let store = s.store.as_ref().unwrap();
    let hist = store.profile_history(code).await.unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[1].changed_by, "enterprise:ent-a");
    assert_eq!(hist[1].profile["credit_code"], code.as_str(), "an enterprise cannot write another's code");
    assert!(store.profile_history(&f.b.0).await.unwrap().len() == 1, "B untouched");
    let audit = store.audit_log(0, 10_000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "profile_update" && e.actor == "enterprise:ent-a" && &e.subject == code));
    let again = post(s, "/check", Who::Cookie(&session), &body).await;
    assert!(again.body.contains("内容与第 2 版相同"));
    // "Only what I may qualify for" uses the stored profile.
    let mine = get(s, "/policies?mine=1", Who::Cookie(&session)).await;
    assert!(mine.body.contains("status-pill"), "hits carry the enterprise's status");
    assert!(!mine.body.contains("status-pill status-ineligible"));
    // The enterprise's own policy card on a policy page.
    let p = get(s, "/policies/cn-ui-job-retention-refund-2025", Who::Cookie(&session)).await;
    assert!(p.body.contains("本企业的匹配结果"));
}

#[tokio::test]
async fn console_is_for_staff_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let code = f.a.0.clone();
    let routes = [
        "/console".to_string(),
        "/console/enterprises".into(),
        format!("/console/enterprises/{code}"),
        "/console/policies".into(),
        "/console/policies/cn-hnte-certification".into(),
        "/console/policies/cn-hnte-certification/export.xlsx".into(),
        "/console/briefs".into(),
    ];
    for r in &routes {
        let anon = get(s, r, Who::Anonymous).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "{r}");
        assert!(anon.location().starts_with("/login?next=%2Fconsole"), "{r} → {}", anon.location());
        let ent = get(s, r, Who::Token(&f.a.1)).await;
        assert_eq!(ent.status, StatusCode::FORBIDDEN, "{r}");
        assert!(ent.body.contains("工作台仅限工作人员"));
        let officer = get(s, r, Who::Token(&f.officer)).await;
        assert!(officer.status == StatusCode::OK || officer.status == StatusCode::SEE_OTHER, "{r}: {}", officer.status);
    }
    let (session, _) = form_login(s, "ent-b").await;
    assert_eq!(get(s, "/console/enterprises", Who::Cookie(&session)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(s, "/console/enterprises/91370830MA3C4K5L83", Who::Token(&f.officer)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(s, "/console/policies/nope", Who::Token(&f.officer)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(s, "/console/enterprises?at=2025-02-30", Who::Token(&f.officer)).await.status, StatusCode::BAD_REQUEST);
}

async fn officer_pages(f: &Fixture) {
    let s = &f.state;
    let o = Who::Token(&f.officer);
    let store = s.store.as_ref().unwrap();
    let first = store.enterprise(&f.a.0).await.unwrap().unwrap();
    let town = first.profile["town"].as_str().unwrap().to_string();

    let all = get(s, "/console/enterprises?at=2025-06-01", o).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("共 800 家企业"), "the demo county");
    let in_town = get(s, &format!("/console/enterprises?at=2025-06-01&town={}", enc(&town)), o).await;
    assert!(!in_town.body.contains("共 800 家企业") && in_town.body.contains(&town));
    for q in [
        "size=small",
        "industry=18",
        "status=near_miss",
        "chamber=%E6%B1%B6%E4%B8%8A%E5%8E%BF%E6%9C%8D%E8%A3%85%E5%95%86%E4%BC%9A",
        "page=2",
    ] {
        let p = get(s, &format!("/console/enterprises?at=2025-06-01&{q}"), o).await;
        assert_eq!(p.status, StatusCode::OK, "{q}");
        assert!(p.body.contains("家企业"), "{q}");
    }

    let seek = get(s, "/console/policies/cn-ui-job-retention-refund-2025?at=2025-06-01", o).await;
    assert_eq!(seek.status, StatusCode::OK);
    for must in ["政策找企业：失业保险稳岗返还", "符合（", "可能符合，需上门确认", "差一点（", "导出 Excel", "万元"]
    {
        assert!(seek.body.contains(must), "policy page lacks {must}");
    }
    let later = get(s, "/console/policies/cn-ui-job-retention-refund-2025?at=2027-01-01", o).await;
    assert!(later.body.contains("不在有效期内"), "the date selector views the corpus as of another day");

    let ent = get(s, &format!("/console/enterprises/{}?at=2025-06-01", f.a.0), o).await;
    assert_eq!(ent.status, StatusCode::OK);
    for must in ["企业档案", "档案版本", "匹配历史", "第 1 版", "匹配结果"] {
        assert!(ent.body.contains(must), "enterprise page lacks {must}");
    }

    let brief = get(s, &format!("/console/briefs?town={}&at=2025-06-01", enc(&town)), o).await;
    assert_eq!(brief.status, StatusCode::OK);
    assert!(brief.body.contains(&format!("走访简报：镇街：{town}")) && brief.body.contains("建议同行部门"));
    assert!(brief.body.contains("brief-firm"));
}

#[tokio::test]
async fn console_pages_and_audited_xlsx_export() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    officer_pages(&f).await;
    let s = &f.state;
    let x = get(s, "/console/policies/cn-ui-job-retention-refund-2025/export.xlsx?at=2025-06-01", Who::Token(&f.officer)).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    assert!(x.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    use calamine::Reader as _;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let sheet = wb.worksheet_range("政策找企业").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert!(rows[0][0].contains("失业保险稳岗返还（2025-06-01，全县）"));
    assert_eq!(rows[1][1], "企业名称");
    assert!(rows.len() > 3 && rows[2][0] == "符合", "{:?}", &rows[..3.min(rows.len())]);
    let audit = s.store.as_ref().unwrap().audit_log(0, 10_000).await.unwrap();
    let e = audit.iter().find(|e| e.action == "export").expect("the export is audited");
    assert_eq!(e.actor, "officer:officer1");
    assert_eq!(e.subject, "cn-ui-job-retention-refund-2025");
    assert_eq!(e.detail["rows"].as_u64().unwrap() as usize, rows.len() - 2);
}
