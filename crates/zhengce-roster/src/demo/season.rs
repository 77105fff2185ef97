//! A demo season of enterprise requests (诉求) in the demo county, so the requests pages and the
//! figures page are not empty on a fresh `zhengce serve`.
//!
//! Deterministic: request `k` of seed `s` depends on `(s, k)` and the end day only. Each is an
//! enterprise of the demo county (seed [`super::SEED_SEED`]) asking for something typical of its
//! category, recorded on a day of the half year before the end day and taken through the loop as
//! far as its dates allow (dispatch, start, handle, rate; a tenth rated 不满意 and reopened once),
//! so recent ones are still open and some are overdue. Every step goes through the model's state
//! machine when the store writes it. Every text ends in 「（演示）」 and every row is stored with
//! the demo flag.

use zhengce_model::Date;
use zhengce_model::policy::Dimension;
use zhengce_model::request::{Action, Category, Rating, Source};
use zhengce_store::Store;
use zhengce_store::requests::{NewRequest, Recorded, Step};

use super::generate::{Rng, enterprise};
use super::{SEED_ENTERPRISES, SEED_SEED};
use crate::RosterError;

/// How many requests a season has.
pub const SEASON_REQUESTS: u64 = 240;
/// The seed of the season `serve` writes.
pub const SEASON_SEED: u64 = 7;
/// How many days back the season starts.
pub const SEASON_DAYS: i64 = 180;

const DISPATCHER: &str = "officer:演示派单员（县委两新工委）";
const VISITOR: &str = "officer:演示回访员";

fn texts(c: Category) -> &'static [&'static str] {
    match c {
        Category::Employment => &[
            "旺季缺熟练缝纫工二三十人，本地招不到",
            "想招几名高校毕业生做技术员，不知道有哪些补贴",
            "新员工岗前培训能否申请培训补贴",
            "社保缴费基数调整后用工成本上升，想了解稳岗政策",
        ],
        Category::Finance => &[
            "流动资金贷款明年到期，希望帮助续贷不抽贷",
            "新上生产线需要中长期贷款，缺少抵押物",
            "想申请担保贷款，担保费能否减免",
            "应收账款回款慢，想了解供应链融资",
        ],
        Category::Upgrade => &[
            "计划更新一批老旧设备，想了解技改补助",
            "新建车间节能改造，能否申请设备更新贷款贴息",
            "首台套设备投保有没有保费补贴",
        ],
        Category::Digital => {
            &["想上 ERP 和 MES，找不到合适的服务商", "车间数字化改造想申请诊断服务", "想把产品放到电商平台，缺懂运营的人"]
        }
        Category::Tax => &["研发费用加计扣除不会申报", "增值税留抵退税进度想咨询", "残保金能否减免"],
        Category::Other => &["厂区门口道路破损，货车进出困难", "用电容量不够，想增容", "员工子女入学需要协调"],
    }
}

fn department(c: Category, r: &mut Rng) -> String {
    c.department()
        .map(str::to_string)
        .unwrap_or_else(|| (*r.pick(&["发展和改革局", "县委两新工委", "工业和信息化局"])).to_string())
}

fn day(d: Date, n: i64) -> Date {
    Date::from_days_since_epoch(d.days_since_epoch() + n).unwrap_or(d)
}

fn at_ms(d: Date, hour: i64) -> i64 {
    d.days_since_epoch() * 86_400_000 + hour * 3_600_000
}

