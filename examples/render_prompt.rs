//! Renders a registered prompt as an application would. In the repository root:
//! `promptci registry export --out prompts.bundle.json`, then
//! `cargo run --example render_prompt`. `docs/src/library-api.md` shows this file from the
//! `use` line on, and the docs test keeps the two identical.

use std::io::Write as _;

use promptci::registry::{Bundle, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::open("."); // the project root
    let prompt = registry.production("customer_support_system")?; // or .staging(id), .resolve(&selector)
    let rendered = prompt.render(minijinja::context! {
        company_name => "Acme Corp", product_name => "Acme Analytics", customer_tier => "standard",
        response_language => "English", current_date => "2026-11-23", support_phone => "+1 555 0100",
        examples => Vec::<()>::new(),
    })?;
    // Log which prompt answered: rendered.id, rendered.version, rendered.content_hash.
    let system_message: &str = &rendered.text;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} {}",
        rendered.id, rendered.version, rendered.content_hash
    )?;
    writeln!(out, "{system_message}")?;

    // Or from the deployed bundle, without the repository:
    let bundle = Bundle::from_json(&std::fs::read_to_string("prompts.bundle.json")?)?;
    let prompt = bundle.get("customer_support_system")?;
    writeln!(
        out,
        "bundle: {} {} {}",
        prompt.id, prompt.version, prompt.content_hash
    )?;
    Ok(())
}
