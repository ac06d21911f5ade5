export const fmtList = (items: string[]) => (items.length ? items.join(', ') : 'none');
