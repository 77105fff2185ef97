//! The tables behind the demo county: towns, parks, chambers, industries and name syllables.
//!
//! Towns and streets are 汶上县's 15 divisions (2 街道, 12 镇, 1 乡; 刘楼乡 became 刘楼镇 in 2013).
//! 汶上经济开发区 is the county's development zone; the other parks are illustrative and carry
//! 「（演示）」 in their names. Chambers follow the county pattern (a county garment chamber plus one
//! chamber per town or street). Industry codes are GB/T 4754-2017 小类.

/// Town or street, and its weight (garment firms cluster around the county seat).
pub(super) const TOWNS: &[(&str, u32)] = &[
    ("中都街道", 14),
    ("汶上街道", 12),
    ("南站镇", 10),
    ("南旺镇", 6),
    ("次丘镇", 6),
    ("寅寺镇", 6),
    ("郭楼镇", 7),
    ("康驿镇", 7),
    ("苑庄镇", 6),
    ("义桥镇", 5),
    ("白石镇", 5),
    ("郭仓镇", 5),
    ("杨店镇", 5),
    ("刘楼镇", 4),
    ("军屯乡", 4),
];

/// Parks (weights among firms that are in a park).
pub(super) const PARKS: &[(&str, u32)] =
    &[("汶上经济开发区", 6), ("汶上县纺织服装产业园（演示）", 3), ("南站镇服装加工园区（演示）", 1)];

/// The county-level chamber for the garment trade.
pub(super) const COUNTY_CHAMBER: &str = "汶上县服装商会";

/// What kind of business an industry is, for sizes and money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sector {
    /// Garment making: many workers, modest revenue per head.
    Garment,
    /// Spinning, weaving, dyeing, home textiles: more capital per head.
    Textile,
    /// Supporting manufacturing (plastics, packaging, textile machinery).
    Supporting,
    /// Wholesale and retail: few workers, high revenue per head.
    Trade,
}

/// An industry: code, weight, sector, and the trade words used in names.
pub(super) struct Industry {
    pub code: &'static str,
    pub weight: u32,
    pub sector: Sector,
    pub words: &'static [&'static str],
}

const fn ind(code: &'static str, weight: u32, sector: Sector, words: &'static [&'static str]) -> Industry {
    Industry { code, weight, sector, words }
}

/// GB/T 4754-2017 codes with their 小类 titles in comments.
pub(super) const INDUSTRIES: &[Industry] = &[
    ind("1819", 24, Sector::Garment, &["服饰", "服装", "制衣"]), // 其他机织服装制造
    ind("1811", 8, Sector::Garment, &["运动服饰", "服饰"]),      // 运动机织服装制造
    ind("1829", 10, Sector::Garment, &["针织服饰", "服饰"]),     // 其他针织或钩针编织服装制造
    ind("1821", 5, Sector::Garment, &["休闲服饰", "针织服饰"]),  // 运动休闲针织服装制造
    ind("1830", 5, Sector::Garment, &["服饰", "帽业"]),          // 服饰制造
    ind("1711", 3, Sector::Textile, &["棉纺", "纺织"]),          // 棉纺纱加工
    ind("1712", 4, Sector::Textile, &["纺织", "织造"]),          // 棉织造加工
    ind("1713", 4, Sector::Textile, &["印染"]),                  // 棉印染精加工
    ind("1751", 3, Sector::Textile, &["化纤", "纺织"]),          // 化纤织造加工
    ind("1761", 4, Sector::Textile, &["针织"]),                  // 针织或钩针编织物织造
    ind("1762", 3, Sector::Textile, &["针织印染", "印染"]),      // 针织或钩针编织物印染精加工
    ind("1763", 3, Sector::Textile, &["针织品", "针织"]),        // 针织或钩针编织品制造
    ind("1771", 4, Sector::Textile, &["家纺"]),                  // 床上用品制造
    ind("1779", 2, Sector::Textile, &["家纺", "纺织品"]),        // 其他家用纺织制成品制造
    ind("1781", 2, Sector::Textile, &["无纺布"]),                // 非织造布制造
    ind("5132", 5, Sector::Trade, &["服装商贸", "商贸"]),        // 服装批发
    ind("5131", 3, Sector::Trade, &["纺织品贸易", "商贸"]),      // 纺织品、针织品及原料批发
    ind("5232", 3, Sector::Trade, &["服装销售", "商贸"]),        // 服装零售
    ind("2929", 2, Sector::Supporting, &["塑料制品"]),           // 塑料零件及其他塑料制品制造
    ind("2231", 2, Sector::Supporting, &["包装"]),               // 纸和纸板容器制造
    ind("3551", 2, Sector::Supporting, &["纺织机械", "机械"]),   // 纺织专用设备制造
];

/// First and second syllables of trade names (字号).
pub(super) const NAME_FIRST: &[&str] = &[
    "锦", "华", "瑞", "恒", "金", "宏", "德", "鸿", "顺", "盛", "嘉", "永", "天", "新", "博", "富", "鑫", "利", "佳", "雅", "福",
    "祥", "荣", "兴", "同", "润", "安", "鼎", "聚", "明", "信", "正", "君", "泰", "隆", "昌", "源", "彩", "丰", "达",
];
pub(super) const NAME_SECOND: &[&str] = &[
    "绣", "美", "丰", "通", "穗", "达", "润", "运", "发", "源", "禾", "兴", "成", "宇", "远", "华", "艺", "丽", "瑞", "和", "盛",
    "隆", "创", "泽", "泰", "鼎", "诺", "程", "彩", "邦", "业", "辉", "翔", "力", "凯", "晟", "尚", "悦", "衡", "川",
];
