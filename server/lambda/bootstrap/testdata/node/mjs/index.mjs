export const handler = async (event) => ({ kind: 'mjs', event });
