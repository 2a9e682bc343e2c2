//! A banner when `config.json` could not be used: the page then runs on defaults, and
//! the operator should know.

use leptos::prelude::*;

use crate::config::ConfigError;

/// Says why `config.json` was not used, if it was not; nothing otherwise.
#[component]
pub fn ConfigProblem(
    /// What was wrong with `config.json`.
    problem: Option<ConfigError>,
) -> impl IntoView {
    problem.map(|e| view! { <p class="banner error" role="alert">{e.to_string()}</p> })
}
