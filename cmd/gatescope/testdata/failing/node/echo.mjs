// Echo answers with the method, path and body it got, and the status the
// query asks for (?status=201), so a replayed request can be compared.
export const handler = async event => {
  const status = Number((event.queryStringParameters || {}).status || 200);
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: event.requestContext.http.method, path: event.rawPath,
      body: event.body || null, isBase64Encoded: event.isBase64Encoded, header: event.headers['x-test'] || null }),
  };
};