/// Request `k` of season `seed` ending on `end` (its steps up to `end` only), if its enterprise is
/// in `known`. `policies` are (slug, dimensions) of the corpus, for linking some requests.
pub fn request(
    seed: u64,
    k: u64,
    end: Date,
    policies: &[(String, Vec<Dimension>)],
    known: &dyn Fn(&str) -> bool,
) -> Option<Recorded> {
    let mut r = Rng::new(seed ^ 0x5EA5_0000, k);
    let index = r.int(0, SEED_ENTERPRISES as i64 - 1) as u64;
    let firm = enterprise(SEED_SEED, index);
    let code = firm.get("credit_code").and_then(|v| v.as_str())?.to_string();
    if !known(&code) {
        return None;
    }
    let category = *r.weighted(
        &[
            (Category::Employment, 30),
            (Category::Finance, 25),
            (Category::Upgrade, 15),
            (Category::Digital, 12),
            (Category::Tax, 10),
            (Category::Other, 8),
        ],
        |c| c.1,
    );
    let category = category.0;
    let source = r.weighted(&[(Source::Web, 30), (Source::Chamber, 20), (Source::Visit, 45), (Source::Import, 5)], |s| s.1).0;
    let text = format!("{}（演示）", r.pick(texts(category)));
    let related: Vec<&String> =
        policies.iter().filter(|(_, d)| d.iter().any(|x| category.dimensions().contains(x))).map(|(s, _)| s).collect();
    let policy = (!related.is_empty() && r.chance(0.35)).then(|| (*r.pick(&related)).clone());
    let created = day(end, -r.int(0, SEASON_DAYS));
    let by = match source {
        Source::Web => format!("enterprise:{code}"),
        Source::Chamber => "officer:演示商会联络员".into(),
        Source::Visit => "officer:演示红领专家".into(),
        Source::Import => "import".into(),
    };
    let mut steps = Vec::new();
    let dept = department(category, &mut r);
    let staff = |on: Date, hour: i64, dispatcher: bool, action: Action| Step {
        on,
        at_ms: at_ms(on, hour),
        actor_name: if dispatcher { DISPATCHER.into() } else { format!("officer:演示{dept}") },
        enterprise: false,
        dispatcher,
        department: (!dispatcher).then(|| dept.clone()),
        action,
    };
    let mut on = created;
    for round in 0..2 {
        on = day(on, r.int(0, 3));
        if on > end || r.chance(0.04) {
            break;
        }
        let due = day(on, *r.pick(&[10, 15, 15, 20, 30]));
        steps.push(staff(on, 9, true, Action::Dispatch { department: dept.clone(), due }));
        on = day(on, r.int(0, 2));
        if on > end {
            break;
        }
        steps.push(staff(on, 10, false, Action::Start));
        // Most are handled in time; some late.
        let days = if r.chance(0.75) { r.int(1, (due.days_since_epoch() - on.days_since_epoch()).max(1)) } else { r.int(15, 60) };
        on = day(on, days);
        if on > end {
            break;
        }
        let amount_fen = (matches!(category, Category::Finance | Category::Upgrade | Category::Tax) && r.chance(0.6))
            .then(|| r.int(2, 300) * 1_000_000);
        let note = match category {
            Category::Finance => "已对接银行，完成授信（演示）",
            Category::Employment => "已组织专场招聘并推荐求职者（演示）",
            Category::Tax => "已上门辅导申报（演示）",
            _ => "已协调相关单位办理（演示）",
        };
        steps.push(staff(on, 15, false, Action::Handle { note: note.into(), amount_fen }));
        on = day(on, r.int(1, 7));
        if on > end || r.chance(0.08) {
            break;
        }
        let rating = if round == 0 {
            r.weighted(&[(Rating::Satisfied, 70), (Rating::Partly, 20), (Rating::Unsatisfied, 10)], |x| x.1).0
        } else {
            r.weighted(&[(Rating::Satisfied, 60), (Rating::Partly, 30), (Rating::Unsatisfied, 10)], |x| x.1).0
        };
        let comment = if rating == Rating::Unsatisfied { "问题没有真正解决（演示）" } else { "" };
        let visit = r.chance(0.3);
        steps.push(Step {
            on,
            at_ms: at_ms(on, 16),
            actor_name: if visit { VISITOR.into() } else { format!("enterprise:{code}") },
            enterprise: !visit,
            dispatcher: false,
            department: None,
            action: Action::Rate { rating, comment: comment.into() },
        });
        if rating != Rating::Unsatisfied || round == 1 {
            break;
        }
    }
    Some(Recorded {
        new: NewRequest { credit_code: code, category, text, policy, source },
        by,
        on: created,
        at_ms: at_ms(created, 8),
        steps,
    })
}

/// Writes a demo season ending on `end` into a store that holds no requests yet and holds the
/// demo county's enterprises; returns how many requests were written (0 otherwise).
pub async fn seed_if_none(store: &Store, policies: &[(String, Vec<Dimension>)], end: Date) -> Result<usize, RosterError> {
    let (_, existing) = store.requests(&Default::default(), 1, 0).await?;
    if existing > 0 {
        return Ok(0);
    }
    let mut codes = std::collections::HashSet::new();
    let mut offset = 0;
    loop {
        let page = store.list_enterprises(&Default::default(), 1000, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        codes.extend(page.into_iter().map(|e| e.credit_code));
    }
    let list: Vec<Recorded> =
        (0..SEASON_REQUESTS).filter_map(|k| request(SEASON_SEED, k, end, policies, &|c| codes.contains(c))).collect();
    if list.is_empty() {
        return Ok(0);
    }
    store.record_requests(&list, true).await?;
    Ok(list.len())
}
