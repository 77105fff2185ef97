//! The bundled corpus loads without a single diagnostic, so every rule example passes, and every
//! slug of `policy-facts.md` has a policy file.

use crate::common;

/// The 48 slugs of `../shared/product/policy-facts.md` (the contract other tools rely on).
const FACT_SHEET_SLUGS: [&str; 48] = [
    "cn-ui-job-retention-refund-2025",
    "cn-ui-refund-uplift-2025",
    "cn-ui-premium-rate-1pct",
    "cn-one-time-job-expansion-subsidy",
    "cn-key-group-si-subsidy-2025",
    "cn-skill-upgrade-subsidy",
    "cn-disability-levy-tiered-reduction",
    "cn-disabled-employment-tax-incentives",
    "cn-key-group-hiring-tax-deduction",
    "cn-work-for-training-expired",
    "cn-startup-guarantee-loan",
    "cn-equipment-renewal-loan-subsidy",
    "cn-sci-tech-renovation-relending",
    "cn-gov-financing-guarantee-fee",
    "cn-inclusive-sme-loan",
    "cn-rd-super-deduction",
    "cn-hnte-certification",
    "cn-tech-sme-evaluation",
    "cn-innovative-sme",
    "cn-specialized-sme",
    "cn-little-giant",
    "cn-equipment-one-time-deduction",
    "cn-advanced-mfg-vat-super-credit",
    "cn-first-set-equipment-insurance",
    "cn-enterprise-tech-center",
    "cn-sme-digital-city-pilot",
    "cn-smart-factory-gradient",
    "cn-two-integration-mgmt-system",
    "cn-small-low-profit-cit",
    "cn-six-taxes-two-fees-halving",
    "cn-small-scale-vat-relief",
    "sd-ui-job-retention-refund-2025",
    "sd-work-injury-premium-cut-2025",
    "sd-startup-guarantee-loan",
    "sd-tech-renovation-special-loan",
    "sd-high-level-tech-renovation-2021",
    "sd-lukedai-tech-transfer-loan",
    "sd-emergency-bridge-loan-fund",
    "sd-gov-financing-guarantee",
    "sd-sme-financing-coordination-2025",
    "sd-industrial-internet-digital-fund",
    "sd-digital-jiebang-2025",
    "sd-sme-digital-guidance-zone-2025",
    "sd-advanced-smart-factory",
    "sd-specialized-sme-province",
    "jn-tech-renovation-fund-2021",
    "jn-policy-compendium-channel",
    "ws-textile-guidance-fund-2016",
];

#[test]
fn corpus_has_no_diagnostics_and_all_examples_pass() {
    let loaded = common::corpus();
    let msgs: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(msgs.is_empty(), "corpus diagnostics:\n{}", msgs.join("\n"));
    let rules = loaded.snapshot.rules().expect("rules load");
    assert!(rules.rules.len() >= 3);
    for r in &rules.rules {
        assert!(r.examples.len() >= 4, "{} has only {} examples", r.policy, r.examples.len());
    }
}

#[test]
fn every_fact_sheet_slug_has_a_policy_file() {
    let loaded = common::corpus();
    let missing: Vec<&str> = FACT_SHEET_SLUGS.iter().copied().filter(|s| loaded.snapshot.policy(s).is_none()).collect();
    assert!(missing.is_empty(), "missing policy files: {missing:?}");
}

#[test]
fn policy_level_matches_region() {
    let loaded = common::corpus();
    for p in loaded.snapshot.policies() {
        let want = match p.meta.level {
            zhengce_model::policy::Level::National => None,
            zhengce_model::policy::Level::Province => Some("370000"),
            zhengce_model::policy::Level::City => Some("370800"),
            zhengce_model::policy::Level::County => Some("370830"),
        };
        assert_eq!(p.meta.region.as_deref(), want, "{}", p.meta.slug);
    }
}
