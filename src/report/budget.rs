//! The console section that lists every suite's budgets ([`budget_section`]).

use crate::decide::SuiteBudget;
use crate::results::BudgetCheck;

/// Returns the console section listing every suite's budgets (empty when none is set).
#[must_use]
pub(crate) fn budget_section(budgets: &[SuiteBudget]) -> String {
    let mut out = String::new();
    for budget in budgets.iter().filter(|budget| !budget.checks.is_empty()) {
        if out.is_empty() {
            out.push_str("\nbudgets\n");
        }
        let mark = if budget.passed() { "ok  " } else { "OVER" };
        let checks: Vec<String> = budget.checks.iter().map(BudgetCheck::describe).collect();
        out.push_str(&format!("{mark} {}: {}\n", budget.name, checks.join(", ")));
        for check in budget.overruns() {
            for offender in check.offenders.iter().take(5) {
                out.push_str(&format!(
                    "       {} {}: {}\n",
                    check.kind.as_str(),
                    check.kind.format(offender.actual),
                    offender.case
                ));
            }
            if check.offenders.len() > 5 {
                out.push_str(&format!(
                    "       … and {} more\n",
                    check.offenders.len() - 5
                ));
            }
        }
    }
    out
}
