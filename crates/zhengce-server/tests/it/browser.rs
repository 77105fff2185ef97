//! Browser tests in headless Chromium (fantoccini → chromedriver on 127.0.0.1), against the server
//! bound to 127.0.0.1 on a random port, at phone (390×844) and desktop (1280×800) sizes:
//! (a) an anonymous enterprise fills the form and sees eligible policies and a near miss with its
//! gap; (b) an enterprise logs in, answers a question and sees the verdict change, then saves;
//! (c) an officer opens a policy's enterprise list and a town's visit brief and prints it.
//!
//! They run only with `ZHENGCE_BROWSER_TESTS=1` (needs `chromium`, `chromium-driver` and a CJK
//! font; `.ci/browser.sh` installs them); otherwise the test prints that it was not run.
//! Screenshots and the printed PDF go to `target/screenshots/`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::PrintConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use zhengce_model::verdict::Status;

use crate::common::{PASSWORD, fixture};

const AT: &str = "2025-06-01";

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

pub(crate) async fn start_driver() -> (Driver, Client) {
    let port = free_port().await;
    let child = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver must be installed (apt-get install chromium-driver)");
    let driver = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-extensions", "--hide-scrollbars", "--lang=zh-CN",
            "--force-device-scale-factor=1"]}),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to chromedriver");
    (driver, client)
}

/// Sets the viewport (not the window) to `w`×`h`.
pub(crate) async fn viewport(c: &Client, w: u32, h: u32) {
    c.set_window_size(w, h).await.unwrap();
    let inner = c.execute("return [window.innerWidth, window.innerHeight];", vec![]).await.unwrap();
    let (iw, ih) = (inner[0].as_u64().unwrap() as u32, inner[1].as_u64().unwrap() as u32);
    if (iw, ih) != (w, h) {
        c.set_window_size(w + (w - iw.min(w)), h + (h - ih.min(h))).await.unwrap();
    }
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
}

/// No horizontal scrolling at this width.
pub(crate) async fn assert_no_sideways_scroll(c: &Client, what: &str) {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    let (sw, iw) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
    assert!(sw <= iw, "{what}: page is {sw}px wide in a {iw}px viewport");
}

pub(crate) async fn scroll_to(c: &Client, css: &str) {
    c.execute("document.querySelector(arguments[0]).scrollIntoView({block: 'start'});", vec![json!(css)]).await.unwrap();
}

