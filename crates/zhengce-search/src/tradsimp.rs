//! A small traditional → simplified character table for policy vocabulary.
//!
//! Written by hand for this project (no GPL conversion tables): it covers the characters of
//! enterprise-support policy terms (稳岗返还, 专精特新, 技术改造, 贷款贴息, 社会保险, …), common question
//! words and Shandong place names. Only one-to-one mappings are listed; ambiguous characters
//! (乾/幹→干, 著, 隻) are left alone. Extend the pairs below as needed: each pair is the traditional
//! character followed by its simplified form.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Pairs "traditional simplified", separated by whitespace.
const PAIRS: &str = "
並并 佈布 來来 係系 倉仓 個个 們们 備备 傭佣 傳传 債债 傷伤 僅仅 僱雇 價价 儀仪 億亿 償偿 優优 儲储
兗兖 兩两 則则 創创 劃划 勁劲 動动 務务 勞劳 勢势 勵励 匯汇 區区 協协 參参 員员 問问 啟启 單单 嗎吗
國国 圍围 園园 團团 執执 報报 場场 壓压 壯壮 夥伙 婦妇 學学 實实 寧宁 審审 專专 對对 導导 屆届 屬属
島岛 崗岗 師师 帳账 帶带 幣币 幫帮 幾几 庫库 廠厂 廢废 廣广 廳厅 強强 彙汇 後后 從从 復复 徵征 愛爱
態态 憑凭 應应 懲惩 戰战 戶户 換换 搶抢 撥拨 撫抚 擁拥 擇择 擔担 據据 擬拟 擴扩 數数 於于 時时 曆历
書书 會会 東东 條条 棄弃 棗枣 業业 極极 構构 標标 機机 檔档 檢检 檻槛 權权 歲岁 歷历 歸归 殘残 氣气
沒没 況况 淨净 減减 測测 準准 溫温 滯滞 漁渔 漲涨 潤润 濟济 濰潍 濱滨 災灾 為为 無无 煙烟 熱热 燈灯
營营 獎奖 獨独 獲获 環环 產产 畝亩 畢毕 畫画 當当 療疗 發发 盡尽 監监 盤盘 確确 碼码 礎础 礦矿 稅税
稱称 積积 穩稳 節节 範范 簡简 簽签 紀纪 約约 紅红 紉纫 紋纹 納纳 紗纱 級级 紡纺 細细 結结 絡络 給给
統统 絲丝 經经 綜综 綠绿 綢绸 綫线 維维 網网 緊紧 線线 緞缎 緯纬 練练 縣县 縫缝 縮缩 總总 績绩 織织
繫系 繳缴 續续 纖纤 罰罚 習习 聯联 聲声 職职 脫脱 臨临 臺台 與与 興兴 舉举 舊旧 華华 萊莱 萬万 藝艺
藥药 蘭兰 處处 號号 術术 衛卫 裏里 補补 裝装 裡里 製制 複复 襪袜 規规 視视 覽览 計计 訊讯 訓训 記记
設设 許许 評评 試试 話话 該该 認认 語语 說说 課课 調调 請请 謀谋 證证 識识 議议 護护 讀读 變变 讓让
豐丰 負负 財财 貧贫 貨货 買买 貸贷 費费 貼贴 貿贸 資资 賣卖 賦赋 質质 賬账 購购 車车 軟软 較较 輔辅
輕轻 轉转 辦办 農农 這这 週周 進进 運运 過过 違违 遞递 遠远 適适 選选 還还 鄉乡 鄒邹 鄰邻 醫医 針针
銀银 銷销 鋼钢 錄录 錢钱 錶表 鍵键 鎮镇 鏈链 鐵铁 鑑鉴 鑒鉴 鑽钻 長长 門门 閉闭 開开 間间 閱阅 闆板
關关 陽阳 隊队 際际 險险 隱隐 雙双 離离 難难 雲云 電电 韌韧 響响 項项 領领 頭头 頻频 題题 額额 類类
顯显 風风 飾饰 養养 餘余 驅驱 驗验 體体 魚鱼 魯鲁 麼么 黃黄 點点 齊齐 齡龄
";

fn table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        PAIRS
            .split_whitespace()
            .filter_map(|p| {
                let mut cs = p.chars();
                Some((cs.next()?, cs.next()?))
            })
            .collect()
    })
}

/// The simplified form of `c`, when `c` is a traditional character in the table.
pub fn simplify(c: char) -> Option<char> {
    if (c as u32) < 0x3400 {
        return None;
    }
    table().get(&c).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for p in PAIRS.split_whitespace() {
            let cs: Vec<char> = p.chars().collect();
            assert_eq!(cs.len(), 2, "pair `{p}` must be two characters");
            assert_ne!(cs[0], cs[1], "pair `{p}` maps a character to itself");
            assert!(seen.insert(cs[0]), "duplicate traditional character in `{p}`");
        }
        // No simplified output is itself remapped.
        for &s in table().values() {
            assert_eq!(simplify(s), None, "`{s}` is both a target and a source");
        }
        assert_eq!(simplify('崗'), Some('岗'));
        assert_eq!(simplify('岗'), None);
    }
}
