// Slow waits longer than its Timeout (1 s) allows.
export const handler = async () => {
  console.log('connecting to the database');
  console.log('waiting on the pool');
  await new Promise(r => setTimeout(r, 5000));
  return { statusCode: 200, body: 'late' };
};
