/**
 * Replaces every ${env:NAME} in a template with its value. The `env:` prefix mirrors Kafka's
 * config-provider syntax and leaves other ${...} alone (Debezium's ${routedByValue}, say).
 * A placeholder without a value is an error naming it, so a config file never reaches a
 * component with a literal placeholder in it.
 */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  const missing = new Set<string>();
  const rendered = template.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return placeholder;
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`template placeholders without a value: ${[...missing].join(', ')}`);
  return rendered;
}
