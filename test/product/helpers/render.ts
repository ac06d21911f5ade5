/**
 * The template syntax of docs/hop-spec.md (${a.b}, $${ literal, objects as JSON, a
 * missing value is an error), re-implemented here so the product's tests do not
 * depend on the builder.
 */
export function render(text: string, values: Record<string, unknown>) {
  return text.replace(/\$(\$?)\{([^}]*)\}/g, (whole, literal: string, name: string) => {
    if (literal) return whole.slice(1);
    const value = name.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);
    if (value === undefined) throw new Error(`missing value ${name}`);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}
