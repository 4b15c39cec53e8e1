export const handler = async () => ({ kind: 'esm-js', meta: typeof import.meta.url });
