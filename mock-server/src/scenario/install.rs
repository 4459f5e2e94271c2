//! Putting a scenario into a running service: its seed into the state, its rules into the engine.

use super::{apply_seed, Scenario, ScenarioError};
use crate::service::Service;
use crate::store::Store;

/// How a scenario joins what a service already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Start from an empty state and no rules, then load the scenario.
    Replace,
    /// Add the seed on top of the current state and the rules after the current ones.
    Append,
}

/// Loads `scenario` into `svc`. All or nothing: on error, state and rules are as before. The
/// result becomes the state that [`Service::reset`] returns to.
pub fn install(svc: &Service, scenario: &Scenario, mode: LoadMode) -> Result<(), ScenarioError> {
    match mode {
        LoadMode::Replace => {
            let previous =
                std::mem::replace(&mut *svc.store(), Store::new(svc.options.providers.clone()));
            if let Err(e) = apply_seed(svc, &scenario.seed) {
                *svc.store() = previous;
                return Err(e);
            }
            svc.clear_rules();
        }
        LoadMode::Append => apply_seed(svc, &scenario.seed)?,
    }
    svc.add_rules(&scenario.rules);
    svc.snapshot_baseline();
    Ok(())
}
