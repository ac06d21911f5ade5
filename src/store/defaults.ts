/** How long a signed catalog stays valid unless re-signed (`publish --expires-days`). */
export const DEFAULT_EXPIRES_DAYS = 30;
