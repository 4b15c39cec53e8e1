// The Node.js function of the mapping tests: it fails with the message
// its payload names, else answers with the payload it got.
export const handler = async (event) => {
  if (event.fail) throw new Error(event.fail);
  return { runtime: 'node', echo: event };
};
