//! Reading and changing the account settings.

use std::borrow::{Borrow, Cow};

use crate::body::{SettingsSpec, ValidationContext};
use crate::ops::{Operation, OperationKind, to_json};
use crate::settings::Settings;
use crate::validation::ValidationError;

/// Read the account settings: `GET /settings`.
///
/// ```
/// # use greenpin_core::ops::{Operation, OperationKind};
/// # use greenpin_core::ops::GetSettings;
/// assert_eq!(GetSettings::new().kind(), OperationKind::GetSettings);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetSettings;

impl GetSettings {
    /// A settings read.
    pub fn new() -> Self {
        GetSettings
    }
}

impl Operation for GetSettings {
    type Output = Settings;
    fn kind(&self) -> OperationKind {
        OperationKind::GetSettings
    }
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/settings")
    }
    fn body(&self, _: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(None)
    }
}

/// Change account settings: `PUT /settings`. What is left out keeps its value.
///
/// ```
/// # use greenpin_core::ops::{Operation};
/// # use greenpin_core::{SettingsSpec, Timezone, ValidationContext};
/// # use greenpin_core::ops::UpdateSettings;
/// let op = UpdateSettings::new(SettingsSpec::new().timezone(Timezone::Utc));
/// assert_eq!(op.body(&ValidationContext::default())?.unwrap(), br#"{"timezone":"UTC"}"#);
/// # Ok::<(), greenpin_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UpdateSettings<S = SettingsSpec> {
    /// The change (owned, or borrowed as `&SettingsSpec`).
    pub spec: S,
}

/// An empty one (so `UpdateSettings::default()` names the owned form).
impl Default for UpdateSettings {
    fn default() -> Self {
        UpdateSettings::new(SettingsSpec::default())
    }
}

impl<S> UpdateSettings<S> {
    /// An update of the settings in `spec`.
    pub fn new(spec: S) -> Self {
        UpdateSettings { spec }
    }
}

impl<S: Borrow<SettingsSpec>> Operation for UpdateSettings<S> {
    type Output = Settings;
    fn kind(&self) -> OperationKind {
        OperationKind::UpdateSettings
    }
    fn path(&self) -> Cow<'static, str> {
        Cow::Borrowed("/settings")
    }
    fn body(&self, ctx: &ValidationContext) -> Result<Option<Vec<u8>>, ValidationError> {
        Ok(Some(to_json(&self.spec.borrow().validate(ctx)?)))
    }
}
