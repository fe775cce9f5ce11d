//! Renders a commented TOML configuration file from the [`Config`] struct itself: the comments
//! are the fields' doc comments (through its JSON schema) and the values are the given config's.
//! The committed `convo.sample.toml` is this output for the defaults; a test keeps it fresh.

use serde_json::Value as Json;
use toml::Value as Toml;

use super::Config;

const HEADER: &str = "\
# Convo homeserver configuration.
#
# Every key is optional: a missing key takes the default shown here. Any key can also be set
# through the environment as CONVO__<KEY>, with `__` between table and key, for example
# CONVO__LISTEN=0.0.0.0:8008 or CONVO__AUTH__ACCESS_TOKEN_TTL_SECS=600. Unknown keys are an error.
";

/// The configuration file for `config`, with every key documented.
pub fn sample_config(config: &Config) -> String {
    let schema = serde_json::to_value(schemars::schema_for!(Config))
        .expect("a JSON schema always serialises");
    let values = Toml::try_from(config).expect("the config always serialises to TOML");
    let mut out = String::from(HEADER);
    render_table(&mut out, &schema, &schema, &values, None);
    out
}

fn render_table(out: &mut String, root: &Json, schema: &Json, values: &Toml, path: Option<&str>) {
    let schema = resolve(root, schema);
    let Some(table) = values.as_table() else {
        return;
    };
    let mut subtables = Vec::new();
    for (key, value) in table {
        let field = &schema["properties"][key];
        if value.is_table() {
            subtables.push((key, value, field));
            continue;
        }
        out.push('\n');
        push_comment(out, description(root, field));
        out.push_str(&format!("{key} = {value}\n"));
    }
    for (key, value, field) in subtables {
        let name = match path {
            Some(parent) => format!("{parent}.{key}"),
            None => key.clone(),
        };
        out.push('\n');
        push_comment(out, description(root, field));
        out.push_str(&format!("[{name}]\n"));
        render_table(out, root, field, value, Some(&name));
    }
}

/// Follows a local `$ref` into `$defs`.
fn resolve<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => &root["$defs"][name],
        None => schema,
    }
}

fn description<'a>(root: &'a Json, field: &'a Json) -> &'a str {
    field["description"]
        .as_str()
        .or_else(|| resolve(root, field)["description"].as_str())
        .unwrap_or("")
}

fn push_comment(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("# ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../convo.sample.toml");

    /// The committed sample must be what the code generates. Regenerate with
    /// `CONVO_BLESS=1 cargo test -p convo-homeserver sample`.
    #[test]
    fn committed_sample_is_fresh() {
        let generated = sample_config(&Config::default());
        if std::env::var_os("CONVO_BLESS").is_some() {
            std::fs::write(SAMPLE_PATH, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(SAMPLE_PATH).unwrap_or_default();
        assert!(
            committed == generated,
            "convo.sample.toml is stale: run `CONVO_BLESS=1 cargo test -p convo-homeserver sample` and commit it"
        );
    }

    #[test]
    fn sample_parses_back_to_the_same_config() {
        let generated = sample_config(&Config::default());
        let parsed: Config = toml::from_str(&generated).unwrap();
        assert_eq!(
            serde_json::to_value(parsed).unwrap(),
            serde_json::to_value(Config::default()).unwrap()
        );
    }

    #[test]
    fn every_key_is_documented() {
        let generated = sample_config(&Config::default());
        let mut previous = "";
        for line in generated.lines() {
            let is_key = !line.starts_with('#') && !line.is_empty();
            if is_key {
                assert!(previous.starts_with('#'), "undocumented: {line}");
            }
            previous = line;
        }
    }
}
