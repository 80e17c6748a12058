//! The default name a rotator reports in metrics and notifications.

/// `a::b::Name<c::D>` → `Name`: a type name without its module path and generic parameters.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn a_type_name_loses_its_module_path_and_generics() {
        assert_eq!(
            short_type_name("rotor_hmac_key::HmacKeyRotator"),
            "HmacKeyRotator"
        );
        assert_eq!(short_type_name("a::Single<b::Engine>"), "Single");
        assert_eq!(short_type_name("Plain"), "Plain");
    }
}