/// Scrolls `css` to the middle of the viewport (clear of the sticky bars) and clicks it.
pub(crate) async fn click(c: &Client, css: &str) {
    c.execute("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", vec![json!(css)]).await.unwrap();
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn fill(c: &Client, name: &str, value: &str) {
    let el = c.find(Locator::Css(&format!("#check-form [name='{name}']"))).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

pub(crate) async fn login(c: &Client, base: &str, name: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("login-name")).await.unwrap().send_keys(name).await.unwrap();
    c.find(Locator::Id("login-password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Locator::Css("form.login button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("header .who")).await.unwrap();
}

/// The text of the first element matching `css`, waiting for it to appear (a loaded machine
/// runs several browsers at once, and a page after a form post may still be loading).
pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    // Retried: an element found just before htmx swaps the page (or a navigation ends) goes stale.
    let mut last = String::new();
    for _ in 0..200 {
        match c.find(Locator::Css(css)).await {
            Ok(el) => match el.text().await {
                Ok(t) => return t,
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no element {css} with text: {last}");
}

/// Waits until the text of `css` contains `needle` (after a form post the old page may still be
/// shown for a moment); panics with the last text seen.
pub(crate) async fn wait_text(c: &Client, css: &str, needle: &str) {
    let mut seen = String::new();
    for _ in 0..200 {
        seen = text_of(c, css).await;
        if seen.contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed “{needle}”: {seen}");
}

/// Waits until the card of `slug` shows a status other than `from`; returns it.
async fn wait_status_change(c: &Client, slug: &str, from: &str) -> String {
    for _ in 0..100 {
        let v = c
            .execute(
                "var e = document.getElementById('policy-' + arguments[0]); return e ? e.dataset.status : null;",
                vec![json!(slug)],
            )
            .await
            .unwrap();
        if let Some(s) = v.as_str()
            && s != from
        {
            return s.to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the verdict of {slug} did not change from {from}");
}

#[tokio::test]
async fn browser_flows_at_phone_and_desktop_sizes() {
    if std::env::var("ZHENGCE_BROWSER_TESTS").as_deref() != Ok("1") {
        // Written straight to stderr (not through the captured test output) so it is always seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** NOTE: browser tests were NOT run: set ZHENGCE_BROWSER_TESTS=1 with chromium, chromium-driver and fonts-noto-cjk installed (.ci/browser.sh). ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(zhengce_server::serve(listener, f.state.clone(), std::future::pending()));

    // The question flow (b) answers a yes/no question that settles one of enterprise A's
    // "possible" policies; find one with the engine first.
    let store = f.state.store.clone().unwrap();
    let corpus = f.state.corpus();
    let snap = &corpus.snapshot;
    let stored = store.enterprise(&f.a.0).await.unwrap().unwrap();
    let profile = snap.parse_profile_json(&Value::Object(stored.profile.clone())).unwrap();
    let at = AT.parse().unwrap();
    let report = snap.match_profile(&profile, at);
    let schema = snap.schema().unwrap();
    let (slug, field, answer, after) = report
        .results
        .iter()
        .filter(|r| r.status == Status::Possible && !r.missing.is_empty())
        // Prefer policies with one open question; any yes/no question whose answer settles the
        // verdict will do (several questions may be open since questions are gated and ranked).
        .flat_map(|r| r.missing.iter().map(move |m| (r, m)))
        .find_map(|(r, m)| {
            let def = schema.field(&m.field)?;
            if !matches!(def.ty, zhengce_model::schema::FieldType::Bool) {
                return None;
            }
            ["true", "false"].into_iter().find_map(|ans| {
                let mut obj = stored.profile.clone();
                obj.insert(m.field.clone(), Value::Bool(ans == "true"));
                let p = snap.parse_profile_json(&Value::Object(obj)).ok()?;
                let r2 = snap.match_policy(&r.policy, &p, at)?;
                (r2.status != Status::Possible).then(|| (r.policy.clone(), m.field.clone(), ans, r2.status))
            })
        })
        .expect("enterprise A has a possible policy that one yes/no answer settles");
    let town = stored.profile.get("town").and_then(Value::as_str).unwrap().to_string();

    let (_driver, c) = start_driver().await;
    for (w, h, size) in [(390u32, 844u32, "phone"), (1280, 800, "desktop")] {
        viewport(&c, w, h).await;

        // (a) Anonymous self-check: eligible policies and a near miss with its gap.
        c.delete_all_cookies().await.unwrap();
        c.goto(&format!("{base}/")).await.unwrap();
        assert!(text_of(&c, "h1").await.contains("惠企政策"));
        shot(&c, &format!("{size}-0-landing")).await;
        c.goto(&format!("{base}/check")).await.unwrap();
        for (name, value) in [
            ("region", "370830"),
            ("industry_code", "1811"),
            ("employees", "120"),
            ("revenue", "4600"),
            ("total_assets", "3800"),
            ("taxable_income", "150"),
            ("insured_employees", "98"),
            ("insured_employees_start", "100"),
            ("layoffs", "2"),
            ("ui_premium_paid", "9.6"),
            ("ui_paid_months", "11"),
        ] {
            fill(&c, name, value).await;
        }
        click(&c, "#group-compliance > summary").await;
        click(&c, "#check-form input[name='serious_dishonesty'][value='false']").await;
        click(&c, "#check-form button[value='match']").await;
        let near = c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#policy-cn-ui-job-retention-refund-2025[data-status='near_miss']"))
            .await
            .unwrap();
        let near_text = near.text().await.unwrap();
        assert!(near_text.contains("继续足额缴纳失业保险1个月即满12个月"), "{near_text}");
        assert!(c.find(Locator::Css("#policy-cn-small-low-profit-cit[data-status='eligible']")).await.is_ok());
        assert_no_sideways_scroll(&c, "self-check").await;
        c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
        shot(&c, &format!("{size}-1-anonymous-form-top")).await;
        scroll_to(&c, "#summary").await;
        shot(&c, &format!("{size}-1-anonymous-eligible")).await;
        scroll_to(&c, "#policy-cn-ui-job-retention-refund-2025").await;
        shot(&c, &format!("{size}-2-anonymous-near-miss")).await;

        // (b) An enterprise logs in, answers a question, sees the verdict change, saves.
        login(&c, &base, "ent-a").await;
        assert!(c.current_url().await.unwrap().path().starts_with("/check"));
        let card = format!("#policy-{slug}");
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&format!("{card}[data-status='possible']")))
            .await
            .unwrap();
        scroll_to(&c, &card).await;
        shot(&c, &format!("{size}-3-enterprise-question")).await;
        click(&c, &format!("{card} .question input[name='q:{field}'][value='{answer}']")).await;
        let now = wait_status_change(&c, &slug, "possible").await;
        assert_eq!(now, after.as_str(), "answering {field}={answer} settles {slug}");
        scroll_to(&c, &card).await;
        shot(&c, &format!("{size}-4-enterprise-answered")).await;
        click(&c, "#check-form button[value='save']").await;
        let notice = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice")).await.unwrap();
        let saved = notice.text().await.unwrap();
        assert!(saved.contains("已保存为第"), "{saved}");
        assert!(text_of(&c, "#history").await.contains("enterprise:ent-a"));
        assert_no_sideways_scroll(&c, "enterprise self-check").await;
        scroll_to(&c, "#history").await;
        shot(&c, &format!("{size}-5-enterprise-saved-history")).await;
        // Put the original facts back (a new version) so the next size asks the same question.
        let change = zhengce_store::Change { by: "test", at_ms: 1_748_736_000_000, source: "test" };
        store.put_profile(&f.a.0, &stored.profile, &change).await.unwrap();

        // (c) An officer: policy seeks enterprise, then a town's visit brief, printed.
        login(&c, &base, "officer1").await;
        c.goto(&format!("{base}/console/policies/cn-ui-job-retention-refund-2025?at={AT}")).await.unwrap();
        let h1 = text_of(&c, "h1").await;
        assert!(h1.contains("失业保险稳岗返还"), "{h1}");
        assert!(c.find_all(Locator::Css("table.standings tbody tr")).await.unwrap().len() > 3);
        assert_no_sideways_scroll(&c, "policy seeks enterprise").await;
        shot(&c, &format!("{size}-6-officer-policy-enterprises")).await;
        c.goto(&format!("{base}/console/enterprises?town={}&at={AT}", super_qs(&town))).await.unwrap();
        assert!(text_of(&c, "main").await.contains("家企业"));
        assert_no_sideways_scroll(&c, "enterprise list").await;
        shot(&c, &format!("{size}-6b-officer-enterprise-list")).await;
        c.goto(&format!("{base}/console/enterprises/{}?at={AT}", f.a.0)).await.unwrap();
        assert!(text_of(&c, "main").await.contains("档案版本"));
        assert_no_sideways_scroll(&c, "enterprise page").await;
        scroll_to(&c, ".col-profile").await;
        shot(&c, &format!("{size}-6c-officer-enterprise-history")).await;
        c.goto(&format!("{base}/console/briefs?town={}&at={AT}", super_qs(&town))).await.unwrap();
        assert!(text_of(&c, "h1").await.contains(&town));
        assert!(!c.find_all(Locator::Css("article.brief-firm")).await.unwrap().is_empty());
        assert_no_sideways_scroll(&c, "visit brief").await;
        shot(&c, &format!("{size}-7-officer-town-brief")).await;
        let pdf = c.print(PrintConfiguration::default()).await.unwrap();
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        std::fs::write(screenshots_dir().join(format!("{size}-8-town-brief-print.pdf")), pdf).unwrap();
    }
    c.close().await.unwrap();
}

fn super_qs(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The request loop in the browser: an officer records two requests from a town's visit brief, the
/// dispatcher dispatches one, the department handles it, the enterprise rates it, and the figures
/// page counts it. Desktop first, then the same pages at phone width.
#[tokio::test]
async fn browser_request_loop() {
    if std::env::var("ZHENGCE_BROWSER_TESTS").as_deref() != Ok("1") {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** NOTE: browser tests were NOT run: set ZHENGCE_BROWSER_TESTS=1 with chromium, chromium-driver and fonts-noto-cjk installed (.ci/browser.sh). ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    crate::requests::duties(&f).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(zhengce_server::serve(listener, f.state.clone(), std::future::pending()));
    let store = f.state.store.clone().unwrap();
    let code = f.a.0.clone();
    let stored = store.enterprise(&code).await.unwrap().unwrap();
    let town = stored.profile.get("town").and_then(Value::as_str).unwrap().to_string();
    let firm = format!("#firm-{code}");

    let (_driver, c) = start_driver().await;
    viewport(&c, 1280, 800).await;
    // 1. An officer records two requests from the visit brief.
    login(&c, &base, "officer1").await;
    c.goto(&format!("{base}/console/briefs?town={}&at={AT}", super_qs(&town))).await.unwrap();
    click(&c, &format!("{firm} details.brief-visit > summary")).await;
    c.find(Locator::Css(&format!("{firm} select[name='category_1']")))
        .await
        .unwrap()
        .select_by_value("employment")
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{firm} input[name='text_1']"))).await.unwrap().send_keys("旺季缺 20 名缝纫工").await.unwrap();
    c.find(Locator::Css(&format!("{firm} select[name='category_2']"))).await.unwrap().select_by_value("finance").await.unwrap();
    c.find(Locator::Css(&format!("{firm} input[name='text_2']"))).await.unwrap().send_keys("流动资金贷款续贷").await.unwrap();
    scroll_to(&c, &firm).await;
    shot(&c, "desktop-r1-brief-visit-form").await;
    click(&c, &format!("{firm} details.brief-visit button[type=submit]")).await;
    let notice = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("已记录 2 条"));
    let listed = text_of(&c, &format!("{firm} ul.open-requests")).await;
    assert!(listed.contains("旺季缺 20 名缝纫工") && listed.contains("流动资金贷款续贷"), "{listed}");
    scroll_to(&c, &firm).await;
    shot(&c, "desktop-r2-brief-open-requests").await;
    let filter = zhengce_store::requests::RequestFilter { credit_code: Some(code.clone()), ..Default::default() };
    let (rows, total) = store.requests(&filter, 10, 0).await.unwrap();
    assert_eq!(total, 2);
    let id = rows.iter().find(|r| r.text.contains("缝纫工")).unwrap().id;
    assert!(rows.iter().all(|r| r.source == zhengce_model::request::Source::Visit));

    // 2. The dispatcher dispatches it to 人社局 (preselected for 用工).
    login(&c, &base, "dispatch1").await;
    c.goto(&format!("{base}/requests/{id}")).await.unwrap();
    shot(&c, "desktop-r3-dispatcher").await;
    click(&c, "#step-dispatch button[type=submit]").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice")).await.unwrap();
    wait_text(&c, "h1", "已派单").await;

    // 3. The department starts and handles it.
    login(&c, &base, "hr1").await;
    c.goto(&format!("{base}/requests?department={}&open=1", super_qs("人力资源和社会保障局"))).await.unwrap();
    assert!(text_of(&c, "main").await.contains("旺季缺 20 名缝纫工"));
    shot(&c, "desktop-r4-department-queue").await;
    c.goto(&format!("{base}/requests/{id}")).await.unwrap();
    click(&c, "#step-start button[type=submit]").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#step-handle")).await.unwrap();
    c.find(Locator::Css("#step-handle textarea[name='note']"))
        .await
        .unwrap()
        .send_keys("组织专场招聘会，推荐 12 名求职者")
        .await
        .unwrap();
    c.find(Locator::Css("#step-handle input[name='amount']")).await.unwrap().send_keys("6000").await.unwrap();
    click(&c, "#step-handle button[type=submit]").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice")).await.unwrap();
    wait_text(&c, "h1", "已办结").await;
    // The department may not rate its own work: no rating form.
    assert!(c.find(Locator::Css("#step-rate")).await.is_err());
    shot(&c, "desktop-r5-department-handled").await;

    // 4. The enterprise sees its two requests and rates the handled one.
    login(&c, &base, "ent-a").await;
    c.goto(&format!("{base}/requests")).await.unwrap();
    assert_eq!(c.find_all(Locator::Css("table.requests-table tbody tr")).await.unwrap().len(), 2);
    shot(&c, "desktop-r6-enterprise-list").await;
    c.goto(&format!("{base}/requests/{id}")).await.unwrap();
    click(&c, "#step-rate input[name='rating'][value='satisfied']").await;
    c.find(Locator::Css("#step-rate textarea[name='comment']")).await.unwrap().send_keys("招到了人，谢谢").await.unwrap();
    click(&c, "#step-rate button[type=submit]").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice")).await.unwrap();
    wait_text(&c, "h1", "已评价").await;
    shot(&c, "desktop-r7-enterprise-rated").await;

    // 5. The figures page counts it.
    login(&c, &base, "officer1").await;
    c.goto(&format!("{base}/console/requests/figures")).await.unwrap();
    let main = text_of(&c, "main").await;
    assert!(main.contains("共 2 件诉求") && main.contains("待派单 1 件"), "{main}");
    assert!(main.contains("人力资源和社会保障局") && main.contains("100%（1/1）"), "{main}");
    assert_eq!(c.find_all(Locator::Css("figure.plot svg")).await.unwrap().len(), 3);
    shot(&c, "desktop-r8-figures").await;

    // With the demo season added (as a fresh `zhengce serve` has it), the plots fill up.
    let policies: Vec<(String, Vec<zhengce_model::policy::Dimension>)> =
        f.state.corpus().snapshot.policies().iter().map(|p| (p.meta.slug.clone(), p.meta.dimensions.clone())).collect();
    let end: zhengce_model::Date = AT.parse().unwrap();
    let season: Vec<_> = (0..zhengce_roster::demo::season::SEASON_REQUESTS)
        .filter_map(|k| {
            zhengce_roster::demo::season::request(zhengce_roster::demo::season::SEASON_SEED, k, end, &policies, &|_| true)
        })
        .collect();
    store.record_requests(&season, true).await.unwrap();
    c.goto(&format!("{base}/console/requests/figures")).await.unwrap();
    assert!(text_of(&c, "main").await.contains("演示数据"));
    shot(&c, "desktop-r9-figures-demo-season").await;
    scroll_to(&c, "main > h2:last-of-type").await;
    shot(&c, "desktop-r9b-figures-towns").await;
    c.goto(&format!("{base}/requests")).await.unwrap();
    shot(&c, "desktop-r10-officer-list").await;
    // Overdue requests of the season are escalated to the dispatcher, who sees them listed.
    let escalated = store.escalate_overdue(end, 1_748_736_000_000).await.unwrap();
    login(&c, &base, "dispatch1").await;
    c.goto(&format!("{base}/requests?overdue=1")).await.unwrap();
    if !escalated.is_empty() {
        assert!(text_of(&c, ".escalations").await.contains("超期督办"));
    }
    shot(&c, "desktop-r11-dispatcher-overdue").await;

    // The same pages at phone width: nothing scrolls sideways.
    viewport(&c, 390, 844).await;
    for (who, path, name) in [
        ("officer1", "/console/requests/figures".to_string(), "phone-r8-figures"),
        ("officer1", format!("/console/briefs?town={}&at={AT}", super_qs(&town)), "phone-r2-brief"),
        ("ent-a", "/requests".to_string(), "phone-r6-enterprise-list"),
        ("ent-a", format!("/requests/{id}"), "phone-r7-enterprise-rated"),
    ] {
        login(&c, &base, who).await;
        c.goto(&format!("{base}{path}")).await.unwrap();
        if name == "phone-r2-brief" {
            scroll_to(&c, &firm).await;
        }
        assert_no_sideways_scroll(&c, name).await;
        shot(&c, name).await;
    }
    c.close().await.unwrap();
}
