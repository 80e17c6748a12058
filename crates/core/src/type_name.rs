//! The default name a rotator reports in metrics and notifications.

/// `crate::module::Name<generics>` → `crate::Name`: a type name reduced to its crate and its own
/// name. The crate stays so that two engines' `SingleUser` types do not share one `Rotator`
/// dimension.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    let Some((krate, _)) = base.split_once("::") else {
        return base;
    };
    let name = base.rsplit("::").next().unwrap_or(base);
    if base.len() == krate.len() + 2 + name.len() {
        return base;
    }
    interned_join(krate, name, base)
}

/// `krate::name` for a type nested in modules. `base` does not hold that text contiguously, so
/// it is built once per type and kept for the process's life (one short string per rotator type).
fn interned_join(krate: &str, name: &str, base: &'static str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static NAMES: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    names
        .entry(base)
        .or_insert_with(|| Box::leak(format!("{krate}::{name}").into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn a_type_name_keeps_its_crate_and_loses_its_modules_and_generics() {
        assert_eq!(
            short_type_name("rotor_hmac_key::HmacKeyRotator"),
            "rotor_hmac_key::HmacKeyRotator"
        );
        assert_eq!(
            short_type_name("rotor_postgres::single_user::SingleUser"),
            "rotor_postgres::SingleUser"
        );
        assert_eq!(
            short_type_name("rotor_mysql::single_user::SingleUser<b::Engine>"),
            "rotor_mysql::SingleUser"
        );
        assert_eq!(short_type_name("Plain"), "Plain");
    }
}
