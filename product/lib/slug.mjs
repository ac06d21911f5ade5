/** "Hello, World!" -> "hello-world" (the 4.1.1 backfill migration uses the same rule) */
export const slugify = (text) =>
  String(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200) || 'item';
